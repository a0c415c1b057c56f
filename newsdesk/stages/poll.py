"""Poll stage: a conditional GET of one feed, parsed into the articles not seen before."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import httpx
import redis

from newsdesk.errors import NewsdeskError, Outcome
from newsdesk.feeds.config import Feed
from newsdesk.feeds.parse import parse_feed
from newsdesk.feeds.schedule import next_due_s
from newsdesk.http.fetch import fetch
from newsdesk.models import FeedEntry
from newsdesk.outcomes import POLLS, record_outcome
from newsdesk.settings import Settings
from newsdesk.state import redis_state
from newsdesk.urls import url_id

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


@dataclass
class PollResult:
    """How a poll ended, and the new articles it found (to be fetched next)."""

    outcome: str
    reason: str | None = None
    http_status: int | None = None
    entries_seen: int = 0
    new_entries: list[FeedEntry] = field(default_factory=list)


def poll_feed(
    feed: Feed,
    *,
    http: httpx.Client,
    r: redis.Redis,
    settings: Settings,
    run_id: str | None = None,
    rng: random.Random | None = None,
) -> PollResult:
    """Return the poll's result after recording its single outcome and rescheduling the feed.

    Failures never raise: a broken, dead or hostile feed is recorded with its reason and
    polled again later with backoff, while every other feed carries on.
    """
    now_s = time.time()
    status = redis_state.feed_status(r, feed.feed_id)
    failures = int(status.get("failures") or 0)
    try:
        response = fetch(
            http,
            feed.url,
            settings.fetch,
            max_bytes=settings.fetch.max_feed_bytes,
            validators=redis_state.load_validators(r, feed.feed_id),
            accept=FEED_ACCEPT,
        )
        if response.not_modified:
            result = PollResult(Outcome.NOT_MODIFIED, http_status=304)
        else:
            entries = parse_feed(response.body, feed, run_id=run_id)
            new = [
                e
                for e in entries
                if redis_state.claim_article(r, url_id(e.url), settings.seen_ttl_s)
            ]
            redis_state.save_validators(r, feed.feed_id, response.validators)
            result = PollResult(
                Outcome.POLLED,
                http_status=response.status_code,
                entries_seen=len(entries),
                new_entries=new,
            )
        failures = 0
        detail = None
    except NewsdeskError as exc:
        failures += 1
        detail = exc.detail
        result = PollResult(Outcome.POLL_FAILED, reason=exc.reason)
    due_s = next_due_s(
        now_s,
        feed.interval_s,
        failures,
        rng or random.Random(),
        jitter_ratio=settings.interval_jitter_ratio,
        max_backoff_s=settings.max_backoff_s,
    )
    redis_state.update_feed_status(
        r,
        feed.feed_id,
        {
            "name": feed.name,
            "url": feed.url,
            "last_poll_at": now_s,
            "last_outcome": result.outcome
            if not result.reason
            else f"{result.outcome}:{result.reason}",
            "last_http_status": result.http_status or "",
            "failures": failures,
            "next_due_at": due_s,
        },
        {"items_seen": result.entries_seen, "articles_new": len(result.new_entries)},
    )
    redis_state.schedule_feed(r, feed.feed_id, due_s)
    record_outcome(
        r,
        POLLS,
        result.outcome,
        feed_id=feed.feed_id,
        url=feed.url,
        reason=result.reason,
        detail=detail,
        run_id=run_id,
        stage="poll",
        new_articles=len(result.new_entries),
    )
    return result
