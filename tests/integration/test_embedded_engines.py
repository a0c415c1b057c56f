"""The embedded Redis and Elasticsearch start, serve real requests and stop cleanly."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from elasticsearch import ConflictError

from newsdesk.embedded.es_server import EmbeddedElasticsearch
from newsdesk.embedded.redis_server import EmbeddedRedis
from newsdesk.search.client import build_es_client, wait_for_es


def _process_alive(pid: int) -> bool:
    """Tell whether a process still exists (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.integration
def test_embedded_redis_answers_ping_and_stops(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis")
    url = server.start()
    pid = server.pid
    assert url.startswith("redis://127.0.0.1:") and url.endswith("/0")
    assert pid is not None

    client = redis.Redis.from_url(url)
    try:
        assert client.ping() is True
        client.set("probe", "1")
        assert client.get("probe") == b"1"
    finally:
        client.close()

    server.stop()
    server.stop()  # idempotent
    assert not _process_alive(pid)
    with pytest.raises(RuntimeError):
        _ = server.url


@pytest.fixture
def es_data_dir() -> Iterator[Path]:
    """A data dir outside pytest's 0700 temp root, which the unprivileged ES user can reach."""
    # As root ES runs as another user, and pytest re-tightens /tmp/pytest-of-root whenever
    # any pytest session starts, so tmp_path would cut a running node off its files.
    path = Path(tempfile.mkdtemp(prefix="newsdesk-es-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.integration
@pytest.mark.skipif(os.geteuid() != 0, reason="the guard only applies when ES runs as another user")
def test_elasticsearch_refuses_pytest_temp_root_as_root(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="pytest's private temp root"):
        EmbeddedElasticsearch(tmp_path / "es").start(timeout_s=5)


@pytest.mark.integration
def test_embedded_elasticsearch_serves_the_9x_client(es_data_dir: Path) -> None:
    # One start only: the node costs ~10 s and ~750 MB, so everything is checked in one go.
    with EmbeddedElasticsearch(es_data_dir) as node:
        pid = node.pid
        assert pid is not None
        assert node.url.startswith("http://127.0.0.1:")
        es = build_es_client(node.url, compat_7x=True)
        try:
            wait_for_es(es, timeout_s=30)
            assert es.info()["version"]["number"] == "7.9.2"

            es.indices.create(
                index="probe",
                settings={"number_of_shards": 1, "number_of_replicas": 0},
                mappings={"properties": {"title": {"type": "text"}}},
            )
            doc = {"title": "Embedded engine answers the modern client"}
            es.index(index="probe", id="article-1", document=doc, op_type="create")
            with pytest.raises(ConflictError):
                es.index(index="probe", id="article-1", document=doc, op_type="create")
            es.indices.refresh(index="probe")

            hits = es.search(index="probe", query={"match": {"title": "modern"}})["hits"]
            assert hits["total"]["value"] == 1
            assert hits["hits"][0]["_id"] == "article-1"
        finally:
            es.close()

    assert not _process_alive(pid)
    assert node.pid is None
    # The node ran unprivileged when we are root, and kept its logs in the data dir.
    assert (es_data_dir / "logs" / "console.log").stat().st_size > 0
    if os.geteuid() == 0:
        assert (es_data_dir / "data").stat().st_uid != 0
