"""The search API over real HTTP (uvicorn on loopback) against real Elasticsearch and Redis."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
from api_support import STORY_FERRY, TIDE_NOTICES, Corpus, build_corpus, serve_api

from newsdesk.search.client import build_es_client
from newsdesk.search.query import FACET_FIELDS
from newsdesk.settings import Settings
from workers.api.models import MARK_END, MARK_START

TOTAL = 15  # articles in the corpus
# The ferry story's articles, oldest first.
FERRY_STORY = ("ferry-strike-off", "ferry-strike-averted", "ferry-strike-averted-wire",
               "ferries-on-time")  # fmt: skip


@pytest.fixture(scope="module")
def corpus(base_settings: Settings) -> Iterator[Corpus]:
    """Index the hand-written corpus once for this module."""
    assert base_settings.redis_url and base_settings.es_url
    r = redis.Redis.from_url(base_settings.redis_url)
    es = build_es_client(base_settings.es_url, compat_7x=True)
    try:
        yield build_corpus(r, es)
    finally:
        r.close()
        es.close()


@pytest.fixture(scope="module")
def api(base_settings: Settings, corpus: Corpus) -> Iterator[httpx.Client]:
    """Return an HTTP client of the API served on a free loopback port."""
    with serve_api(base_settings) as base_url, httpx.Client(base_url=base_url) as client:
        yield client


def _search(api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = api.get("/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(body: dict[str, Any]) -> list[str]:
    return [h["id"] for h in body["hits"]]


def _walk(api: httpx.Client, size: int, **params: Any) -> list[str]:
    """Return every hit id, page by page through the cursors."""
    seen: list[str] = []
    cursor = None
    for _ in range(50):
        body = _search(api, size=size, **params, **({"cursor": cursor} if cursor else {}))
        assert len(body["hits"]) <= size
        seen += _ids(body)
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("pagination did not end")


def test_openapi_lists_every_endpoint_and_facet_filter(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    paths = ("/search", "/articles/{article_id}", "/stories/{story_id}", "/feeds", "/healthz")
    assert set(paths) <= set(spec["paths"])
    names = {p["name"] for p in spec["paths"]["/search"]["get"]["parameters"]}
    assert set(FACET_FIELDS) <= names
    assert {"q", "since", "until", "sort", "collapse", "size", "cursor", "facets"} <= names
    docs = api.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_text_search_highlights_with_segments(api: httpx.Client, corpus: Corpus) -> None:
    body = _search(api, q="ferry strike")
    assert set(_ids(body)) == {corpus.id(s) for s in FERRY_STORY}
    assert body["total"] == 4
    scores = [h["score"] for h in body["hits"]]
    assert scores == sorted(scores, reverse=True)
    hit = next(h for h in body["hits"] if h["id"] == corpus.id("ferry-strike-off"))
    title = hit["highlight"]["title"]
    assert "".join(s["text"] for s in title) == "Ferry crew strike called off after late talks"
    assert [s["text"] for s in title if s["mark"]] == ["Ferry", "strike"]
    marked = {s["text"].lower() for snip in hit["highlight"]["snippets"] for s in snip if s["mark"]}
    assert marked == {"strike", "ferry"}
    # The private-use markers are an internal detail: none reach the client.
    assert MARK_START not in json.dumps(body) and MARK_END not in json.dumps(body)
    assert "\\ue000" not in json.dumps(body)


def test_without_words_snippets_are_the_start_of_the_body(api: httpx.Client) -> None:
    body = _search(api, sort="date", size=1)
    snippet = body["hits"][0]["highlight"]["snippets"][0]
    assert snippet[0]["text"].startswith("Ferries sailed on time") and not snippet[0]["mark"]


@pytest.mark.parametrize("facet", FACET_FIELDS)
def test_every_facet_filters_and_counts(api: httpx.Client, facet: str) -> None:
    everything = _search(api, size=100)
    assert everything["total"] == TOTAL
    buckets = everything["facets"][facet]
    assert buckets, f"the corpus has no {facet} values"
    value, count = buckets[0]["value"], buckets[0]["count"]
    expected = [h["id"] for h in everything["hits"] if value in h["facets"].get(facet, [])]
    assert len(expected) == count
    narrowed = _search(api, size=100, **{facet: value})
    assert narrowed["total"] == count
    assert sorted(_ids(narrowed)) == sorted(expected)


def test_values_of_one_facet_are_or_and_facets_are_and(api: httpx.Client) -> None:
    either = _search(api, size=100, source=["Valley Courier", "Metro Ledger"])
    assert either["total"] == 4
    both = _search(api, size=100, source=["Valley Courier", "Metro Ledger"], tags="transport")
    assert {h["title"] for h in both["hits"]} == {
        "Ferry strike averted, says union",
        "Strike over: ferries sail on time",
    }
    # Tag values are normalised like the indexed ones (lowercase, ASCII-folded).
    assert _search(api, tags="TRANSPORT")["total"] == 4
    assert _search(api, source="")["total"] == TOTAL  # a blank form field filters nothing


def test_facet_counts_ignore_their_own_filter(api: httpx.Client) -> None:
    body = _search(api, source="Valley Courier")
    assert body["total"] == 2
    # Other outlets stay on offer with their full counts, so a second one can be ticked...
    sources = {b["value"]: b["count"] for b in body["facets"]["source"]}
    assert sources == {"Lakeside Post": 9, "Metro Ledger": 2, "Valley Courier": 2,
                       "Le Petit Lac": 1, "Northwire": 1}  # fmt: skip
    # ...while every other facet counts only the Valley Courier articles.
    assert {b["value"]: b["count"] for b in body["facets"]["tags"]} == {
        "culture": 1, "labour": 1, "transport": 1}  # fmt: skip


def test_facets_parameter_chooses_what_is_counted(api: httpx.Client) -> None:
    body = _search(api, facets="tags,language", facet_size=1)
    assert list(body["facets"]) == ["tags", "language"]
    assert body["facets"]["tags"] == [{"value": "harbour", "count": 7}]
    assert list(_search(api, facets=["source", "agency"])["facets"]) == ["source", "agency"]


def test_date_range(api: httpx.Client, corpus: Corpus) -> None:
    day = _search(api, since="2026-03-04", until="2026-03-04", size=100)
    assert set(_ids(day)) == {
        corpus.id(s)
        for s in ("ferry-strike-off", "ferry-strike-averted", "ferry-strike-averted-wire")
    }
    later = _search(api, since="2026-03-04T12:00:00Z", size=100)
    assert {h["published_at"][:13] for h in later["hits"]} == {
        "2026-03-04T12", "2026-03-04T13", "2026-03-05T08"}  # fmt: skip
    # A naive timestamp is UTC; `until` is exclusive for timestamps.
    assert _search(api, until="2026-02-11T10:00:00")["total"] == 1


def test_date_sort_puts_undated_last_and_breaks_ties_by_url(
    api: httpx.Client, corpus: Corpus
) -> None:
    body = _search(api, sort="date", size=100)
    dates = [h["published_at"] for h in body["hits"]]
    assert dates[-1] is None and body["hits"][-1]["id"] == corpus.id("draft-budget")
    assert dates[:-1] == sorted(dates[:-1], reverse=True)
    tides = [h["url"] for h in body["hits"] if "tide-notice" in h["url"]]
    assert len(tides) == TIDE_NOTICES and tides == sorted(tides)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "date"},
        {"q": "harbour"},
        {"q": "harbour", "sort": "date"},
        {"tags": ["harbour", "transport"]},
        {"since": "2026-03-01"},
        {"collapse": "story"},
        {"collapse": "story", "sort": "date"},
        {"q": "ferry", "collapse": "story"},
    ],
)
@pytest.mark.parametrize("size", [1, 2, 5])
def test_cursor_pages_have_no_gaps_and_no_duplicates(
    api: httpx.Client, params: dict[str, Any], size: int
) -> None:
    whole = _search(api, size=100, **params)
    assert whole["next_cursor"] is None
    paged = _walk(api, size, **params)
    assert paged == _ids(whole)
    assert len(set(paged)) == len(paged)


def test_collapse_keeps_the_best_article_of_each_story(api: httpx.Client, corpus: Corpus) -> None:
    body = _search(api, q="ferry", collapse="story")
    assert body["collapse"] == "story"
    assert body["total"] == 5  # matching articles; the hits are one per story
    story = [h for h in body["hits"] if h["story_id"] == STORY_FERRY]
    assert len(story) == 1 and story[0]["story_hits"] == 4 and story[0]["story_size"] == 4
    plain = _search(api, q="ferry")
    assert story[0]["id"] == next(h["id"] for h in plain["hits"] if h["story_id"] == STORY_FERRY)
    # Articles without a story_id are not lumped together: each stays a hit of its own.
    everything = _search(api, collapse="story", size=100)
    assert len(everything["hits"]) == TOTAL - 3
    assert corpus.id("draft-budget") in _ids(everything)


def test_article_with_its_copies_and_story(api: httpx.Client, corpus: Corpus) -> None:
    original = api.get(f"/articles/{corpus.id('ferry-strike-averted')}").json()
    assert original["article"]["id"] == corpus.id("ferry-strike-averted")
    assert original["article"]["body"].startswith("The ferry strike will not go ahead")
    assert [c["id"] for c in original["copies"]] == [corpus.id("ferry-strike-averted-wire")]
    assert original["story"]["story_id"] == STORY_FERRY
    assert original["story"]["total"] == 4
    dates = [a["published_at"] for a in original["story"]["articles"]]
    assert dates == sorted(dates)
    lone = api.get(f"/articles/{corpus.id('draft-budget')}").json()
    assert lone["copies"] == [] and lone["story"] is None
    missing = api.get("/articles/0000")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no article with id '0000'"


def test_story_lists_its_articles_oldest_first(api: httpx.Client, corpus: Corpus) -> None:
    story = api.get(f"/stories/{STORY_FERRY}").json()
    assert [a["id"] for a in story["articles"]] == [corpus.id(s) for s in FERRY_STORY]
    missing = api.get("/stories/no-such-story")
    assert missing.status_code == 404 and "no-such-story" in missing.json()["detail"]


def _cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"since": "2026-13-01"}, 400, "since: '2026-13-01' is not a date"),
        ({"until": "last tuesday"}, 400, "until: 'last tuesday' is not a date"),
        ({"since": "2026-03-05", "until": "2026-03-01"}, 400, "must be before until"),
        ({"size": 101}, 422, "less than or equal to 100"),
        ({"size": 0}, 422, "greater than or equal to 1"),
        ({"facet_size": 1000}, 422, "less than or equal to 100"),
        ({"sort": "popularity"}, 422, "'relevance' or 'date'"),
        ({"collapse": "source"}, 422, "'story'"),
        ({"colour": "red"}, 400, "unknown parameter 'colour'"),
        ({"facets": "source,colour"}, 400, "unknown facet 'colour'"),
        ({"cursor": "not a cursor!"}, 400, "cursor is malformed"),
        ({"cursor": _cursor({"a": 1})}, 400, "cursor is malformed"),
        ({"cursor": _cursor([True, "x"]), "sort": "date"}, 400, "cursor is malformed"),
        # A cursor of one sort order is refused by the other, not misread.
        ({"cursor": _cursor([1767571200000, "https://x"])}, 400, "sort=relevance"),
        ({"cursor": "A" * 5000}, 422, "at most 4096 characters"),
        ({"q": "harbour " * 1300}, 422, "at most 1000 characters"),
    ],
)
def test_bad_input_is_a_4xx_with_a_clear_message(
    api: httpx.Client, params: dict[str, Any], status: int, message: str
) -> None:
    response = api.get("/search", params=params)
    assert response.status_code == status, response.text
    assert message in json.dumps(response.json())


HOSTILE_QUERIES = [
    '"((', "AND OR", "\\", '"', ")(", "-", "+-|", "*", "**", "~", "ferry~99", "/.*/",
    'ferry" OR "1"="1', "<script>alert(1)</script>", '{"query": {"match_all": {}}}',
    "\x00harbour", "\u202eharbour", "🚢 ferry", "harbour\n\t\r", "NOT", "a:b",
    "title:ferry", "ferry^1000000", "a-" * 499, "w " * 500, "x" * 1000, "é" * 1000,
]  # fmt: skip


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_hostile_queries_never_break_the_search(api: httpx.Client, query: str) -> None:
    body = _search(api, q=query, collapse="story")
    assert isinstance(body["total"], int)
    assert set(body["facets"]) == set(FACET_FIELDS)


def test_query_syntax_works_and_escapes_nothing_it_should_not(api: httpx.Client) -> None:
    assert _search(api, q='"ferry strike"')["total"] == 2
    assert {h["title"] for h in _search(api, q="ferry -union")["hits"]} == {
        "Harbour ferry timetable changes from Monday",
        "Strike over: ferries sail on time",
    }
    assert _search(api, q="ferr*")["total"] == 5
    script = _search(api, q="<script>")
    snippet = script["hits"][0]["highlight"]["snippets"][0]
    # Text from the index comes back as it is, markup included: escaping is the renderer's job.
    assert "".join(s["text"] for s in snippet).startswith("<script>window.__xss = 2</script>")
    assert [s["text"] for s in snippet if s["mark"]] == ["script", "script"]
