"""The error taxonomy every stage speaks: transient, permanent, and success outcomes.

Each error carries a fixed, low-cardinality ``reason`` that becomes an outcome counter,
so ``newsdesk status`` and ``ingest --once`` summaries never have to parse log lines.
"""

from __future__ import annotations


class NewsdeskError(Exception):
    """Base class: ``reason`` is a fixed code, ``detail`` says what and where."""

    reason: str = "error"

    def __init__(self, detail: str, *, reason: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if reason is not None:
            self.reason = reason

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


class TransientError(NewsdeskError):
    """Worth another try later (timeouts, 5xx, 429, a service outage)."""

    reason = "transient"

    def __init__(
        self, detail: str, *, reason: str | None = None, retry_after_s: float | None = None
    ) -> None:
        super().__init__(detail, reason=reason)
        self.retry_after_s = retry_after_s


class PermanentError(NewsdeskError):
    """Retrying cannot help (404, not HTML, too large, unparseable); record it and stop."""

    reason = "permanent"


class Outcome:
    """Fixed outcome codes: exactly one is recorded per feed poll and per article."""

    # Feed polls.
    POLLED = "polled"
    NOT_MODIFIED = "not_modified"
    POLL_FAILED = "poll_failed"
    # Articles.
    DISCOVERED = "discovered"
    INDEXED = "indexed"
    DUPLICATE = "duplicate"
    FAILED = "failed"
