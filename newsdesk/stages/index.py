"""Index stage: queue documents in Redis and flush them to Elasticsearch in bulk."""

from __future__ import annotations

import redis
from elasticsearch import Elasticsearch

from newsdesk.errors import TransientError
from newsdesk.models import Article
from newsdesk.outcomes import ARTICLES, add_outcome
from newsdesk.search.bulk import (
    PENDING_KEY,
    FlushResult,
    PendingDocument,
    add_pending,
    bulk_create,
    claim_batch,
    inflight_key,
    open_flush_gate,
    release_batch,
)
from newsdesk.search.documents import build_article_document


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

    Raises TransientError when Elasticsearch is unreachable; the batch then goes back to
    the head of the pending list, so nothing waits in this worker's memory.
    """
    open_flush_gate(r)
    docs = claim_batch(r, batch_id, max_docs)
    if not docs:
        return FlushResult()
    try:
        result = bulk_create(es, alias, docs)
    except TransientError:
        release_batch(r, batch_id, docs)
        raise
    # Outcomes and the release of the in-flight batch commit together: a crash before
    # this point replays the batch, a crash after it has nothing left to replay.
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
        pipe.lpush(PENDING_KEY, *[d.to_json() for d in reversed(result.requeued)])
    pipe.delete(inflight_key(batch_id))
    pipe.execute()
    return result
