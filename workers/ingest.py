"""``ingest --once``: poll every enabled feed once and wait until every article has an outcome."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence

import redis
from celery import Celery
from elasticsearch import Elasticsearch
from kombu.exceptions import OperationalError

from newsdesk.feeds.config import Feed
from newsdesk.outcomes import RunSummary, read_run, start_run
from newsdesk.scheduling import poll_payload
from newsdesk.search.bulk import FLUSH_GATE_KEY, pending_count
from workers import routing


class IngestTimeout(RuntimeError):
    """The run did not finish in time (workers missing or a service down)."""

    def __init__(self, summary: RunSummary, timeout_s: float) -> None:
        super().__init__(
            f"ingest run did not finish within {timeout_s:.0f} s; "
            f"{summary.pending} item(s) still pending — are workers running?"
        )
        self.summary = summary


def ingest_once(
    app: Celery,
    r: redis.Redis,
    es: Elasticsearch,
    alias: str,
    feeds: Sequence[Feed],
    *,
    timeout_s: float,
    on_progress: Callable[[RunSummary], None] | None = None,
    poll_interval_s: float = 0.25,
) -> RunSummary:
    """Return the run's summary once every poll and article reached its final outcome.

    Raises IngestTimeout if work is still pending after ``timeout_s``.
    """
    enabled = [f for f in feeds if f.enabled]
    run_id = uuid.uuid4().hex
    start_run(r, run_id, len(enabled))
    for feed in enabled:
        routing.send(app, routing.POLL_FEED, poll_payload(feed, run_id))
    deadline = time.monotonic() + timeout_s
    summary = read_run(r, run_id)
    while summary.pending > 0:
        if time.monotonic() > deadline:
            raise IngestTimeout(summary, timeout_s)
        if on_progress is not None:
            on_progress(summary)
        time.sleep(poll_interval_s)
        try:
            # Documents left waiting with no flush to come (none scheduled, none paused
            # by an outage: the gate says which) get one, so the backlog drains.
            if pending_count(r) and r.set(FLUSH_GATE_KEY, "1", nx=True, ex=60):
                routing.send(app, routing.FLUSH_INDEX, {})
            summary = read_run(r, run_id)
        except (redis.ConnectionError, redis.TimeoutError, OperationalError):
            continue  # Redis restarting: the run's counters persist, keep waiting
    # Make what was just indexed visible to the search that usually follows.
    es.indices.refresh(index=alias)
    return summary
