"""Retries wait at least as long as the server asked; a busy host gets more turns."""

from __future__ import annotations

from newsdesk.errors import TransientError
from workers.task_base import HOST_BUSY_MAX_RETRIES, retry_schedule


def test_retry_after_is_a_floor_for_the_backoff_countdown() -> None:
    limited = TransientError("x answered HTTP 429", reason="http_429", retry_after_s=120)
    assert retry_schedule(limited, 4.0) == (120, None)
    assert retry_schedule(limited, None) == (120, None)
    assert retry_schedule(limited, 300.0) == (300.0, None)


def test_without_retry_after_the_backoff_stands() -> None:
    assert retry_schedule(TransientError("t", reason="timeout"), 8.0) == (8.0, None)


def test_a_busy_host_retries_after_its_own_pause_with_more_retries() -> None:
    busy = TransientError("busy", reason="host_busy", retry_after_s=0.7)
    assert retry_schedule(busy, 30.0) == (0.7, HOST_BUSY_MAX_RETRIES)
