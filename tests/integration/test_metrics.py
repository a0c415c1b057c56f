"""Prometheus endpoints scraped over real HTTP: a worker's, a prefork worker's, the API's."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from api_support import serve_api
from celery import Celery
from elasticsearch import Elasticsearch
from prometheus_client.parser import text_string_to_metric_families

from newsdesk.demo.server import LoopbackSite
from newsdesk.feeds.config import Feed, parse_feeds
from newsdesk.outcomes import ARTICLES, POLLS, record_outcome
from newsdesk.scheduling import poll_payload
from newsdesk.search.setup import ensure_index
from newsdesk.settings import Settings
from newsdesk.state.dead_letters import add_dead_letter
from newsdesk.state.redis_state import SCHEDULE_KEY, schedule_feed
from workers import routing
from workers.app import create_app
from workers.ingest import ingest_once
from workers.metrics import MeasuredScheduler, SchedulerMetrics, start_metrics_server

FIXTURE_SITE = Path(__file__).resolve().parents[1] / "fixtures" / "site"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def fixture_site() -> Iterator[LoopbackSite]:
    """Serve the hand-written test feeds and pages over real HTTP on loopback."""
    with LoopbackSite(root=FIXTURE_SITE) as served:
        yield served


def _feeds(site: LoopbackSite, name: str, path: str) -> list[Feed]:
    text = f"feeds:\n  - name: {name}\n    url: {site.base_url}{path}\n"
    return parse_feeds(text, "test-feeds.yaml")


def _scrape(url: str) -> Samples:
    """Return every sample of the endpoint, parsed by prometheus_client's own parser."""
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    """Return one sample's value (0 when the series does not exist yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.mark.usefixtures("worker")
def test_worker_endpoint_after_an_ingest(
    celery_app: Celery,
    base_settings: Settings,
    r: redis.Redis,
    es: Elasticsearch,
    fixture_site: LoopbackSite,
) -> None:
    # The in-thread worker sends no worker_ready; start what that signal starts.
    server = start_metrics_server(base_settings, port=0)
    assert server is not None
    url = f"http://127.0.0.1:{server.port}/metrics"
    try:
        # Task metrics belong to the test process and earlier tests ran tasks too.
        before = _scrape(url)
        ensure_index(es, "articles")
        feeds = _feeds(fixture_site, "Millbrook Examiner", "/feeds/examiner.xml")
        summary = ingest_once(celery_app, r, es, "articles", feeds, timeout_s=120)
        assert summary.articles == {"failed:http_404": 1, "failed:not_html": 1, "indexed": 2}
        # 20 scheduled feeds: one 300 s late, one 100 s late, the rest not due.
        r.delete(SCHEDULE_KEY)
        now_s = time.time()
        schedule_feed(r, "late-300", now_s - 300)
        schedule_feed(r, "late-100", now_s - 100)
        for n in range(18):
            schedule_feed(r, f"later-{n}", now_s + 600 + n)
        add_dead_letter(
            r, stage="process", task="newsdesk.process_article", reason="internal_error",
            error="KeyError('title')", payload={"url": "https://x.example/a"},
            url="https://x.example/a",
        )  # fmt: skip
        after = _scrape(url)
    finally:
        server.close()

    assert _value(after, "newsdesk_redis_up") == 1
    outcomes = "newsdesk_outcomes_total"
    assert _value(after, outcomes, kind="polls", outcome="polled", reason="") == 1
    assert _value(after, outcomes, kind="articles", outcome="indexed", reason="") == 2
    assert _value(after, outcomes, kind="articles", outcome="failed", reason="http_404") == 1
    assert _value(after, outcomes, kind="articles", outcome="failed", reason="not_html") == 1

    def runs(task: str) -> float:
        name = "newsdesk_task_duration_seconds_count"
        return _value(after, name, task=task) - _value(before, name, task=task)

    assert runs("newsdesk.poll_feed") == 1
    # Four entries, one of them listed twice with tracking parameters: fetched once.
    assert runs("newsdesk.fetch_article") == 4
    assert runs("newsdesk.process_article") >= 2
    assert runs("newsdesk.flush_index") >= 1
    inf_bucket = _value(
        after, "newsdesk_task_duration_seconds_bucket", task="newsdesk.poll_feed", le="+Inf"
    )
    assert inf_bucket == _value(
        after, "newsdesk_task_duration_seconds_count", task="newsdesk.poll_feed"
    )
    failures = "newsdesk_task_failures_total"
    labels = {"task": "newsdesk.fetch_article", "reason": "http_404"}
    assert _value(after, failures, **labels) - _value(before, failures, **labels) == 1

    # The worker consumed everything: every queue is reported, and empty.
    for queue in routing.QUEUES:
        assert ("newsdesk_queue_depth", frozenset({("queue", queue)})) in after, queue
        assert _value(after, "newsdesk_queue_depth", queue=queue) == 0
    assert _value(after, "newsdesk_index_backlog_documents") == 0
    assert _value(after, "newsdesk_dead_letters") == 1
    assert _value(after, "newsdesk_feeds_scheduled") == 20
    assert _value(after, "newsdesk_feeds_overdue") == 2
    assert 300 <= _value(after, "newsdesk_feed_lag_seconds", stat="max") < 330
    # p95 of 20 feeds is the second-largest lag.
    assert 100 <= _value(after, "newsdesk_feed_lag_seconds", stat="p95") < 130


def test_api_serves_metrics(base_settings: Settings, r: redis.Redis) -> None:
    for _ in range(3):
        record_outcome(r, ARTICLES, "indexed", feed_id="f", url="https://x.example/1")
    record_outcome(
        r, POLLS, "poll_failed", feed_id="f", url="https://x.example/feed", reason="http_410"
    )
    with serve_api(base_settings) as base_url:
        samples = _scrape(f"{base_url}/metrics")
        schema = httpx.get(f"{base_url}/openapi.json", timeout=10).json()
    assert _value(samples, "newsdesk_redis_up") == 1
    outcomes = "newsdesk_outcomes_total"
    assert _value(samples, outcomes, kind="articles", outcome="indexed", reason="") == 3
    assert _value(samples, outcomes, kind="polls", outcome="poll_failed", reason="http_410") == 1
    assert _value(samples, "newsdesk_feeds_scheduled") == 0
    assert "/metrics" not in schema["paths"]


def test_prefork_worker_serves_the_timings_of_its_child_processes(
    base_settings: Settings, fixture_site: LoopbackSite, tmp_path: Path
) -> None:
    # Its own Redis database: its queues and counters are out of the session worker's reach.
    assert base_settings.redis_url
    redis_url = base_settings.redis_url.rsplit("/", 1)[0] + "/1"
    settings = base_settings.with_overrides(
        redis_url=redis_url, metrics_port=_free_port(), log_format="json"
    )
    db = redis.Redis.from_url(redis_url)
    db.flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDESK_", "PROMETHEUS_"))}
    env.update(settings.to_env())
    stderr_path = tmp_path / "worker.stderr"
    with stderr_path.open("w") as stderr:
        worker = subprocess.Popen(
            [sys.executable, "-c", "from workers.cli import main; main()",
             "worker", "start", "--queues", "io", "--pool", "prefork", "--concurrency", "2",
             "--loglevel", "INFO"],
            env=env, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    url = f"http://127.0.0.1:{settings.metrics_port}/metrics"
    try:
        _wait_for_endpoint(url, worker, stderr_path)
        app = create_app(settings)
        feed = _feeds(fixture_site, "Gone Feed", "/status/410")[0]
        routing.send(app, routing.POLL_FEED, poll_payload(feed))
        # Nobody consumes "cpu" here: those messages wait, and the gauge counts them.
        for n in range(3):
            routing.send(app, routing.PROCESS_ARTICLE, {"n": n})
        deadline_s = time.monotonic() + 60
        while True:
            samples = _scrape(url)
            runs = _value(samples, "newsdesk_task_duration_seconds_count", task=routing.POLL_FEED)
            if runs >= 1 or time.monotonic() > deadline_s:
                break
            time.sleep(0.25)
        assert runs == 1, stderr_path.read_text()[-3000:]
        polls = "newsdesk_outcomes_total"
        assert _value(samples, polls, kind="polls", outcome="poll_failed", reason="http_410") == 1
        assert _value(samples, "newsdesk_queue_depth", queue="cpu") == 3
        assert _value(samples, "newsdesk_queue_depth", queue="io") == 0
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        db.flushdb()
        db.close()

    # Its log is JSON lines, and the line Celery writes when the task ends is bound to it.
    lines = [json.loads(line) for line in stderr_path.read_text().splitlines() if line.strip()]
    done = [x for x in lines if x.get("task_name") == routing.POLL_FEED]
    assert done, lines[-5:]
    assert done[0]["feed_id"] == feed.feed_id
    assert done[0]["url"] == feed.url
    assert done[0]["task_id"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_endpoint(url: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline_s = time.monotonic() + 60
    while time.monotonic() < deadline_s:
        if proc.poll() is not None:
            pytest.fail(f"the worker exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"no metrics endpoint at {url}:\n{log_path.read_text()[-3000:]}")


def test_scheduler_endpoint_counts_ticks_and_dispatched_polls(
    base_settings: Settings, fixture_site: LoopbackSite, tmp_path: Path
) -> None:
    # A database no worker consumes: the dispatched polls stay queued, to be counted.
    assert base_settings.redis_url
    redis_url = base_settings.redis_url.rsplit("/", 1)[0] + "/2"
    feeds_path = tmp_path / "feeds.yaml"
    feeds_path.write_text(
        "feeds:\n"
        f"  - name: Millbrook Examiner\n    url: {fixture_site.base_url}/feeds/examiner.xml\n"
        f"  - name: Traps\n    url: {fixture_site.base_url}/feeds/traps.xml\n"
    )
    settings = base_settings.with_overrides(redis_url=redis_url, feeds_path=feeds_path)
    db = redis.Redis.from_url(redis_url)
    db.flushdb()
    measure = SchedulerMetrics()
    sched = MeasuredScheduler(create_app(settings), db, settings, measure)
    server = start_metrics_server(settings, port=0, local=(measure.registry,))
    assert server is not None
    try:
        first = sched.tick()  # loads the feeds file; new feeds are due within seconds
        for feed_id in ("millbrook-examiner", "traps"):
            schedule_feed(db, feed_id, time.time() - 1)
        assert sched.tick() == 2
        samples = _scrape(f"http://127.0.0.1:{server.port}/metrics")
    finally:
        server.close()
        db.flushdb()
        db.close()
    assert _value(samples, "newsdesk_scheduler_tick_duration_seconds_count") == 2
    assert _value(samples, "newsdesk_scheduler_dispatched_total") == first + 2
    assert _value(samples, "newsdesk_queue_depth", queue="io") == first + 2
    assert _value(samples, "newsdesk_feeds_scheduled") == 2
