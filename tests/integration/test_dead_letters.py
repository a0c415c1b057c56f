"""Dead letters end to end: kept by the real worker, replayed by the real ``newsdesk`` CLI."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import redis
from celery import Celery
from elasticsearch import Elasticsearch

from newsdesk.demo.server import LoopbackSite
from newsdesk.models import FeedEntry, FetchedPage
from newsdesk.outcomes import read_totals
from newsdesk.search.bulk import pending_count
from newsdesk.search.setup import ensure_index
from newsdesk.settings import Settings
from newsdesk.stages.flush_faults import BACKOFF_KEY
from newsdesk.stages.index import queue_for_index
from newsdesk.state.dead_letters import count_dead_letters, iter_dead_letters
from newsdesk.urls import canonicalize_url
from tests.integration.fault_support import article, wait_for
from tests.integration.test_cli import _newsdesk
from workers import routing

ALIAS = "articles"
PAGE = "/harbor-gazette/news/2026/11/17/north-pier-breakwater-repairs.html"

pytestmark = pytest.mark.usefixtures("worker")


def _block(es: Elasticsearch, block: str, on: bool) -> None:
    index = next(iter(es.indices.get_alias(name=ALIAS)))
    es.indices.put_settings(index=index, settings={f"index.blocks.{block}": True if on else None})


def _articles(r: redis.Redis) -> dict[str, int]:
    return read_totals(r).articles


def test_expired_page_is_dead_lettered_and_replay_fetches_it_again(
    celery_app: Celery,
    r: redis.Redis,
    es: Elasticsearch,
    site: LoopbackSite,
    base_settings: Settings,
) -> None:
    ensure_index(es, ALIAS)
    url = canonicalize_url(site.url(PAGE))
    entry = FeedEntry(url=url, link=url, feed_id="harbor", feed_name="Harbor", feed_url=url)
    # The page body waited in Redis longer than its TTL: processing has nothing to read.
    page = FetchedPage(entry, url, 200, "text/html", datetime.now(UTC), "newsdesk:page:gone")
    routing.send(celery_app, routing.PROCESS_ARTICLE, page.to_json())
    wait_for("the failure", lambda: _articles(r) == {"failed:page_expired": 1}, 30)
    [letter] = iter_dead_letters(r)
    # Replaying the processing could not help: the letter sends the entry to be fetched.
    assert (letter.stage, letter.task) == ("process_article", routing.FETCH_ARTICLE)
    assert letter.url == url and letter.payload == entry.to_json()

    replay = _newsdesk("dlq", "replay", "--stage", "process_article", settings=base_settings)
    assert replay.returncode == 0, replay.stderr
    wait_for("the replayed article", lambda: _articles(r).get("indexed") == 1, 60)
    assert count_dead_letters(r) == {}
    es.indices.refresh(index=ALIAS)
    assert es.count(index=ALIAS)["count"] == 1


def test_rejected_documents_wait_as_dead_letters_until_replayed(
    celery_app: Celery, r: redis.Redis, es: Elasticsearch, base_settings: Settings
) -> None:
    ensure_index(es, ALIAS)
    _block(es, "write", True)  # an operator froze the index: every write is refused (403)
    for n in (1, 2):
        queue_for_index(r, article(n, "dlq.example"), feed_id="dlq", run_id=None)
    routing.send(celery_app, routing.FLUSH_INDEX, {})
    rejected = "failed:es_rejected_cluster_block_exception"
    wait_for("the rejections", lambda: _articles(r) == {rejected: 2}, 30)
    assert count_dead_letters(r) == {"index": 2}
    letter = next(iter_dead_letters(r))
    assert letter.task == routing.FLUSH_INDEX and letter.payload["document"]["id"]

    _block(es, "write", False)
    replay = _newsdesk("dlq", "replay", "--stage", "index", settings=base_settings)
    assert replay.returncode == 0, replay.stderr
    wait_for("the replayed documents", lambda: _articles(r).get("indexed") == 2, 30)
    # A success after a failure is counted; the failures stay in the history.
    assert _articles(r) == {rejected: 2, "indexed": 2}
    assert count_dead_letters(r) == {}
    es.indices.refresh(index=ALIAS)
    assert es.count(index=ALIAS)["count"] == 2


def test_pushed_back_documents_are_retried_with_growing_pauses(
    celery_app: Celery, r: redis.Redis, es: Elasticsearch
) -> None:
    ensure_index(es, ALIAS)
    # The flood-stage disk block: Elasticsearch answers 429 for every document.
    _block(es, "read_only_allow_delete", True)
    try:
        for n in (3, 4):
            queue_for_index(r, article(n, "dlq.example"), feed_id="dlq", run_id=None)
        routing.send(celery_app, routing.FLUSH_INDEX, {})
        wait_for("the first refusal", lambda: int(r.get(BACKOFF_KEY) or 0) >= 1, 30)
        time.sleep(3)
        # Pauses of 1 s, then 2 s, then 4 s: two more tries at most, not a hot loop.
        assert int(r.get(BACKOFF_KEY) or 0) <= 3
        assert pending_count(r) == 2 and _articles(r) == {}
    finally:
        _block(es, "read_only_allow_delete", False)
    wait_for("the documents", lambda: _articles(r) == {"indexed": 2}, 20)
    assert not r.exists(BACKOFF_KEY) and count_dead_letters(r) == {}
