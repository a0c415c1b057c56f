"""Session fixtures: real Redis, real Elasticsearch, a real loopback HTTP site, a real worker.

Every service is started here on a free loopback port and torn down at the end. Nothing
is skipped: if an engine cannot start, the tests that need it fail with its log tail.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis
from elasticsearch import Elasticsearch

from newsdesk.embedded.es_server import EmbeddedElasticsearch
from newsdesk.embedded.redis_server import EmbeddedRedis
from newsdesk.search.client import build_es_client
from newsdesk.settings import FetchLimits, Settings

if TYPE_CHECKING:
    from newsdesk.demo.server import LoopbackSite

TEST_ALIAS = "articles"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by folder so ``-m unit`` and ``-m integration`` select them."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        elif "unit" in parts or "compose" in parts:
            item.add_marker(pytest.mark.unit)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Return the URL of a real redis-server started for this session."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), persist=False)
    url = server.start()
    yield url
    server.stop()


@pytest.fixture(scope="session")
def es_url() -> Iterator[str]:
    """Return the URL of the embedded Elasticsearch started once for this session.

    Its data lives outside pytest's tmp tree: as root, Elasticsearch runs as its own
    user, and pytest resets its tmp root to 0700 whenever another session starts.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="newsdesk-test-es-"))
    server = EmbeddedElasticsearch(data_dir)
    try:
        url = server.start()
        yield url
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def site() -> Iterator[LoopbackSite]:
    """Return the demo news site served over real HTTP on loopback."""
    from newsdesk.demo.server import LoopbackSite

    with LoopbackSite() as served:
        yield served


@pytest.fixture(scope="session")
def base_settings(
    redis_url: str, es_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """Return settings pointing at the session's engines, with short timeouts for tests."""
    return Settings(
        redis_url=redis_url,
        es_url=es_url,
        es_compat_7x=True,
        index_alias=TEST_ALIAS,
        data_dir=tmp_path_factory.mktemp("data"),
        bulk_delay_s=0.2,
        min_body_chars=200,
        # Tests that want a metrics endpoint open one on a free port themselves.
        metrics_port=0,
        fetch=FetchLimits(
            connect_timeout_s=2,
            read_timeout_s=3,
            total_timeout_s=6,
            # Loopback is refused in production; the test site lives there.
            allow_networks=("127.0.0.1/32",),
            host_min_delay_s=0,
        ),
    )


@pytest.fixture
def r(base_settings: Settings) -> Iterator[redis.Redis]:
    """Return a client of the session Redis with no Newsdesk state left from earlier tests.

    Only ``newsdesk:*`` keys go: the broker's queue bindings live in the same database.
    """
    with _clean_clients(base_settings) as (client, _es):
        yield client


@pytest.fixture
def es(base_settings: Settings) -> Iterator[Elasticsearch]:
    """Return a client of the session Elasticsearch with no articles index or template."""
    with _clean_clients(base_settings) as (_r, client):
        yield client


@pytest.fixture(scope="module")
def module_clients(base_settings: Settings) -> Iterator[tuple[redis.Redis, Elasticsearch]]:
    """Return clean Redis and Elasticsearch clients for a module that ingests once."""
    with _clean_clients(base_settings) as clients:
        yield clients


@contextlib.contextmanager
def _clean_clients(settings: Settings) -> Iterator[tuple[redis.Redis, Elasticsearch]]:
    """Yield clients of the session engines with no Newsdesk state from earlier tests.

    Only ``newsdesk:*`` keys go: the broker's queue bindings live in the same database.
    """
    assert settings.redis_url and settings.es_url
    r_client = redis.Redis.from_url(settings.redis_url)
    es_client = build_es_client(settings.es_url, compat_7x=True)
    keys = list(r_client.scan_iter(match="newsdesk:*", count=1000))
    if keys:
        r_client.delete(*keys)
    _drop_articles(es_client)
    try:
        yield r_client, es_client
    finally:
        r_client.close()
        es_client.close()


def _drop_articles(client: Elasticsearch) -> None:
    # Articles and their raw pages (<alias>-pages-v*): no test sees another's documents.
    for pattern in (f"{TEST_ALIAS}-v*", f"{TEST_ALIAS}-pages-v*"):
        for name in client.indices.get(index=pattern, allow_no_indices=True):
            client.indices.delete(index=name)
    if client.indices.exists_index_template(name=TEST_ALIAS):
        client.indices.delete_index_template(name=TEST_ALIAS)
