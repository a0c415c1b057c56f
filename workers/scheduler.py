"""The scheduler process: re-reads feeds.yaml when it changes and dispatches due polls."""

from __future__ import annotations

import logging
import random
import threading
import time
from pathlib import Path
from typing import Any

import redis
from celery import Celery
from kombu.exceptions import BatchPublishError, OperationalError

from newsdesk.feeds.config import FeedConfigError, feeds_fingerprint, load_feeds
from newsdesk.scheduling import MAX_DISPATCH_PER_TICK, dispatch_due, sync_schedule
from newsdesk.search.bulk import FLUSH_GATE_KEY, pending_count
from newsdesk.settings import Settings
from newsdesk.state.heartbeat import beat
from newsdesk.state.outages import REDIS, record_outage
from workers import routing

log = logging.getLogger(__name__)

# A restart of Redis takes about a second: look again soon, without flooding the log.
REDIS_RETRY_S = 1.0


def poll_argsrepr(payload: dict[str, Any]) -> str:
    """Return what monitoring tools show for a poll's arguments: the feed id, not the feed.

    Celery's own repr of the whole feed dict took about 60 µs, a quarter of sending a poll.
    """
    return repr([{"feed_id": payload["feed_id"]}])


class Scheduler:
    """One tick: reload config if changed, dispatch due feeds, kick a stalled index backlog."""

    def __init__(self, app: Celery, r: redis.Redis, settings: Settings) -> None:
        self.app = app
        self.r = r
        self.settings = settings
        self.rng = random.Random()
        self._fingerprint: tuple[int, int] | None = None
        self.stop_event = threading.Event()

    def reload_if_changed(self, path: Path) -> None:
        """Re-read the feeds file when its mtime or size changed; keep the old set on error."""
        try:
            fingerprint = feeds_fingerprint(path)
        except OSError as exc:
            log.error("cannot read feeds file %s: %s; keeping the current schedule", path, exc)
            return
        if fingerprint == self._fingerprint:
            return
        try:
            feeds = load_feeds(path, default_interval_s=self.settings.default_interval_s)
        except FeedConfigError as exc:
            # A typo in the file must not stop polling: report it and keep the old feeds.
            log.error("feeds file rejected, keeping the current schedule:\n%s", exc)
            self._fingerprint = fingerprint
            return
        report = sync_schedule(self.r, feeds, time.time(), self.rng)
        self._fingerprint = fingerprint
        log.info(
            "feeds loaded from %s: %d enabled, %d added, %d changed, %d removed",
            path,
            report.total,
            report.added,
            report.changed,
            report.removed,
        )

    def tick(self) -> int:
        """Run one scheduling step; return the number of polls dispatched."""
        self.reload_if_changed(self.settings.feeds_path)
        # The tick's polls reach the broker in one pipeline when the block ends.
        with routing.batch(self.app) as producer:
            dispatched = dispatch_due(
                self.r,
                time.time(),
                lambda payload: routing.send(
                    self.app,
                    routing.POLL_FEED,
                    payload,
                    producer=producer,
                    argsrepr=poll_argsrepr(payload),
                ),
            )
        # Documents left waiting (after an Elasticsearch outage, or a flush that gave up)
        # get a new flush here, so the backlog drains by itself.
        if pending_count(self.r) and self.r.set(FLUSH_GATE_KEY, "1", nx=True, ex=60):
            routing.send(self.app, routing.FLUSH_INDEX, {})
        beat(self.r, "scheduler", self.settings.heartbeat_ttl_s)
        return dispatched

    def run_forever(self) -> None:
        """Tick until :attr:`stop_event` is set, surviving Redis outages (and recording them)."""
        log.info("scheduler started; feeds file %s", self.settings.feeds_path)
        down_since_s: float | None = None
        error = ""
        while not self.stop_event.is_set():
            try:
                dispatched = self.tick()
                if down_since_s is not None:
                    # Only now can the outage be written: Redis was the one down.
                    record_outage(self.r, REDIS, down_since_s, time.time(), error)
                    log.warning("Redis is back after %.1f s", time.time() - down_since_s)
                    down_since_s = None
            except (redis.RedisError, OperationalError, BatchPublishError) as exc:
                if down_since_s is None:
                    down_since_s, error = time.time(), str(exc)
                    log.warning("Redis unavailable (%s); retrying every %g s", exc, REDIS_RETRY_S)
                self.stop_event.wait(REDIS_RETRY_S)
                continue
            # A full tick means more feeds are due: run the next one at once, so the cap
            # bounds the length of a tick, never the polls per second.
            if dispatched < MAX_DISPATCH_PER_TICK:
                self.stop_event.wait(self.settings.scheduler_tick_s)
