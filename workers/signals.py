"""Worker lifecycle hooks: a heartbeat thread for health checks, and client cleanup."""

from __future__ import annotations

import logging
import threading
from typing import Any

import redis
from celery.signals import worker_process_shutdown, worker_ready, worker_shutdown

from newsdesk.state.heartbeat import beat
from workers.services import services

log = logging.getLogger(__name__)
_stop = threading.Event()


def _heartbeat_loop() -> None:
    while not _stop.is_set():
        svc = services.get()
        try:
            beat(svc.redis, "worker", svc.settings.heartbeat_ttl_s)
        except redis.RedisError as exc:
            log.warning("heartbeat failed: %s", exc)
        _stop.wait(max(1.0, svc.settings.heartbeat_ttl_s / 3))


@worker_ready.connect
def start_heartbeat(**_: Any) -> None:
    """Start refreshing this worker's heartbeat key once it is ready to take tasks."""
    _stop.clear()
    threading.Thread(target=_heartbeat_loop, name="newsdesk-heartbeat", daemon=True).start()


@worker_shutdown.connect
def stop_heartbeat(**_: Any) -> None:
    """Stop the heartbeat when the worker shuts down."""
    _stop.set()


@worker_process_shutdown.connect
def close_services(**_: Any) -> None:
    """Close this process's clients."""
    services.close()
