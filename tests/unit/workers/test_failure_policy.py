"""Which failures become dead letters, which outcomes count, and how redelivery is tuned."""

from __future__ import annotations

import pytest
import redis
from kombu.exceptions import OperationalError

from newsdesk.errors import PermanentError, TransientError
from newsdesk.settings import Settings, SettingsError
from newsdesk.stages.flush_faults import FLUSH_TASK, _same_article
from newsdesk.state.outcome_gate import FAILURE, SUCCESS, gate_key, may_count
from workers import routing
from workers.celery_config import broker_transport_options
from workers.task_base import failure_reason, is_content_verdict


@pytest.mark.parametrize(
    "reason", ["http_404", "http_410", "not_html", "too_large", "forbidden_address", "bad_url"]
)
def test_verdicts_on_the_content_are_not_dead_letters(reason: str) -> None:
    assert is_content_verdict(PermanentError("x", reason=reason))


@pytest.mark.parametrize(
    "exc",
    [
        TransientError("503 after every retry", reason="http_503"),
        PermanentError("the page body expired in Redis", reason="page_expired"),
        PermanentError("extraction crashed", reason="extract_error"),
        KeyError("a bug"),
    ],
)
def test_everything_else_is_a_dead_letter(exc: Exception) -> None:
    assert not is_content_verdict(exc)


def test_failure_reasons_are_fixed_codes() -> None:
    assert failure_reason(TransientError("t", reason="timeout")) == ("timeout", "t")
    assert failure_reason(redis.ConnectionError("refused"))[0] == "redis_unavailable"
    assert failure_reason(OperationalError("broker gone"))[0] == "redis_unavailable"
    assert failure_reason(ValueError("bug"))[0] == "internal_error"


def test_an_outcome_counts_once_unless_a_success_follows_a_failure() -> None:
    assert may_count(None, success=True) and may_count(None, success=False)
    assert not may_count(SUCCESS, success=True) and not may_count(SUCCESS, success=False)
    assert may_count(FAILURE, success=True) and not may_count(FAILURE, success=False)
    assert may_count("failed", success=True)  # a client decoding responses


def test_the_gate_knows_an_article_by_its_canonical_feed_link() -> None:
    tracked = "HTTPS://Example.org/a?utm_source=rss#top"
    assert gate_key(tracked) == gate_key("http://example.org/a")
    assert gate_key("not a url") != gate_key("also not a url")


def test_a_conflict_is_the_same_article_only_for_the_same_link_soon_after() -> None:
    ours = {"link": "https://e.org/a", "fetched_at": "2026-03-01T10:00:00+00:00"}
    assert _same_article(ours, ours)
    assert _same_article(ours, {**ours, "fetched_at": "2026-03-01T10:05:00+00:00"})
    assert not _same_article(ours, {**ours, "fetched_at": "2026-06-01T10:00:00+00:00"})
    assert not _same_article(ours, {**ours, "link": "https://e.org/b"})
    # Without a link only the very same fetch is the same article.
    linkless = {"fetched_at": ours["fetched_at"]}
    assert _same_article(linkless, linkless)
    assert not _same_article(linkless, {"fetched_at": "2026-03-01T10:00:01+00:00"})


def test_index_dead_letters_replay_through_the_flush_task() -> None:
    assert FLUSH_TASK == routing.FLUSH_INDEX


def test_visibility_timeout_sets_how_soon_abandoned_messages_come_back() -> None:
    assert broker_transport_options(7200) == {
        "visibility_timeout": 7200,
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
    assert broker_transport_options(8)["unacked_restore_interval"] == 2
    assert Settings.from_env({"NEWSDESK_VISIBILITY_TIMEOUT_S": "30"}).visibility_timeout_s == 30
    with pytest.raises(SettingsError, match="NEWSDESK_VISIBILITY_TIMEOUT_S"):
        Settings.from_env({"NEWSDESK_VISIBILITY_TIMEOUT_S": "0"})
