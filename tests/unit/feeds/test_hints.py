"""A feed's own polling hints stretch its interval, within bounds."""

from __future__ import annotations

import pytest

from newsdesk.feeds.config import Feed
from newsdesk.feeds.hints import effective_interval_s, interval_hint_s
from newsdesk.feeds.parse import parse_feed_document

FEED = Feed(name="Quiet Quarterly", url="https://quiet.example/rss.xml", interval_s=900)


@pytest.mark.parametrize(
    ("meta", "hint_s"),
    [
        ({}, None),
        ({"ttl": "60"}, 3600),
        ({"ttl": " 5 "}, 300),
        ({"ttl": "soon"}, None),
        ({"ttl": "-3"}, None),
        ({"sy_updateperiod": "daily"}, 86_400),
        ({"sy_updateperiod": "Hourly", "sy_updatefrequency": "4"}, 900),
        ({"sy_updateperiod": "fortnightly"}, None),
        ({"ttl": "30", "sy_updateperiod": "hourly"}, 3600),  # the longer wish wins
        ({"ttl": str(10**9)}, 366 * 86_400),
    ],
)
def test_hints_from_ttl_and_syndication_module(meta: dict[str, str], hint_s: int | None) -> None:
    assert interval_hint_s(meta) == hint_s


def test_a_hint_stretches_the_interval_at_most_four_times() -> None:
    assert effective_interval_s(900, None) == 900
    assert effective_interval_s(900, 300) == 900  # never more often than configured
    assert effective_interval_s(900, 1800) == 1800
    assert effective_interval_s(900, 86_400) == 3600  # never less often than 4x configured


def test_parsed_feeds_carry_their_hint() -> None:
    doc = (
        b'<?xml version="1.0"?><rss version="2.0" '
        b'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>Q</title>'
        b"<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>"
        b"<item><title>a</title><link>https://quiet.example/a</link></item></channel></rss>"
    )
    assert parse_feed_document(doc, FEED).interval_hint_s == 1800
