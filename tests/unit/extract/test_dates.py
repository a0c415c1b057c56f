from datetime import UTC, datetime, timedelta

from newsdesk.extract.dates import choose_published_at

FETCHED = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_feed_date_wins_over_page_metadata() -> None:
    entry = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    page = [("jsonld", datetime(2026, 3, 9, tzinfo=UTC))]
    assert choose_published_at(entry, page, FETCHED) == (entry, "feed")


def test_jsonld_beats_meta_and_time_tag_regardless_of_order() -> None:
    page = [
        ("time_tag", datetime(2026, 3, 1, tzinfo=UTC)),
        ("meta", datetime(2026, 3, 2, tzinfo=UTC)),
        ("jsonld", datetime(2026, 3, 3, tzinfo=UTC)),
    ]
    assert choose_published_at(None, page, FETCHED) == (datetime(2026, 3, 3, tzinfo=UTC), "jsonld")


def test_future_dates_beyond_clock_skew_are_ignored() -> None:
    future = FETCHED + timedelta(days=3)
    page = [("jsonld", future), ("meta", datetime(2026, 3, 9, tzinfo=UTC))]
    assert choose_published_at(future, page, FETCHED) == (datetime(2026, 3, 9, tzinfo=UTC), "meta")


def test_small_clock_skew_is_tolerated() -> None:
    ahead = FETCHED + timedelta(hours=2)
    assert choose_published_at(ahead, [], FETCHED) == (ahead, "feed")


def test_without_any_structured_date_the_fetch_time_is_used() -> None:
    assert choose_published_at(None, [], FETCHED) == (FETCHED, "fetched")


def test_absurdly_old_dates_are_ignored() -> None:
    old = datetime(1970, 1, 1, tzinfo=UTC)
    assert choose_published_at(old, [("meta", old)], FETCHED) == (FETCHED, "fetched")
