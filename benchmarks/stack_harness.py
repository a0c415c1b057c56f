"""The real stack for benchmarks: synthetic outlets on loopback, embedded engines, Celery workers.

``BenchStack`` serves each outlet of a SyntheticSite on its own loopback address
(127.0.0.2, 127.0.0.3, ...), starts the embedded Redis and Elasticsearch, creates the
index, and starts the two workers docker-compose.yml runs by default: ``-P threads -c 8``
on the io and index queues and ``-P prefork -c 2`` on the cpu queue. Everything it
started is stopped on exit. process_tree.py measures the memory and CPU of the result.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import redis
from celery import Celery
from elasticsearch import Elasticsearch
from synthetic_site import SyntheticSite

from newsdesk.demo.handler import SiteHandler
from newsdesk.demo.server import LoopbackSite
from newsdesk.search.client import build_es_client
from newsdesk.search.setup import ensure_index
from newsdesk.settings import Settings
from workers import routing
from workers.embedded_stack import EmbeddedStack

WORKER_READY_TIMEOUT_S = 60.0
_T = TypeVar("_T")


@dataclass(frozen=True)
class Response:
    """One answer a loopback outlet sent: what was asked, the status, bytes on the wire."""

    at_s: float
    host: str
    path: str
    status: int
    wire_bytes: int
    conditional: bool


class _CountingHandler(SiteHandler):
    """SiteHandler that records each response's status and size (headers included)."""

    def setup(self) -> None:
        super().setup()
        raw = self.wfile
        self._sent_bytes = 0

        class _Counter:
            def write(inner, data: bytes) -> int:  # closes over the handler
                self._sent_bytes += len(data)
                return raw.write(data)

            def __getattr__(inner, name: str) -> Any:
                return getattr(raw, name)

        self.wfile = _Counter()  # type: ignore[assignment]

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status_code = code
        super().send_response(code, message)

    def _dispatch(self, send_body: bool) -> None:
        before, self._status_code = self._sent_bytes, 0
        super()._dispatch(send_body)
        self.wfile.flush()
        site: CountingSite = self.server.site  # type: ignore[assignment]
        conditional = "If-None-Match" in self.headers or "If-Modified-Since" in self.headers
        site.responses.append(
            Response(
                time.time(), site.host, self.path, self._status_code,
                self._sent_bytes - before, conditional,
            )
        )  # fmt: skip


class CountingSite(LoopbackSite):
    """LoopbackSite whose responses are logged with status and byte counts."""

    def __init__(self, root: Path, host: str) -> None:
        super().__init__(root, host=host)
        self.responses: list[Response] = []

    def start(self) -> str:
        """Start serving, with the counting handler."""
        url = super().start()
        if self._server is not None:
            self._server.RequestHandlerClass = _CountingHandler
        return url


@dataclass
class BenchStack:
    """Outlets, engines, index and workers for one benchmark run (a context manager)."""

    site: SyntheticSite
    work_dir: Path
    interval: str = "30s"
    politeness: bool = True
    io_concurrency: int = 8
    cpu_concurrency: int = 2
    sites: dict[str, CountingSite] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    feeds_path: Path = Path()
    _stack: EmbeddedStack | None = None
    _r: redis.Redis | None = None
    _es: Elasticsearch | None = None
    _app: Celery | None = None

    @property
    def r(self) -> redis.Redis:
        """Return the Redis client of the running stack."""
        return _started(self._r)

    @property
    def es(self) -> Elasticsearch:
        """Return the Elasticsearch client of the running stack."""
        return _started(self._es)

    @property
    def app(self) -> Celery:
        """Return the Celery app, sending to the stack's broker."""
        return _started(self._app)

    def __enter__(self) -> BenchStack:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> None:
        for outlet in self.site.outlets:
            site = CountingSite(self.site.root, outlet.host)
            site.start()
            self.sites[outlet.host] = site
        self.feeds_path = self.work_dir / "feeds.yaml"
        base_urls = {host: s.base_url for host, s in self.sites.items()}
        self.feeds_path.write_text(self.site.feeds_yaml(base_urls, self.interval))
        # NEWSDESK_* variables still apply (to try a setting), except the service URLs:
        # the benchmark always runs on engines of its own.
        base = Settings.from_env().with_overrides(redis_url=None, es_url=None)
        fetch = dataclasses.replace(base.fetch, allow_networks=("127.0.0.0/8",))
        if not self.politeness:
            fetch = dataclasses.replace(fetch, host_max_concurrency=0, host_min_delay_s=0)
        settings = base.with_overrides(
            feeds_path=self.feeds_path, data_dir=self.work_dir / "engines", fetch=fetch,
            log_level="WARNING",
        )  # fmt: skip
        self._stack = EmbeddedStack(settings, persist=False)
        self.settings = self._stack.__enter__()
        self._r = redis.Redis.from_url(self.settings.redis_url or "")
        self._es = build_es_client(self.settings.es_url or "", compat_7x=True)
        ensure_index(self._es, self.settings.index_alias)
        from workers.app import app  # noqa: PLC0415 - reads NEWSDESK_* at import

        app.conf.broker_url = self.settings.redis_url
        self._app = app
        self._stack.start_worker(
            queues=(routing.IO_QUEUE, routing.INDEX_QUEUE), pool="threads",
            concurrency=self.io_concurrency,
        )  # fmt: skip
        self._stack.start_worker(
            queues=(routing.CPU_QUEUE,), pool="prefork", concurrency=self.cpu_concurrency
        )
        self._await_workers(2)

    def _await_workers(self, count: int) -> None:
        deadline = time.monotonic() + WORKER_READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if len(self.app.control.ping(timeout=1.0) or []) >= count:
                return
        raise RuntimeError(f"{count} Celery workers did not answer a ping in time")

    def base_url(self, host: str) -> str:
        """Return the base URL an outlet host is served on."""
        return self.sites[host].base_url

    def responses(self) -> list[Response]:
        """Return every outlet response so far, in time order."""
        out = [resp for site in self.sites.values() for resp in list(site.responses)]
        return sorted(out, key=lambda resp: resp.at_s)

    def searchable(self, doc_ids: list[str]) -> set[str]:
        """Return which of the document ids a search finds now (refreshed documents only)."""
        result = self.es.search(
            index=self.settings.index_alias, query={"ids": {"values": doc_ids}},
            size=len(doc_ids), source=False,
        )  # fmt: skip
        return {hit["_id"] for hit in result["hits"]["hits"]}

    def close(self) -> None:
        """Stop workers and engines, then the outlets."""
        if self._r is not None:
            self._r.close()
        if self._es is not None:
            self._es.close()
        if self._stack is not None:
            self._stack.close()
        for site in self.sites.values():
            site.stop()


def _started(client: _T | None) -> _T:
    if client is None:
        raise RuntimeError("BenchStack is not started")
    return client
