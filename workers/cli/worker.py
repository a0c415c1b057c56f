"""``newsdesk worker start|check`` and ``newsdesk scheduler [check]``."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
from types import FrameType

import typer

from newsdesk.state.heartbeat import is_alive
from workers import routing
from workers.cli.common import connect_redis, console, fail, load_settings
from workers.services import services

# prometheus_client's switch to multiprocess mode (workers.metrics explains the choice).
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

worker_app = typer.Typer(help="Run or health-check a Celery worker.", no_args_is_help=True)
scheduler_app = typer.Typer(
    help="Run the scheduler (dispatches due feeds; re-reads the feeds file when it changes).",
    invoke_without_command=True,
)


def _require_urls() -> None:
    settings = load_settings()
    if not settings.redis_url or not settings.es_url:
        fail(
            "set NEWSDESK_REDIS_URL and NEWSDESK_ES_URL "
            "(or use `newsdesk run` for the embedded stack)"
        )


@worker_app.command("start")
def start(
    queues: str = typer.Option(
        ",".join(routing.QUEUES), "--queues", help="Comma-separated: io, cpu, index."
    ),
    concurrency: int = typer.Option(
        4, "--concurrency", min=1, help="Parallel tasks in this worker."
    ),
    pool: str = typer.Option("prefork", "--pool", help="prefork (CPU work), threads (I/O), solo."),
    loglevel: str | None = typer.Option(None, "--loglevel", help="Default: $NEWSDESK_LOG_LEVEL."),
) -> None:
    """Start a Celery worker consuming the given queues."""
    _require_urls()
    settings = load_settings()
    loglevel = loglevel or settings.log_level
    unknown = set(queues.split(",")) - set(routing.QUEUES)
    if unknown:
        fail(f"unknown queue(s) {sorted(unknown)}; known: {', '.join(routing.QUEUES)}")
    samples_dir = None
    if pool == "prefork" and settings.metrics_port and MULTIPROC_ENV not in os.environ:
        # Prefork children time the tasks, the parent serves the endpoint: they share
        # samples through files, and prometheus_client must see the folder before its
        # first import (which happens when the worker loads workers.signals).
        samples_dir = tempfile.mkdtemp(prefix="newsdesk-metrics-")
        os.environ[MULTIPROC_ENV] = samples_dir
    from workers.app import app

    try:
        app.worker_main(
            ["worker", "-Q", queues, "-c", str(concurrency), "-P", pool, "--loglevel", loglevel,
             "--without-gossip", "--without-mingle"]
        )  # fmt: skip
    finally:
        if samples_dir is not None:
            shutil.rmtree(samples_dir, ignore_errors=True)


@worker_app.command("check")
def check_worker() -> None:
    """Exit 0 if this host's worker refreshed its heartbeat recently (compose healthcheck)."""
    settings = load_settings()
    if not settings.redis_url:
        fail("NEWSDESK_REDIS_URL is not set")
    if not is_alive(connect_redis(settings), "worker"):
        fail("no recent worker heartbeat on this host", code=1)
    console.print("worker alive")


@scheduler_app.callback()
def scheduler(ctx: typer.Context) -> None:
    """Run the scheduler loop until SIGTERM or Ctrl-C."""
    if ctx.invoked_subcommand is not None:
        return
    _require_urls()
    from prometheus_client import REGISTRY

    from workers.app import app
    from workers.metrics import MeasuredScheduler, SchedulerMetrics, start_metrics_server

    settings = load_settings()
    logging.getLogger().setLevel(settings.log_level.upper())
    measure = SchedulerMetrics()
    sched = MeasuredScheduler(app, connect_redis(settings), settings, measure)
    server = None
    if settings.metrics_port:
        server = start_metrics_server(settings, local=(REGISTRY, measure.registry))

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        sched.stop_event.set()

    signal.signal(signal.SIGTERM, _stop)
    try:
        sched.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.close()
        services.close()


@scheduler_app.command("check")
def check_scheduler() -> None:
    """Exit 0 if this host's scheduler ticked recently (compose healthcheck)."""
    settings = load_settings()
    if not settings.redis_url:
        fail("NEWSDESK_REDIS_URL is not set")
    if not is_alive(connect_redis(settings), "scheduler"):
        fail("no recent scheduler heartbeat on this host", code=1)
    console.print("scheduler alive")
