"""Worker lifecycle hooks: logging, task context and metrics, heartbeat, client cleanup.

Each task run binds its id, name, feed and URL into the log context (``task_prerun``)
and clears it afterwards (``task_postrun``), so every line a stage logs says which item
it was about; the same signals time the run for ``newsdesk_task_duration_seconds``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from celery import Task
from celery.signals import (
    setup_logging,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)

from newsdesk.settings import Settings
from newsdesk.state.heartbeat import beat
from workers import metrics
from workers.logs import bind_log_context, clear_log_context, configure_logging, redact_url
from workers.services import services

log = logging.getLogger(__name__)
_stop = threading.Event()
_metrics_server: list[metrics.MetricsServer] = []
# task id -> start time; not a context variable, because the thread pool runs several
# tasks at once and the prerun and postrun of one task must find each other.
_started_s: dict[str, float] = {}


def _heartbeat_loop() -> None:
    while not _stop.is_set():
        svc = services.get()
        try:
            beat(svc.redis, "worker", svc.settings.heartbeat_ttl_s)
        except redis.RedisError as exc:
            log.warning("heartbeat failed: %s", exc)
        _stop.wait(max(1.0, svc.settings.heartbeat_ttl_s / 3))


@setup_logging.connect
def configure_worker_logging(loglevel: int | str | None = None, **_: Any) -> None:
    """Log in ``NEWSDESK_LOG_FORMAT`` (connecting this makes Celery skip its own setup)."""
    settings = Settings.from_env()
    configure_logging(settings.log_format, loglevel, secrets=[settings.es_password])


@worker_ready.connect
def start_heartbeat(sender: Any = None, **_: Any) -> None:
    """Start the heartbeat and the metrics endpoint once the worker is ready for tasks."""
    _stop.clear()
    threading.Thread(target=_heartbeat_loop, name="newsdesk-heartbeat", daemon=True).start()
    settings = services.get().settings
    if not settings.metrics_port:
        return
    pool = type(getattr(sender, "pool", None)).__module__
    if pool.endswith(".prefork") and not metrics.multiprocess_dir():
        # Tasks run in child processes whose samples this endpoint cannot see.
        log.warning(
            "prefork pool without %s: task timings are missing from the metrics; "
            "start workers with `newsdesk worker start`",
            metrics.MULTIPROC_ENV,
        )
    server = metrics.start_metrics_server(settings)
    if server is not None:
        _metrics_server.append(server)


@worker_shutdown.connect
def stop_heartbeat(**_: Any) -> None:
    """Stop the heartbeat and the metrics endpoint when the worker shuts down."""
    _stop.set()
    while _metrics_server:
        _metrics_server.pop().close()


@worker_process_shutdown.connect
def close_services(**_: Any) -> None:
    """Close this process's clients."""
    services.close()


@task_prerun.connect
def bind_task_context(
    task_id: str, task: Task, args: tuple[Any, ...] | None = None, **_: Any
) -> None:
    """Bind the task and the item it carries to the log context, and start its timer."""
    _started_s[task_id] = time.monotonic()
    payload: dict[str, Any] = args[0] if args and isinstance(args[0], dict) else {}
    # process carries the feed entry nested in the page; poll and fetch carry it flat.
    nested = payload.get("entry")
    entry: dict[str, Any] = nested if isinstance(nested, dict) else payload
    url = entry.get("url") or payload.get("url")
    bind_log_context(
        task_id=task_id,
        task_name=task.name,
        feed_id=entry.get("feed_id") or payload.get("feed_id"),
        url=redact_url(str(url)) if url else None,
    )


@task_postrun.connect
def clear_task_context(task_id: str, task: Task, **_: Any) -> None:
    """Record the run's duration and clear the log context (success, failure or retry)."""
    started_s = _started_s.pop(task_id, None)
    if started_s is not None:
        metrics.TASK_DURATION.labels(task=task.name).observe(time.monotonic() - started_s)
    clear_log_context()


@task_failure.connect
def count_failure(sender: Task, exception: BaseException | None = None, **_: Any) -> None:
    """Count a failed task run by its reason."""
    metrics.TASK_FAILURES.labels(task=sender.name, reason=metrics.failure_reason(exception)).inc()


@task_retry.connect
def count_retry(sender: Task, reason: Any = None, **_: Any) -> None:
    """Count a retry by the reason of the error behind it."""
    # Celery passes its Retry exception; the original error is its ``exc``.
    error = getattr(reason, "exc", None) or reason
    metrics.TASK_RETRIES.labels(task=sender.name, reason=metrics.failure_reason(error)).inc()
