"""The README's main job: the bundled demo site ingested end to end, as its manifest says."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import redis
from celery import Celery
from elasticsearch import Elasticsearch

from newsdesk.demo.server import LoopbackSite, render_feeds_yaml
from newsdesk.feeds.config import load_feeds
from newsdesk.search.setup import ensure_index
from workers.ingest import ingest_once

MANIFEST = Path(__file__).resolve().parents[2] / "newsdesk" / "demo" / "site" / "manifest.json"


@pytest.mark.usefixtures("worker")
def test_demo_site_is_ingested_as_its_manifest_says(
    celery_app: Celery, r: redis.Redis, es: Elasticsearch, site: LoopbackSite, tmp_path: Path
) -> None:
    manifest = json.loads(MANIFEST.read_text())
    feeds = load_feeds(render_feeds_yaml(site.base_url, tmp_path))
    ensure_index(es, "articles")

    summary = ingest_once(celery_app, r, es, "articles", feeds, timeout_s=180)

    assert summary.polls == {
        "polled": 4,
        "poll_failed:http_410": 1,
        "poll_failed:malformed_feed": 1,
    }
    assert summary.articles == {
        "indexed": len(manifest["articles"]),
        "failed:http_404": 1,
        "failed:not_html": 1,
    }
    assert site.hits("/calder-radio/feed.xml") == 0  # disabled feed is never polled

    hits = es.search(index="articles", size=100, query={"match_all": {}})["hits"]["hits"]
    docs = {h["_source"]["url"].removeprefix(site.base_url): h["_source"] for h in hits}
    for expected in manifest["articles"]:
        doc = docs[expected["path"]]
        assert doc["title"] == expected["title"], expected["path"]
        assert doc["language"] == expected["language"], expected["path"]
        published = datetime.fromisoformat(doc["published_at"])
        assert published == datetime.fromisoformat(expected["published"]), expected["path"]
        # Captions carry older dates on purpose; none may leak into published_at.
        assert doc["published_at_source"] == "feed"
        assert not doc["body"].startswith(expected["title"])
        assert "Most popular" not in doc["body"]
        # Entity and keyword facets: English NER for English text, a stated skip otherwise.
        if expected["language"] == "en":
            assert doc["entities"].get("people") or doc["entities"].get("places"), expected["path"]
            assert doc["keywords"], expected["path"]
        else:
            assert doc["entities_skipped"] == f"language:{expected['language']}"
