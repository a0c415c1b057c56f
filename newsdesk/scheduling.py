"""Scheduler logic: keep the due-time ZSET in step with feeds.yaml and pop due feeds.

10,000 feeds cost one ZSET and one small script call per tick, not 10,000 timers.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import redis

from newsdesk.feeds.config import Feed
from newsdesk.feeds.schedule import initial_due_s
from newsdesk.state import redis_state

# How long a popped feed stays leased before it may be handed out again (its poll
# normally re-scores it much sooner).
POLL_LEASE_S = 600.0
# Sending one poll through Celery costs 0.15-0.3 ms (more on a busy machine), so 100 keep
# a tick within 50 ms and the heartbeat, reload and flush checks prompt; ticks come about
# every second, and 10,000 feeds at 15 min need 12 polls/s. A tick that hits the cap is
# followed at once by another, so the cap bounds a tick's length, not polls per second.
MAX_DISPATCH_PER_TICK = 100


@dataclass(frozen=True)
class SyncReport:
    """What a schedule sync changed: feeds added, with a changed config, removed; and the total."""

    added: int
    changed: int
    removed: int
    total: int


def sync_schedule(
    r: redis.Redis, feeds: Iterable[Feed], now_s: float, rng: random.Random
) -> SyncReport:
    """Return what changed after making the schedule match the enabled feeds.

    New feeds get an early first poll; existing ones keep their due time, so a config
    reload never causes a burst of polls; removed or disabled feeds leave the schedule.
    Only new and changed configs are written, with every write in one transaction.
    """
    configs = {f.feed_id: (f, json.dumps(f.to_json())) for f in feeds if f.enabled}
    read = r.pipeline(transaction=False)
    read.hgetall(redis_state.FEEDS_KEY)
    read.zrange(redis_state.SCHEDULE_KEY, 0, -1)
    stored_raw, scheduled_raw = read.execute()
    stored = {_text(k): _text(v) for k, v in stored_raw.items()}
    scheduled = {_text(m) for m in scheduled_raw}
    written: dict[Any, Any] = {
        fid: raw for fid, (_, raw) in configs.items() if stored.get(fid) != raw
    }
    new_due = {
        fid: initial_due_s(now_s, feed.interval_s, rng)
        for fid, (feed, _) in configs.items()
        if fid not in scheduled
    }
    removed = sorted(scheduled - configs.keys())
    # One MULTI/EXEC: a tick never sees a new feed in the schedule before its config
    # (it would drop it as an orphan), nor half of an edit.
    write = r.pipeline(transaction=True)
    if written:
        write.hset(redis_state.FEEDS_KEY, mapping=written)
    if new_due:
        write.zadd(redis_state.SCHEDULE_KEY, new_due, nx=True)
    if removed:
        write.zrem(redis_state.SCHEDULE_KEY, *removed)
    if stale := sorted((stored.keys() | set(removed)) - configs.keys()):
        write.hdel(redis_state.FEEDS_KEY, *stale)
    write.execute()
    return SyncReport(
        added=len(new_due),
        changed=len(written.keys() - new_due.keys()),
        removed=len(removed),
        total=len(configs),
    )


def dispatch_due(
    r: redis.Redis,
    now_s: float,
    enqueue: Callable[[dict[str, Any]], None],
    *,
    limit: int = MAX_DISPATCH_PER_TICK,
) -> int:
    """Enqueue a poll for up to ``limit`` due feeds; return how many were dispatched.

    Feeds still due after that stay in the schedule for the next tick. Their configs
    are read with one HMGET for the whole tick, not one read per feed.
    """
    due = redis_state.pop_due_feeds(r, now_s, limit, POLL_LEASE_S)
    if not due:
        return 0
    raw_feeds = r.hmget(redis_state.FEEDS_KEY, due)
    # A feed removed from the file between the reload and this tick has no config left.
    orphans = [fid for fid, raw in zip(due, raw_feeds, strict=True) if raw is None]
    redis_state.unschedule_feeds(r, orphans)
    for raw in raw_feeds:
        if raw is not None:
            enqueue(poll_payload(Feed.from_json(json.loads(raw))))
    return len(due) - len(orphans)


def poll_payload(feed: Feed, run_id: str | None = None) -> dict[str, Any]:
    """Return the message for a poll task (small: the feed's config and the run id)."""
    return {"feed": feed.to_json(), "feed_id": feed.feed_id, "url": feed.url, "run_id": run_id}


def _text(value: bytes | str) -> str:
    """Return a Redis reply as text, whether the client decodes responses or not."""
    return value.decode() if isinstance(value, bytes) else value
