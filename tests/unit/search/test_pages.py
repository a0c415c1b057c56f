import base64
import dataclasses
import zlib
from datetime import UTC, datetime

import pytest

from newsdesk.models import Article, FeedEntry, FetchedPage
from newsdesk.search.bulk import PendingDocument
from newsdesk.search.pages import (
    RawPageError,
    page_from_document,
    pages_query,
    raw_page_document,
    raw_page_for,
)
from newsdesk.search.setup import index_version, load_template, pages_alias, template_file

HTML = ("<html><body><p>" + "The harbour ferry runs again. " * 200 + "</p></body></html>").encode()


def _page() -> FetchedPage:
    entry = FeedEntry(
        url="https://lakeside.example/news/ferry", link="https://lakeside.example/news/ferry?utm=x",
        feed_id="lakeside-post", feed_name="Lakeside Post", feed_url="https://lakeside.example/rss",
        tags=("local",), title="Ferry times", published_at=datetime(2026, 2, 3, 9, tzinfo=UTC),
    )  # fmt: skip
    return FetchedPage(
        entry=entry, final_url="https://lakeside.example/news/ferry", status_code=200,
        content_type="text/html; charset=utf-8", fetched_at=datetime(2026, 2, 3, 10, tzinfo=UTC),
        body_key="newsdesk:page:abc", redirects=("https://lakeside.example/n/1",), encoding="utf-8",
    )  # fmt: skip


def _article() -> Article:
    return Article(
        url="https://lakeside.example/news/ferry", title="Ferry times", body="Ferry.",
        feed_ids=("lakeside-post",), feed_names=("Lakeside Post",), source="Lakeside Post",
        fetched_at=datetime(2026, 2, 3, 10, tzinfo=UTC),
        published_at=datetime(2026, 2, 3, 9, tzinfo=UTC),
    )  # fmt: skip


def test_a_raw_page_round_trips_to_the_page_processing_needs() -> None:
    doc = raw_page_document(_page(), HTML, _article())
    page, html = page_from_document(doc)

    assert html == HTML
    assert page == dataclasses.replace(_page(), body_key="")
    assert doc["body_bytes"] == len(HTML) > 4 * len(base64.b64decode(doc["body"]))
    assert doc["published_at"] == "2026-02-03T09:00:00+00:00"
    mapped = set(
        load_template("articles-pages", kind="pages")["template"]["mappings"]["properties"]
    )
    assert set(doc) <= mapped  # the mapping is strict


def test_a_page_parked_compressed_is_stored_without_compressing_again() -> None:
    parked = zlib.compress(HTML, 6)
    doc = raw_page_document(_page(), HTML, _article(), compressed=parked)
    assert base64.b64decode(doc["body"]) == parked
    assert page_from_document(doc)[1] == HTML


def test_nothing_is_kept_when_disabled_or_without_html() -> None:
    assert raw_page_for(_page(), HTML, _article(), keep=False) is None
    assert raw_page_for(_page(), None, _article(), keep=True) is None
    assert raw_page_for(_page(), HTML, _article(), keep=True) is not None


def test_a_corrupt_or_unknown_body_is_reported() -> None:
    doc = raw_page_document(_page(), HTML, _article())
    with pytest.raises(RawPageError, match="corrupt"):
        page_from_document({**doc, "body": "bm90IHpsaWI="})
    with pytest.raises(RawPageError, match="compression"):
        page_from_document({**doc, "compression": "brotli"})


def test_a_pending_entry_carries_its_raw_page_and_old_entries_still_read() -> None:
    doc = PendingDocument("id1", {"url": "u"}, "u", raw_page={"body": "eA=="})
    assert PendingDocument.from_json(doc.to_json()) == doc
    plain = PendingDocument("id2", {"url": "u"}, "u")
    assert "raw_page" not in plain.to_json()
    assert PendingDocument.from_json(plain.to_json()).raw_page is None


def test_pages_query_filters_by_fetch_date_and_feed_id_or_name() -> None:
    assert pages_query() == {"match_all": {}}
    since = datetime(2026, 11, 1, tzinfo=UTC)
    query = pages_query(since=since, feed="Lakeside Post")
    range_clause, feed_clause = query["bool"]["filter"]
    assert range_clause == {"range": {"fetched_at": {"gte": "2026-11-01T00:00:00+00:00"}}}
    assert {"term": {"feed_name": "Lakeside Post"}} in feed_clause["bool"]["should"]


def test_mapping_files_resolve_by_version_else_the_current_one() -> None:
    assert template_file() == template_file(1) == "articles-v1.json"
    # No articles-v2.json: a reindex to v2 is built from the current mapping.
    assert template_file(2) == "articles-v1.json"
    assert template_file(kind="pages") == "pages-v1.json"
    assert pages_alias("news") == "news-pages"
    assert load_template("news-pages", kind="pages")["index_patterns"] == ["news-pages-v*"]
    assert (index_version("articles-v12"), index_version("articles")) == (12, None)
