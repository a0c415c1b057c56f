from datetime import UTC, datetime

import pytest
from fastapi import HTTPException

from newsdesk.settings import Settings
from workers.api import create_api
from workers.api.models import MARK_END, MARK_START, segments, source_value
from workers.api.params import decode_cursor, encode_cursor, parse_date, parse_date_range


def test_dates_accept_days_and_timestamps() -> None:
    assert parse_date("since", "2026-03-04") == datetime(2026, 3, 4, tzinfo=UTC)
    # A bare `until` date includes the whole day: the bound moves to the next midnight.
    assert parse_date("until", "2026-03-04", end_of_day=True) == datetime(2026, 3, 5, tzinfo=UTC)
    assert parse_date("since", "2026-03-04T10:30:00+02:00") == datetime(
        2026, 3, 4, 8, 30, tzinfo=UTC
    )
    assert parse_date("since", "2026-03-04T10:30") == datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
    assert parse_date("since", "  ") is None


@pytest.mark.parametrize("bad", ["yesterday", "2026-02-30", "2026-13-01", "0000-01-01", "1e9"])
def test_unreadable_dates_are_a_400_naming_the_parameter(bad: str) -> None:
    with pytest.raises(HTTPException) as caught:
        parse_date("until", bad)
    assert caught.value.status_code == 400
    assert str(caught.value.detail).startswith(f"until: {bad!r} is not a date")


def test_an_empty_range_is_refused() -> None:
    with pytest.raises(HTTPException, match="must be before until"):
        parse_date_range("2026-03-05", "2026-03-04")


def test_cursor_round_trips_and_is_checked_against_the_sort() -> None:
    values = [3.25, 1767571200000, "https://a.example/é"]
    cursor = encode_cursor(values)
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor
    assert decode_cursor(cursor, "relevance") == values
    with pytest.raises(HTTPException, match="sort=date"):
        decode_cursor(cursor, "date")
    for forged in ([1, 2], ["x", "y"], [True, "u"], [1, "u", 3]):
        with pytest.raises(HTTPException):
            decode_cursor(encode_cursor(forged), "date")
    for garbage in ("not base64!", "e30", "bnVsbA"):  # "{}" and "null" once decoded
        with pytest.raises(HTTPException):
            decode_cursor(garbage, "date")
    assert decode_cursor(None, "date") is None


def test_highlight_markers_become_segments() -> None:
    fragment = f"The {MARK_START}ferry{MARK_END} <b>sails</b> {MARK_START}late"
    assert [(s.text, s.mark) for s in segments(fragment)] == [
        ("The ", False),
        ("ferry", True),
        (" <b>sails</b> late", False),
    ]


def test_dotted_facet_paths_read_nested_fields() -> None:
    doc = {"entities": {"people": ["Ana Ruiz"]}, "source": "Lakeside Post"}
    assert source_value(doc, "entities.people") == ["Ana Ruiz"]
    assert source_value(doc, "source.name") is None
    assert source_value(doc, "missing") is None


def test_create_api_needs_both_urls_and_connects_to_nothing() -> None:
    with pytest.raises(ValueError, match="NEWSDESK_REDIS_URL"):
        create_api(Settings(es_url="http://127.0.0.1:9"))
    # Building the app opens no connection: these ports are never contacted.
    app = create_api(Settings(redis_url="redis://127.0.0.1:9/0", es_url="http://127.0.0.1:9"))
    assert "/search" in app.openapi()["paths"]
