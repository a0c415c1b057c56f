"""The task base class: per-process services, retries for TransientError, final outcomes.

A stage task raises TransientError to be retried with exponential backoff and jitter,
or PermanentError to stop. Whatever finally ends an item's task unsuccessfully (a
permanent error, retries exhausted, a bug) is recorded here as its one outcome; unless
it is a verdict on the content (a 404, not HTML...), it also becomes a dead letter that
``newsdesk dlq replay`` can send back once the cause is fixed.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from celery import Task
from celery.exceptions import Reject
from kombu.exceptions import OperationalError

from newsdesk.errors import NewsdeskError, Outcome, PermanentError, TransientError
from newsdesk.outcomes import ARTICLES, POLLS, record_outcome
from newsdesk.state.dead_letters import add_dead_letter
from newsdesk.state.outcome_gate import ArticleOutcome, record_article_outcomes
from workers import routing
from workers.services import Services, services

log = logging.getLogger(__name__)

# Redis is both the broker and the pipeline's state: losing it mid-task is an outage to
# wait out (a restart takes a second), not a verdict on the item.
REDIS_DOWN_ERRORS: tuple[type[Exception], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    OperationalError,
)
RETRY_POLICY: dict[str, Any] = {
    "autoretry_for": (TransientError, *REDIS_DOWN_ERRORS),
    "retry_backoff": 2,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
    # Permanent errors are expected outcomes: logged without a traceback.
    "throws": (PermanentError,),
}
# Waiting for a busy host is not a failure of the item; it gets many more turns.
HOST_BUSY_MAX_RETRIES = 50
# Pauses while the retry message cannot be published because the broker is down.
BROKER_WAITS_S = (0.5, 1.0, 2.0, 4.0, 8.0)
# Verdicts on the content itself: neither a retry nor a replay can change them, so they
# end as an outcome only. Anything else (retries exhausted, a bug) is a dead letter.
CONTENT_VERDICTS = frozenset(
    {
        "not_html", "too_large", "forbidden_address", "bad_url", "url_too_long",
        "too_many_redirects", "bad_encoding", "extract_empty", "extract_too_short",
        "malformed_feed", "not_a_feed", "xml_entities",
    }
)  # fmt: skip


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


def failure_reason(exc: BaseException) -> tuple[str, str]:
    """Return the (reason code, detail) an exception is recorded with."""
    if isinstance(exc, NewsdeskError):
        return exc.reason, exc.detail
    if isinstance(exc, REDIS_DOWN_ERRORS):
        return "redis_unavailable", repr(exc)
    return "internal_error", repr(exc)


def is_content_verdict(exc: BaseException) -> bool:
    """Return True if the failure judges the content (4xx, not HTML...), not the system."""
    if not isinstance(exc, PermanentError):
        return False
    return exc.reason in CONTENT_VERDICTS or exc.reason.startswith("http_")


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
        for wait_s in BROKER_WAITS_S:
            try:
                return super().retry(*args, **kwargs)
            except Reject as rejected:
                # Celery drops a task whose retry it cannot publish: wait for the broker.
                log.warning("%s: retry not published (%s)", self.name, rejected.reason)
                time.sleep(wait_s)
        # Still down: give the message back instead (if even that fails, the broker
        # redelivers it after the visibility timeout, since it was never acknowledged).
        raise Reject("broker unavailable for the retry", requeue=True)

    def on_failure(
        self,
        exc: Exception,
        task_id: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        einfo: Any,
    ) -> None:
        """Record the final failed outcome of the item this task carried, and its dead letter."""
        payload = args[0] if args and isinstance(args[0], dict) else {}
        entry = payload.get("entry", payload)
        reason, detail = failure_reason(exc)
        url = entry.get("url") or payload.get("url")
        stage = self.name.rsplit(".", 1)[-1]
        log.warning("%s failed for %s: %s (%s)", self.name, url or "?", reason, detail)
        r = self.services.redis
        if not is_content_verdict(exc):
            task, replay = self.name, payload
            if reason == "page_expired" and "entry" in payload:
                task, replay = routing.FETCH_ARTICLE, payload["entry"]  # the body is gone
            try:
                add_dead_letter(
                    r, stage=stage, task=task, reason=reason, error=detail, payload=replay,
                    url=url, feed_id=entry.get("feed_id"),
                )  # fmt: skip
            except Exception:
                log.exception("could not keep the dead letter of %s for %s", self.name, url)
        if not url:
            return  # a flush carries no item of its own; its documents' outcomes are its stage's
        details = {
            "feed_id": entry.get("feed_id"),
            "url": url,
            "reason": reason,
            "detail": detail,
            "run_id": entry.get("run_id") or payload.get("run_id"),
            "stage": stage,
        }
        try:
            if self.outcome_kind == POLLS:
                record_outcome(r, POLLS, Outcome.POLL_FAILED, **details)
            else:
                # A task that ran twice must not count its article twice.
                record_article_outcomes(r, [ArticleOutcome(url, Outcome.FAILED, details)])
        except Exception:
            log.exception("could not record the failure of %s for %s", self.name, url)
