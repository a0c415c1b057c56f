from datetime import UTC, datetime

from newsdesk.models import Article, FeedEntry, FetchedPage
from newsdesk.search.documents import build_article_document
from newsdesk.search.setup import load_template
from newsdesk.urls import url_id


def _article(url: str = "https://lakeside.example/news/ferry") -> Article:
    return Article(
        url=url, title="Ferry times", body="One two three.\n\nFour five.", feed_ids=("lakeside",),
        feed_names=("Lakeside Post",), source="The Lakeside Post",
        fetched_at=datetime(2026, 2, 3, 10, tzinfo=UTC),
        published_at=datetime(2026, 2, 3, 9, tzinfo=UTC), published_at_source="feed",
        language="en", tags=("local",),
    )  # fmt: skip


def test_document_id_is_the_url_hash_and_stable_across_tracking_variants() -> None:
    doc_id, _ = build_article_document(_article())
    assert doc_id == url_id("https://lakeside.example/news/ferry")
    assert doc_id == url_id("http://lakeside.example/news/ferry?utm_source=x#c")


def test_document_fields_match_the_mapping() -> None:
    _, source = build_article_document(_article(), indexed_at=datetime(2026, 2, 3, 11, tzinfo=UTC))
    mapped = set(load_template("articles")["template"]["mappings"]["properties"])
    # The mapping is strict: a field the mapping lacks would be rejected by Elasticsearch.
    assert set(source) <= mapped
    assert source["feed"] == ["Lakeside Post"]
    assert source["published_at"] == "2026-02-03T09:00:00+00:00"
    assert source["word_count"] == 5
    assert source["domain"] == "lakeside.example"
    assert "agency" not in source  # unknown values are left out, not indexed as null


def test_template_targets_the_alias_versions() -> None:
    template = load_template("news", replicas=1)
    assert template["index_patterns"] == ["news-v*"]
    assert template["template"]["settings"]["number_of_replicas"] == 1
    props = template["template"]["mappings"]["properties"]
    assert props["title"]["analyzer"] == "english"
    assert props["title"]["fields"]["std"]["analyzer"] == "standard"
    for facet in ("source", "feed", "tags", "language", "authors", "agency", "url"):
        assert props[facet]["type"] == "keyword"


def test_models_round_trip_through_json() -> None:
    entry = FeedEntry(
        url="https://a.example/x", link="https://a.example/x?utm_source=y", feed_id="a",
        feed_name="A", feed_url="https://a.example/rss", tags=("t",),
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    page = FetchedPage(
        entry=entry, final_url="https://a.example/x", status_code=200, content_type="text/html",
        fetched_at=datetime(2026, 1, 2, tzinfo=UTC), body_key="k", redirects=("https://a.example/y",),
    )  # fmt: skip
    assert FetchedPage.from_json(page.to_json()) == page
