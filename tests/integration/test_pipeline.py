"""Feeds to searchable articles through real Redis, a real Celery worker and Elasticsearch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from elasticsearch import Elasticsearch

from newsdesk.demo.server import LoopbackSite
from newsdesk.feeds.config import Feed, parse_feeds
from newsdesk.outcomes import RunSummary, read_totals
from newsdesk.search.query import search_articles
from newsdesk.search.setup import ensure_index
from newsdesk.settings import Settings
from newsdesk.state.redis_state import feed_status
from workers.ingest import ingest_once

FIXTURE_SITE = Path(__file__).resolve().parents[1] / "fixtures" / "site"


@pytest.fixture(scope="module")
def fixture_site() -> Iterator[LoopbackSite]:
    """Serve the hand-written test feeds and pages over real HTTP on loopback."""
    with LoopbackSite(root=FIXTURE_SITE) as served:
        yield served


def _feeds(site: LoopbackSite, *entries: tuple[str, str]) -> list[Feed]:
    lines = ["feeds:"]
    for name, path in entries:
        lines += [f"  - name: {name}", f"    url: {site.base_url}{path}", "    tags: [test]"]
    return parse_feeds("\n".join(lines) + "\n", "test-feeds.yaml")


def _ingest(app: Celery, r: redis.Redis, es: Elasticsearch, feeds: list[Feed]) -> RunSummary:
    ensure_index(es, "articles")
    return ingest_once(app, r, es, "articles", feeds, timeout_s=120)


def _urls_in_index(es: Elasticsearch) -> list[str]:
    es.indices.refresh(index="articles")
    hits = es.search(index="articles", size=100, query={"match_all": {}})["hits"]["hits"]
    return sorted(h["_source"]["url"] for h in hits)


@pytest.mark.usefixtures("worker")
def test_feed_to_searchable_articles_each_indexed_once(
    celery_app: Celery, r: redis.Redis, es: Elasticsearch, fixture_site: LoopbackSite
) -> None:
    feeds = _feeds(fixture_site, ("Millbrook Examiner", "/feeds/examiner.xml"))
    summary = _ingest(celery_app, r, es, feeds)

    base = fixture_site.base_url
    # The library story is listed twice (once with tracking parameters): one document.
    assert _urls_in_index(es) == [
        f"{base}/news/bridge-repairs.html",
        f"{base}/news/library-vote.html",
    ]
    assert summary.pending == 0
    assert summary.polls == {"polled": 1}
    assert summary.articles == {"failed:http_404": 1, "failed:not_html": 1, "indexed": 2}
    assert fixture_site.hits("/news/library-vote.html") == 1
    # A dead link is reported with its URL and does not stop the rest.
    failed = {f["url"]: f["reason"] for f in summary.failures}
    assert failed == {f"{base}/status/404": "http_404", f"{base}/not-html": "not_html"}

    result = search_articles(es, "articles", "library sunday", size=5)
    assert result.total == 1
    hit = result.hits[0]
    assert hit.title == "Millbrook votes to keep its library open on Sundays"
    assert hit.source == "Millbrook Examiner"
    assert any("\u00ablibrary\u00bb" in s.lower() for s in hit.snippets)
    everything = search_articles(es, "articles", None)
    assert dict(everything.facets["feed"]) == {"Millbrook Examiner": 2}
    assert dict(everything.facets["tags"]) == {"test": 2, "council": 1, "transport": 1}
    assert dict(everything.facets["source"]) == {"Millbrook Examiner": 2}

    doc = es.get(index="articles", id=hit.doc_id)["_source"]
    assert doc["published_at"] == "2026-03-02T07:15:00+00:00"
    assert doc["published_at_source"] == "feed"
    assert doc["language"] == "en"
    assert doc["authors"] == ["Rosa Quill"]
    assert "Most popular" not in doc["body"] and "Sign up" not in doc["body"]
    assert not doc["body"].startswith("Millbrook votes")


@pytest.mark.usefixtures("worker")
def test_rerun_indexes_nothing_new_and_a_304_does_no_work(
    celery_app: Celery, r: redis.Redis, es: Elasticsearch, fixture_site: LoopbackSite
) -> None:
    feeds = _feeds(fixture_site, ("Millbrook Examiner", "/feeds/examiner.xml"))
    _ingest(celery_app, r, es, feeds)
    fixture_site.clear_log()

    again = _ingest(celery_app, r, es, feeds)

    assert again.polls == {"not_modified": 1}
    assert again.articles == {}
    conditional = fixture_site.requests_for("/feeds/examiner.xml")
    assert len(conditional) == 1
    assert "if-none-match" in conditional[0][2]
    # Nothing downstream of the 304: no page was fetched again.
    assert fixture_site.hits("/news/library-vote.html") == 0
    assert len(_urls_in_index(es)) == 2


@pytest.mark.usefixtures("worker")
def test_changed_feed_without_validators_only_enqueues_unseen_articles(
    celery_app: Celery, r: redis.Redis, es: Elasticsearch, fixture_site: LoopbackSite
) -> None:
    feeds = _feeds(fixture_site, ("Millbrook Examiner", "/feeds/examiner.xml"))
    _ingest(celery_app, r, es, feeds)
    # Forget the validators: the server now answers 200 with the same entries.
    r.hset(f"newsdesk:feed:{feeds[0].feed_id}", mapping={"etag": "", "last_modified": ""})
    fixture_site.clear_log()

    again = _ingest(celery_app, r, es, feeds)

    assert again.polls == {"polled": 1}
    assert again.articles == {}
    assert fixture_site.hits("/news/bridge-repairs.html") == 0


@pytest.mark.usefixtures("worker")
def test_broken_feeds_are_reported_by_name_and_do_not_stop_others(
    celery_app: Celery, r: redis.Redis, es: Elasticsearch, fixture_site: LoopbackSite
) -> None:
    feeds = _feeds(
        fixture_site,
        ("Half Feed", "/feeds/malformed.xml"),
        ("Gone Feed", "/status/410"),
        ("Millbrook Examiner", "/feeds/examiner.xml"),
    )
    summary = _ingest(celery_app, r, es, feeds)

    assert summary.polls == {
        "polled": 1,
        "poll_failed:http_410": 1,
        "poll_failed:malformed_feed": 1,
    }
    assert summary.count("articles", "indexed") == 2
    details = {f["feed_id"]: f["detail"] for f in summary.failures if f["kind"] == "polls"}
    assert 'feed "Half Feed"' in details["half-feed"]
    assert "/status/410" in details["gone-feed"]

    status = feed_status(r, "half-feed")
    assert status["last_outcome"] == "poll_failed:malformed_feed"
    assert status["failures"] == "1"
    assert "malformed_feed" in status["last_error"]
    assert read_totals(r).polls["poll_failed:malformed_feed"] == 1


def test_setup_is_idempotent(es: Elasticsearch, base_settings: Settings) -> None:
    first = ensure_index(es, base_settings.index_alias)
    second = ensure_index(es, base_settings.index_alias)
    assert first.created_index and not second.created_index
    assert first.index == second.index == "articles-v1"
    aliases = es.indices.get_alias(name="articles")
    assert list(aliases) == ["articles-v1"]
    mapping = es.indices.get_mapping(index="articles")["articles-v1"]["mappings"]
    assert mapping["properties"]["source"]["type"] == "keyword"
    assert mapping["dynamic"] == "strict"
