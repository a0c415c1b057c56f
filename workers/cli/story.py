"""``newsdesk story ID``: the articles of one story, earliest first."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

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


def story(
    story_id: str = typer.Argument(..., help="A story id, or the id of any article in it."),
    as_json: bool = JSON_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """List a story's articles with their relations (original, copy, version, spun copy)."""
    settings = load_settings(data_dir=data_dir)
    with services_or_embedded(settings) as (resolved, _stack):
        # Imported here: relations pull in datasketch and scipy, which `worker start` (the
        # io worker) must not carry.
        from newsdesk.enrich.stories import list_story

        articles = list_story(connect_es(resolved), resolved.index_alias, story_id)
    if not articles:
        fail(f"no story or article with id {story_id!r}", code=1)
    resolved_id = articles[0].get("story_id", story_id)
    if as_json:
        print_json({"story_id": resolved_id, "articles": articles})
        return
    table = Table(title=f"story {resolved_id} ({len(articles)} article(s))")
    for column in ("published", "source", "agency", "relation", "title", "doc id"):
        table.add_column(column, overflow="fold")
    for article in articles:
        relation = article.get("relation") or ""
        if article.get("spun_copy_of"):
            relation = f"spun copy ({article.get('spun_confidence', 0):.2f})"
        table.add_row(
            (article.get("published_at") or "")[:16].replace("T", " "),
            article.get("source", ""), ", ".join(article.get("agency", [])), relation,
            article.get("title", ""), article["doc_id"][:12],
        )  # fmt: skip
    out.print(table)
