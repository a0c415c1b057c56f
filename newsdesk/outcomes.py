"""Exactly one recorded outcome per feed poll and per article, kept as Redis counters.

``newsdesk status`` and the ``ingest --once`` summary read these counters, never logs.
An ingest run also keeps a ``pending`` count: each poll holds one unit until it knows
how many new articles it found, and each article releases its unit at its final
outcome, so the run is finished exactly when ``pending`` reaches zero.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import redis

from newsdesk.state.redis_state import PREFIX, feed_key

POLLS = "polls"
ARTICLES = "articles"
RECENT_FAILURES_KEY = PREFIX + "failures:recent"
RECENT_FAILURES_MAX = 1_000
RUN_TTL_S = 7 * 86_400


def outcomes_key(kind: str) -> str:
    """Return the key of the all-time outcome counters for ``polls`` or ``articles``."""
    return f"{PREFIX}outcomes:{kind}"


def run_key(run_id: str, part: str) -> str:
    """Return the key of one part (pending, polls, articles, failures) of an ingest run."""
    return f"{PREFIX}run:{run_id}:{part}"


def outcome_label(outcome: str, reason: str | None) -> str:
    """Return the counter field, e.g. ``failed:http_404`` or ``indexed``."""
    return f"{outcome}:{reason}" if reason else outcome


def record_outcome(r: redis.Redis, kind: str, outcome: str, **details: Any) -> None:
    """Count one final outcome for a poll or an article (see :func:`add_outcome`)."""
    pipe = r.pipeline(transaction=True)
    add_outcome(pipe, kind, outcome, **details)
    pipe.execute()


def add_outcome(
    pipe: redis.client.Pipeline,
    kind: str,
    outcome: str,
    *,
    feed_id: str | None,
    url: str,
    reason: str | None = None,
    detail: str | None = None,
    run_id: str | None = None,
    stage: str | None = None,
    new_articles: int = 0,
) -> None:
    """Queue on ``pipe`` the commands that count one final outcome and its run bookkeeping.

    For a poll, ``new_articles`` is the number of articles it enqueued: they join the
    run's pending count in the same transaction that releases the poll's own unit.
    """
    label = outcome_label(outcome, reason)
    pipe.hincrby(outcomes_key(kind), label, 1)
    if feed_id:
        pipe.hincrby(feed_key(feed_id), f"{kind}:{label}", 1)
    failure = None
    if reason is not None and outcome not in ("not_modified", "duplicate", "indexed"):
        failure = json.dumps(
            {
                "kind": kind,
                "stage": stage,
                "outcome": outcome,
                "reason": reason,
                "detail": detail,
                "url": url,
                "feed_id": feed_id,
                "at": time.time(),
            }
        )
        pipe.lpush(RECENT_FAILURES_KEY, failure)
        pipe.ltrim(RECENT_FAILURES_KEY, 0, RECENT_FAILURES_MAX - 1)
        if feed_id:
            pipe.hset(feed_key(feed_id), mapping={"last_error": f"{label} {url}: {detail or ''}"})
    if run_id:
        pipe.hincrby(run_key(run_id, kind), label, 1)
        pipe.incrby(run_key(run_id, "pending"), new_articles - 1)
        if failure is not None:
            pipe.rpush(run_key(run_id, "failures"), failure)
        for part in ("pending", kind, "failures"):
            pipe.expire(run_key(run_id, part), RUN_TTL_S)


def start_run(r: redis.Redis, run_id: str, polls: int) -> None:
    """Open an ingest run whose ``polls`` poll tasks are about to be enqueued."""
    r.set(run_key(run_id, "pending"), polls, ex=RUN_TTL_S)


@dataclass
class RunSummary:
    """Counters of one ingest run (or of all time when read without a run id)."""

    pending: int
    polls: dict[str, int] = field(default_factory=dict)
    articles: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)

    def count(self, kind: str, prefix: str) -> int:
        """Return the sum of counters of ``kind`` whose label starts with ``prefix``."""
        counters = self.polls if kind == POLLS else self.articles
        return sum(v for k, v in counters.items() if k == prefix or k.startswith(prefix + ":"))

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-safe dict for ``--json`` output."""
        return {
            "pending": self.pending,
            "polls": self.polls,
            "articles": self.articles,
            "failures": self.failures,
        }


def read_run(r: redis.Redis, run_id: str) -> RunSummary:
    """Return the current counters of an ingest run."""
    pending = r.get(run_key(run_id, "pending"))
    failures = [json.loads(x) for x in r.lrange(run_key(run_id, "failures"), 0, -1)]
    return RunSummary(
        pending=int(pending or 0),
        polls=_counters(r.hgetall(run_key(run_id, POLLS))),
        articles=_counters(r.hgetall(run_key(run_id, ARTICLES))),
        failures=failures,
    )


def read_totals(r: redis.Redis, recent_failures: int = 20) -> RunSummary:
    """Return all-time outcome counters and the most recent failures."""
    failures = [json.loads(x) for x in r.lrange(RECENT_FAILURES_KEY, 0, recent_failures - 1)]
    return RunSummary(
        pending=0,
        polls=_counters(r.hgetall(outcomes_key(POLLS))),
        articles=_counters(r.hgetall(outcomes_key(ARTICLES))),
        failures=failures,
    )


def _counters(raw: dict[Any, Any]) -> dict[str, int]:
    return {
        (k.decode() if isinstance(k, bytes) else str(k)): int(v) for k, v in sorted(raw.items())
    }
