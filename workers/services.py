"""Clients built once per worker process and handed to the stage functions.

Nothing connects at import: the first task in a process builds the services, and a
forked child (prefork pool) rebuilds its own, since sockets must not cross a fork.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field

import httpx
import redis
from elasticsearch import Elasticsearch

from newsdesk.enrich.entities import EntityExtractor
from newsdesk.http.fetch import build_http_client
from newsdesk.search.client import es_client_for
from newsdesk.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Services:
    """The per-process clients every stage needs."""

    settings: Settings
    http: httpx.Client
    redis: redis.Redis
    es: Elasticsearch
    # Loads spaCy on first use, so I/O-only workers never pay for the model.
    entities: EntityExtractor = field(default_factory=EntityExtractor)

    def close(self) -> None:
        """Close every client."""
        self.http.close()
        self.redis.close()
        self.es.close()


def build_services(settings: Settings) -> Services:
    """Return freshly built clients for ``settings``."""
    if not settings.redis_url or not settings.es_url:
        raise RuntimeError("NEWSDESK_REDIS_URL and NEWSDESK_ES_URL must be set for a worker")
    return Services(
        settings=settings,
        http=build_http_client(settings.fetch),
        redis=redis.Redis.from_url(settings.redis_url, health_check_interval=30),
        es=es_client_for(settings),
    )


class ServiceHolder:
    """Lazily builds one Services per process; tests may install their own settings."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._services: Services | None = None
        self._pid: int | None = None
        self._settings: Settings | None = None

    def configure(self, settings: Settings) -> None:
        """Use ``settings`` instead of the environment (embedded stack, tests)."""
        with self._lock:
            self._close_locked()
            self._settings = settings

    def get(self) -> Services:
        """Return this process's services, building them on first use."""
        with self._lock:
            if self._services is None or self._pid != os.getpid():
                settings = self._settings or Settings.from_env()
                self._services = build_services(settings)
                self._pid = os.getpid()
                log.info("services ready: %s", settings.redacted())
            return self._services

    def close(self) -> None:
        """Close the services of this process, if any."""
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        if self._services is not None and self._pid == os.getpid():
            self._services.close()
        self._services = None


services = ServiceHolder()
