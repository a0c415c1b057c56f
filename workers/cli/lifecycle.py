"""``newsdesk reindex``, ``newsdesk reprocess`` and ``newsdesk prune``: index maintenance."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from elasticsearch import ApiError, TransportError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from newsdesk.feeds.config import parse_duration_s
from newsdesk.search.es_tasks import TaskProgress
from newsdesk.search.lifecycle import LifecycleError, prune, reindex
from newsdesk.settings import Settings
from workers.cli.common import (
    DATA_DIR_OPTION,
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
from workers.cli.search import parse_since

if TYPE_CHECKING:
    from newsdesk.stages.reprocess import ReprocessSummary

INTERRUPTED_EXIT = 130  # the shell's code for a command stopped by Ctrl-C
UNCHANGED = "the alias is unchanged and no new index is left behind"


class _DocsRateColumn(ProgressColumn):
    """Documents per second, as Rich estimates it over the last 30 s."""

    def render(self, task: Task) -> Text:
        """Return the rate, or a dash before there is one."""
        speed = task.finished_speed or task.speed
        return Text(
            f"{speed:7,.0f} docs/s" if speed else "      - docs/s", style="progress.data.speed"
        )


@contextmanager
def _progress() -> Iterator[Progress]:
    """Yield progress bars with count, rate, elapsed time and ETA, drawn on stderr."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _DocsRateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    ) as bars:
        yield bars


def reindex_command(
    to_version: int | None = typer.Option(
        None, "--to-version", min=1, help="Version N of the new index (default: the next free)."
    ),
    reprocess: bool = typer.Option(
        False, "--reprocess", help="Rebuild the documents from the raw pages before the swap."
    ),
    delete_old: bool = typer.Option(
        False, "--delete-old", help="Delete the old index after the swap (kept by default)."
    ),
    as_json: bool = JSON_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Build <alias>-v<N+1> from the current mapping, copy every article, swap the alias."""
    settings = load_settings(data_dir=data_dir)
    reprocessed: list[ReprocessSummary] = []
    with services_or_embedded(settings) as (resolved, _stack), _progress() as bars:
        es = connect_es(resolved)
        bar = bars.add_task("copy", total=None)

        def show(step: TaskProgress) -> None:
            bars.update(bar, description=step.phase, completed=step.done, total=step.total)

        def rebuild(index: str) -> None:
            reprocessed.append(_reprocess(resolved, bars, target=index))

        try:
            report = reindex(
                es, resolved.index_alias, to_version=to_version, delete_old=delete_old,
                before_swap=rebuild if reprocess else None, on_progress=show,
            )  # fmt: skip
        except LifecycleError as exc:
            fail(f"{exc} ({UNCHANGED})", code=1)
        except (ApiError, TransportError) as exc:
            fail(f"Elasticsearch: {exc} ({UNCHANGED})", code=3)
        except KeyboardInterrupt:
            fail(f"interrupted ({UNCHANGED})", INTERRUPTED_EXIT)
    if as_json:
        reprocess_json = dataclasses.asdict(reprocessed[0]) if reprocessed else None
        print_json({**dataclasses.asdict(report), "reprocess": reprocess_json})
        return
    for summary in reprocessed:
        _print_reprocess(summary)
    out.print(
        f"alias '{report.alias}': {report.old_index} → {report.new_index} "
        f"({report.new_count} documents; {report.old_index} had {report.old_count})"
    )
    out.print(f"{report.old_index} " + ("deleted" if report.deleted_old else "kept"))
    for warning in report.warnings:
        out.print(f"[yellow]warning:[/] {warning}", highlight=False)


def reprocess_command(
    since: str | None = typer.Option(
        None, "--since", help="Only pages fetched on or after this date (YYYY-MM-DD or ISO)."
    ),
    feed: str | None = typer.Option(None, "--feed", help="Only pages of this feed (id or name)."),
    as_json: bool = JSON_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Re-run extraction and enrichment on the stored raw pages (no HTTP), overwriting articles."""
    settings = load_settings(data_dir=data_dir)
    since_at = parse_since(since)
    with services_or_embedded(settings) as (resolved, _stack), _progress() as bars:
        try:
            summary = _reprocess(resolved, bars, since=since_at, feed=feed)
        except (ApiError, TransportError) as exc:
            fail(f"Elasticsearch: {exc}; the articles done are rewritten, run it again", code=3)
        except KeyboardInterrupt:
            fail(
                "interrupted: the articles done so far are rewritten; run it again",
                INTERRUPTED_EXIT,
            )
    if as_json:
        print_json(dataclasses.asdict(summary))
        return
    _print_reprocess(summary)


def prune_command(
    older_than: str = typer.Option(
        ..., "--older-than", help="Age to keep, e.g. 90d: older articles and pages are deleted."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be deleted."),
    as_json: bool = JSON_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Delete articles published, and raw pages fetched, before a cutoff."""
    try:
        older_than_s = parse_duration_s(older_than)
    except ValueError as exc:
        fail(f"--older-than: {exc}")
    settings = load_settings(data_dir=data_dir)
    with services_or_embedded(settings) as (resolved, _stack):
        es = connect_es(resolved)
        try:
            report = prune(es, resolved.index_alias, older_than_s=older_than_s, dry_run=dry_run)
        except LifecycleError as exc:
            fail(str(exc), code=1)
        except (ApiError, TransportError) as exc:
            fail(f"Elasticsearch: {exc}", code=3)
    if as_json:
        print_json(dataclasses.asdict(report))
        return
    verb = "would delete" if report.dry_run else "deleted"
    out.print(
        f"{verb} {report.articles} article(s) and {report.pages} raw page(s) "
        f"older than {report.cutoff:%Y-%m-%d %H:%M} UTC"
    )


def _reprocess(
    settings: Settings,
    bars: Progress,
    *,
    target: str | None = None,
    since: datetime | None = None,
    feed: str | None = None,
) -> ReprocessSummary:
    """Return the outcomes of reprocessing raw pages into ``target`` (None: the alias)."""
    from newsdesk.enrich.entities import EntityExtractor

    bar = bars.add_task(f"reprocess → {target or settings.index_alias}", total=None)
    # Imported here: the process stage's libraries would weigh on every CLI command,
    # `worker start` (the io worker) among them.
    from newsdesk.stages.reprocess import reprocess_pages

    return reprocess_pages(
        connect_redis(settings),
        connect_es(settings),
        settings.index_alias,
        extractor=EntityExtractor(),
        min_body_chars=settings.min_body_chars,
        since=since,
        feed=feed,
        target=target,
        batch_docs=settings.bulk_max_docs,
        on_progress=lambda done, total: bars.update(bar, completed=done, total=total),
    )


def _print_reprocess(summary: ReprocessSummary) -> None:
    """Print the outcome counts of a reprocessing run and its first failures."""
    ordered = sorted(summary.outcomes.items(), key=lambda pair: (-pair[1], pair[0]))
    counts = ", ".join(f"{name}: {n}" for name, n in ordered)
    out.print(f"reprocessed {summary.total} raw page(s): {counts or 'nothing to do'}")
    for failure in summary.failures[:10]:
        out.print(f"[red]{failure['outcome']}[/] {failure['url']}: {failure['detail']}")
