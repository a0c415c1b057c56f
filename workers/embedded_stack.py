"""The embedded default: local Redis, Elasticsearch and workers when no URLs are configured.

``newsdesk run``, ``ingest --once`` and ``demo`` use this so the same pipeline runs on a
machine without Docker. Engines are started only for the URLs that are unset, and
everything started here is stopped on exit, Ctrl-C included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import redis

from newsdesk.embedded.es_server import EmbeddedElasticsearch
from newsdesk.embedded.redis_server import EmbeddedRedis
from newsdesk.settings import Settings
from workers import routing

WORKER_STOP_TIMEOUT_S = 15.0
STATE_FILE_NAME = "stack.json"  # URLs of the engines a running stack started


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
        # How each worker was started, to start it again the same way if it dies.
        self._worker_args: dict[int, dict[str, Any]] = {}
        self.resolved = settings
        self._published = False
        self._state_file = self.data_dir / STATE_FILE_NAME

    def __enter__(self) -> Settings:
        changes: dict[str, object] = {}
        running = self._running_stack()
        if running is not None:
            # Another `newsdesk run` already serves this data dir: share its engines
            # (a second Elasticsearch on the same data would fail on the node lock).
            self._say(f"using the engines of the running stack in {self.data_dir}")
            self.resolved = self.settings.with_overrides(**running, es_compat_7x=True)
            return self.resolved
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
        if self._redis is not None and self._es is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._state_file.write_text(
                json.dumps({"redis_url": self.resolved.redis_url, "es_url": self.resolved.es_url})
            )
            self._published = True
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
        args = {"queues": queues, "pool": pool, "concurrency": concurrency, "loglevel": loglevel}
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
        self._worker_args[proc.pid] = args
        return proc

    def restart_exited_workers(self) -> list[int]:
        """Start again, the same way, each worker that exited; return their exit codes.

        A worker killed by the kernel (out of memory) or by hand would otherwise leave its
        queues unserved until `newsdesk run` itself is restarted.
        """
        codes: list[int] = []
        for proc in list(self._workers):
            code = proc.poll()
            if code is None:
                continue
            self._workers.remove(proc)
            codes.append(code)
            self.start_worker(**self._worker_args.pop(proc.pid))
        return codes

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
        self._worker_args.clear()
        if self._published:
            self._state_file.unlink(missing_ok=True)
            self._published = False
        if self._es is not None:
            self._es.stop()
            self._es = None
        if self._redis is not None:
            self._redis.stop()
            self._redis = None

    def _running_stack(self) -> dict[str, str] | None:
        """Return the URLs of live engines another process started on this data dir."""
        if self.settings.redis_url or self.settings.es_url or not self._state_file.exists():
            return None
        try:
            urls = json.loads(self._state_file.read_text())
            redis.Redis.from_url(urls["redis_url"], socket_timeout=2).ping()
            with urllib.request.urlopen(urls["es_url"], timeout=2):  # noqa: S310 - our loopback URL
                pass
        except (OSError, ValueError, KeyError, redis.RedisError):
            return None  # a stale file from a stack that is gone
        return {"redis_url": urls["redis_url"], "es_url": urls["es_url"]}

    def _say(self, message: str) -> None:
        if self.status is not None:
            self.status.print(f"[dim]{message}[/]")
