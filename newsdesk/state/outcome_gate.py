"""Exactly one final outcome per article, even when its work runs twice.

With late acknowledgement a task can run twice: a worker killed after its work but
before its ack, or a task that outlived the broker's visibility timeout. Each copy would
count the article again. A gate key per article, checked and set in the same Redis
transaction as the counters, lets the first final outcome through and makes the later
ones no-ops. A success after a failure still counts (a dead letter replayed once its
cause is fixed); nothing counts after a success.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis

from newsdesk.errors import Outcome
from newsdesk.outcomes import ARTICLES, add_outcome
from newsdesk.state.redis_state import PREFIX
from newsdesk.urls import url_id

# Longer than any redelivery can come late: the visibility timeout (2 h) plus retries.
GATE_TTL_S = 2 * 86_400
SUCCESS = b"ok"
FAILURE = b"failed"


@dataclass(frozen=True)
class ArticleOutcome:
    """One article's final outcome, and the URL its feed entry knows it by."""

    item_url: str
    outcome: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        """Return True unless the outcome is a failure."""
        return self.outcome != Outcome.FAILED


def gate_key(item_url: str) -> str:
    """Return the key that remembers the final outcome of the article at ``item_url``."""
    try:
        # The same identity as the seen gate: the feed link, canonical, scheme ignored.
        ident = url_id(item_url)
    except ValueError:
        ident = hashlib.sha256(item_url.encode()).hexdigest()
    return f"{PREFIX}outcome:{ident}"


def may_count(state: bytes | str | None, success: bool) -> bool:
    """Return True if an outcome may be counted given the article's gate state."""
    if isinstance(state, str):
        state = state.encode()
    return state is None or (success and state == FAILURE)


def record_article_outcomes(
    r: redis.Redis,
    items: Sequence[ArticleOutcome],
    *,
    also: Callable[[redis.client.Pipeline], None] | None = None,
) -> list[bool]:
    """Count each outcome unless its article already has a final one; return which counted.

    ``also`` queues more commands (releasing a flush's batch) into the same transaction,
    so the outcomes and what they depend on commit together or not at all.
    """
    keys = [gate_key(item.item_url) for item in items]
    counted: list[bool] = []

    def commit(pipe: redis.client.Pipeline) -> None:
        # WATCH (set up by transaction()) makes the reads immediate; a concurrent writer
        # of one of these gates makes EXEC fail and this function run again.
        states = pipe.mget(keys) if keys else []
        pipe.multi()
        counted.clear()
        seen: set[str] = set()
        for item, key, state in zip(items, keys, states, strict=True):
            # The same article twice in one batch (a duplicated task) counts once.
            allowed = key not in seen and may_count(state, item.success)
            seen.add(key)
            counted.append(allowed)
            if allowed:
                pipe.set(key, SUCCESS if item.success else FAILURE, ex=GATE_TTL_S)
                add_outcome(pipe, ARTICLES, item.outcome, **item.details)
        if also is not None:
            also(pipe)

    r.transaction(commit, *keys)
    return counted
