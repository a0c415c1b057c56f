"""Index stage: queue documents in Redis and flush them to Elasticsearch in bulk."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import redis
from elasticsearch import ApiError, Elasticsearch

from newsdesk.enrich.relations import mark_dirty, patch_source, pop_dirty, relation_fields
from newsdesk.errors import Outcome, TransientError
from newsdesk.models import Article
from newsdesk.search.bulk import (
    PENDING_KEY,
    FlushResult,
    ItemResult,
    PendingDocument,
    add_pending,
    bulk_create,
    bulk_update_fields,
    claim_batch,
    inflight_key,
    open_flush_gate,
    release_batch,
)
from newsdesk.search.documents import build_article_document
from newsdesk.stages.flush_faults import (
    dead_letter_rejected,
    pause_after,
    recognise_own_writes,
    rejected_request,
)
from newsdesk.state.outages import ELASTICSEARCH, end_outage
from newsdesk.state.outcome_gate import ArticleOutcome, record_article_outcomes

log = logging.getLogger(__name__)

SYNC_BATCH_DOCS = 500
SYNC_ROUNDS = 10  # bounded: a story growing under heavy load must not hold a flush forever


def queue_for_index(
    r: redis.Redis,
    article: Article,
    *,
    feed_id: str | None,
    run_id: str | None,
    raw_page: dict[str, Any] | None = None,
) -> bool:
    """Queue an article's document for the next bulk flush; True if a flush must be scheduled."""
    doc_id, source = build_article_document(article)
    # An article indexed from its feed summary says why, e.g. indexed:feed_body_not_html.
    note = f"feed_body_{article.body_source_reason}" if article.body_source == "feed" else None
    doc = PendingDocument(doc_id, source, article.url, feed_id, run_id, note, raw_page)
    return add_pending(r, doc)


def flush_index_batch(
    r: redis.Redis, es: Elasticsearch, alias: str, *, batch_id: str, max_docs: int
) -> FlushResult:
    """Index one batch of pending documents and record each one's final outcome.

    Each document gets the relation fields Redis holds at this moment; the indexed
    articles those fields depend on are rewritten before the outcomes are recorded, so
    whoever waits for the outcomes reads consistent counts. Documents Elasticsearch
    rejects become failed outcomes and dead letters. Raises TransientError, carrying the
    pause before the next try, when Elasticsearch is unreachable or refuses the whole
    request; the batch then goes back to the head of the pending list, so nothing waits
    in this worker's memory.
    """
    open_flush_gate(r)
    try:
        return _flush(r, es, alias, batch_id=batch_id, max_docs=max_docs)
    except TransientError as exc:
        raise pause_after(r, exc) from exc


def _flush(
    r: redis.Redis, es: Elasticsearch, alias: str, *, batch_id: str, max_docs: int
) -> FlushResult:
    claimed = claim_batch(r, batch_id, max_docs)
    if not claimed:
        # A retry after an outage finishes the rewrites.
        if sync_relations(r, es, alias):
            end_outage(r, ELASTICSEARCH)
        return FlushResult()
    fields = relation_fields(r, [d.doc_id for d in claimed])
    docs = [replace(d, source=patch_source(d.source, fields.get(d.doc_id, {}))) for d in claimed]
    try:
        result = bulk_create(es, alias, docs)
    except TransientError:
        release_batch(r, batch_id, claimed)
        raise
    except ApiError as exc:
        # The whole request refused (too large, malformed): keep every document replayable.
        log.error("Elasticsearch refused a bulk request of %d documents: %s", len(docs), exc)
        result = rejected_request(claimed, exc)
    if end_outage(r, ELASTICSEARCH):
        log.warning("Elasticsearch outage over")
    _requeue_stale(r, result, fields)
    recognise_own_writes(es, alias, result)
    dead_letter_rejected(r, result)
    try:
        sync_relations(r, es, alias)
    finally:
        # Outcomes and the release of the in-flight batch commit together: a crash
        # before this point replays the batch, a crash after it has nothing to replay.
        originals = {d.doc_id: d for d in claimed}

        def release(pipe: redis.client.Pipeline) -> None:
            if result.requeued:
                requeue = [originals[d.doc_id] for d in result.requeued]
                pipe.lpush(PENDING_KEY, *[d.to_json() for d in reversed(requeue)])
            pipe.delete(inflight_key(batch_id))

        counted = record_article_outcomes(r, [_outcome(i) for i in result.results], also=release)
        if not all(counted):
            log.info("%d article(s) already had an outcome: work done twice", counted.count(False))
    return result


def _outcome(item: ItemResult) -> ArticleOutcome:
    doc = item.doc
    return ArticleOutcome(
        item_url=doc.source.get("link") or doc.url,
        outcome=item.outcome,
        details={
            "feed_id": doc.feed_id,
            "url": doc.url,
            "reason": item.reason,
            "detail": item.detail,
            "run_id": doc.run_id,
            "stage": "index",
        },
    )


def sync_relations(r: redis.Redis, es: Elasticsearch, alias: str) -> int:
    """Rewrite the relation fields of indexed articles queued as changed; return how many."""
    updated = 0
    for _ in range(SYNC_ROUNDS):
        doc_ids = pop_dirty(r, SYNC_BATCH_DOCS)
        if not doc_ids:
            break
        fields = relation_fields(r, doc_ids)  # the ones Redis still knows
        try:
            result = bulk_update_fields(es, alias, fields)
        except TransientError:
            mark_dirty(r, doc_ids)
            raise
        # An article that joined a group or story meanwhile made what was just written
        # stale: those go round again.
        after = relation_fields(r, doc_ids)
        again = [*result.retry, *(d for d in fields if after.get(d) != fields[d])]
        mark_dirty(r, again)
        for doc_id, reason in result.failed.items():
            log.warning("relation fields of %s not updated: %s", doc_id, reason)
        updated += result.updated
        if len(doc_ids) < SYNC_BATCH_DOCS and not again:
            break  # drained: articles queued since then are their own flushes' to rewrite
    return updated


def _requeue_stale(r: redis.Redis, result: FlushResult, fields: dict[str, dict[str, Any]]) -> None:
    """Queue for rewriting what changed in Redis while the batch was being indexed."""
    written = [i.doc.doc_id for i in result.results if i.outcome == Outcome.INDEXED]
    # A duplicate is an older copy of the document, written with older relations.
    stale = [i.doc.doc_id for i in result.results if i.outcome == Outcome.DUPLICATE]
    now = relation_fields(r, written)
    mark_dirty(r, [*stale, *(d for d in now if now[d] != fields.get(d))])
