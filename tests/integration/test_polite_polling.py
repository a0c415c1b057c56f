"""Polite polling against the real loopback site and Redis: Retry-After, feed TTL hints,
busy hosts, and feeds whose 304 answers cannot be trusted."""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Iterator

import httpx
import pytest
import redis

from newsdesk.demo.server import LoopbackSite
from newsdesk.errors import TransientError
from newsdesk.feeds.config import Feed
from newsdesk.http.fetch import build_http_client
from newsdesk.http.politeness import host_slot
from newsdesk.outcomes import read_run
from newsdesk.stages.poll import poll_feed
from newsdesk.state.redis_state import SCHEDULE_KEY, feed_status

TTL_FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Slow Weekly</title>
<ttl>60</ttl><item><title>Only story</title><link>{base}/misc/small-article.html</link></item>
</channel></rss>"""


@pytest.fixture
def http(base_settings: object) -> Iterator[httpx.Client]:
    with build_http_client(base_settings.fetch) as client:  # type: ignore[attr-defined]
        yield client


def _due_in_s(r: redis.Redis, feed: Feed) -> float:
    score = r.zscore(SCHEDULE_KEY, feed.feed_id)
    assert score is not None
    return float(score) - time.time()


def test_retry_after_postpones_the_next_poll(
    r: redis.Redis, http: httpx.Client, site: LoopbackSite, base_settings: object
) -> None:
    feed = Feed(name="Rate Limited", url=site.url("/status/429?retry_after=600"), interval_s=30)
    result = poll_feed(feed, http=http, r=r, settings=base_settings)  # type: ignore[arg-type]
    assert (result.outcome, result.reason) == ("poll_failed", "http_429")
    # The interval and one failure's backoff would say about a minute; the server said ten.
    assert 590 < _due_in_s(r, feed) <= 600


def test_a_feed_ttl_stretches_the_interval_up_to_four_times(
    r: redis.Redis, http: httpx.Client, site: LoopbackSite, base_settings: object
) -> None:
    site.mutate("/hostile/ttl.xml", TTL_FEED.format(base=site.base_url))
    try:
        feed = Feed(name="Slow Weekly", url=site.url("/hostile/ttl.xml"), interval_s=30)
        poll_feed(feed, http=http, r=r, settings=base_settings, rng=random.Random(1))  # type: ignore[arg-type]
        assert feed_status(r, feed.feed_id)["interval_hint_s"] == "3600"
        # <ttl> asks for an hour; four times the configured 30 s is the most it gets.
        assert 100 < _due_in_s(r, feed) < 135
        # A 304 keeps the hint learnt from the last full response.
        poll_feed(feed, http=http, r=r, settings=base_settings)  # type: ignore[arg-type]
        assert feed_status(r, feed.feed_id)["last_outcome"] == "not_modified"
        assert 100 < _due_in_s(r, feed) < 135
    finally:
        site.reset("/hostile/ttl.xml")


def test_a_busy_host_defers_the_poll_without_counting_a_failure(
    r: redis.Redis, http: httpx.Client, site: LoopbackSite, base_settings: object
) -> None:
    settings = base_settings.with_overrides(  # type: ignore[attr-defined]
        fetch=dataclasses.replace(base_settings.fetch, host_slot_wait_s=0.2)  # type: ignore[attr-defined]
    )
    feed = Feed(name="Northwire", url=site.url("/northwire/feed.xml"), interval_s=900)
    site.clear_log()
    with host_slot(r, site.base_url, settings.fetch), host_slot(r, site.base_url, settings.fetch):
        result = poll_feed(feed, http=http, r=r, settings=settings)
    assert (result.outcome, result.reason) == ("poll_failed", "host_busy")
    assert feed_status(r, feed.feed_id)["failures"] == "0"
    assert _due_in_s(r, feed) < 5  # back soon, not after the feed's 15 minutes
    assert site.hits("/northwire/feed.xml") == 0


def test_a_busy_host_during_an_ingest_run_raises_for_a_retry_and_records_nothing(
    r: redis.Redis, http: httpx.Client, site: LoopbackSite, base_settings: object
) -> None:
    settings = base_settings.with_overrides(  # type: ignore[attr-defined]
        fetch=dataclasses.replace(base_settings.fetch, host_slot_wait_s=0.2)  # type: ignore[attr-defined]
    )
    feed = Feed(name="Northwire", url=site.url("/northwire/feed.xml"), interval_s=900)
    with (
        host_slot(r, site.base_url, settings.fetch),
        host_slot(r, site.base_url, settings.fetch),
        pytest.raises(TransientError) as info,
    ):
        poll_feed(feed, http=http, r=r, settings=settings, run_id="run-1")
    assert info.value.reason == "host_busy"
    # No outcome yet: the retried poll records the one outcome of this feed in the run.
    assert read_run(r, "run-1").polls == {}


def test_a_server_hiding_changes_behind_304_is_polled_unconditionally(
    r: redis.Redis, http: httpx.Client, site: LoopbackSite, base_settings: object
) -> None:
    settings = base_settings.with_overrides(conditional_check_every=3)  # type: ignore[attr-defined]
    feed = Feed(name="Lying Ledger", url=site.url("/lying-304"), interval_s=30)
    outcomes = []
    for _ in range(5):
        site.clear_log()
        result = poll_feed(feed, http=http, r=r, settings=settings)
        sent_validators = ["if-none-match" in h for _, _, h in site.requests_for("/lying-304")]
        outcomes.append((result.outcome, len(result.new_entries), sent_validators))
    assert outcomes == [
        ("polled", 1, [False]),  # first poll: nothing to be conditional with
        ("not_modified", 0, [True]),
        ("not_modified", 0, [True]),
        # Third poll in a row due a check: a plain GET finds a new story, and the same
        # conditional GET still answers 304, so the server's 304s are not trusted...
        ("polled", 1, [False, True]),
        ("polled", 1, [False]),  # ...and every later poll is unconditional.
    ]
    status = feed_status(r, feed.feed_id)
    assert status["conditional_get_untrusted"] == "1"
    assert len(status["body_sha256"]) == 64


def test_an_honest_server_keeps_its_conditional_polls(
    r: redis.Redis, http: httpx.Client, site: LoopbackSite, base_settings: object
) -> None:
    settings = base_settings.with_overrides(conditional_check_every=3)  # type: ignore[attr-defined]
    feed = Feed(name="Northwire", url=site.url("/northwire/feed.xml"), interval_s=900)
    outcomes = [poll_feed(feed, http=http, r=r, settings=settings).outcome for _ in range(6)]
    assert outcomes == ["polled", "not_modified", "not_modified", "polled"] + ["not_modified"] * 2
    assert "conditional_get_untrusted" not in feed_status(r, feed.feed_id)
