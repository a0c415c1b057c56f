"""Poll stage: a conditional GET of one feed, parsed into the articles not seen before.

Polling is polite (one of the host's few request slots, see ``newsdesk.http.politeness``;
never sooner than a 429/503's Retry-After or the feed's own ``<ttl>``) and does not
trust 304s blindly: every Nth poll of a feed that keeps answering 304 is made without
validators, and a server caught hiding new content behind 304 is polled unconditionally
from then on.
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import redis

from newsdesk.errors import NewsdeskError, Outcome, TransientError
from newsdesk.feeds.config import Feed
from newsdesk.feeds.hints import effective_interval_s
from newsdesk.feeds.parse import parse_feed_document
from newsdesk.feeds.schedule import next_due_s
from newsdesk.http.fetch import FetchResult, Validators, fetch
from newsdesk.http.politeness import host_slot
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
    claimant: str | None = None,
    enqueue: Callable[[list[FeedEntry]], None] | None = None,
) -> PollResult:
    """Return the poll's result after recording its single outcome and rescheduling the feed.

    New articles are claimed in the seen gate under ``claimant`` (the poll task's id, kept
    by a redelivered task) and handed to ``enqueue`` before anything else is recorded: a
    poll killed before it enqueued them runs again with the same validators, finds its
    own claims and enqueues them then.

    Failures never raise: a broken, dead or hostile feed is recorded with its reason and
    polled again later with backoff, while every other feed carries on. The one exception
    is a busy host during an ingest run: TransientError(host_busy) is raised for a retry.
    """
    now_s = time.time()
    status = redis_state.feed_status(r, feed.feed_id)
    failures = int(status.get("failures") or 0)
    hint_s = int(status.get("interval_hint_s") or 0) or None
    streak = int(status.get("not_modified_streak") or 0)
    fields: dict[str, object] = {}
    retry_after_s: float | None = None
    try:
        response, fields = _conditional_fetch(feed, http, r, settings, status)
        if response.not_modified:
            streak += 1
            result = PollResult(Outcome.NOT_MODIFIED, http_status=304)
        else:
            doc = parse_feed_document(
                response.body, feed, run_id=run_id, max_entries=settings.max_entries_per_poll
            )
            entries = doc.entries
            new = _claim_new(r, entries, settings.seen_ttl_s, claimant or uuid.uuid4().hex)
            if new and enqueue is not None:
                enqueue(new)
            redis_state.save_validators(r, feed.feed_id, response.validators)
            streak, hint_s = 0, doc.interval_hint_s
            fields["body_sha256"] = _sha256(response.body)
            result = PollResult(
                Outcome.POLLED,
                http_status=response.status_code,
                entries_seen=len(entries),
                new_entries=new,
            )
        failures = 0
        detail = None
    except NewsdeskError as exc:
        if exc.reason == "host_busy" and run_id is not None:
            # An ingest run waits for every feed: retry this poll rather than skip the feed.
            raise
        # A poll skipped because the host is busy is no sign of a broken feed.
        if exc.reason != "host_busy":
            failures += 1
        detail = exc.detail
        result = PollResult(Outcome.POLL_FAILED, reason=exc.reason)
        if isinstance(exc, TransientError):
            retry_after_s = exc.retry_after_s
    due_s = next_due_s(
        now_s,
        effective_interval_s(feed.interval_s, hint_s),
        failures,
        rng or random.Random(),
        jitter_ratio=settings.interval_jitter_ratio,
        max_backoff_s=settings.max_backoff_s,
    )
    if retry_after_s is not None:
        # A 429/503 says when to come back; a busy host only needs a short pause.
        soonest_s = now_s + retry_after_s
        due_s = soonest_s if result.reason == "host_busy" else max(due_s, soonest_s)
    redis_state.update_feed_status(
        r,
        feed.feed_id,
        {
            **fields,
            "name": feed.name,
            "url": feed.url,
            "last_poll_at": now_s,
            "last_outcome": result.outcome
            if not result.reason
            else f"{result.outcome}:{result.reason}",
            "last_http_status": result.http_status or "",
            "failures": failures,
            "not_modified_streak": streak,
            "interval_hint_s": hint_s or "",
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


def _claim_new(
    r: redis.Redis, entries: list[FeedEntry], ttl_s: int, claimant: str
) -> list[FeedEntry]:
    """Return the entries whose articles this poll is first to see (one per article)."""
    by_id: dict[str, FeedEntry] = {}
    for entry in entries:
        by_id.setdefault(url_id(entry.url), entry)
    won = redis_state.claim_articles(r, list(by_id), ttl_s, claimant)
    return [by_id[u] for u in won]


def _conditional_fetch(
    feed: Feed, http: httpx.Client, r: redis.Redis, settings: Settings, status: dict[str, str]
) -> tuple[FetchResult, dict[str, object]]:
    """Return the feed's response (conditional unless 304s are due a check or distrusted).

    Also returns status fields to store: ``conditional_get_untrusted`` once a server is
    caught answering 304 for content that changed.
    """
    stored = redis_state.load_validators(r, feed.feed_id)
    untrusted = status.get("conditional_get_untrusted") == "1"
    every = settings.conditional_check_every
    streak = int(status.get("not_modified_streak") or 0)
    has_validators = bool(stored.etag or stored.last_modified)
    check = has_validators and not untrusted and every > 0 and streak >= every - 1
    fields: dict[str, object] = {}

    def get(validators: Validators | None) -> FetchResult:
        return fetch(
            http,
            feed.url,
            settings.fetch,
            max_bytes=settings.fetch.max_feed_bytes,
            validators=validators,
            accept=FEED_ACCEPT,
        )

    with host_slot(r, feed.url, settings.fetch):
        response = get(None if (untrusted or check) else stored)
        old_sha = status.get("body_sha256")
        checkable = check and old_sha and response.status_code == 200
        # The content differs from our last copy. Changed since the last poll, or hidden
        # behind 304s? Ask again with the old validators: a 304 now is a lie.
        if checkable and old_sha != _sha256(response.body) and get(stored).not_modified:
            fields["conditional_get_untrusted"] = 1
    return response, fields


def _sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
