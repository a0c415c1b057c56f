"""The real ``newsdesk`` command, as a subprocess, against the session's services."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import redis
from elasticsearch import Elasticsearch

from newsdesk.demo.server import LoopbackSite
from newsdesk.settings import Settings

FIXTURE_SITE = Path(__file__).resolve().parents[1] / "fixtures" / "site"


def _newsdesk(
    *args: str, settings: Settings | None = None, timeout_s: float = 180
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    if settings is not None:
        env.update(settings.to_env())
    return subprocess.run(
        [sys.executable, "-c", "from workers.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def test_ingest_once_runs_its_own_worker_and_summarises(
    base_settings: Settings, r: redis.Redis, es: Elasticsearch, tmp_path: Path
) -> None:
    with LoopbackSite(root=FIXTURE_SITE) as site:
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(
            "defaults:\n  tags: [cli]\nfeeds:\n"
            f"  - name: Millbrook Examiner\n    url: {site.base_url}/feeds/examiner.xml\n"
            f"  - name: Half Feed\n    url: {site.base_url}/feeds/malformed.xml\n"
        )
        settings = base_settings.with_overrides(data_dir=tmp_path / "data")
        done = _newsdesk("ingest", "--once", "--feeds", str(feeds), "--json", settings=settings)

        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        assert summary["pending"] == 0
        assert summary["polls"] == {"polled": 1, "poll_failed:malformed_feed": 1}
        assert summary["articles"] == {"failed:http_404": 1, "failed:not_html": 1, "indexed": 2}
        # The worker it started wrote its log where the data dir says.
        assert (tmp_path / "data" / "logs" / "worker.log").exists()

        again = _newsdesk("ingest", "--once", "--feeds", str(feeds), "--json", settings=settings)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["articles"] == {}

    found = _newsdesk("search", "stone bridge", "--json", settings=settings)
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    assert result["total"] == 1
    assert result["hits"][0]["title"] == "Old stone bridge to close for six weeks of repairs"
    assert {"value": "cli", "count": 1} in result["facets"]["tags"]

    status = _newsdesk("status", "--json", settings=settings)
    assert status.returncode == 0, status.stderr
    feeds_status = json.loads(status.stdout)["feeds"]
    assert feeds_status["half-feed"]["last_outcome"] == "poll_failed:malformed_feed"


def test_feeds_validate_reports_file_line_feed_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "feeds.yaml"
    bad.write_text(
        "feeds:\n"
        "  - name: Harbor Gazette\n"
        "    url: https://harbor.example/rss\n"
        "    intreval: 5m\n"
        "  - name: harbor gazette\n"
        "    url: ftp://harbor.example/rss\n"
    )
    done = _newsdesk("feeds", "validate", "--feeds", str(bad))
    assert done.returncode == 2
    assert "feeds.yaml:4" in done.stderr
    assert "intreval" in done.stderr and "interval" in done.stderr
    assert "url" in done.stderr and "ftp" in done.stderr
    assert "Harbor Gazette" in done.stderr or "harbor gazette" in done.stderr


def test_feeds_validate_and_list_accept_a_good_file(tmp_path: Path) -> None:
    good = tmp_path / "feeds.yaml"
    good.write_text("feeds:\n  - name: A\n    url: https://a.example/rss\n    enabled: false\n")
    assert "1 feed(s), 0 enabled" in _newsdesk("feeds", "validate", "--feeds", str(good)).stdout
    listed = json.loads(_newsdesk("feeds", "list", "--feeds", str(good), "--json").stdout)
    assert listed[0]["feed_id"] == "a" and listed[0]["enabled"] is False


def test_services_down_exit_3_with_the_url(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    down = Settings(
        redis_url="redis://127.0.0.1:1/0", es_url="http://127.0.0.1:1", feeds_path=feeds
    )
    done = _newsdesk("ingest", "--once", "--no-worker", settings=down, timeout_s=60)
    assert done.returncode == 3
    assert "127.0.0.1:1" in done.stderr


def test_ingest_without_once_explains_itself() -> None:
    done = _newsdesk("ingest")
    assert done.returncode == 2
    assert "newsdesk run" in done.stderr
