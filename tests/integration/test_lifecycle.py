"""Raw pages, reindex, reprocess and prune on real Redis, Elasticsearch and a worker."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from elasticsearch import Elasticsearch

from newsdesk.demo.server import LoopbackSite
from newsdesk.enrich.entities import EntityExtractor
from newsdesk.feeds.config import parse_feeds
from newsdesk.outcomes import RunSummary, read_totals
from newsdesk.search.bulk import PendingDocument, bulk_create
from newsdesk.search.es_tasks import TaskProgress
from newsdesk.search.lifecycle import LifecycleError, prune, reindex
from newsdesk.search.setup import ensure_index, load_template
from newsdesk.settings import Settings
from newsdesk.stages.reprocess import reprocess_pages
from newsdesk.urls import url_id
from workers.ingest import ingest_once
from workers.services import services

FIXTURE_SITE = Path(__file__).resolve().parents[1] / "fixtures" / "site"
ALIAS = "articles"
PAGES = "articles-pages"
INGESTED = {"failed:http_404": 1, "failed:not_html": 1, "indexed": 2}


@pytest.fixture
def clean_pages(es: Elasticsearch) -> Elasticsearch:
    """Return ``es`` with no raw pages left by earlier tests (the shared fixture keeps them)."""
    for name in es.indices.get(index=f"{PAGES}-v*", allow_no_indices=True):
        es.indices.delete(index=name)
    ensure_index(es, ALIAS)
    return es


@pytest.fixture
def fixture_site() -> Iterator[LoopbackSite]:
    """Serve the hand-written test feeds and pages; each test reads its own request log."""
    with LoopbackSite(root=FIXTURE_SITE) as served:
        yield served


def _ingest(app: Celery, r: redis.Redis, es: Elasticsearch, site: LoopbackSite) -> RunSummary:
    url = site.url("/feeds/examiner.xml")
    feeds = parse_feeds(f"feeds:\n  - name: Millbrook Examiner\n    url: {url}\n")
    summary = ingest_once(app, r, es, ALIAS, feeds, timeout_s=120)
    es.indices.refresh(index=f"{ALIAS},{PAGES}")
    return summary


def _docs(es: Elasticsearch, index: str) -> dict[str, dict[str, Any]]:
    es.indices.refresh(index=index)
    hits = es.search(index=index, size=100, query={"match_all": {}})["hits"]["hits"]
    return {h["_id"]: h["_source"] for h in hits}


@pytest.mark.usefixtures("worker")
def test_raw_pages_are_kept_compressed_and_are_not_outcomes(
    celery_app: Celery, r: redis.Redis, clean_pages: Elasticsearch, fixture_site: LoopbackSite
) -> None:
    es = clean_pages
    summary = _ingest(celery_app, r, es, fixture_site)

    # Exactly the article outcomes, as without raw pages: a page is no outcome.
    assert summary.articles == INGESTED
    assert read_totals(r).articles == INGESTED
    articles, pages = _docs(es, ALIAS), _docs(es, PAGES)
    # Same _id as the article; the PDF ("not_html") and the 404 left no page.
    assert set(pages) == set(articles) == {url_id(fixture_site.url(p)) for p in (
        "/news/library-vote.html", "/news/bridge-repairs.html")}  # fmt: skip
    page = pages[url_id(fixture_site.url("/news/library-vote.html"))]
    served = fixture_site.content.get("/news/library-vote.html", fixture_site.base_url)
    stored = base64.b64decode(page["body"])
    assert served is not None and zlib.decompress(stored) == served.body
    assert len(stored) < page["body_bytes"] == len(served.body)
    assert page["compression"] == "zlib" and page["status_code"] == 200
    assert page["content_type"].startswith("text/html")
    assert page["final_url"] == fixture_site.url("/news/library-vote.html")
    assert page["entry"]["feed_id"] == page["feed_id"] == "millbrook-examiner"
    assert page["entry"]["title"] == "Millbrook votes to keep its library open on Sundays"
    (mapping,) = es.indices.get_mapping(index=PAGES).values()
    # A binary field is never indexed; no doc values either (ES leaves defaults unlisted).
    assert mapping["mappings"]["properties"]["body"] == {"type": "binary"}
    assert mapping["mappings"]["properties"]["entry"] == {"type": "object", "enabled": False}
    (settings,) = es.indices.get_settings(index=PAGES).values()
    assert settings["settings"]["index"]["codec"] == "best_compression"


def test_a_rejected_raw_page_leaves_its_article_and_outcome_alone(
    clean_pages: Elasticsearch,
) -> None:
    def doc(n: int, raw_page: dict[str, Any] | None) -> PendingDocument:
        url = f"https://bulk.example/{n}"
        return PendingDocument(f"id-{n}", {"url": url}, url, raw_page=raw_page)

    # The pages mapping is strict: the first page is refused, its article is not.
    rejected, kept = {"not_in_the_mapping": 1}, {"url": "https://bulk.example/2"}
    docs = [doc(1, rejected), doc(2, kept), doc(3, None)]
    result = bulk_create(clean_pages, ALIAS, docs)

    assert [item.outcome for item in result.results] == ["indexed"] * 3
    assert (result.raw_pages_written, result.raw_pages_failed) == (1, 1)
    assert set(_docs(clean_pages, PAGES)) == {"id-2"}


@pytest.mark.usefixtures("worker")
def test_no_raw_pages_when_the_setting_is_off(
    celery_app: Celery,
    r: redis.Redis,
    clean_pages: Elasticsearch,
    fixture_site: LoopbackSite,
    base_settings: Settings,
) -> None:
    services.configure(base_settings.with_overrides(keep_raw_pages=False))
    try:  # the in-thread worker builds its services from these settings
        summary = _ingest(celery_app, r, clean_pages, fixture_site)
    finally:
        services.configure(base_settings)

    assert summary.articles == INGESTED
    assert clean_pages.count(index=PAGES)["count"] == 0


@pytest.mark.usefixtures("worker")
def test_reprocess_rebuilds_articles_from_stored_pages_without_http(
    celery_app: Celery, r: redis.Redis, clean_pages: Elasticsearch, fixture_site: LoopbackSite
) -> None:
    es = clean_pages
    _ingest(celery_app, r, es, fixture_site)
    before = _docs(es, ALIAS)
    library = url_id(fixture_site.url("/news/library-vote.html"))
    # As if an extraction bug had mangled the text and dropped the facets.
    es.update(index=ALIAS, id=library, doc={"body": "garbled", "keywords": []}, refresh=True)
    requests_before = fixture_site.request_log

    progress: list[tuple[int, int]] = []
    summary = reprocess_pages(
        r, es, ALIAS, extractor=EntityExtractor(), min_body_chars=200,
        on_progress=lambda done, total: progress.append((done, total)),
    )  # fmt: skip

    assert fixture_site.request_log == requests_before  # not one HTTP request
    assert summary.total == 2 and summary.outcomes == {"reindexed": 2}
    assert progress[-1] == (2, 2)
    after = _docs(es, ALIAS)
    assert set(after) == set(before)
    for doc_id, doc in after.items():
        assert doc["indexed_at"] > before[doc_id]["indexed_at"]
        unchanged = {k: v for k, v in doc.items() if k != "indexed_at"}
        assert unchanged == {k: v for k, v in before[doc_id].items() if k != "indexed_at"}
    assert after[library]["body"] == before[library]["body"] != "garbled"
    # Filters select nothing here: another feed, pages fetched in the future.
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    extractor = EntityExtractor()
    for feed, since in (("other-feed", None), (None, tomorrow)):
        none = reprocess_pages(
            r, es, ALIAS, extractor=extractor, min_body_chars=200, feed=feed, since=since
        )
        assert none.total == 0 and none.outcomes == {}
    by_name = reprocess_pages(
        r, es, ALIAS, extractor=extractor, min_body_chars=200, feed="Millbrook Examiner"
    )
    assert by_name.outcomes == {"reindexed": 2}
    assert fixture_site.request_log == requests_before


def _seed(es: Elasticsearch, count: int) -> None:
    ensure_index(es, ALIAS)
    now = datetime.now(UTC).isoformat()
    body = "The harbour council met. " * 20
    operations: list[dict[str, Any]] = []
    for n in range(count):
        operations.append({"create": {"_index": ALIAS, "_id": f"doc-{n}"}})
        operations.append({"url": f"https://seed.example/{n}", "title": f"Harbour story {n}",
                           "body": body, "indexed_at": now})  # fmt: skip
    assert not es.bulk(operations=operations, refresh=True)["errors"]


def test_reindex_swaps_the_alias_atomically_and_keeps_the_old_index(es: Elasticsearch) -> None:
    _seed(es, 3000)
    seen_during: list[int] = []

    def search_meanwhile(step: TaskProgress) -> None:
        # Readers use the alias throughout: it must always answer with everything.
        seen_during.append(es.count(index=ALIAS, query={"match": {"title": "harbour"}})["count"])

    report = reindex(es, ALIAS, on_progress=search_meanwhile, poll_interval_s=0.05)

    assert (report.old_index, report.new_index) == ("articles-v1", "articles-v2")
    assert report.old_count == report.new_count == report.copied == 3000
    assert seen_during and set(seen_during) == {3000}
    aliases = es.indices.get_alias(name=ALIAS)
    assert aliases == {"articles-v2": {"aliases": {ALIAS: {"is_write_index": True}}}}
    assert es.indices.exists(index="articles-v1")  # kept, out of the alias
    assert es.count(index="articles-v1")["count"] == es.count(index=ALIAS)["count"] == 3000
    settings = es.indices.get_settings(index="articles-v2")["articles-v2"]["settings"]["index"]
    assert settings["refresh_interval"] == "1s"
    # Writes now land in the new index; the next reindex picks the next free version.
    es.index(index=ALIAS, id="late", document={"url": "https://seed.example/late"}, refresh=True)
    assert es.count(index="articles-v2")["count"] == 3001
    again = reindex(es, ALIAS, delete_old=True)
    assert again.new_index == "articles-v3" and again.deleted_old
    assert not es.indices.exists(index="articles-v2") and es.indices.exists(index="articles-v1")


def _assert_untouched(es: Elasticsearch) -> None:
    assert list(es.indices.get(index="articles-v*")) == ["articles-v1"]
    assert list(es.indices.get_alias(name=ALIAS)) == ["articles-v1"]
    assert es.count(index=ALIAS, query={"match": {"title": "harbour"}})["count"] == 500


def test_a_rejected_document_deletes_the_new_index_and_keeps_the_alias(es: Elasticsearch) -> None:
    _seed(es, 500)
    incompatible = load_template(ALIAS)
    incompatible["template"]["mappings"]["properties"]["url"] = {"type": "integer"}

    with pytest.raises(LifecycleError, match="mapper_parsing_exception"):
        reindex(es, ALIAS, template=incompatible)

    _assert_untouched(es)


@pytest.mark.parametrize("where", ["during the copy", "before the swap"])
def test_an_interruption_deletes_the_new_index_and_leaves_the_alias(
    es: Elasticsearch, where: str
) -> None:
    _seed(es, 500)

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt  # what Ctrl-C raises

    hooks = {"on_progress": interrupt} if where == "during the copy" else {"before_swap": interrupt}
    with pytest.raises(KeyboardInterrupt):
        reindex(es, ALIAS, **hooks)  # type: ignore[arg-type]

    _assert_untouched(es)


def test_prune_deletes_old_articles_with_their_pages(clean_pages: Elasticsearch) -> None:
    es, now = clean_pages, datetime(2026, 11, 20, 12, tzinfo=UTC)
    old, recent = (now - timedelta(days=200)).isoformat(), (now - timedelta(days=1)).isoformat()
    old_story = {"published_at": old, "fetched_at": recent}  # found late, still old
    new_story = {"published_at": recent, "fetched_at": recent}
    for index, undated in ((ALIAS, "undated-old"), (PAGES, "orphan-old")):
        docs = {"old-story": old_story, "new-story": new_story, undated: {"fetched_at": old}}
        for doc_id, fields in docs.items():
            es.index(index=index, id=doc_id, document={"url": f"https://p/{doc_id}", **fields})
    es.indices.refresh(index=f"{ALIAS},{PAGES}")

    dry = prune(es, ALIAS, older_than_s=90 * 86_400, dry_run=True, now=now)
    assert (dry.articles, dry.pages, dry.dry_run) == (2, 2, True)
    assert es.count(index=ALIAS)["count"] == 3 and es.count(index=PAGES)["count"] == 3

    done = prune(es, ALIAS, older_than_s=90 * 86_400, now=now, poll_interval_s=0.05)
    assert (done.articles, done.pages, done.dry_run) == (2, 2, False)
    assert set(_docs(es, ALIAS)) == set(_docs(es, PAGES)) == {"new-story"}
    assert done.cutoff == now - timedelta(days=90)


def _newsdesk(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    return subprocess.run(
        [sys.executable, "-c", "from workers.cli import main; main()", *args],
        env={**env, **settings.to_env()}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_commands_report_what_they_did(
    es: Elasticsearch, base_settings: Settings, tmp_path: Path
) -> None:
    _seed(es, 50)
    settings = base_settings.with_overrides(data_dir=tmp_path)
    done = _newsdesk(settings, "reindex", "--delete-old", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["new_index"], report["new_count"], report["deleted_old"]) == (
        "articles-v2", 50, True)  # fmt: skip
    assert "copy" in done.stderr  # the progress bar

    taken = _newsdesk(settings, "reindex", "--to-version", "2")
    assert taken.returncode == 1 and "articles-v2 already exists" in taken.stderr
    dry = _newsdesk(settings, "prune", "--older-than", "90d", "--dry-run", "--json")
    assert dry.returncode == 0 and json.loads(dry.stdout)["articles"] == 0, dry.stderr
    bad = _newsdesk(settings, "prune", "--older-than", "ninety days")
    assert bad.returncode == 2 and "--older-than" in bad.stderr
