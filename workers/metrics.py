"""Prometheus metrics of workers, the scheduler and the API.

Two sources, chosen so that a prefork worker needs no shared memory for anything that
already lives in Redis:

- **Pipeline state, read from Redis at scrape time** (:class:`PipelineCollector`):
  outcome counters, queue depths, the index backlog, bulk rejections, feed lag, dead
  letters. Every endpoint reports the same values, whichever process serves it.
- **Per-process timings and counts**, observed through Celery signals: task durations,
  failures and retries. A prefork worker runs tasks in child processes while the
  endpoint lives in the parent, so ``newsdesk worker start --pool prefork`` points
  ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before anything imports
  ``prometheus_client``; children write their samples there and the parent's endpoint
  merges them (prometheus_client's multiprocess mode). Thread and solo pools run tasks
  in the serving process and use the ordinary in-memory registry.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIServer

import redis
from celery import Celery
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from newsdesk.errors import NewsdeskError
from newsdesk.metrics_collect import read_snapshot
from newsdesk.settings import Settings
from workers import routing
from workers.scheduler import Scheduler

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Celery's Redis transport keeps one list per priority step: "io", "io\x06\x163", ...
BROKER_PRIORITY_SEP = "\x06\x16"
BROKER_PRIORITY_STEPS = (3, 6, 9)
# A slow Redis must not hold a scrape past Prometheus's own 10 s timeout.
REDIS_TIMEOUT_S = 3.0
# From a 304 answered in milliseconds to a page at the 30 s fetch limit or a big bulk flush.
TASK_DURATION_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
BULK_REJECTED_PREFIX = "es_rejected_"

TASK_DURATION = Histogram(
    "newsdesk_task_duration_seconds",
    "Wall time of one task run (a retried task is observed once per attempt).",
    ["task"],
    buckets=TASK_DURATION_BUCKETS_S,
)
TASK_FAILURES = Counter(
    "newsdesk_task_failures",
    "Task runs that ended in failure (permanent error, retries exhausted or a bug).",
    ["task", "reason"],
)
TASK_RETRIES = Counter(
    "newsdesk_task_retries", "Task runs that asked to be retried later.", ["task", "reason"]
)


def failure_reason(exc: BaseException | None) -> str:
    """Return a low-cardinality reason: the error's reason code, else its class name."""
    if isinstance(exc, NewsdeskError):
        return exc.reason
    return type(exc).__name__ if exc is not None else "unknown"


def broker_queue_keys(queues: Sequence[str] = routing.QUEUES) -> dict[str, list[str]]:
    """Return, per queue, the Redis lists where the broker keeps its waiting messages."""
    return {
        q: [q, *(f"{q}{BROKER_PRIORITY_SEP}{step}" for step in BROKER_PRIORITY_STEPS)]
        for q in queues
    }


class PipelineCollector:
    """Reads the pipeline's state from Redis each time the endpoint is scraped."""

    def __init__(
        self,
        get_redis: Callable[[], redis.Redis],
        *,
        queues: Sequence[str] = routing.QUEUES,
        clock_s: Callable[[], float] = time.time,
    ) -> None:
        self.get_redis = get_redis
        self.queue_keys = broker_queue_keys(queues)
        self.clock_s = clock_s

    def collect(self) -> Iterator[Metric]:
        """Yield the Redis-backed metrics; only ``newsdesk_redis_up 0`` if Redis is down."""
        up = GaugeMetricFamily("newsdesk_redis_up", "1 if Redis answered this scrape.")
        try:
            snap = read_snapshot(self.get_redis(), self.queue_keys, self.clock_s())
        except redis.RedisError as exc:
            log.warning("metrics: Redis unavailable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        outcomes = CounterMetricFamily(
            "newsdesk_outcomes",
            "Final outcomes of feed polls and articles (all time, all workers).",
            labels=["kind", "outcome", "reason"],
        )
        bulk = CounterMetricFamily(
            "newsdesk_bulk_errors",
            "Documents Elasticsearch rejected in a bulk request, by error type.",
            labels=["reason"],
        )
        rejected: dict[str, int] = {}
        for (kind, outcome, reason), count in sorted(snap.outcomes.items()):
            outcomes.add_metric([kind, outcome, reason], count)
            if reason.startswith(BULK_REJECTED_PREFIX):
                error = reason.removeprefix(BULK_REJECTED_PREFIX)
                rejected[error] = rejected.get(error, 0) + count
        for error, count in sorted(rejected.items()):
            bulk.add_metric([error], count)
        yield outcomes
        yield bulk
        depth = GaugeMetricFamily(
            "newsdesk_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        for queue, length in snap.queue_depths.items():
            depth.add_metric([queue], length)
        yield depth
        yield _gauge(
            "newsdesk_index_backlog_documents",
            "Documents waiting in Redis for a bulk flush.",
            snap.index_backlog,
        )
        yield _gauge("newsdesk_dead_letters", "Items in the dead-letter store.", snap.dead_letters)
        lag = GaugeMetricFamily(
            "newsdesk_feed_lag_seconds",
            "How long scheduled feeds are past due (0 for feeds not due): max and p95.",
            labels=["stat"],
        )
        lag.add_metric(["max"], snap.lag.max_s)
        lag.add_metric(["p95"], snap.lag.p95_s)
        yield lag
        yield _gauge("newsdesk_feeds_scheduled", "Feeds in the schedule.", snap.lag.scheduled)
        yield _gauge("newsdesk_feeds_overdue", "Scheduled feeds past due.", snap.lag.overdue)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


@dataclass
class SchedulerMetrics:
    """Tick duration and dispatched polls of the scheduler process."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.tick_s = Histogram(
            "newsdesk_scheduler_tick_duration_seconds",
            "Wall time of one scheduler tick (reload check, dispatch, backlog kick).",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.dispatched = Counter(
            "newsdesk_scheduler_dispatched",
            "Feed polls the scheduler enqueued.",
            registry=self.registry,
        )

    def observe_tick(self, tick: Callable[[], int]) -> int:
        """Run one tick, recording its duration and dispatch count; return what it returned."""
        with self.tick_s.time():
            dispatched = tick()
        self.dispatched.inc(dispatched)
        return dispatched


class MeasuredScheduler(Scheduler):
    """The scheduler, with each tick's duration and dispatched polls recorded."""

    def __init__(
        self, app: Celery, r: redis.Redis, settings: Settings, measure: SchedulerMetrics
    ) -> None:
        super().__init__(app, r, settings)
        self.measure = measure

    def tick(self) -> int:
        """Run one scheduling step under measurement; return the polls dispatched."""
        return self.measure.observe_tick(super().tick)


def multiprocess_dir() -> str | None:
    """Return the prefork samples folder, or None in single-process mode."""
    return os.environ.get(MULTIPROC_ENV) or None


def scrape_registry(
    get_redis: Callable[[], redis.Redis], *, local: Iterable[Collector] = (REGISTRY,)
) -> CollectorRegistry:
    """Return what one endpoint serves: pipeline state plus this process's own metrics.

    ``local`` are the registries of this process (default: prometheus_client's, which
    holds the task metrics and process statistics); in multiprocess mode they are
    replaced by the merged samples of every process sharing the folder.
    """
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
        ProcessCollector(registry=registry)
    else:
        for collector in local:
            registry.register(collector)
    registry.register(PipelineCollector(get_redis))
    return registry


def render(registry: CollectorRegistry, accept: str | None) -> tuple[bytes, str]:
    """Return ``registry`` in the format the ``Accept`` header asks for, and its content type.

    The same negotiation as the workers' endpoints: Prometheus text 0.0.4 by default,
    OpenMetrics when the scraper asks for it.
    """
    encode, content_type = choose_encoder(accept or "")
    return encode(registry), content_type


class MetricsServer:
    """A metrics HTTP endpoint served by a daemon thread, with the Redis client it reads."""

    def __init__(self, httpd: WSGIServer, thread: threading.Thread, client: redis.Redis) -> None:
        self.httpd = httpd
        self.thread = thread
        self.client = client

    @property
    def port(self) -> int:
        """Return the port the endpoint listens on."""
        return int(self.httpd.server_address[1])

    def close(self) -> None:
        """Stop serving and close the Redis client."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
        self.client.close()


def start_metrics_server(
    settings: Settings,
    *,
    port: int | None = None,
    local: Iterable[Collector] = (REGISTRY,),
) -> MetricsServer | None:
    """Serve metrics on ``settings.metrics_host`` and port; None if the port is taken.

    ``port`` overrides ``settings.metrics_port`` (0: any free port, for tests). A busy
    port is logged, not raised: a second worker on one host (``ingest --once`` beside
    ``newsdesk run``) must still work, only without its own endpoint.
    """
    if not settings.redis_url:
        raise ValueError("metrics need NEWSDESK_REDIS_URL")
    client = redis.Redis.from_url(
        settings.redis_url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
    )
    registry = scrape_registry(lambda: client, local=local)
    listen_port = settings.metrics_port if port is None else port
    try:
        httpd, thread = start_http_server(listen_port, settings.metrics_host, registry)
    except OSError as exc:
        client.close()
        log.warning(
            "metrics endpoint not started on %s:%s: %s", settings.metrics_host, listen_port, exc
        )
        return None
    server = MetricsServer(httpd, thread, client)
    log.info("metrics on http://%s:%d/metrics", settings.metrics_host, server.port)
    return server
