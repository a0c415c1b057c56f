"""Batch documents into Elasticsearch bulk requests through a queue kept in Redis.

Processed documents wait in a Redis list, not in worker memory, so a worker restart or
an Elasticsearch outage loses none of them. A flush moves a batch into an in-flight
list named after the flushing task: if the worker dies mid-request, the redelivered
task finds the same batch and sends it again (the deterministic ``_id`` with
``op_type=create`` makes the repeat a counted duplicate, never a second copy).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import redis
from elasticsearch import ApiError, Elasticsearch
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import TransportError as EsTransportError

from newsdesk.errors import Outcome, TransientError
from newsdesk.search.setup import pages_alias
from newsdesk.state.redis_state import PREFIX

log = logging.getLogger(__name__)

PENDING_KEY = PREFIX + "index:pending"
FLUSH_GATE_KEY = PREFIX + "index:flush-scheduled"
RETRYABLE_ITEM_STATUS = (429, 500, 502, 503, 504)
# Set the given fields and remove the null ones, so a rewritten document looks like one
# built fresh (absent, never null); an unchanged document is a no-op, not a new version.
SET_FIELDS_SCRIPT = """
boolean changed = false;
for (e in params.fields.entrySet()) {
  if (e.getValue() == null) {
    if (ctx._source.containsKey(e.getKey())) { ctx._source.remove(e.getKey()); changed = true; }
  } else if (ctx._source[e.getKey()] != e.getValue()) {
    ctx._source[e.getKey()] = e.getValue(); changed = true;
  }
}
if (!changed) { ctx.op = 'noop'; }
"""

# Claim a batch: reuse this task's in-flight batch if a crash left one, else move up
# to N documents from the pending list into it, atomically.
_CLAIM_LUA = """
if redis.call('EXISTS', KEYS[2]) == 1 then
  return redis.call('LRANGE', KEYS[2], 0, -1)
end
local items = redis.call('LPOP', KEYS[1], tonumber(ARGV[1]))
if not items then return {} end
redis.call('RPUSH', KEYS[2], unpack(items))
return items
"""


def inflight_key(batch_id: str) -> str:
    """Return the key of the in-flight list of one flush."""
    return f"{PREFIX}index:inflight:{batch_id}"


@dataclass(frozen=True)
class PendingDocument:
    """A document waiting to be indexed, with what its outcome needs to be recorded."""

    doc_id: str
    source: dict[str, Any]
    url: str
    feed_id: str | None = None
    run_id: str | None = None
    note: str | None = None  # becomes the reason of an "indexed" outcome
    # The fetched page, written to <alias>-pages in the same bulk request as the article.
    # Riding on the article's entry, it is replayed and requeued with it, and it is never
    # an outcome of its own.
    raw_page: dict[str, Any] | None = None

    def to_json(self) -> str:
        """Return the JSON line stored in the pending list."""
        data = {
            "id": self.doc_id,
            "source": self.source,
            "url": self.url,
            "feed_id": self.feed_id,
            "run_id": self.run_id,
            "note": self.note,
        }
        if self.raw_page is not None:
            data["raw_page"] = self.raw_page
        return json.dumps(data)

    @classmethod
    def from_json(cls, raw: str | bytes) -> PendingDocument:
        """Return the document decoded from a pending-list entry."""
        data = json.loads(raw)
        return cls(
            data["id"],
            data["source"],
            data["url"],
            data.get("feed_id"),
            data.get("run_id"),
            data.get("note"),
            data.get("raw_page"),
        )


@dataclass
class ItemResult:
    """The outcome of one document in a bulk request."""

    doc: PendingDocument
    outcome: str  # indexed, duplicate, failed
    reason: str | None = None
    detail: str | None = None


@dataclass
class FlushResult:
    """Final item outcomes of one flush, and the documents sent back for another try."""

    results: list[ItemResult] = field(default_factory=list)
    requeued: list[PendingDocument] = field(default_factory=list)
    raw_pages_written: int = 0
    raw_pages_failed: int = 0


def add_pending(r: redis.Redis, doc: PendingDocument) -> bool:
    """Queue a document for indexing; return True if the caller must schedule a flush.

    The gate is set after the push, so a flush that starts later always sees the doc.
    """
    pipe = r.pipeline(transaction=True)
    pipe.rpush(PENDING_KEY, doc.to_json())
    pipe.set(FLUSH_GATE_KEY, "1", nx=True, ex=60)
    _, gate_set = pipe.execute()
    return bool(gate_set)


def open_flush_gate(r: redis.Redis) -> None:
    """Let the next added document schedule a new flush (called as a flush starts)."""
    r.delete(FLUSH_GATE_KEY)


def pending_count(r: redis.Redis) -> int:
    """Return how many documents wait to be indexed."""
    return int(r.llen(PENDING_KEY))


def claim_batch(r: redis.Redis, batch_id: str, max_docs: int) -> list[PendingDocument]:
    """Return this flush's batch, moving up to ``max_docs`` pending documents in flight."""
    raw = r.eval(_CLAIM_LUA, 2, PENDING_KEY, inflight_key(batch_id), max_docs)
    return [PendingDocument.from_json(item) for item in raw]


def release_batch(r: redis.Redis, batch_id: str, requeue: list[PendingDocument]) -> None:
    """Drop the in-flight list, putting ``requeue`` back at the head of the pending list."""
    pipe = r.pipeline(transaction=True)
    if requeue:
        pipe.lpush(PENDING_KEY, *[d.to_json() for d in reversed(requeue)])
    pipe.delete(inflight_key(batch_id))
    pipe.execute()


def bulk_create(es: Elasticsearch, alias: str, docs: list[PendingDocument]) -> FlushResult:
    """Send one bulk ``create`` request; return each document's outcome.

    Raw pages riding on the documents go into the same request (op ``index``: a page
    fetched again overwrites). Raises TransientError (and classifies nothing) when
    Elasticsearch is unreachable.
    """
    if not docs:
        return FlushResult()
    operations: list[dict[str, Any]] = []
    for doc in docs:
        operations.append({"create": {"_index": alias, "_id": doc.doc_id}})
        operations.append(doc.source)
        if doc.raw_page is not None:
            operations.append({"index": {"_index": pages_alias(alias), "_id": doc.doc_id}})
            operations.append(doc.raw_page)
    response = send_bulk(es, operations)
    items = response["items"]
    if 2 * len(items) != len(operations):
        raise ValueError(f"bulk response has {len(items)} items for {len(operations) // 2} ops")
    result = FlushResult()
    position = 0
    for doc in docs:
        requeued = _classify(result, doc, items[position]["create"])
        position += 1
        if doc.raw_page is not None:
            # A requeued article brings its page along again: count the page then.
            if not requeued:
                _count_raw_page(result, doc, items[position]["index"])
            position += 1
    return result


def _classify(result: FlushResult, doc: PendingDocument, item: dict[str, Any]) -> bool:
    """Record one article's bulk item in ``result``; return True if it goes back to pending."""
    status = int(item["status"])
    error = item.get("error") or {}
    if status in (200, 201):
        result.results.append(ItemResult(doc, Outcome.INDEXED, doc.note))
    elif status == 409:
        result.results.append(ItemResult(doc, Outcome.DUPLICATE, "already_indexed"))
    elif status in RETRYABLE_ITEM_STATUS:
        result.requeued.append(doc)
        return True
    else:
        reason = str(error.get("type", f"status_{status}"))
        result.results.append(
            ItemResult(doc, Outcome.FAILED, f"es_rejected_{reason}", str(error.get("reason")))
        )
    return False


def _count_raw_page(result: FlushResult, doc: PendingDocument, item: dict[str, Any]) -> None:
    """Count a raw page's write; a failed one is logged, since the article's outcome stands."""
    if int(item["status"]) in (200, 201):
        result.raw_pages_written += 1
        return
    # Requeuing would replay the article too and count its outcome twice; the page is a
    # convenience for reprocessing, the article is the record.
    result.raw_pages_failed += 1
    log.warning("raw page of %s not stored: %s", doc.url, (item.get("error") or {}).get("reason"))


@dataclass
class UpdateResult:
    """What a bulk partial update did: written, not indexed yet, and worth another try."""

    updated: int = 0
    missing: int = 0
    retry: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def bulk_update_fields(
    es: Elasticsearch, alias: str, updates: dict[str, dict[str, Any]]
) -> UpdateResult:
    """Send scripted partial updates (``None`` removes a field) and classify each item.

    A 404 is normal: that document is still waiting in the pending list and gets
    current values when it is flushed. Raises TransientError when Elasticsearch is down.
    """
    if not updates:
        return UpdateResult()
    operations: list[dict[str, Any]] = []
    for doc_id, fields in updates.items():
        # Two flushes may rewrite the same original at once; both write Redis's view.
        operations.append({"update": {"_index": alias, "_id": doc_id, "retry_on_conflict": 3}})
        operations.append(
            {
                "script": {
                    "source": SET_FIELDS_SCRIPT,
                    "lang": "painless",
                    "params": {"fields": fields},
                }
            }
        )
    response = send_bulk(es, operations)
    result = UpdateResult()
    for doc_id, item in zip(updates, response["items"], strict=True):
        status = int(item["update"]["status"])
        if status in (200, 201):
            result.updated += 1
        elif status == 404:
            result.missing += 1
        elif status in (*RETRYABLE_ITEM_STATUS, 409):
            result.retry.append(doc_id)
        else:
            result.failed[doc_id] = str((item["update"].get("error") or {}).get("reason"))
    return result


def send_bulk(es: Elasticsearch, operations: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the bulk response; raise TransientError when Elasticsearch is down or busy."""
    try:
        return dict(es.bulk(operations=operations, refresh=False))
    except (EsConnectionError, EsTransportError) as exc:
        raise TransientError(f"Elasticsearch unavailable: {exc}", reason="es_unavailable") from exc
    except ApiError as exc:
        if exc.meta.status in RETRYABLE_ITEM_STATUS:
            raise TransientError(
                f"Elasticsearch refused the bulk request: {exc}", reason=f"es_{exc.meta.status}"
            ) from exc
        raise
