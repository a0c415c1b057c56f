"""The clients the API uses, built once at startup and closed at shutdown."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import redis
from elasticsearch import Elasticsearch
from fastapi import Request

from newsdesk.search.client import es_client_for
from newsdesk.settings import Settings

# Fields other parts of Newsdesk add to the mapping over time (story_id, copy_of...)
# switch API features on; re-reading the mapping this often notices a `newsdesk setup`
# run while the API is up without costing a round trip per request.
MAPPING_TTL_S = 30.0
REDIS_CONNECT_TIMEOUT_S = 2.0
REDIS_TIMEOUT_S = 5.0
ES_REQUEST_TIMEOUT_S = 15.0


@dataclass
class ApiServices:
    """Redis and Elasticsearch clients plus the index alias the API reads."""

    redis: redis.Redis
    es: Elasticsearch
    alias: str
    _fields: frozenset[str] | None = None
    _fields_read_s: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def mapped_fields(self) -> frozenset[str]:
        """Return every field path (dotted for objects) mapped in the indices behind the alias."""
        with self._lock:
            now_s = time.monotonic()
            if self._fields is None or now_s - self._fields_read_s > MAPPING_TTL_S:
                mappings = self.es.indices.get_mapping(index=self.alias)
                paths: set[str] = set()
                for index in mappings.values():
                    _collect_paths(index["mappings"].get("properties", {}), "", paths)
                self._fields = frozenset(paths)
                self._fields_read_s = now_s
            return self._fields

    def close(self) -> None:
        """Close both clients."""
        self.redis.close()
        self.es.close()


def build_api_services(settings: Settings) -> ApiServices:
    """Return clients for ``settings`` without connecting; raise ValueError if a URL is unset."""
    if not settings.redis_url or not settings.es_url:
        raise ValueError(
            "the API needs NEWSDESK_REDIS_URL and NEWSDESK_ES_URL (or the embedded stack)"
        )
    return ApiServices(
        redis=redis.Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
            socket_timeout=REDIS_TIMEOUT_S,
            health_check_interval=30,
        ),
        es=es_client_for(settings, request_timeout_s=ES_REQUEST_TIMEOUT_S),
        alias=settings.index_alias,
    )


def get_services(request: Request) -> ApiServices:
    """Return the services the lifespan hook stored on the application (a FastAPI dependency)."""
    services: ApiServices = request.app.state.services
    return services


def _collect_paths(properties: dict[str, Any], prefix: str, paths: set[str]) -> None:
    for name, spec in properties.items():
        path = prefix + name
        paths.add(path)
        if "properties" in spec:
            _collect_paths(spec["properties"], path + ".", paths)
