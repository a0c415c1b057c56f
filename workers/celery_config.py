"""Celery settings shared by every worker: JSON only, late acks, explicit queues."""

from __future__ import annotations

from typing import Any

from newsdesk.settings import Settings
from workers import routing

# Above the longest retry countdown, so a delayed retry is not redelivered early.
VISIBILITY_TIMEOUT_S = 2 * 3600


def celery_config(settings: Settings) -> dict[str, Any]:
    """Return the Celery configuration for these settings."""
    broker = settings.redis_url or "redis://127.0.0.1:6379/0"
    return {
        "broker_url": broker,
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
        "broker_transport_options": {"visibility_timeout": VISIBILITY_TIMEOUT_S},
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
        "task_send_sent_event": False,
        "enable_utc": True,
    }
