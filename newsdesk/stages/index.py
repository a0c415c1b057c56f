"""Index stage: queue documents in Redis and flush them to Elasticsearch in bulk."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import redis
from elasticsearch import Elasticsearch

from newsdesk.enrich.relations import mark_dirty, patch_source, pop_dirty, relation_fields
from newsdesk.errors import Outcome, TransientError
from newsdesk.models import Article
from newsdesk.outcomes import ARTICLES, add_outcome
from newsdesk.search.bulk import (
    PENDING_KEY,
    FlushResult,
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

log = logging.getLogger(__name__)

SYNC_BATCH_DOCS = 500
SYNC_ROUNDS = 10  # bounded: a story growing under heavy load must not hold a flush forever


def queue_for_index(
    r: redis.Redis, article: Article, *, feed_id: str | None, run_id: str | None
) -> bool:
    """Queue an article's document for the next bulk flush; True if a flush must be scheduled."""
    doc_id, source = build_article_document(article)
    # An article indexed from its feed summary says why, e.g. indexed:feed_body_not_html.
    note = f"feed_body_{article.body_source_reason}" if article.body_source == "feed" else None
    return add_pending(r, PendingDocument(doc_id, source, article.url, feed_id, run_id, note))


def flush_index_batch(
    r: redis.Redis, es: Elasticsearch, alias: str, *, batch_id: str, max_docs: int
) -> FlushResult:
    """Index one batch of pending documents and record each one's final outcome.

    Each document gets the relation fields Redis holds at this moment; the indexed
    articles those fields depend on are rewritten before the outcomes are recorded, so
    whoever waits for the outcomes reads consistent counts. Raises TransientError when
    Elasticsearch is unreachable; the batch then goes back to the head of the pending
    list, so nothing waits in this worker's memory.
    """
    open_flush_gate(r)
    claimed = claim_batch(r, batch_id, max_docs)
    if not claimed:
        sync_relations(r, es, alias)  # a retry after an outage finishes the rewrites
        return FlushResult()
    fields = relation_fields(r, [d.doc_id for d in claimed])
    docs = [replace(d, source=patch_source(d.source, fields.get(d.doc_id, {}))) for d in claimed]
    try:
        result = bulk_create(es, alias, docs)
    except TransientError:
        release_batch(r, batch_id, claimed)
        raise
    _requeue_stale(r, result, fields)
    try:
        sync_relations(r, es, alias)
    finally:
        # Outcomes and the release of the in-flight batch commit together: a crash
        # before this point replays the batch, a crash after it has nothing to replay.
        pipe = r.pipeline(transaction=True)
        for item in result.results:
            add_outcome(
                pipe,
                ARTICLES,
                item.outcome,
                feed_id=item.doc.feed_id,
                url=item.doc.url,
                reason=item.reason,
                detail=item.detail,
                run_id=item.doc.run_id,
                stage="index",
            )
        if result.requeued:
            originals = {d.doc_id: d for d in claimed}
            requeue = [originals[d.doc_id] for d in result.requeued]
            pipe.lpush(PENDING_KEY, *[d.to_json() for d in reversed(requeue)])
        pipe.delete(inflight_key(batch_id))
        pipe.execute()
    return result


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
        mark_dirty(r, [*result.retry, *(d for d in fields if after.get(d) != fields[d])])
        for doc_id, reason in result.failed.items():
            log.warning("relation fields of %s not updated: %s", doc_id, reason)
        updated += result.updated
    return updated


def _requeue_stale(r: redis.Redis, result: FlushResult, fields: dict[str, dict[str, Any]]) -> None:
    """Queue for rewriting what changed in Redis while the batch was being indexed."""
    written = [i.doc.doc_id for i in result.results if i.outcome == Outcome.INDEXED]
    # A duplicate is an older copy of the document, written with older relations.
    stale = [i.doc.doc_id for i in result.results if i.outcome == Outcome.DUPLICATE]
    now = relation_fields(r, written)
    mark_dirty(r, [*stale, *(d for d in now if now[d] != fields.get(d))])
