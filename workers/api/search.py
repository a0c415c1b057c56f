"""GET /search, /articles/{id} and /stories/{id}: reads from the articles alias."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from elasticsearch import BadRequestError, Elasticsearch
from fastapi import APIRouter, Depends, HTTPException, Path, Query

from newsdesk.search.query import SORT_SPECS, build_search_body, parse_facets
from workers.api.models import (
    HIT_SOURCE,
    MARK_END,
    MARK_START,
    SUMMARY_SOURCE,
    ArticleResponse,
    FacetBucket,
    SearchResponse,
    StoryPart,
    hit_from_es,
    summary_from_es,
)
from workers.api.params import (
    MAX_CURSOR_CHARS,
    MAX_QUERY_CHARS,
    bad_request,
    decode_cursor,
    encode_cursor,
    facet_filters_dependency,
    parse_date_range,
    parse_facet_names,
    reject_unknown_parameters,
)
from workers.api.services import ApiServices, get_services

MAX_PAGE_SIZE = 100
MAX_RELATED = 100
SNIPPET_CHARS = 160
# Collapsing reads ahead in batches; a page whose matches are almost all later articles
# of stories already shown may come back short after this many batches, with a cursor.
COLLAPSE_MAX_BATCHES = 8
COLLAPSE_BATCH_MIN = 50
OLDEST_FIRST = [
    {"published_at": {"order": "asc", "missing": "_last", "unmapped_type": "date"}},
    {"url": {"order": "asc", "unmapped_type": "keyword"}},
]

router = APIRouter()
Services = Annotated[ApiServices, Depends(get_services)]


@router.get("/search", response_model=SearchResponse, tags=["search"])
def search(
    *,
    services: Services,
    filters: Annotated[dict[str, list[str]], Depends(facet_filters_dependency())],
    _known: Annotated[None, Depends(reject_unknown_parameters)],
    q: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_CHARS,
            description=(
                'Words to find (simple syntax: "a phrase", -excluded, a | b, prefix*). '
                "Any text is accepted; operators that make no sense are taken literally."
            ),
        ),
    ] = "",
    since: Annotated[
        str | None, Query(description="Published on or after (YYYY-MM-DD or ISO 8601).")
    ] = None,
    until: Annotated[
        str | None, Query(description="Published before; a bare date includes that day.")
    ] = None,
    sort: Literal["relevance", "date"] = "relevance",
    collapse: Annotated[
        Literal["story"] | None,
        Query(description="`story`: one hit per story_id (the best by the sort)."),
    ] = None,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    cursor: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR_CHARS,
            description=(
                "`next_cursor` of the previous page (Elasticsearch search_after, encoded)."
            ),
        ),
    ] = None,
    facets: Annotated[
        list[str] | None, Query(description="Facets to count (default: all).")
    ] = None,
    facet_size: Annotated[int, Query(ge=1, le=100, description="Values per facet.")] = 10,
) -> SearchResponse:
    """Search articles with filters, date range, highlights, facet counts and a cursor."""
    start, end = parse_date_range(since, until)
    facet_names = parse_facet_names(facets)
    body = build_search_body(
        q, filters=filters, since=start, until=end, size=size + 1, facet_size=facet_size,
        facets=facet_names, sort=sort, search_after=decode_cursor(cursor, sort),
        multi_select=True, highlight_tags=(MARK_START, MARK_END), source_fields=HIT_SOURCE,
    )  # fmt: skip
    # With no matching words the snippet is the start of the body instead of nothing.
    body["highlight"]["fields"]["body"]["no_match_size"] = SNIPPET_CHARS
    collapsing = collapse == "story" and "story_id" in services.mapped_fields()
    if collapsing:
        response, page, after, story_hits = _collapsed_page(services, body, sort, size)
    else:
        # One hit more than asked tells whether a next page exists (no empty last page).
        response = _run_search(services.es, services.alias, body)
        hits, story_hits = response["hits"]["hits"], {}
        page, after = hits[:size], hits[size - 1]["sort"] if len(hits) > size else None
    counts = parse_facets(response.get("aggregations", {}))
    return SearchResponse(
        total=int(response["hits"]["total"]["value"]),
        hits=[hit_from_es(h, story_hits=story_hits.get(h["_id"])) for h in page],
        facets={
            name: [FacetBucket(value=v, count=c) for v, c in counts.get(name, [])]
            for name in facet_names
        },
        next_cursor=encode_cursor(after) if after is not None else None,
        sort=sort,
        collapse="story" if collapsing else None,
    )


@router.get("/articles/{article_id}", response_model=ArticleResponse, tags=["articles"],
            responses={404: {"description": "No article with this id."}})  # fmt: skip
def get_article(
    services: Services, article_id: Annotated[str, Path(max_length=256)]
) -> ArticleResponse:
    """Return one article with its copies (copy_of == id) and its story (same story_id)."""
    found = services.es.search(
        index=services.alias, query={"ids": {"values": [article_id]}}, size=1
    )
    hits = found["hits"]["hits"]
    if not hits:
        raise HTTPException(404, detail=f"no article with id {article_id!r}")
    doc = hits[0]["_source"]
    fields = services.mapped_fields()
    copies = []
    if "copy_of" in fields:
        copies = [summary_from_es(h) for h in _related(services, "copy_of", article_id)["hits"]]
    story = None
    if "story_id" in fields and doc.get("story_id"):
        story = _story(services, str(doc["story_id"]))
    return ArticleResponse(article={"id": hits[0]["_id"], **doc}, copies=copies, story=story)


@router.get("/stories/{story_id}", response_model=StoryPart, tags=["articles"],
            responses={404: {"description": "No article has this story_id."}})  # fmt: skip
def get_story(services: Services, story_id: Annotated[str, Path(max_length=256)]) -> StoryPart:
    """Return the articles sharing a story_id, oldest first."""
    if "story_id" not in services.mapped_fields():
        raise HTTPException(
            404, detail="stories are not available: the index has no story_id field"
        )
    story = _story(services, story_id)
    if story.total == 0:
        raise HTTPException(404, detail=f"no story with id {story_id!r}")
    return story


def _run_search(es: Elasticsearch, alias: str, body: dict[str, Any]) -> Any:
    try:
        return es.search(index=alias, **body)
    except BadRequestError as exc:
        # Defence in depth: the length cap keeps queries under Elasticsearch's clause
        # limit, but if a query is still refused the client hears why, as a 400.
        raise bad_request(f"the search could not be run: {_reason(exc)}") from None


def _related(services: ApiServices, field: str, value: str) -> Any:
    response = services.es.search(
        index=services.alias, query={"term": {field: value}}, sort=OLDEST_FIRST,
        size=MAX_RELATED, track_total_hits=True, source_includes=list(SUMMARY_SOURCE),
    )  # fmt: skip
    return response["hits"]


def _story(services: ApiServices, story_id: str) -> StoryPart:
    hits = _related(services, "story_id", story_id)
    return StoryPart(
        story_id=story_id,
        total=int(hits["total"]["value"]),
        articles=[summary_from_es(h) for h in hits["hits"]],
    )


def _collapsed_page(
    services: ApiServices, body: dict[str, Any], sort: str, size: int
) -> tuple[Any, list[dict[str, Any]], list[Any] | None, dict[str, int]]:
    """Return the first response, up to ``size`` story leaders, the next page's
    search_after values (None at the end) and each kept leader's story match count.

    Elasticsearch's own collapse cannot page with search_after on 7.x and puts every
    article without a story_id into one group, so the API collapses itself: walking the
    normal sorted hits, an article is kept when it is the best of its story under the
    same query and sort (asked once per batch); articles without a story_id are always
    kept. The cursor stays a plain search_after position, so no story repeats or is lost.
    """
    batch = {**body, "size": max(COLLAPSE_BATCH_MIN, 2 * (size + 1))}
    first: Any = None
    kept: list[dict[str, Any]] = []
    story_hits: dict[str, int] = {}
    hits: list[dict[str, Any]] = []
    for _ in range(COLLAPSE_MAX_BATCHES):
        response = _run_search(services.es, services.alias, batch)
        first = first if first is not None else response
        hits = response["hits"]["hits"]
        story_ids = {sid for sid in map(_story_id, hits) if sid is not None}
        leaders = _story_leaders(services, body, sort, story_ids)
        for hit in hits:
            sid = _story_id(hit)
            if sid is not None and leaders.get(sid, ("", 0))[0] != hit["_id"]:
                continue
            if len(kept) == size:  # one more leader exists, so there is a next page
                return first, kept, kept[-1]["sort"], story_hits
            kept.append(hit)
            if sid is not None:
                story_hits[hit["_id"]] = leaders[sid][1]
        if len(hits) < batch["size"]:
            return first, kept, None, story_hits
        # Later batches only need hits: no counting, no facets.
        batch = {k: v for k, v in batch.items() if k != "aggs"} | {
            "search_after": hits[-1]["sort"], "track_total_hits": False}  # fmt: skip
    # Out of batches: a short page whose cursor resumes after the last article examined.
    return first, kept, hits[-1]["sort"], story_hits


def _story_leaders(
    services: ApiServices, body: dict[str, Any], sort: str, story_ids: set[str]
) -> dict[str, tuple[str, int]]:
    """Return ``{story_id: (id of its best article under this query and sort, matches)}``."""
    if not story_ids:
        return {}
    filters: list[dict[str, Any]] = [{"terms": {"story_id": sorted(story_ids)}}]
    if "post_filter" in body:
        filters.append(body["post_filter"])
    response = services.es.search(
        index=services.alias,
        query={"bool": {"must": [body["query"]], "filter": filters}},
        size=0,
        aggs={
            "stories": {
                "terms": {"field": "story_id", "size": len(story_ids)},
                "aggs": {
                    "best": {"top_hits": {"size": 1, "sort": SORT_SPECS[sort], "_source": False}}
                },
            }
        },
    )
    return {
        str(b["key"]): (b["best"]["hits"]["hits"][0]["_id"], int(b["doc_count"]))
        for b in response["aggregations"]["stories"]["buckets"]
    }


def _story_id(hit: dict[str, Any]) -> str | None:
    value = hit.get("_source", {}).get("story_id")
    return str(value) if value not in (None, "") else None


def _reason(exc: BadRequestError) -> str:
    """Return Elasticsearch's own explanation of a refused request, not just its type."""
    try:
        return str(exc.body["error"]["root_cause"][0]["reason"])
    except (KeyError, IndexError, TypeError):
        return str(exc.message)
