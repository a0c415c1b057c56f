"""Full-text search with filters, highlighted snippets and facet counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch

# The one list of facet fields: the CLI, the HTTP API's filter parameters, its OpenAPI
# description and the search page's checkboxes are all derived from it. A keyword field
# added to the mapping becomes a facet by being added here (dotted names such as
# "entities.people" work as they are).
FACET_FIELDS: tuple[str, ...] = (
    "source",
    "domain",
    "feed",
    "tags",
    "language",
    "authors",
    "agency",
    "section",
    "relation",
    "entities.people",
    "entities.organizations",
    "entities.places",
    "countries",
    "keywords",
)
SEARCH_FIELDS = ["title^3", "title.std^2", "body", "body.std", "summary"]
SORT_ORDERS = ("relevance", "date")
DEFAULT_HIGHLIGHT_TAGS = ("\u00ab", "\u00bb")

# Every sort ends on the unique `url` keyword, so search_after cursors never skip or
# repeat a document with equal scores or dates (sorting on `_id` is gone in 9.x).
# unmapped_type keeps a search over an index that lacks the field from failing.
_DATE_DESC = {"published_at": {"order": "desc", "missing": "_last", "unmapped_type": "date"}}
_TIEBREAK = {"url": {"order": "asc", "unmapped_type": "keyword"}}
SORT_SPECS: dict[str, list[dict[str, Any]]] = {
    "relevance": [{"_score": {"order": "desc"}}, _DATE_DESC, _TIEBREAK],
    "date": [_DATE_DESC, _TIEBREAK],
}


@dataclass(frozen=True)
class SearchHit:
    """One matching article, with the highlighted fragments of its text."""

    doc_id: str
    title: str
    url: str
    source: str | None
    published_at: str | None
    score: float | None
    snippets: tuple[str, ...]
    story_id: str | None = None
    story_size: int | None = None


@dataclass
class SearchResult:
    """Hits, the total match count, and counts per facet value."""

    total: int
    hits: list[SearchHit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-safe dict for ``--json`` output."""
        return {
            "total": self.total,
            "hits": [h.__dict__ | {"snippets": list(h.snippets)} for h in self.hits],
            "facets": {
                k: [{"value": v, "count": c} for v, c in vs] for k, vs in self.facets.items()
            },
        }


def text_query(query: str | None) -> list[dict[str, Any]]:
    """Return the scoring clauses for user text (empty for no text); never a syntax error."""
    if not query or not query.strip():
        return []
    return [
        {
            "simple_query_string": {
                "query": query,
                "fields": SEARCH_FIELDS,
                "default_operator": "and",
            }
        }
    ]


def facet_filters(filters: dict[str, list[str]] | None) -> dict[str, dict[str, Any]]:
    """Return one ``terms`` clause per facet with values; raise ValueError on an unknown facet."""
    clauses: dict[str, dict[str, Any]] = {}
    for name, values in (filters or {}).items():
        if name not in FACET_FIELDS:
            raise ValueError(f"unknown facet {name!r}; known facets: {', '.join(FACET_FIELDS)}")
        if values:
            clauses[name] = {"terms": {name: list(values)}}
    return clauses


def date_filter(since: datetime | None, until: datetime | None) -> list[dict[str, Any]]:
    """Return the publication-date range clause (``since`` inclusive, ``until`` exclusive)."""
    if not since and not until:
        return []
    bounds = {}
    if since:
        bounds["gte"] = since.isoformat()
    if until:
        bounds["lt"] = until.isoformat()
    return [{"range": {"published_at": bounds}}]


def build_search_body(
    query: str | None,
    *,
    filters: dict[str, list[str]] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    size: int = 10,
    facet_size: int = 10,
    facets: Sequence[str] = FACET_FIELDS,
    sort: str | None = None,
    search_after: list[Any] | None = None,
    multi_select: bool = False,
    highlight_tags: tuple[str, str] = DEFAULT_HIGHLIGHT_TAGS,
    source_fields: Sequence[str] = ("title", "url", "source", "published_at"),
    by_story: bool = False,
) -> dict[str, Any]:
    """Return the Elasticsearch request body; user text goes through simple_query_string,
    which never fails on stray quotes or operators.

    With ``multi_select`` the facet filters narrow the hits through ``post_filter`` and
    each facet is counted without its own filter, so ticking one value of a facet keeps
    the other values (and their counts) on offer. Without a ``sort`` the order is by
    relevance when there is text, else by date.
    """
    must = text_query(query)
    by_facet = facet_filters(filters)
    unknown = [name for name in facets if name not in FACET_FIELDS]
    if unknown:
        raise ValueError(f"unknown facet {unknown[0]!r}; known facets: {', '.join(FACET_FIELDS)}")
    base_filters = date_filter(since, until)
    body: dict[str, Any] = {
        "size": size,
        "track_total_hits": True,
        "_source": list(source_fields),
        "highlight": {
            "fields": {
                "body": {"fragment_size": 160, "number_of_fragments": 2},
                "title": {"number_of_fragments": 0},
            },
            "pre_tags": [highlight_tags[0]],
            "post_tags": [highlight_tags[1]],
        },
    }
    if multi_select:
        body["query"] = {"bool": {"must": must or [{"match_all": {}}], "filter": base_filters}}
        if by_facet:
            body["post_filter"] = {"bool": {"filter": list(by_facet.values())}}
        body["aggs"] = {
            name: {
                "filter": {"bool": {"filter": [c for n, c in by_facet.items() if n != name]}},
                "aggs": {"values": {"terms": {"field": name, "size": facet_size}}},
            }
            for name in facets
        }
    else:
        all_filters = base_filters + list(by_facet.values())
        body["query"] = {"bool": {"must": must or [{"match_all": {}}], "filter": all_filters}}
        body["aggs"] = {name: {"terms": {"field": name, "size": facet_size}} for name in facets}
    if sort is not None:
        if sort not in SORT_SPECS:
            raise ValueError(f"unknown sort {sort!r}; use one of: {', '.join(SORT_ORDERS)}")
        body["sort"] = SORT_SPECS[sort]
    elif not must:
        body["sort"] = SORT_SPECS["date"]
    if search_after is not None:
        body["search_after"] = search_after
    if by_story:
        # One hit per story (its best match); story_size says how many reports it has.
        body["collapse"] = {"field": "story_id"}
        body["_source"] = [*body["_source"], "story_id", "story_size"]
    return body


def parse_facets(aggregations: dict[str, Any]) -> dict[str, list[tuple[str, int]]]:
    """Return ``{facet: [(value, count), ...]}`` from either aggregation layout."""
    facets = {}
    for name, agg in aggregations.items():
        buckets = agg["values"]["buckets"] if "values" in agg else agg.get("buckets", [])
        facets[name] = [(str(b["key"]), int(b["doc_count"])) for b in buckets]
    return facets


def search_articles(
    es: Elasticsearch, alias: str, query: str | None, **options: Any
) -> SearchResult:
    """Return matching articles with snippets and facet counts."""
    response = es.search(index=alias, **build_search_body(query, **options))
    hits = []
    for hit in response["hits"]["hits"]:
        src = hit.get("_source", {})
        highlight = hit.get("highlight", {})
        hits.append(
            SearchHit(
                doc_id=hit["_id"],
                title=src.get("title", ""),
                url=src.get("url", ""),
                source=src.get("source"),
                published_at=src.get("published_at"),
                score=hit.get("_score"),
                snippets=tuple(highlight.get("body", [])),
                story_id=src.get("story_id"),
                story_size=src.get("story_size"),
            )
        )
    facets = parse_facets(response.get("aggregations", {}))
    return SearchResult(total=int(response["hits"]["total"]["value"]), hits=hits, facets=facets)
