"""Log lines: JSON that parses, task context bound by Celery's signals, secrets masked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from celery.signals import task_postrun, task_prerun

import workers.signals  # noqa: F401 - connects the task_prerun/task_postrun receivers
from newsdesk.settings import Settings, SettingsError
from tasks.fetch_article import fetch_article
from tasks.poll_feed import poll_feed
from tasks.process_article import process_article
from workers.logs import build_handler, configure_logging, log_context

SECRET = "Pa55wordFromEnv"


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO, io.StringIO]]:
    """Yield a logger writing JSON to one buffer and text to another (secrets known)."""
    json_out, text_out = io.StringIO(), io.StringIO()
    logger = logging.getLogger("newsdesk.test.logs")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handlers = [
        build_handler("json", json_out, secrets=[SECRET]),
        build_handler("text", text_out, secrets=[SECRET]),
    ]
    for handler in handlers:
        logger.addHandler(handler)
    yield logger, json_out, text_out
    for handler in handlers:
        logger.removeHandler(handler)


def _lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def _run(task: Any, task_id: str, payload: dict[str, Any], logger: logging.Logger) -> None:
    """Send the signals a worker sends around a task run, logging one line inside."""
    task_prerun.send(sender=task, task_id=task_id, task=task, args=(payload,), kwargs={})
    try:
        logger.warning("working on it")
    finally:
        task_postrun.send(
            sender=task, task_id=task_id, task=task, args=(payload,), kwargs={}, state="SUCCESS"
        )


def test_json_lines_parse_with_timestamp_level_logger_message_and_extras(
    logged: tuple[logging.Logger, io.StringIO, io.StringIO],
) -> None:
    logger, json_out, _ = logged
    logger.info("dispatched %d polls", 3, extra={"dispatched": 3})
    try:
        raise ValueError('broken "quote"\nand a second line')
    except ValueError:
        logger.exception("it failed")

    first, second = _lines(json_out)
    assert first["level"] == "INFO"
    assert first["logger"] == "newsdesk.test.logs"
    assert first["message"] == "dispatched 3 polls"
    assert first["dispatched"] == 3
    stamp = datetime.fromisoformat(first["timestamp"])
    assert stamp.tzinfo is not None and stamp.utcoffset() == UTC.utcoffset(None)
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60
    assert "task_id" not in first
    # A multi-line traceback still makes exactly one line of output.
    assert second["level"] == "ERROR"
    assert "ValueError: broken" in second["exception"]
    assert len(json_out.getvalue().splitlines()) == 2


def test_task_context_is_bound_before_a_task_and_cleared_after(
    logged: tuple[logging.Logger, io.StringIO, io.StringIO],
) -> None:
    logger, json_out, text_out = logged
    entry = {"url": "https://news.example/a.html", "feed_id": "example-news", "title": "A"}
    _run(fetch_article, "task-fetch-1", entry, logger)
    # The process stage carries the entry inside the fetched page.
    _run(process_article, "task-process-1", {"entry": entry, "final_url": "x"}, logger)
    poll = {"feed": {}, "feed_id": "example-news", "url": "https://news.example/feed.xml"}
    _run(poll_feed, "task-poll-1", poll, logger)
    logger.warning("between tasks")

    fetched, processed, polled, after = _lines(json_out)
    assert fetched["task_id"] == "task-fetch-1"
    assert fetched["task_name"] == "newsdesk.fetch_article"
    assert fetched["feed_id"] == "example-news"
    assert fetched["url"] == "https://news.example/a.html"
    assert processed["task_name"] == "newsdesk.process_article"
    assert processed["url"] == "https://news.example/a.html"
    assert polled["task_name"] == "newsdesk.poll_feed"
    assert polled["url"] == "https://news.example/feed.xml"
    assert not {"task_id", "task_name", "feed_id", "url"} & after.keys()
    assert log_context() == {}

    text = text_out.getvalue().splitlines()
    assert text[0].endswith(
        "working on it [task_id=task-fetch-1 task_name=newsdesk.fetch_article "
        "feed_id=example-news url=https://news.example/a.html]"
    )
    assert text[-1].endswith("between tasks")


def test_credentials_never_reach_the_output(
    logged: tuple[logging.Logger, io.StringIO, io.StringIO],
) -> None:
    logger, json_out, text_out = logged
    entry = {"url": "https://reader:hunter2@paywalled.example/story", "feed_id": "paywalled"}
    _run(fetch_article, "task-secret-1", entry, logger)
    logger.warning(
        "connecting to %s and %s",
        "redis://:r3dispass@redis:6379/0",
        f"http://newsdesk:{SECRET}@elasticsearch:9200",
        extra={"target": f"password is {SECRET}"},
    )
    try:
        raise ConnectionError(f"auth failed for newsdesk:{SECRET}")
    except ConnectionError:
        logger.exception("gave up")

    for output in (json_out.getvalue(), text_out.getvalue()):
        for secret in ("hunter2", "r3dispass", SECRET):
            assert secret not in output
    bound, connecting, failed = _lines(json_out)
    assert bound["url"] == "https://***@paywalled.example/story"
    assert connecting["message"] == (
        "connecting to redis://***@redis:6379/0 and http://***@elasticsearch:9200"
    )
    assert connecting["target"] == "password is ***"
    assert "auth failed for newsdesk:***" in failed["exception"]


def test_configure_logging_leaves_someone_elses_handlers_alone() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    # pytest's capture handlers are on the root logger here, as an embedding app's would be.
    assert before
    assert configure_logging("json") is False
    assert root.handlers == before


def test_log_format_is_checked_at_startup() -> None:
    assert Settings.from_env({"NEWSDESK_LOG_FORMAT": "json"}).log_format == "json"
    with pytest.raises(SettingsError, match="NEWSDESK_LOG_FORMAT"):
        Settings.from_env({"NEWSDESK_LOG_FORMAT": "xml"})
    with pytest.raises(SettingsError, match="NEWSDESK_METRICS_PORT"):
        Settings.from_env({"NEWSDESK_METRICS_PORT": "70000"})
