"""Pipeline state read from Redis when metrics are scraped: outcomes, backlogs, feed lag.

All of it already lives in Redis, shared by every worker, so whichever process answers a
scrape reports the same numbers and no process has to keep (or lose on restart) counts
of its own. A snapshot costs a handful of O(1) or O(log n) Redis commands, whatever the
number of feeds, articles or queued messages: nothing here scans a key space.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis

from newsdesk.outcomes import ARTICLES, POLLS, outcomes_key
from newsdesk.search.bulk import PENDING_KEY
from newsdesk.state.dead_letters import ORDER_KEY as DEAD_LETTERS_KEY
from newsdesk.state.redis_state import SCHEDULE_KEY

LAG_QUANTILE = 0.95


@dataclass(frozen=True)
class FeedLag:
    """How late the scheduled feeds are: now minus next-due, 0 for feeds not yet due."""

    scheduled: int
    overdue: int
    max_s: float
    p95_s: float


@dataclass(frozen=True)
class PipelineSnapshot:
    """Everything :func:`read_snapshot` reads in one go."""

    # (kind, outcome, reason) -> all-time count; reason is "" for a bare outcome.
    outcomes: dict[tuple[str, str, str], int] = field(default_factory=dict)
    queue_depths: dict[str, int] = field(default_factory=dict)
    index_backlog: int = 0
    dead_letters: int = 0
    lag: FeedLag = FeedLag(0, 0, 0.0, 0.0)


def split_outcome_label(kind: str, label: str) -> tuple[str, str, str]:
    """Return ``(kind, outcome, reason)`` for a counter field such as ``failed:http_404``."""
    outcome, _, reason = label.partition(":")
    return kind, outcome, reason


def quantile_rank_from_top(count: int, quantile: float) -> int:
    """Return the 0-based position, counting from the largest, of the nearest-rank quantile."""
    return count - max(1, math.ceil(quantile * count))


def read_feed_lag(r: redis.Redis, now_s: float) -> FeedLag:
    """Return the lag of the due-time schedule at ``now_s``.

    The schedule is sorted by due time, so the most overdue feed is rank 0 and the
    95th-percentile lag is a single ``ZRANGE`` at a computed rank.
    """
    pipe = r.pipeline(transaction=False)
    pipe.zcard(SCHEDULE_KEY)
    pipe.zcount(SCHEDULE_KEY, "-inf", now_s)
    pipe.zrange(SCHEDULE_KEY, 0, 0, withscores=True)
    scheduled, overdue, oldest = pipe.execute()
    if not scheduled:
        return FeedLag(0, 0, 0.0, 0.0)
    rank = quantile_rank_from_top(int(scheduled), LAG_QUANTILE)
    at_rank = r.zrange(SCHEDULE_KEY, rank, rank, withscores=True)
    return FeedLag(
        scheduled=int(scheduled),
        overdue=int(overdue),
        max_s=_lag(oldest, now_s),
        p95_s=_lag(at_rank, now_s),
    )


def read_snapshot(
    r: redis.Redis, queue_keys: Mapping[str, Sequence[str]], now_s: float
) -> PipelineSnapshot:
    """Return the pipeline's counters and backlogs.

    ``queue_keys`` maps each queue name to the Redis lists that hold its messages (the
    broker keeps one list per priority level); the depth is their total length.
    """
    pipe = r.pipeline(transaction=False)
    pipe.hgetall(outcomes_key(POLLS))
    pipe.hgetall(outcomes_key(ARTICLES))
    pipe.llen(PENDING_KEY)
    pipe.zcard(DEAD_LETTERS_KEY)
    names: list[str] = []
    for queue, keys in queue_keys.items():
        for key in keys:
            pipe.llen(key)
            names.append(queue)
    polls, articles, backlog, dead, *lengths = pipe.execute()
    outcomes: dict[tuple[str, str, str], int] = {}
    for kind, counters in ((POLLS, polls), (ARTICLES, articles)):
        for raw_label, value in counters.items():
            label = raw_label.decode() if isinstance(raw_label, bytes) else str(raw_label)
            outcomes[split_outcome_label(kind, label)] = int(value)
    depths = dict.fromkeys(queue_keys, 0)
    for queue, length in zip(names, lengths, strict=True):
        depths[queue] += int(length)
    return PipelineSnapshot(
        outcomes=outcomes,
        queue_depths=depths,
        index_backlog=int(backlog),
        dead_letters=int(dead),
        lag=read_feed_lag(r, now_s),
    )


def _lag(members: Sequence[Any], now_s: float) -> float:
    """Return how far past due the single ``(member, due_s)`` pair is (0 if not due)."""
    if not members:
        return 0.0
    return max(0.0, now_s - float(members[0][1]))
