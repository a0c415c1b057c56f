"""Liveness keys with a TTL: a worker or scheduler that stops refreshing simply expires."""

from __future__ import annotations

import socket
import time

import redis

from newsdesk.state.redis_state import PREFIX


def heartbeat_key(role: str, host: str | None = None) -> str:
    """Return the heartbeat key of ``role`` (worker, scheduler) on ``host``."""
    return f"{PREFIX}heartbeat:{role}:{host or socket.gethostname()}"


def beat(r: redis.Redis, role: str, ttl_s: int, host: str | None = None) -> None:
    """Refresh this process's heartbeat."""
    r.set(heartbeat_key(role, host), str(time.time()), ex=ttl_s)


def is_alive(r: redis.Redis, role: str, host: str | None = None) -> bool:
    """Return True if ``role`` on ``host`` (default: this host) beat within its TTL."""
    return bool(r.exists(heartbeat_key(role, host)))


def alive_hosts(r: redis.Redis, role: str) -> list[str]:
    """Return the hosts whose ``role`` heartbeat is current."""
    prefix = heartbeat_key(role, "")
    keys = r.scan_iter(match=prefix + "*", count=500)
    return sorted(
        k.decode()[len(prefix) :] if isinstance(k, bytes) else k[len(prefix) :] for k in keys
    )
