"""The embedded default: local Redis, Elasticsearch and workers when no URLs are configured.

``newsdesk run``, ``ingest --once`` and ``demo`` use this so the same pipeline runs on a
machine without Docker. Engines are started only for the URLs that are unset, and
everything started here is stopped on exit, Ctrl-C included.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import TracebackType
from typing import Protocol

from newsdesk.embedded.es_server import EmbeddedElasticsearch
from newsdesk.embedded.redis_server import EmbeddedRedis
from newsdesk.settings import Settings
from workers import routing

WORKER_STOP_TIMEOUT_S = 15.0


class EmbeddedStartError(RuntimeError):
    """An embedded engine could not start; the message says which and why."""


class StatusSink(Protocol):
    """Anything with a rich-style ``print`` (the CLI's stderr console)."""

    def print(self, *objects: object) -> None:
        """Print a status line."""


class EmbeddedStack:
    """Starts what is missing on enter, stops what it started on exit."""

    def __init__(
        self, settings: Settings, *, persist: bool, status: StatusSink | None = None
    ) -> None:
        self.settings = settings
        self.persist = persist
        self.status = status
        self.data_dir = Path(settings.data_dir).resolve()
        self._redis: EmbeddedRedis | None = None
        self._es: EmbeddedElasticsearch | None = None
        self._workers: list[subprocess.Popen[bytes]] = []
        self.resolved = settings

    def __enter__(self) -> Settings:
        changes: dict[str, object] = {}
        try:
            if not self.settings.redis_url:
                self._say("starting embedded Redis")
                self._redis = EmbeddedRedis(self.data_dir / "redis", persist=self.persist)
                changes["redis_url"] = self._redis.start()
            if not self.settings.es_url:
                self._say("starting embedded Elasticsearch (10-20 s)")
                started = time.monotonic()
                self._es = EmbeddedElasticsearch(self.data_dir / "elasticsearch")
                changes["es_url"] = self._es.start()
                changes["es_compat_7x"] = True
                self._say(f"Elasticsearch ready in {time.monotonic() - started:.1f} s")
        except (RuntimeError, OSError) as exc:
            self.close()
            raise EmbeddedStartError(f"embedded stack failed to start: {exc}") from exc
        self.resolved = self.settings.with_overrides(**changes)
        return self.resolved

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def embedded(self) -> bool:
        """Return True if this stack started any engine itself."""
        return self._redis is not None or self._es is not None

    def start_worker(
        self,
        *,
        queues: tuple[str, ...] = routing.QUEUES,
        pool: str = "threads",
        concurrency: int = 8,
        loglevel: str = "WARNING",
    ) -> subprocess.Popen[bytes]:
        """Start a Celery worker subprocess on the resolved settings; its log goes to data_dir."""
        log_dir = self.data_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = (log_dir / "worker.log").open("ab")
        name = f"newsdesk-{uuid.uuid4().hex[:6]}@%h"
        cmd = [
            sys.executable, "-m", "celery", "-A", "workers.app", "worker",
            "-Q", ",".join(queues), "-P", pool, "-c", str(concurrency),
            "-n", name, "--loglevel", loglevel, "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        env = {**os.environ, **self.resolved.to_env()}
        proc = subprocess.Popen(cmd, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        log_file.close()
        self._workers.append(proc)
        return proc

    def close(self) -> None:
        """Stop workers, then Elasticsearch, then Redis (each only if started here)."""
        for proc in self._workers:
            if proc.poll() is None:
                proc.terminate()
        for proc in self._workers:
            try:
                proc.wait(WORKER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._workers.clear()
        if self._es is not None:
            self._es.stop()
            self._es = None
        if self._redis is not None:
            self._redis.stop()
            self._redis = None

    def _say(self, message: str) -> None:
        if self.status is not None:
            self.status.print(f"[dim]{message}[/]")
