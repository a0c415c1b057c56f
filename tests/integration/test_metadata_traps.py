"""Dates with provenance, agencies, encodings and feed fallbacks, through the real pipeline.

Each page under tests/fixtures/site/traps exercises one behaviour; the feed that lists
them sets (or withholds) entry dates to build the trap.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from elasticsearch import Elasticsearch

from newsdesk.demo.server import LoopbackSite
from newsdesk.feeds.config import parse_feeds
from newsdesk.outcomes import RunSummary
from newsdesk.search.setup import ensure_index
from workers.ingest import ingest_once

FIXTURE_SITE = Path(__file__).resolve().parents[1] / "fixtures" / "site"


@pytest.fixture(scope="module")
def ingested(
    celery_app: Celery, module_clients: tuple[redis.Redis, Elasticsearch], worker: None
) -> Iterator[tuple[RunSummary, dict[str, dict[str, Any]]]]:
    """Ingest the traps feed once for the whole module; return the summary and docs by path."""
    r, es = module_clients
    with LoopbackSite(root=FIXTURE_SITE) as site:
        feeds = parse_feeds(
            f"feeds:\n  - name: Fenwick Herald\n    url: {site.base_url}/feeds/traps.xml\n"
        )
        ensure_index(es, "articles")
        summary = ingest_once(celery_app, r, es, "articles", feeds, timeout_s=180)
        hits = es.search(index="articles", size=100, query={"match_all": {}})["hits"]["hits"]
        docs = {
            h["_source"]["url"].removeprefix(site.base_url + "/traps/"): h["_source"] for h in hits
        }
    yield summary, docs


@pytest.mark.parametrize(
    ("page", "published_at", "source"),
    [
        ("jsonld-date.html", "2026-02-10T06:45:00+00:00", "jsonld"),
        ("meta-date.html", "2026-02-09T14:20:00+00:00", "meta"),
        ("time-tag.html", "2026-02-08T08:00:00+00:00", "time_tag"),
        ("2026/02/14/url-dated.html", "2026-02-14T00:00:00+00:00", "url"),
        ("text-date.html", "2026-02-05T00:00:00+00:00", "text"),
        # The feed says 1 March; the page's JSON-LD says 20 January: the page wins.
        ("conflicting-date.html", "2026-01-20T07:00:00+00:00", "jsonld"),
        # A feed date in 2031 is not believed.
        ("future-date.html", "2026-02-07T10:00:00+00:00", "meta"),
        ("wire-ap.html", "2026-02-11T09:30:00+00:00", "feed"),
    ],
)
def test_publication_date_and_its_source(
    ingested: tuple[RunSummary, dict[str, dict[str, Any]]],
    page: str,
    published_at: str,
    source: str,
) -> None:
    doc = ingested[1][page]
    assert (doc["published_at"], doc["published_at_source"]) == (published_at, source)


def test_updated_at_is_kept_when_the_page_gives_it(
    ingested: tuple[RunSummary, dict[str, dict[str, Any]]],
) -> None:
    assert ingested[1]["jsonld-date.html"]["updated_at"] == "2026-02-11T09:00:00+00:00"


def test_caption_dates_never_win(ingested: tuple[RunSummary, dict[str, dict[str, Any]]]) -> None:
    # Every fixture caption mentions 4 July 2009.
    assert not any(d["published_at"].startswith("2009") for d in ingested[1].values())


def test_wire_dateline_gives_agency_and_place(
    ingested: tuple[RunSummary, dict[str, dict[str, Any]]],
) -> None:
    doc = ingested[1]["wire-ap.html"]
    assert doc["agency"] == ["AP"]
    assert any("dateline" in e for e in doc["agency_evidence"])
    assert doc["dateline"] == "Harborville"
    assert "authors" not in doc  # "The Associated Press" is the agency, not an author


def test_a_mention_of_an_agency_is_not_a_credit(
    ingested: tuple[RunSummary, dict[str, dict[str, Any]]],
) -> None:
    assert "agency" not in ingested[1]["wire-mention.html"]


def test_authors_are_cleaned(ingested: tuple[RunSummary, dict[str, dict[str, Any]]]) -> None:
    assert ingested[1]["jsonld-date.html"]["authors"] == ["Petra Lowe"]


def test_encodings_and_mojibake_are_repaired(
    ingested: tuple[RunSummary, dict[str, dict[str, Any]]],
) -> None:
    cafe = ingested[1]["cp1252.html"]
    assert cafe["title"] == "Caf\u00e9 owner\u2019s \u201cfrozen\u201d plans thaw"
    assert "corner caf\u00e9" in cafe["body"] and "na\u00efve" in cafe["body"]
    bakery = ingested[1]["mojibake.html"]
    assert "cr\u00e8me br\u00fbl\u00e9e" in bakery["body"]
    assert "\u00c3" not in bakery["body"] and "\u00c3" not in bakery["title"]


def test_unusable_page_falls_back_to_the_feed_summary(
    ingested: tuple[RunSummary, dict[str, dict[str, Any]]],
) -> None:
    summary, docs = ingested
    doc = docs["paywall.html"]
    assert doc["body_source"] == "feed"
    assert doc["body_source_reason"] == "extract_too_short"
    assert doc["body"].startswith("Campaigners who want to save")
    assert summary.articles["indexed:feed_body_extract_too_short"] == 1


def test_every_trap_is_indexed_once_with_provenance(
    ingested: tuple[RunSummary, dict[str, dict[str, Any]]],
) -> None:
    summary, docs = ingested
    assert summary.count("articles", "indexed") == 12 == len(docs)
    for doc in docs.values():
        assert doc["published_at_source"] in {"feed", "jsonld", "meta", "time_tag", "url", "text"}
        assert doc["language"] == "en"
        assert doc["source"] == "Fenwick Herald"
        assert doc["canonical_url"] == doc["url"]
        assert "Most popular" not in doc["body"]
