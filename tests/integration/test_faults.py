"""Nothing lost, nothing duplicated: real faults against real processes.

Each test ingests a generated feed through worker subprocesses, injects one fault (a
worker killed with SIGKILL mid-batch, Elasticsearch stopped and restarted, Redis
restarted, documents Elasticsearch refuses) and then checks the end state: exactly the
expected documents in Elasticsearch, and exactly one outcome per article. With
``op_type=create`` and ids derived from URLs, a second copy cannot exist in the index,
so the outcome counters are what would show work done twice.

Slow: about 100 s for the module, mostly Elasticsearch starting twice (~10 s each on a
quiet machine), worker start-ups and one broker visibility timeout.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from celery import Celery
from elasticsearch import Elasticsearch

from newsdesk.demo.server import LoopbackSite
from newsdesk.embedded.es_server import EmbeddedElasticsearch
from newsdesk.embedded.redis_server import EmbeddedRedis
from newsdesk.feeds.config import load_feeds
from newsdesk.outcomes import read_totals
from newsdesk.search.bulk import FLUSH_GATE_KEY, PendingDocument, add_pending, pending_count
from newsdesk.search.client import build_es_client
from newsdesk.search.documents import build_article_document
from newsdesk.search.setup import ensure_index
from newsdesk.settings import Settings
from newsdesk.stages.index import queue_for_index
from newsdesk.state.dead_letters import count_dead_letters, iter_dead_letters
from newsdesk.state.heartbeat import is_alive
from newsdesk.state.outages import ELASTICSEARCH, REDIS, open_key, recent_outages
from newsdesk.state.redis_state import schedule_feed
from tests.integration.fault_support import (
    SLOW_PATH,
    Processes,
    article,
    expected_ids,
    feeds_yaml,
    wait_for,
    write_site,
)
from tests.integration.test_cli import _newsdesk
from workers import routing
from workers.app import create_app
from workers.ingest import ingest_once

ALIAS = "articles"
# Small, so a killed worker's unacknowledged tasks come back within the test; still
# above the longest task (a 3 s slow page), or live tasks would also run twice.
KILL_VISIBILITY_TIMEOUT_S = 8

SiteFactory = Callable[[float], tuple[LoopbackSite, list[str]]]


@pytest.fixture
def serve_site(tmp_path: Path) -> Iterator[SiteFactory]:
    """Serve 20 distinct articles and 3 that answer after the given seconds, on loopback.

    The slow pages keep work in flight long enough for a fault to land mid-ingest even
    on a loaded machine, where loading the language model alone takes seconds.
    """
    with contextlib.ExitStack() as stack:

        def serve(slow_s: float) -> tuple[LoopbackSite, list[str]]:
            links = write_site(tmp_path / "site", articles=20, slow=3, slow_s=slow_s)
            return stack.enter_context(LoopbackSite(root=tmp_path / "site")), links

        yield serve


def _settings(
    base: Settings, redis_url: str, es_url: str, tmp_path: Path, *, visibility_timeout_s: int
) -> Settings:
    return base.with_overrides(
        redis_url=redis_url,
        es_url=es_url,
        data_dir=tmp_path / "data",
        visibility_timeout_s=visibility_timeout_s,
        scheduler_tick_s=0.5,
        # One loopback host serves everything: no per-host cap, or the slow pages
        # would hold every slot; and time for the slow pages to answer.
        fetch=dataclasses.replace(
            base.fetch, host_max_concurrency=0, read_timeout_s=20, total_timeout_s=30
        ),
    )


def _outcomes(r: redis.Redis) -> dict[str, int]:
    return read_totals(r).articles


def _state(r: redis.Redis) -> str:
    """Describe where the work stands (for a failure message)."""
    queues = {q: r.llen(q) for q in ("io", "cpu", "index")}
    return (
        f"outcomes {_outcomes(r)}, pending {pending_count(r)}, queues {queues}, "
        f"unacked {r.hlen('unacked')} (restore lock ttl {r.ttl('unacked_mutex')}), "
        f"flush gate ttl {r.ttl(FLUSH_GATE_KEY)}, dead letters {count_dead_letters(r)}\n"
    )


def _assert_each_article_once(
    r: redis.Redis, es: Elasticsearch, links: list[str], site: LoopbackSite, logs: str
) -> None:
    """The index holds exactly the feed's articles, each counted exactly once as indexed."""
    es.indices.refresh(index=ALIAS)
    hits = es.search(index=ALIAS, size=100, query={"match_all": {}}, source=False)["hits"]
    assert {h["_id"] for h in hits["hits"]} == expected_ids(links, site.base_url), logs
    assert hits["total"]["value"] == len(links)
    assert _outcomes(r) == {"indexed": len(links)}, logs
    assert count_dead_letters(r) == {}
    assert pending_count(r) == 0
    assert not list(r.scan_iter(match="newsdesk:index:inflight:*"))


def test_worker_killed_mid_batch(
    base_settings: Settings, es: Elasticsearch, serve_site: SiteFactory, tmp_path: Path
) -> None:
    """SIGKILL a worker while it holds tasks: they come back to a new worker, once each."""
    site, links = serve_site(3.0)
    ensure_index(es, ALIAS)
    feed_path = feeds_yaml(tmp_path / "feeds.yaml", f"{site.base_url}/feed.xml")
    with EmbeddedRedis(tmp_path / "redis") as redis_server:
        assert base_settings.es_url
        settings = _settings(
            base_settings, redis_server.url, base_settings.es_url, tmp_path,
            visibility_timeout_s=KILL_VISIBILITY_TIMEOUT_S,
        )  # fmt: skip
        r = redis.Redis.from_url(redis_server.url)
        procs = Processes(settings, tmp_path / "logs")
        try:
            first = procs.worker()
            app = create_app(settings)
            with ThreadPoolExecutor(1) as pool:
                run = pool.submit(
                    ingest_once, app, redis.Redis.from_url(redis_server.url), es, ALIAS,
                    load_feeds(feed_path), timeout_s=120,
                )  # fmt: skip
                wait_for("the slow pages to be requested", lambda: site.hits(SLOW_PATH) >= 3, 60)
                time.sleep(1.0)  # the three slow fetches are under way: kill mid-batch
                procs.kill(first)
                done_at_kill = sum(_outcomes(r).values())
                procs.worker()
                summary = run.result(timeout=150)
            logs = procs.logs()
        finally:
            procs.close()
        assert done_at_kill < len(links), "the kill came after the batch finished"
        # The killed worker's slow fetches were delivered again, to the new worker.
        assert site.hits(SLOW_PATH) > 3, logs
        assert summary.pending == 0 and summary.articles == {"indexed": len(links)}, logs
        _assert_each_article_once(r, es, links, site, logs)


def test_elasticsearch_restart_mid_ingest(
    base_settings: Settings, serve_site: SiteFactory, tmp_path: Path
) -> None:
    """Stop Elasticsearch mid-ingest: documents wait in Redis and drain once it is back."""
    site, links = serve_site(8.0)
    # As root the node runs as its own user, which cannot rely on pytest's tmp tree.
    es_dir = Path(tempfile.mkdtemp(prefix="newsdesk-fault-es-"))
    es_server = EmbeddedElasticsearch(es_dir)
    feed_path = feeds_yaml(tmp_path / "feeds.yaml", f"{site.base_url}/feed.xml")
    try:
        es_url = es_server.start()
        es = build_es_client(es_url, compat_7x=True)
        ensure_index(es, ALIAS)
        with EmbeddedRedis(tmp_path / "redis") as redis_server:
            settings = _settings(
                base_settings, redis_server.url, es_url, tmp_path, visibility_timeout_s=60
            )
            r = redis.Redis.from_url(redis_server.url)
            procs = Processes(settings, tmp_path / "logs")
            try:
                procs.worker()
                with ThreadPoolExecutor(1) as pool:
                    run = pool.submit(
                        ingest_once, create_app(settings), redis.Redis.from_url(redis_server.url),
                        es, ALIAS, load_feeds(feed_path), timeout_s=150,
                    )  # fmt: skip
                    wait_for("a first article", lambda: _outcomes(r).get("indexed", 0) > 0, 60)
                    es_server.stop()
                    wait_for(
                        "a flush to open the outage",
                        lambda: r.exists(open_key(ELASTICSEARCH)) > 0,
                        30,
                    )
                    wait_for("documents waiting in Redis", lambda: pending_count(r) > 0, 30)
                    time.sleep(2)  # a few paused flushes: none may drop or fail a document
                    assert "failed" not in str(_outcomes(r))
                    es_server = EmbeddedElasticsearch(es_dir, port=urlsplit(es_url).port or 0)
                    es_server.start()  # same data, same address
                    summary = run.result(timeout=150)
                logs = procs.logs()
            finally:
                procs.close()
            assert summary.pending == 0 and summary.articles == {"indexed": len(links)}, logs
            _assert_each_article_once(r, es, links, site, logs)
            outage = recent_outages(r)[0]
            assert (outage.service, outage.ended_at is not None) == (ELASTICSEARCH, True)
            status = _newsdesk("status", "--json", settings=settings, timeout_s=60)
        assert status.returncode == 0, status.stderr
        shown = json.loads(status.stdout)
        assert shown["index_backlog"] == 0 and shown["dead_letters"] == {}
        assert shown["last_outage"]["service"] == ELASTICSEARCH
        assert shown["last_outage"]["duration_s"] > 1
    finally:
        es_server.stop()
        shutil.rmtree(es_dir, ignore_errors=True)


def test_redis_restart_mid_ingest(
    base_settings: Settings, es: Elasticsearch, serve_site: SiteFactory, tmp_path: Path
) -> None:
    """Restart Redis (append-only file on) mid-ingest: workers and scheduler carry on."""
    site, links = serve_site(5.0)
    ensure_index(es, ALIAS)
    redis_dir = tmp_path / "redis"
    redis_server = EmbeddedRedis(redis_dir, persist=True)
    redis_url = redis_server.start()
    assert base_settings.es_url
    # Acknowledgements lost in the restart are redelivered after this.
    settings = _settings(
        base_settings, redis_url, base_settings.es_url, tmp_path, visibility_timeout_s=12
    )
    settings = settings.with_overrides(
        feeds_path=feeds_yaml(tmp_path / "feeds.yaml", f"{site.base_url}/feed.xml")
    )
    r = redis.Redis.from_url(redis_url)
    # Due now: the scheduler keeps an existing due time when it loads the feeds.
    schedule_feed(r, "fault-gazette", time.time())
    procs = Processes(settings, tmp_path / "logs")
    try:
        worker = procs.worker()
        scheduler = procs.scheduler()
        wait_for("a first article", lambda: _outcomes(r).get("indexed", 0) > 0, 60)
        done_at_stop = sum(_outcomes(r).values())
        redis_server.stop()  # SIGTERM: Redis writes its append-only file out
        time.sleep(1.5)
        redis_server = EmbeddedRedis(redis_dir, persist=True, port=urlsplit(redis_url).port or 0)
        redis_server.start()
        wait_for(
            "every article to get an outcome",
            lambda: sum(_outcomes(r).values()) >= len(links),
            90,
            detail=lambda: _state(r) + procs.logs(),
        )
        assert done_at_stop < len(links), "Redis stopped after the ingest finished"
        wait_for("the scheduler to record the outage", lambda: bool(recent_outages(r)), 15)
        assert recent_outages(r)[0].service == REDIS
        assert worker.poll() is None and scheduler.poll() is None, procs.logs()
        wait_for("fresh heartbeats", lambda: is_alive(r, "worker") and is_alive(r, "scheduler"), 30)
        _assert_each_article_once(r, es, links, site, procs.logs())
    finally:
        procs.close()
        redis_server.stop()


@pytest.mark.usefixtures("worker")
def test_partial_bulk_failure(celery_app: Celery, r: redis.Redis, es: Elasticsearch) -> None:
    """A document the strict mapping refuses fails alone, as a dead letter; the rest index."""
    ensure_index(es, ALIAS)
    # Built by a newer release during a rolling upgrade: a field this mapping lacks.
    doc_id, source = build_article_document(article(0))
    add_pending(r, PendingDocument(doc_id, {**source, "paywall": True}, source["url"], "faults"))
    for n in (1, 2):
        queue_for_index(r, article(n), feed_id="faults", run_id=None)
    routing.send(celery_app, routing.FLUSH_INDEX, {})
    wait_for("three outcomes", lambda: sum(_outcomes(r).values()) == 3, 30)
    refused = "failed:es_rejected_strict_dynamic_mapping_exception"
    assert _outcomes(r) == {"indexed": 2, refused: 1}
    [letter] = iter_dead_letters(r)
    assert (letter.stage, letter.task, letter.url) == ("index", routing.FLUSH_INDEX, source["url"])
    assert letter.payload["document"]["source"]["paywall"] is True
    assert "paywall" in letter.error
    es.indices.refresh(index=ALIAS)
    assert es.count(index=ALIAS)["count"] == 2
    # Replayed unchanged, it is refused again: one letter, a second attempt, no new count.
    routing.send(celery_app, routing.FLUSH_INDEX, letter.payload)
    wait_for("the second refusal", lambda: next(iter_dead_letters(r)).attempts == 2, 30)
    assert _outcomes(r) == {"indexed": 2, refused: 1} and pending_count(r) == 0
