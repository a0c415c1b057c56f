"""Documents wait in Redis through an Elasticsearch outage and drain when it returns."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis
from elasticsearch import Elasticsearch

from newsdesk.errors import TransientError
from newsdesk.models import Article
from newsdesk.outcomes import read_totals
from newsdesk.search.bulk import claim_batch, inflight_key, pending_count
from newsdesk.search.client import build_es_client
from newsdesk.search.setup import ensure_index
from newsdesk.stages.index import flush_index_batch, queue_for_index


def _article(n: int) -> Article:
    return Article(
        url=f"https://outage.example/story-{n}", title=f"Story {n}",
        body="Words about the harbour and the council. " * 10, feed_ids=("outage",),
        feed_names=("Outage",), source="Outage Times", fetched_at=datetime.now(UTC),
    )  # fmt: skip


def test_outage_keeps_documents_and_they_drain_afterwards(
    r: redis.Redis, es: Elasticsearch
) -> None:
    ensure_index(es, "articles")
    first_needs_flush = queue_for_index(r, _article(1), feed_id="outage", run_id=None)
    second_needs_flush = queue_for_index(r, _article(2), feed_id="outage", run_id=None)
    # Only the first document of a burst schedules a flush; the second rides along.
    assert (first_needs_flush, second_needs_flush) == (True, False)

    dead = build_es_client("http://127.0.0.1:1", compat_7x=True, request_timeout_s=1)
    with pytest.raises(TransientError) as info:
        flush_index_batch(r, dead, "articles", batch_id="b1", max_docs=10)
    assert info.value.reason == "es_unavailable"
    assert pending_count(r) == 2
    assert not r.exists(inflight_key("b1"))

    result = flush_index_batch(r, es, "articles", batch_id="b2", max_docs=10)
    assert [item.outcome for item in result.results] == ["indexed", "indexed"]
    assert pending_count(r) == 0
    assert read_totals(r).articles == {"indexed": 2}


def test_a_crashed_flush_is_replayed_by_its_redelivered_task(
    r: redis.Redis, es: Elasticsearch
) -> None:
    ensure_index(es, "articles")
    queue_for_index(r, _article(3), feed_id="outage", run_id=None)
    # The worker claimed the batch and died before recording anything.
    assert len(claim_batch(r, "task-42", 10)) == 1
    assert pending_count(r) == 0

    replay = flush_index_batch(r, es, "articles", batch_id="task-42", max_docs=10)
    assert [item.outcome for item in replay.results] == ["indexed"]
    # A document sent twice (replay after a successful bulk) is a duplicate, not a copy.
    queue_for_index(r, _article(3), feed_id="outage", run_id=None)
    again = flush_index_batch(r, es, "articles", batch_id="task-43", max_docs=10)
    assert [item.outcome for item in again.results] == ["duplicate"]
    es.indices.refresh(index="articles")
    assert es.count(index="articles")["count"] == 1
