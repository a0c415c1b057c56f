"""``newsdesk feeds validate|list``: check and show the feeds configuration."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from newsdesk.feeds.config import Feed, FeedConfigError, load_feeds
from newsdesk.settings import Settings
from workers.cli.common import FEEDS_OPTION, JSON_OPTION, fail, load_settings, out, print_json

app = typer.Typer(help="Validate and list the feeds configuration.", no_args_is_help=True)


def load_feeds_or_exit(settings: Settings) -> list[Feed]:
    """Return the configured feeds; print every problem and exit 2 if the file is invalid."""
    try:
        return load_feeds(settings.feeds_path, default_interval_s=settings.default_interval_s)
    except FeedConfigError as exc:
        fail(f"invalid feeds file:\n{exc}")


@app.command("validate")
def validate(feeds: Path | None = FEEDS_OPTION) -> None:
    """Check the feeds file; exit 2 with every problem (file, line, feed, field) if invalid."""
    settings = load_settings(feeds=feeds)
    path = settings.feeds_path
    loaded = load_feeds_or_exit(settings)
    enabled = sum(1 for f in loaded if f.enabled)
    out.print(f"{path}: OK, {len(loaded)} feed(s), {enabled} enabled")


@app.command("list")
def list_feeds(feeds: Path | None = FEEDS_OPTION, as_json: bool = JSON_OPTION) -> None:
    """List the configured feeds with their interval, tags and language."""
    settings = load_settings(feeds=feeds)
    path = settings.feeds_path
    loaded = load_feeds_or_exit(settings)
    if as_json:
        print_json([f.to_json() | {"feed_id": f.feed_id} for f in loaded])
        return
    table = Table(title=str(path))
    for column in ("id", "name", "url", "every", "tags", "lang", "enabled"):
        table.add_column(column)
    for f in loaded:
        table.add_row(
            f.feed_id, f.name, f.url, f"{f.interval_s}s", ", ".join(f.tags), f.language or "",
            "yes" if f.enabled else "no",
        )  # fmt: skip
    out.print(table)
