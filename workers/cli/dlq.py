"""``newsdesk dlq list|show|replay|purge``: inspect and act on dead letters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from newsdesk.state.dead_letters import (
    DeadLetter,
    get_dead_letter,
    iter_dead_letters,
    remove_dead_letters,
)
from workers import routing
from workers.cli.common import (
    DATA_DIR_OPTION,
    JSON_OPTION,
    connect_redis,
    console,
    fail,
    load_settings,
    out,
    print_json,
    services_or_embedded,
)

app = typer.Typer(
    help="Dead letters: items that failed for a reason worth a look.", no_args_is_help=True
)
STAGE_OPTION = typer.Option(
    None, "--stage", help="Only this stage (fetch_article, process_article, index...)."
)
REASON_OPTION = typer.Option(None, "--reason", help="Only this reason code.")
FEED_OPTION = typer.Option(None, "--feed", help="Only this feed id.")


def _select(
    stage: str | None, reason: str | None, feed: str | None, data_dir: Path | None
) -> list[DeadLetter]:
    settings = load_settings(data_dir=data_dir)
    with services_or_embedded(settings) as (resolved, _stack):
        r = connect_redis(resolved)
        return list(iter_dead_letters(r, stage=stage, reason=reason, feed_id=feed))


@app.command("list")
def list_letters(
    stage: str | None = STAGE_OPTION,
    reason: str | None = REASON_OPTION,
    feed: str | None = FEED_OPTION,
    as_json: bool = JSON_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """List dead letters, newest first."""
    letters = _select(stage, reason, feed, data_dir)
    if as_json:
        print_json([letter.__dict__ | {"key": letter.key} for letter in letters])
        return
    table = Table(title=f"{len(letters)} dead letter(s)")
    for column in ("key", "stage", "reason", "attempts", "last failure", "url"):
        table.add_column(column, overflow="fold")
    for letter in letters:
        last = dt.datetime.fromtimestamp(letter.last_at, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(
            letter.key, letter.stage, letter.reason, str(letter.attempts), last, letter.url or ""
        )
    out.print(table)


@app.command("show")
def show(key: str, data_dir: Path | None = DATA_DIR_OPTION) -> None:
    """Show one dead letter (key or a unique prefix of its id), payload included."""
    settings = load_settings(data_dir=data_dir)
    with services_or_embedded(settings) as (resolved, _stack):
        letter = get_dead_letter(connect_redis(resolved), key)
    if letter is None:
        fail(f"no dead letter {key!r} (see `newsdesk dlq list`)", code=1)
    print_json(letter.__dict__ | {"key": letter.key})


@app.command("replay")
def replay(
    stage: str | None = STAGE_OPTION,
    reason: str | None = REASON_OPTION,
    feed: str | None = FEED_OPTION,
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be replayed."),
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Send matching dead letters back to the stage that failed, and drop them from the store."""
    settings = load_settings(data_dir=data_dir)
    from workers.app import app as celery_app

    with services_or_embedded(settings) as (resolved, _stack):
        r = connect_redis(resolved)
        letters = list(iter_dead_letters(r, stage=stage, reason=reason, feed_id=feed))
        if dry_run:
            out.print(f"would replay {len(letters)} dead letter(s)")
            return
        celery_app.conf.broker_url = resolved.redis_url
        with Progress(console=console) as progress:
            bar = progress.add_task("replaying", total=len(letters))
            for letter in letters:
                if letter.task not in routing.TASK_ROUTES:
                    console.print(f"[yellow]skipped[/] {letter.key}: unknown task {letter.task}")
                    continue
                routing.send(celery_app, letter.task, letter.payload)
                # Removed only after it was sent: a crash here replays at most one twice.
                remove_dead_letters(r, [letter.key])
                progress.advance(bar)
    out.print(f"replayed {len(letters)} dead letter(s)")


@app.command("purge")
def purge(
    stage: str | None = STAGE_OPTION,
    reason: str | None = REASON_OPTION,
    feed: str | None = FEED_OPTION,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Delete matching dead letters for good."""
    settings = load_settings(data_dir=data_dir)
    with services_or_embedded(settings) as (resolved, _stack):
        r = connect_redis(resolved)
        keys = [
            letter.key for letter in iter_dead_letters(r, stage=stage, reason=reason, feed_id=feed)
        ]
        if not keys:
            out.print("nothing to purge")
            return
        if not yes and not typer.confirm(f"delete {len(keys)} dead letter(s)?"):
            raise typer.Exit(1)
        removed = remove_dead_letters(r, keys)
    out.print(f"purged {removed} dead letter(s)")
