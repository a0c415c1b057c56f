"""Response bodies of the API (they also document it in OpenAPI) and how hits become them."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from newsdesk.search.query import FACET_FIELDS

# Elasticsearch wraps highlighted words in these private-use characters; they never
# occur in news text and are split into segments here, so clients never parse markup.
MARK_START = "\ue000"
MARK_END = "\ue001"
_MARKED = re.compile(f"{MARK_START}(.*?){MARK_END}", re.DOTALL)
# Fields a hit carries besides its facets; missing ones are simply left out by ES.
HIT_SOURCE = ("url", "title", "published_at", "summary", "description", "story_id", "story_size",
              "copy_of", *FACET_FIELDS)  # fmt: skip
SUMMARY_SOURCE = ("url", "title", "published_at", "source", "story_id", "copy_of")


class Segment(BaseModel):
    """A piece of highlighted text; ``mark`` is true for the words that matched."""

    text: str
    mark: bool = False


class Highlight(BaseModel):
    """The title and up to two body snippets, as plain-text segments (never HTML)."""

    title: list[Segment] | None = None
    snippets: list[list[Segment]] = Field(default_factory=list)


class Hit(BaseModel):
    """One article in a result list."""

    id: str
    url: str
    title: str
    published_at: str | None = None
    summary: str | None = None
    score: float | None = None
    facets: dict[str, list[str]] = Field(
        default_factory=dict, description="The article's value(s) for every facet field."
    )
    story_id: str | None = None
    story_size: int | None = None
    story_hits: int | None = Field(None, description="With collapse=story: matching articles.")
    copy_of: str | None = None
    highlight: Highlight = Field(default_factory=Highlight)


class FacetBucket(BaseModel):
    """A facet value and how many matching articles have it."""

    value: str
    count: int


class SearchResponse(BaseModel):
    """A page of hits with the total, the facet counts and the cursor of the next page."""

    total: int = Field(description="Articles matching the query and filters.")
    hits: list[Hit]
    facets: dict[str, list[FacetBucket]]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")
    sort: str
    collapse: str | None = Field(None, description="`story` when hits were collapsed by story.")


class ArticleSummary(BaseModel):
    """The identity and headline of a related article."""

    id: str
    url: str
    title: str
    source: str | None = None
    published_at: str | None = None
    story_id: str | None = None
    copy_of: str | None = None


class StoryPart(BaseModel):
    """The articles sharing one story_id, oldest first."""

    story_id: str
    total: int
    articles: list[ArticleSummary]


class ArticleResponse(BaseModel):
    """One stored document, its copies and its story."""

    article: dict[str, Any] = Field(description="The stored document, plus its `id`.")
    copies: list[ArticleSummary] = Field(description="Documents whose copy_of is this id.")
    story: StoryPart | None = None


def segments(fragment: str) -> list[Segment]:
    """Return a highlighted fragment split into plain and matched segments."""
    parts: list[Segment] = []
    position = 0
    for match in _MARKED.finditer(fragment):
        if match.start() > position:
            parts.append(Segment(text=_clean(fragment[position : match.start()])))
        parts.append(Segment(text=_clean(match.group(1)), mark=True))
        position = match.end()
    if position < len(fragment):
        parts.append(Segment(text=_clean(fragment[position:])))
    return [p for p in parts if p.text]


def source_value(source: dict[str, Any], path: str) -> Any:
    """Return the value at a dotted path of a document (``entities.people``), or None."""
    value: Any = source
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def hit_from_es(hit: dict[str, Any], *, story_hits: int | None = None) -> Hit:
    """Return the API form of one Elasticsearch hit."""
    src = hit.get("_source", {})
    highlight = hit.get("highlight", {})
    facets = {}
    for name in FACET_FIELDS:
        value = source_value(src, name)
        if value not in (None, [], ""):
            facets[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    title = highlight.get("title")
    return Hit(
        id=hit["_id"],
        url=src.get("url", ""),
        title=src.get("title", ""),
        published_at=src.get("published_at"),
        summary=src.get("description") or src.get("summary"),
        score=hit.get("_score"),
        facets=facets,
        story_id=src.get("story_id"),
        story_size=src.get("story_size"),
        story_hits=story_hits,
        copy_of=src.get("copy_of"),
        highlight=Highlight(
            title=segments(title[0]) if title else None,
            snippets=[segments(f) for f in highlight.get("body", [])],
        ),
    )


def summary_from_es(hit: dict[str, Any]) -> ArticleSummary:
    """Return the short form of a related article."""
    src = hit.get("_source", {})
    return ArticleSummary(
        id=hit["_id"],
        url=src.get("url", ""),
        title=src.get("title", ""),
        source=src.get("source"),
        published_at=src.get("published_at"),
        story_id=src.get("story_id"),
        copy_of=src.get("copy_of"),
    )


def _clean(text: str) -> str:
    # An unpaired marker (a fragment cut between tags) must not reach the client.
    return text.replace(MARK_START, "").replace(MARK_END, "")
