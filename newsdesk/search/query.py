"""Full-text search with filters, highlighted snippets and facet counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch

FACET_FIELDS = ("source", "feed", "tags", "language", "authors", "agency")
SEARCH_FIELDS = ["title^3", "title.std^2", "body", "body.std", "summary"]


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


def build_search_body(
    query: str | None,
    *,
    filters: dict[str, list[str]] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    size: int = 10,
    facet_size: int = 10,
) -> dict[str, Any]:
    """Return the Elasticsearch request body; user text goes through simple_query_string,
    which never fails on stray quotes or operators."""
    must: list[dict[str, Any]] = []
    if query and query.strip():
        must.append(
            {
                "simple_query_string": {
                    "query": query,
                    "fields": SEARCH_FIELDS,
                    "default_operator": "and",
                }
            }
        )
    filter_clauses: list[dict[str, Any]] = []
    for name, values in (filters or {}).items():
        if name not in FACET_FIELDS:
            raise ValueError(f"unknown facet {name!r}; known facets: {', '.join(FACET_FIELDS)}")
        if values:
            filter_clauses.append({"terms": {name: values}})
    if since or until:
        bounds = {}
        if since:
            bounds["gte"] = since.isoformat()
        if until:
            bounds["lt"] = until.isoformat()
        filter_clauses.append({"range": {"published_at": bounds}})
    body: dict[str, Any] = {
        "query": {"bool": {"must": must or [{"match_all": {}}], "filter": filter_clauses}},
        "size": size,
        "track_total_hits": True,
        "_source": ["title", "url", "source", "published_at"],
        "highlight": {
            "fields": {"body": {"fragment_size": 160, "number_of_fragments": 2}, "title": {}},
            "pre_tags": ["\u00ab"],
            "post_tags": ["\u00bb"],
        },
        "aggs": {name: {"terms": {"field": name, "size": facet_size}} for name in FACET_FIELDS},
    }
    if not must:
        body["sort"] = [{"published_at": {"order": "desc", "missing": "_last"}}]
    return body


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
            )
        )
    facets = {
        name: [(str(b["key"]), int(b["doc_count"])) for b in agg["buckets"]]
        for name, agg in response.get("aggregations", {}).items()
    }
    return SearchResult(total=int(response["hits"]["total"]["value"]), hits=hits, facets=facets)
