"""What a flush does when Elasticsearch fails it, in whole or in part.

- Unreachable: the batch goes back to Redis, an outage is opened, and the next flush
  waits a pause that grows while the outage lasts (1 s, 2 s, 4 s ... 10 s), never a
  hot loop; the flush gate is held meanwhile so nobody starts parallel flushes.
- Pushed back per document (429 or 5xx items): those documents go back to the head of
  the pending list and the follow-up flush waits the same growing pause.
- Rejected per document (a mapping conflict, a blocked index): a failed outcome plus a
  dead letter holding the pending document, which ``newsdesk dlq replay`` re-queues.
- A 409 that is the article's own earlier write (a batch replayed after a crash, or a
  task that ran twice) is counted as indexed, not as a duplicate.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime
from typing import Any

import redis
from elasticsearch import ApiError, Elasticsearch
from elasticsearch import TransportError as EsTransportError

from newsdesk.errors import Outcome, TransientError
from newsdesk.search.bulk import (
    FLUSH_GATE_KEY,
    FlushResult,
    ItemResult,
    PendingDocument,
    add_pending,
    pending_count,
)
from newsdesk.state.dead_letters import add_dead_letter
from newsdesk.state.outages import ELASTICSEARCH, start_outage
from newsdesk.state.outcome_gate import GATE_TTL_S
from newsdesk.state.redis_state import PREFIX

log = logging.getLogger(__name__)

# The task that replays an index dead letter (workers.routing.FLUSH_INDEX; task names
# are the message contract, so the domain may name one without importing Celery).
FLUSH_TASK = "newsdesk.flush_index"
INDEX_STAGE = "index"
BACKOFF_KEY = PREFIX + "index:backoff-streak"
BACKOFF_BASE_S = 1.0
# A probe every 10 s costs a down cluster nothing and drains the backlog soon after.
BACKOFF_MAX_S = 10.0
BACKOFF_MEMORY_S = 3_600
# The gate outlives the pause a little, so the paused flush (not a nudge) goes first.
GATE_MARGIN_S = 5


def backoff_s(r: redis.Redis) -> float:
    """Return the next pause after Elasticsearch failed or pushed back, growing per failure."""
    pipe = r.pipeline(transaction=True)
    pipe.incr(BACKOFF_KEY)
    pipe.expire(BACKOFF_KEY, BACKOFF_MEMORY_S)
    streak = int(pipe.execute()[0])
    pause_s = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** min(streak - 1, 16))
    # Hold the gate through the pause: new documents and the scheduler's or ingest's
    # nudges must not start flushes that would only hit the same wall.
    r.set(FLUSH_GATE_KEY, "1", ex=math.ceil(pause_s) + GATE_MARGIN_S)
    return pause_s


def pause_after(r: redis.Redis, exc: TransientError) -> TransientError:
    """Return the error to retry the flush with, carrying its pause; open an outage if down."""
    if exc.reason == "es_unavailable" and start_outage(r, ELASTICSEARCH, exc.detail):
        log.warning("Elasticsearch outage began: %s", exc.detail)
    return TransientError(exc.detail, reason=exc.reason, retry_after_s=backoff_s(r))


def follow_up_delay_s(r: redis.Redis, result: FlushResult) -> float | None:
    """Return when to flush again: None if nothing waits, 0 for now, or a growing pause."""
    if result.requeued:
        return backoff_s(r)
    r.delete(BACKOFF_KEY)
    return 0.0 if pending_count(r) else None


def rejected_request(docs: list[PendingDocument], exc: ApiError) -> FlushResult:
    """Return every document as failed when Elasticsearch refused the whole bulk request."""
    reason = f"es_rejected_request_{exc.meta.status}"
    return FlushResult(results=[ItemResult(d, Outcome.FAILED, reason, str(exc)) for d in docs])


def recognise_own_writes(es: Elasticsearch, alias: str, result: FlushResult) -> None:
    """Count as indexed the 409s whose stored document is the same article's earlier write.

    A duplicate is a *different* feed link that led to an indexed page. The same link
    stored before means a replayed batch or a task that ran twice; fetched at the same
    moment (a replay) or within the redelivery window (a fetch that ran twice).
    """
    conflicts = [i for i, item in enumerate(result.results) if item.outcome == Outcome.DUPLICATE]
    if not conflicts:
        return
    ids = [result.results[i].doc.doc_id for i in conflicts]
    try:
        found = es.mget(index=alias, ids=ids, source_includes=["link", "fetched_at"])["docs"]
    except (ApiError, EsTransportError) as exc:
        log.warning("could not compare %d conflicting documents: %s", len(ids), exc)
        return
    for i, stored in zip(conflicts, found, strict=True):
        item = result.results[i]
        if _same_article(item.doc.source, stored.get("_source") or {}):
            result.results[i] = ItemResult(item.doc, Outcome.INDEXED, item.doc.note)


def dead_letter_rejected(r: redis.Redis, result: FlushResult) -> int:
    """Keep every rejected document as a dead letter that replays through the flush task."""
    rejected = [item for item in result.results if item.outcome == Outcome.FAILED]
    for item in rejected:
        add_dead_letter(
            r,
            stage=INDEX_STAGE,
            task=FLUSH_TASK,
            reason=item.reason or "es_rejected",
            error=item.detail or "",
            payload={"document": json.loads(item.doc.to_json())},
            url=item.doc.url,
            feed_id=item.doc.feed_id,
        )
    return len(rejected)


def requeue_document(r: redis.Redis, document: dict[str, Any]) -> None:
    """Put a replayed dead letter's pending document back in the pending list."""
    add_pending(r, PendingDocument.from_json(json.dumps(document)))


def _same_article(ours: dict[str, Any], stored: dict[str, Any]) -> bool:
    """Tell whether a stored document was written for the same feed entry as ``ours``."""
    if ours.get("link") != stored.get("link"):
        return False
    if ours.get("fetched_at") == stored.get("fetched_at"):
        return True
    try:
        apart_s = abs(
            datetime.fromisoformat(ours["fetched_at"]).timestamp()
            - datetime.fromisoformat(stored["fetched_at"]).timestamp()
        )
    except (KeyError, TypeError, ValueError):
        return False
    # Without a link there is no entry to compare; after the window it is a re-run.
    return bool(ours.get("link")) and apart_s <= GATE_TTL_S
