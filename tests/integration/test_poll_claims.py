"""The seen gate and a poll that dies between claiming its new articles and enqueueing them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import redis

from newsdesk.demo.server import LoopbackSite
from newsdesk.feeds.config import Feed
from newsdesk.http.fetch import build_http_client
from newsdesk.models import FeedEntry
from newsdesk.outcomes import read_run
from newsdesk.settings import Settings
from newsdesk.stages.poll import poll_feed
from newsdesk.state.redis_state import claim_articles, feed_status


class Killed(Exception):
    """Stands for the worker dying inside the enqueue step."""


@pytest.fixture
def http(base_settings: Settings) -> Iterator[httpx.Client]:
    with build_http_client(base_settings.fetch) as client:
        yield client


def test_claims_are_won_once_but_kept_by_their_claimant(r: redis.Redis) -> None:
    assert claim_articles(r, ["a", "b", "a"], 60, "poll-1") == ["a", "b"]
    assert claim_articles(r, ["a", "b", "c"], 60, "poll-2") == ["c"]
    # The same poll, run again (a redelivered task keeps its id), still owns its claims.
    assert claim_articles(r, ["b", "a", "c"], 60, "poll-1") == ["b", "a"]
    assert claim_articles(r, [], 60, "poll-1") == []


def test_a_poll_killed_before_enqueueing_finds_its_articles_when_run_again(
    r: redis.Redis, http: httpx.Client, site: LoopbackSite, base_settings: Settings
) -> None:
    feed = Feed(name="Northwire", url=site.url("/northwire/feed.xml"), interval_s=60)

    def die(entries: list[FeedEntry]) -> None:
        raise Killed

    with pytest.raises(Killed):
        poll_feed(feed, http=http, r=r, settings=base_settings, run_id="run-k",
                  claimant="task-1", enqueue=die)  # fmt: skip
    # Nothing after the enqueue step happened: no validators, no status, no outcome.
    assert "etag" not in feed_status(r, feed.feed_id)
    assert read_run(r, "run-k").polls == {}

    enqueued: list[FeedEntry] = []
    again = poll_feed(feed, http=http, r=r, settings=base_settings, run_id="run-k",
                      claimant="task-1", enqueue=enqueued.extend)  # fmt: skip
    assert again.outcome == "polled"
    assert enqueued and enqueued == again.new_entries
    assert len({e.url for e in enqueued}) == len(enqueued)

    # Any other poll of the feed, conditional or not, finds nothing new.
    other: list[FeedEntry] = []
    later = poll_feed(feed, http=http, r=r, settings=base_settings, claimant="task-2",
                      enqueue=other.extend)  # fmt: skip
    assert later.new_entries == [] and other == []
