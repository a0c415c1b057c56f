"""Celery settings shared by every worker: JSON only, late acks, explicit queues."""

from __future__ import annotations

from typing import Any

from newsdesk.settings import Settings
from workers import routing
from workers.broker import TRANSPORT_PATH

# kombu looks for messages a dead worker left unacknowledged every interval * throttle
# seconds (100 s by default); sweeping every quarter of the timeout (at most every 10 s,
# one cheap ZRANGE) brings a killed worker's tasks back soon after the timeout.
MAX_RESTORE_INTERVAL_S = 10


def broker_transport_options(visibility_timeout_s: int) -> dict[str, Any]:
    """Return the Redis transport options: redelivery after ``visibility_timeout_s``."""
    return {
        "visibility_timeout": visibility_timeout_s,
        "unacked_restore_interval": max(1, min(MAX_RESTORE_INTERVAL_S, visibility_timeout_s // 4)),
        "unacked_restore_throttle": 1,
    }


def celery_config(settings: Settings) -> dict[str, Any]:
    """Return the Celery configuration for these settings."""
    broker = settings.redis_url or "redis://127.0.0.1:6379/0"
    return {
        "broker_url": broker,
        "broker_transport": TRANSPORT_PATH,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "task_ignore_result": True,
        # A task is acknowledged only after it finishes: a killed worker's task is redelivered.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_queues": routing.task_queues(),
        "task_default_queue": routing.IO_QUEUE,
        "task_routes": routing.TASK_ROUTES,
        # Above the longest retry countdown, so a delayed retry is not redelivered early.
        "broker_transport_options": broker_transport_options(settings.visibility_timeout_s),
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
        "task_send_sent_event": False,
        "enable_utc": True,
    }
