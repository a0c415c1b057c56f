"""``newsdesk run``, ``newsdesk ingest --once`` and ``newsdesk demo``."""

from __future__ import annotations

import dataclasses
import signal
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from newsdesk.feeds.config import Feed
from newsdesk.outcomes import POLLS, RunSummary
from newsdesk.search.query import search_articles
from newsdesk.search.setup import IndexSetupError, ensure_index
from newsdesk.settings import Settings
from workers.cli.common import (
    DATA_DIR_OPTION,
    FEEDS_OPTION,
    JSON_OPTION,
    connect_es,
    connect_redis,
    console,
    fail,
    load_settings,
    out,
    print_json,
    services_or_embedded,
)
from workers.cli.feeds import load_feeds_or_exit
from workers.cli.search import print_result
from workers.embedded_stack import EmbeddedStack
from workers.ingest import IngestTimeout, ingest_once
from workers.logs import redact_url

# How often `newsdesk run` looks for a local worker that died.
WORKER_CHECK_S = 2.0

WORKERS_OPTION = typer.Option(
    True,
    "--worker/--no-worker",
    help="Start a local worker (use --no-worker when workers already run).",
)


def run(
    feeds: Path | None = FEEDS_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
    concurrency: int = typer.Option(
        8, "--concurrency", min=1, help="Tasks in parallel in the local worker."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Run workers and the scheduler; start embedded Redis/Elasticsearch for unset URLs."""
    settings = load_settings(feeds, data_dir, verbose)
    load_feeds_or_exit(settings)
    from workers.app import app
    from workers.scheduler import Scheduler

    with services_or_embedded(settings, persist=True) as (resolved, stack):
        _ensure_index_or_exit(resolved)
        stack.start_worker(concurrency=concurrency, loglevel="INFO" if verbose else "WARNING")
        app.conf.broker_url = resolved.redis_url
        sched = Scheduler(app, connect_redis(resolved), resolved)

        def _stop(_signum: int, _frame: FrameType | None) -> None:
            sched.stop_event.set()

        signal.signal(signal.SIGTERM, _stop)
        console.print(
            f"running: Redis {redact_url(resolved.redis_url or '')}, "
            f"Elasticsearch {redact_url(resolved.es_url or '')}; "
            f"feeds from {resolved.feeds_path}. Ctrl-C to stop."
        )
        watcher = threading.Thread(
            target=_restart_dead_workers, args=(stack, sched.stop_event), daemon=True
        )
        watcher.start()
        try:
            sched.run_forever()
        except KeyboardInterrupt:
            console.print("stopping")
        finally:
            sched.stop_event.set()
            watcher.join(WORKER_CHECK_S + 1)


def _restart_dead_workers(stack: EmbeddedStack, stop: threading.Event) -> None:
    """Until stop is set, start again any local worker that exited, and say so."""
    while not stop.wait(WORKER_CHECK_S):
        for code in stack.restart_exited_workers():
            console.print(f"[yellow]worker exited (code {code}); started again[/]")


def ingest(
    once: bool = typer.Option(
        False, "--once", help="Poll every enabled feed once, wait, summarise."
    ),
    feeds: Path | None = FEEDS_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
    worker: bool = WORKERS_OPTION,
    timeout_s: float = typer.Option(600.0, "--timeout", help="Give up after this many seconds."),
    as_json: bool = JSON_OPTION,
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Ingest every enabled feed once; exit non-zero only if the run itself could not work."""
    if not once:
        fail("only `ingest --once` exists; use `newsdesk run` for continuous ingestion")
    settings = load_settings(feeds, data_dir, verbose)
    feed_list = load_feeds_or_exit(settings)
    with services_or_embedded(settings, persist=True) as (resolved, stack):
        summary = _ingest(resolved, stack, feed_list, worker=worker, timeout_s=timeout_s)
    if as_json:
        print_json(summary.to_json())
    else:
        print_summary(summary)


def demo(
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Keep engine data here (default: a temporary folder)."
    ),
    query: str = typer.Option(
        "", "--query", help="Search to print after ingesting (default: latest articles)."
    ),
    timeout_s: float = typer.Option(300.0, "--timeout"),
) -> None:
    """Serve the bundled demo news site on loopback, ingest it on the embedded stack, search it."""
    from newsdesk.demo.server import LoopbackSite, render_feeds_yaml

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="newsdesk-demo-") as tmp, LoopbackSite() as site:
        console.print(f"demo site serving on {site.base_url}")
        feeds_path = render_feeds_yaml(site.base_url, Path(tmp) / "feeds.yaml")
        settings = load_settings(feeds_path, data_dir or Path(tmp) / "engines")
        # The demo always runs on its own embedded engines, never on a configured cluster,
        # and fetches from its own loopback site, which production settings refuse.
        settings = settings.with_overrides(
            redis_url=None,
            es_url=None,
            fetch=dataclasses.replace(
                settings.fetch, allow_networks=("127.0.0.0/8",), host_min_delay_s=0
            ),
        )
        feed_list = load_feeds_or_exit(settings)
        with services_or_embedded(settings, persist=False) as (resolved, stack):
            summary = _ingest(resolved, stack, feed_list, worker=True, timeout_s=timeout_s)
            print_summary(summary)
            es = connect_es(resolved)
            result = search_articles(es, resolved.index_alias, query, size=5)
            out.rule(f"search: {query or '(latest)'}")
            print_result(result, show_facets=True)
    console.print(f"demo finished in {time.monotonic() - started:.1f} s")


def _ensure_index_or_exit(settings: Settings) -> None:
    es = connect_es(settings)
    try:
        ensure_index(es, settings.index_alias)
    except IndexSetupError as exc:
        fail(str(exc))


def _ingest(
    settings: Settings,
    stack: EmbeddedStack,
    feed_list: list[Feed],
    *,
    worker: bool,
    timeout_s: float,
) -> RunSummary:
    """Run one ingest on ``settings`` (every URL resolved), with a local worker if asked."""
    from workers.app import app

    _ensure_index_or_exit(settings)
    app.conf.broker_url = settings.redis_url
    if worker:
        stack.start_worker()
    r = connect_redis(settings)
    es = connect_es(settings)
    enabled = sum(1 for f in feed_list if f.enabled)
    console.print(f"polling {enabled} feed(s)")
    try:
        with IngestProgress(enabled) as bars:
            summary = ingest_once(
                app, r, es, settings.index_alias, feed_list, timeout_s=timeout_s,
                on_progress=bars.update,
            )  # fmt: skip
            bars.update(summary)
            return summary
    except IngestTimeout as exc:
        print_summary(exc.summary)
        fail(str(exc), code=4)


class _RateColumn(ProgressColumn):
    """Items per second, as Rich estimates it over the last 30 s."""

    def render(self, task: Task) -> Text:
        """Return the rate, or a dash before there is one."""
        speed = task.finished_speed or task.speed
        return Text(f"{speed:5.1f}/s" if speed else "    -/s", style="progress.data.speed")


class IngestProgress:
    """Progress bars for one ingest run, fed with the run's counters read from Redis."""

    def __init__(self, feeds: int) -> None:
        self.feeds = feeds
        self.bars = Progress(
            TextColumn("{task.description:<8}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
        )
        self.feed_bar = self.bars.add_task("feeds", total=feeds)
        self.article_bar = self.bars.add_task("articles", total=None)

    def __enter__(self) -> IngestProgress:
        self.bars.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.bars.stop()

    def update(self, summary: RunSummary) -> None:
        """Show the feeds polled and the articles finished out of those found so far."""
        polled = sum(summary.polls.values())
        finished = sum(summary.articles.values())
        # Each unfinished poll holds one pending unit; the rest are articles in flight.
        # Until every feed is polled the article total is a lower bound, and grows.
        in_flight = max(0, summary.pending - max(0, self.feeds - polled))
        self.bars.update(self.feed_bar, completed=polled)
        self.bars.update(self.article_bar, completed=finished, total=finished + in_flight)


def print_summary(summary: RunSummary) -> None:
    """Print the run's poll and article outcomes, and what failed where."""
    polled = summary.count(POLLS, "polled")
    not_modified = summary.count(POLLS, "not_modified")
    poll_failed = summary.count(POLLS, "poll_failed")
    articles = sum(summary.articles.values())
    table = Table(title="ingest summary", show_header=False)
    table.add_row("feeds", f"{polled} polled, {not_modified} not modified, {poll_failed} failed")
    table.add_row(
        "articles",
        f"{articles} new: "
        + ", ".join(f"{label} {count}" for label, count in summary.articles.items())
        if articles
        else "0 new",
    )
    out.print(table)
    for failure in summary.failures:
        out.print(
            f"  [red]{failure['outcome']}[/] {failure['reason']}  {failure['url']}"
            f"  [dim]{(failure.get('detail') or '')[:160]}[/]",
            highlight=False,
        )
