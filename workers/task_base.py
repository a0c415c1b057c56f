"""The task base class: per-process services, retries for TransientError, final outcomes.

A stage task raises TransientError to be retried with exponential backoff and jitter,
or PermanentError to stop. Whatever finally ends an article's task unsuccessfully
(a permanent error, retries exhausted, a bug) is recorded here as its one outcome.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from newsdesk.errors import NewsdeskError, Outcome, PermanentError, TransientError
from newsdesk.outcomes import ARTICLES, POLLS, record_outcome
from workers.services import Services, services

log = logging.getLogger(__name__)

RETRY_POLICY: dict[str, Any] = {
    "autoretry_for": (TransientError,),
    "retry_backoff": 2,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
    # Permanent errors are expected outcomes: logged without a traceback.
    "throws": (PermanentError,),
}
# Waiting for a busy host is not a failure of the item; it gets many more turns.
HOST_BUSY_MAX_RETRIES = 50


def retry_schedule(
    exc: TransientError, countdown_s: float | None
) -> tuple[float | None, int | None]:
    """Return the (countdown, max_retries override) for retrying after ``exc``."""
    if exc.retry_after_s is None:
        return countdown_s, None
    if exc.reason == "host_busy":
        # The politeness gate already picked a short, jittered pause.
        return exc.retry_after_s, HOST_BUSY_MAX_RETRIES
    return max(countdown_s or 0.0, exc.retry_after_s), None


class NewsdeskTask(Task):
    """Base for every stage task."""

    abstract = True
    outcome_kind = ARTICLES

    @property
    def services(self) -> Services:
        """Return the per-process services."""
        return services.get()

    def retry(self, *args: Any, **kwargs: Any) -> Any:
        """Retry as Celery does, but never sooner than the server's Retry-After."""
        # Celery's autoretry passes exc= and countdown= by keyword.
        exc = kwargs.get("exc")
        if isinstance(exc, TransientError):
            countdown, max_retries = retry_schedule(exc, kwargs.get("countdown"))
            kwargs["countdown"] = countdown
            if max_retries is not None:
                kwargs["max_retries"] = max_retries
        return super().retry(*args, **kwargs)

    def on_failure(
        self,
        exc: Exception,
        task_id: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        einfo: Any,
    ) -> None:
        """Record the final failed outcome of the item this task carried."""
        payload = args[0] if args and isinstance(args[0], dict) else {}
        entry = payload.get("entry", payload)
        reason = exc.reason if isinstance(exc, NewsdeskError) else "internal_error"
        detail = exc.detail if isinstance(exc, NewsdeskError) else repr(exc)
        url = entry.get("url") or payload.get("url") or "?"
        log.warning("%s failed for %s: %s (%s)", self.name, url, reason, detail)
        if not payload:
            return
        try:
            record_outcome(
                self.services.redis,
                self.outcome_kind,
                Outcome.POLL_FAILED if self.outcome_kind == POLLS else Outcome.FAILED,
                feed_id=entry.get("feed_id"),
                url=url,
                reason=reason,
                detail=detail,
                run_id=entry.get("run_id") or payload.get("run_id"),
                stage=self.name.rsplit(".", 1)[-1],
            )
        except Exception:
            log.exception("could not record the failure of %s for %s", self.name, url)
