"""Long-running Elasticsearch tasks (reindex, delete by query): poll, report, cancel.

Started with ``wait_for_completion=false``, a task keeps running on the server whatever
happens to the client; so the client polls it for progress, and cancels it when it is
itself interrupted, instead of leaving a copy running into an index it then deletes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError


class TaskFailedError(RuntimeError):
    """An Elasticsearch task ended with an error, failed documents, or was cancelled."""


@dataclass(frozen=True)
class TaskProgress:
    """How far an Elasticsearch task (copy, delete) has come."""

    phase: str
    done: int
    total: int


ProgressCallback = Callable[[TaskProgress], None]


def wait_for_task(
    es: Elasticsearch,
    task_id: str,
    *,
    phase: str,
    on_progress: ProgressCallback | None = None,
    poll_s: float = 0.5,
) -> dict[str, Any]:
    """Return a finished task's response; raise TaskFailedError if it failed.

    An interruption while waiting (Ctrl-C included) cancels the task before re-raising.
    """
    try:
        while True:
            # Not es.tasks.get(): the client warns on every call that the API is a
            # "technical preview", and tests turn warnings into errors.
            task = es.perform_request(
                "GET", f"/_tasks/{task_id}", headers={"accept": "application/json"}
            ).body
            status = task["task"]["status"]
            if on_progress is not None:
                done = sum(int(status.get(k, 0)) for k in ("created", "updated", "deleted"))
                done += int(status.get("version_conflicts", 0)) + int(status.get("noops", 0))
                on_progress(TaskProgress(phase, done, int(status.get("total", 0))))
            if task.get("completed"):
                break
            time.sleep(poll_s)
    except BaseException:
        # Wait for the cancel: a copy still running would re-create a deleted index.
        with contextlib.suppress(ApiError, TransportError):
            es.perform_request(
                "POST",
                f"/_tasks/{task_id}/_cancel",
                params={"wait_for_completion": "true"},
                headers={"accept": "application/json"},
            )
        raise
    if task.get("error"):
        raise TaskFailedError(f"{phase} failed: {task['error']}")
    response: dict[str, Any] = task.get("response") or {}
    if response.get("canceled"):
        raise TaskFailedError(f"{phase} was cancelled: {response['canceled']}")
    failures = response.get("failures") or []
    if failures:
        first = failures[0]
        cause = first.get("cause", first)
        raise TaskFailedError(
            f"{phase} failed for {len(failures)} document(s), first {first.get('id')!r}: "
            f"{cause.get('type')}: {cause.get('reason')}"
        )
    return response
