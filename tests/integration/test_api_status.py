"""The API's status endpoints, failure answers, page serving and the ``newsdesk api`` command."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
import redis
from api_support import serve_api
from elasticsearch import Elasticsearch

from newsdesk.feeds.config import Feed
from newsdesk.outcomes import ARTICLES, record_outcome
from newsdesk.scheduling import sync_schedule
from newsdesk.search.setup import ensure_index
from newsdesk.settings import Settings
from newsdesk.state.redis_state import update_feed_status

NOW_S = datetime(2026, 3, 6, 9, 0, tzinfo=UTC).timestamp()


def _closed_port() -> int:
    """Return a loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def api(base_settings: Settings) -> Iterator[httpx.Client]:
    """Return an HTTP client of the API on the session's services."""
    with serve_api(base_settings) as base_url, httpx.Client(base_url=base_url) as client:
        yield client


def test_feeds_show_config_schedule_and_counters(api: httpx.Client, r: redis.Redis) -> None:
    feeds = [
        Feed(name="Lakeside Post", url="https://lakeside.example/feed.xml", interval_s=600,
             tags=("local",), language="en"),
        Feed(name="Quiet Gazette", url="https://quiet.example/rss", enabled=False),
    ]  # fmt: skip
    sync_schedule(r, feeds, NOW_S, random.Random(7))
    update_feed_status(
        r, "lakeside-post",
        {"name": "Lakeside Post", "last_poll_at": NOW_S, "last_outcome": "polled",
         "last_http_status": 200, "failures": 0},
        {"items_seen": 12},
    )  # fmt: skip
    for outcome, reason in (("indexed", None), ("indexed", None), ("failed", "http_404")):
        record_outcome(r, ARTICLES, outcome, feed_id="lakeside-post",
                       url="https://lakeside.example/a", reason=reason, detail="gone")  # fmt: skip

    body = api.get("/feeds").json()

    assert [f["feed_id"] for f in body["feeds"]] == ["lakeside-post"]  # disabled: not scheduled
    feed = body["feeds"][0]
    assert feed["name"] == "Lakeside Post" and feed["url"] == "https://lakeside.example/feed.xml"
    assert feed["interval_s"] == 600 and feed["tags"] == ["local"] and feed["enabled"] is True
    assert feed["scheduled"] is True and feed["next_due_at"] is not None
    assert feed["last_poll_at"] == "2026-03-06T09:00:00+00:00"
    assert feed["last_outcome"] == "polled" and feed["last_http_status"] == 200
    assert (feed["items_seen"], feed["indexed"], feed["failed"]) == (12, 2, 1)
    assert feed["last_error"].startswith("failed:http_404 https://lakeside.example/a")
    assert feed["status"]["articles:indexed"] == "2"


def test_healthz_is_ok_when_both_answer(api: httpx.Client) -> None:
    response = api.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["down"] == []
    assert body["checks"]["elasticsearch"]["detail"] in (
        "cluster status green",
        "cluster status yellow",
    )


def test_redis_down_is_a_503_naming_redis(base_settings: Settings) -> None:
    settings = base_settings.with_overrides(redis_url=f"redis://127.0.0.1:{_closed_port()}/0")
    with serve_api(settings) as base_url, httpx.Client(base_url=base_url) as client:
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["down"] == ["redis"]
        assert "Redis is not reachable" in health.json()["checks"]["redis"]["detail"]
        feeds = client.get("/feeds")
        assert feeds.status_code == 503 and feeds.json()["dependency"] == "redis"


def test_elasticsearch_down_is_a_503_naming_it(base_settings: Settings) -> None:
    settings = base_settings.with_overrides(es_url=f"http://127.0.0.1:{_closed_port()}")
    with serve_api(settings) as base_url, httpx.Client(base_url=base_url) as client:
        started_s = time.monotonic()
        health = client.get("/healthz")
        assert time.monotonic() - started_s < 5
        assert health.status_code == 503 and health.json()["down"] == ["elasticsearch"]
        search = client.get("/search", params={"q": "ferry"})
        assert search.status_code == 503
        assert search.json()["dependency"] == "elasticsearch"
        assert "Elasticsearch is not reachable" in search.json()["detail"]


def test_missing_index_says_to_run_setup(base_settings: Settings, es: Elasticsearch) -> None:
    settings = base_settings.with_overrides(index_alias="nothing-here")
    with serve_api(settings) as base_url, httpx.Client(base_url=base_url) as client:
        response = client.get("/search")
        assert response.status_code == 503
        assert "'nothing-here' does not exist: run `newsdesk setup`" in response.json()["detail"]


def test_an_index_without_story_fields_still_searches(
    base_settings: Settings, es: Elasticsearch
) -> None:
    # An index built before story_id existed: collapsing is skipped, stories are absent.
    es.indices.create(
        index="bare-v1",
        mappings={
            "properties": {
                "title": {"type": "text"},
                "url": {"type": "keyword"},
                "source": {"type": "keyword"},
            }
        },
        aliases={"bare": {}},
    )
    try:
        doc = {"title": "Quay", "url": "https://q.example/1", "source": "Quay News"}
        es.index(index="bare", id="one", document=doc, refresh=True)
        settings = base_settings.with_overrides(index_alias="bare")
        with serve_api(settings) as base_url, httpx.Client(base_url=base_url) as client:
            body = client.get("/search", params={"collapse": "story"}).json()
            assert body["collapse"] is None and [h["id"] for h in body["hits"]] == ["one"]
            assert body["facets"]["source"] == [{"value": "Quay News", "count": 1}]
            article = client.get("/articles/one").json()
            assert article["copies"] == [] and article["story"] is None
            story = client.get("/stories/anything")
            assert story.status_code == 404 and "no story_id field" in story.json()["detail"]
    finally:
        es.indices.delete(index="bare-v1")


def test_page_and_assets_are_served_with_a_strict_policy(api: httpx.Client) -> None:
    page = api.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/static/app.js"' in page.text
    script = api.get("/static/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    # Rendering goes through textContent and text nodes only (see the page test for XSS).
    assert "innerHTML" not in script.text.replace("never innerHTML", "")
    assert api.get("/static/style.css").status_code == 200


def test_newsdesk_api_command_serves_over_http(base_settings: Settings, es: Elasticsearch) -> None:
    ensure_index(es, base_settings.index_alias)
    port = _closed_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env.update(base_settings.to_env())
    proc = subprocess.Popen(
        [sys.executable, "-c", "from workers.cli import main; main()", "api", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline_s = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline_s, "newsdesk api did not start"
                time.sleep(0.2)
        assert health.status_code == 200
        spec = httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()
        assert "/search" in spec["paths"]
        assert httpx.get(f"http://127.0.0.1:{port}/search").json()["total"] == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in err
