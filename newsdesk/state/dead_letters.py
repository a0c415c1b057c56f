"""Dead letters: work that failed for a reason worth a human look, kept to be replayed.

A 404 or a page that is not HTML is a verdict on the content and ends as an outcome.
What lands here is different: retries exhausted during an outage, a bug, a document
Elasticsearch rejected. Each entry keeps the message payload, so ``newsdesk dlq replay``
can send it back to the stage that failed once the cause is fixed. Entries are keyed by
stage and item, so the same item failing again updates one entry instead of piling up.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import redis

from newsdesk.state.redis_state import PREFIX

ENTRIES_KEY = PREFIX + "dlq:entries"  # HASH "<stage>:<id>" -> entry JSON
ORDER_KEY = PREFIX + "dlq:order"  # ZSET "<stage>:<id>" -> last failure time


@dataclass(frozen=True)
class DeadLetter:
    """One failed item: where it failed, why, and the message to replay it."""

    entry_id: str
    stage: str
    task: str
    reason: str
    error: str
    payload: dict[str, Any]
    url: str | None
    feed_id: str | None
    attempts: int
    first_at: float
    last_at: float

    @property
    def key(self) -> str:
        """Return the entry's key in the dead-letter hash."""
        return f"{self.stage}:{self.entry_id}"


def dead_letter_id(stage: str, payload: dict[str, Any], url: str | None) -> str:
    """Return a stable id for an item: its URL if it has one, else its payload."""
    basis = url or json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(f"{stage}\n{basis}".encode()).hexdigest()[:16]


def add_dead_letter(
    r: redis.Redis,
    *,
    stage: str,
    task: str,
    reason: str,
    error: str,
    payload: dict[str, Any],
    url: str | None = None,
    feed_id: str | None = None,
    now_s: float | None = None,
) -> DeadLetter:
    """Record (or update) the dead letter of an item and return it."""
    now = time.time() if now_s is None else now_s
    entry_id = dead_letter_id(stage, payload, url)
    key = f"{stage}:{entry_id}"
    previous = r.hget(ENTRIES_KEY, key)
    old = json.loads(previous) if previous else {}
    letter = DeadLetter(
        entry_id=entry_id,
        stage=stage,
        task=task,
        reason=reason,
        error=error[:2000],
        payload=payload,
        url=url,
        feed_id=feed_id,
        attempts=int(old.get("attempts", 0)) + 1,
        first_at=float(old.get("first_at", now)),
        last_at=now,
    )
    pipe = r.pipeline(transaction=True)
    pipe.hset(ENTRIES_KEY, key, json.dumps(asdict(letter)))
    pipe.zadd(ORDER_KEY, {key: now})
    pipe.execute()
    return letter


def iter_dead_letters(
    r: redis.Redis,
    *,
    stage: str | None = None,
    reason: str | None = None,
    feed_id: str | None = None,
) -> Iterator[DeadLetter]:
    """Yield dead letters, newest first, matching every given filter."""
    for raw_key in r.zrevrange(ORDER_KEY, 0, -1):
        key = raw_key.decode() if isinstance(raw_key, bytes) else str(raw_key)
        if stage and not key.startswith(stage + ":"):
            continue
        raw = r.hget(ENTRIES_KEY, key)
        if raw is None:
            continue
        letter = DeadLetter(**json.loads(raw))
        if reason and letter.reason != reason:
            continue
        if feed_id and letter.feed_id != feed_id:
            continue
        yield letter


def get_dead_letter(r: redis.Redis, key: str) -> DeadLetter | None:
    """Return the dead letter stored under ``<stage>:<id>`` (or a unique id prefix)."""
    raw = r.hget(ENTRIES_KEY, key)
    if raw is None:
        matches = [m for m in _keys(r) if m.split(":", 1)[-1].startswith(key)]
        if len(matches) != 1:
            return None
        raw = r.hget(ENTRIES_KEY, matches[0])
    return DeadLetter(**json.loads(raw)) if raw else None


def remove_dead_letters(r: redis.Redis, keys: list[str]) -> int:
    """Delete the given entries; return how many existed."""
    if not keys:
        return 0
    pipe = r.pipeline(transaction=True)
    pipe.hdel(ENTRIES_KEY, *keys)
    pipe.zrem(ORDER_KEY, *keys)
    removed, _ = pipe.execute()
    return int(removed)


def count_dead_letters(r: redis.Redis) -> dict[str, int]:
    """Return the number of dead letters per stage."""
    counts: dict[str, int] = {}
    for key in _keys(r):
        stage = key.split(":", 1)[0]
        counts[stage] = counts.get(stage, 0) + 1
    return counts


def _keys(r: redis.Redis) -> list[str]:
    return [k.decode() if isinstance(k, bytes) else str(k) for k in r.zrange(ORDER_KEY, 0, -1)]
