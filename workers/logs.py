"""Log output for every Newsdesk process: text for people, JSON lines for collectors.

A context variable carries the task being run (task id and name, feed, URL); the worker's
``task_prerun``/``task_postrun`` signals bind and clear it, and every record logged in
between carries those fields. Context variables are per thread, so the thread pool's
concurrent tasks never see each other's context. Whatever the format, URL credentials
(``scheme://user:password@host``) and the configured secrets are masked in the output.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

CONTEXT_FIELDS = ("task_id", "task_name", "feed_id", "url")
MASK = "***"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Marks the handler installed here, so a second configure call updates it in place.
_HANDLER_MARK = "_newsdesk_handler"
# userinfo is everything between "//" and "@" before the host; it can hold ':' and '%'.
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@?#]+@")
# Attributes every LogRecord has; anything else on a record came from ``extra=``.
# uvicorn's color_message repeats the message with terminal colour codes.
_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "log_context",
    "taskName",
    "color_message",
}

_context: ContextVar[Mapping[str, str] | None] = ContextVar("newsdesk_log_context", default=None)


def bind_log_context(**fields: str | None) -> None:
    """Attach ``fields`` (empty values dropped) to every record logged from this context."""
    current = dict(_context.get() or {})
    current.update({k: v for k, v in fields.items() if v})
    _context.set(current)


def clear_log_context() -> None:
    """Drop every bound field (at the end of a task)."""
    _context.set(None)


def log_context() -> Mapping[str, str]:
    """Return the fields bound in this context."""
    return _context.get() or {}


def redact_url(text: str) -> str:
    """Return ``text`` with the user and password of every URL in it replaced by ``***``."""
    return _URL_USERINFO.sub(rf"\g<scheme>{MASK}@", text)


class ContextFilter(logging.Filter):
    """Copies the bound context onto each record as ``record.log_context``."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach the context and keep the record."""
        record.log_context = dict(_context.get() or {})
        return True


class _Redactor:
    """Masks URL credentials and known secret values in formatted text."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        text = redact_url(text)
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text


class TextFormatter(logging.Formatter):
    """``time level logger: message [task_name=… task_id=… feed_id=… url=…]``."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__(TEXT_FORMAT)
        self.redact = _Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one redacted text line (plus a traceback, if any)."""
        text = super().format(record)
        context: Mapping[str, str] = getattr(record, "log_context", {})
        if context:
            bound = " ".join(f"{k}={context[k]}" for k in CONTEXT_FIELDS if k in context)
            head, sep, rest = text.partition("\n")
            text = f"{head} [{bound}]{sep}{rest}"
        return self.redact(text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message, context and extras."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.redact = _Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a single-line JSON object with secrets masked."""
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "log_context", {}))
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # Redact the serialised line: secrets can hide in any field, extras included.
        return self.redact(json.dumps(entry, default=str, ensure_ascii=False))


def build_handler(
    log_format: str, stream: IO[str] | None = None, secrets: Iterable[str | None] = ()
) -> logging.Handler:
    """Return a stream handler (stderr by default) that writes ``log_format`` lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    _set_format(handler, log_format, secrets)
    handler.addFilter(ContextFilter())
    setattr(handler, _HANDLER_MARK, True)
    return handler


def configure_logging(
    log_format: str, level: str | int | None = None, *, secrets: Iterable[str | None] = ()
) -> bool:
    """Send root logging to stderr in ``log_format``; return False if logging is not ours.

    Idempotent: a second call changes the format of the handler the first one added.
    When the root logger already has other handlers (pytest, an application embedding
    Newsdesk) they are left alone, and only the level is set.
    """
    secrets = tuple(secrets)
    root = logging.getLogger()
    if level is not None:
        root.setLevel(level.upper() if isinstance(level, str) else level)
    ours = [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]
    if ours:
        for handler in ours:
            _set_format(handler, log_format, secrets)
        return True
    if any(not isinstance(h, logging.NullHandler) for h in root.handlers):
        return False
    root.addHandler(build_handler(log_format, secrets=secrets))
    # Python warnings (Celery's "running as root", deprecations) become log records
    # too, so a JSON log stream has no stray plain-text lines.
    logging.captureWarnings(True)
    return True


def _set_format(handler: logging.Handler, log_format: str, secrets: Iterable[str | None]) -> None:
    if log_format == "json":
        handler.setFormatter(JsonFormatter(secrets))
    else:
        handler.setFormatter(TextFormatter(secrets))
