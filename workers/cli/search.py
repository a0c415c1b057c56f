"""``newsdesk search``: full-text search with highlighted snippets and facet counts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from newsdesk.search.query import SearchResult, search_articles
from workers.cli.common import (
    DATA_DIR_OPTION,
    JSON_OPTION,
    connect_es,
    fail,
    load_settings,
    out,
    print_json,
    services_or_embedded,
)


def parse_since(value: str | None) -> datetime | None:
    """Return an aware datetime from YYYY-MM-DD or an ISO timestamp; exit 2 when unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--since {value!r} is not a date (use YYYY-MM-DD or an ISO timestamp)")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def search(
    query: str = typer.Argument(
        "", help='Words to look for (simple query syntax: "phrase", -not, a | b).'
    ),
    source: list[str] = typer.Option([], "--source", help="Only these outlets (repeatable)."),
    tag: list[str] = typer.Option([], "--tag", help="Only these tags (repeatable)."),
    language: list[str] = typer.Option([], "--language", help="Only these languages (repeatable)."),
    since: str | None = typer.Option(None, "--since", help="Published on or after this date."),
    size: int = typer.Option(10, "--size", min=1, max=100, help="How many hits to show."),
    facets: bool = typer.Option(False, "--facets", help="Show facet counts."),
    by_story: bool = typer.Option(
        False, "--by-story", help="One hit per story (its best match), with the story's size."
    ),
    as_json: bool = JSON_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Search indexed articles."""
    settings = load_settings(data_dir=data_dir)
    filters = {"source": source, "tags": tag, "language": language}
    with services_or_embedded(settings) as (resolved, _stack):
        es = connect_es(resolved)
        result = search_articles(
            es,
            resolved.index_alias,
            query,
            filters=filters,
            since=parse_since(since),
            size=size,
            by_story=by_story,
        )
    if as_json:
        print_json(result.to_json())
        return
    print_result(result, show_facets=facets)


def story_size_label(size: int | None) -> str:
    """Return a story's size as shown: exact up to EXACT_STORY_SIZE, then a lower bound."""
    from newsdesk.enrich.stories import EXACT_STORY_SIZE  # here: keeps scipy out of the CLI

    n = size or 1
    return f"{n}+" if n > EXACT_STORY_SIZE else str(n)


def print_result(result: SearchResult, *, show_facets: bool) -> None:
    """Print hits (title, outlet, date, snippets) and, if asked, facet counts."""
    out.print(f"[bold]{result.total}[/] article(s)")
    for hit in result.hits:
        date = (hit.published_at or "")[:16].replace("T", " ")
        more = (
            f" · story of {story_size_label(hit.story_size)}" if (hit.story_size or 0) > 1 else ""
        )
        out.print(f"\n[bold]{hit.title}[/]  [dim]{hit.source or ''} · {date}{more}[/]")
        out.print(f"[blue]{hit.url}[/]", highlight=False)
        for snippet in hit.snippets:
            out.print(f"  … {snippet} …", highlight=False)
    if show_facets:
        table = Table(title="facets")
        table.add_column("facet")
        table.add_column("values (count)")
        for name, buckets in result.facets.items():
            if buckets:
                table.add_row(name, ", ".join(f"{value} ({count})" for value, count in buckets))
        out.print(table)
