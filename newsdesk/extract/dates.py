"""Choose an article's publication date, and say where it came from.

Order of trust: the feed entry (the publisher's own announcement), then the page's
structured metadata (JSON-LD, meta tags, the header's ``<time>``), then the time we
fetched it. A date found only in body text or a caption is never used: "the leaders
met on June 16, 2021" in a photo caption is not when the article was published.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

# Publishers' clocks and time zones are often off by minutes to hours.
MAX_CLOCK_SKEW = timedelta(hours=26)
# Before the web there were no news feeds: such a date is a parsing accident.
EARLIEST_PLAUSIBLE = datetime(1995, 1, 1, tzinfo=UTC)

SOURCE_RANK = ("jsonld", "meta", "time_tag")


def choose_published_at(
    entry_date: datetime | None,
    page_dates: Sequence[tuple[str, datetime]],
    fetched_at: datetime,
) -> tuple[datetime, str]:
    """Return ``(published_at, source)``; source is feed, jsonld, meta, time_tag or fetched."""
    if entry_date is not None and _plausible(entry_date, fetched_at):
        return entry_date, "feed"
    for source in SOURCE_RANK:
        for candidate_source, candidate in page_dates:
            if candidate_source == source and _plausible(candidate, fetched_at):
                return candidate, source
    return fetched_at, "fetched"


def _plausible(value: datetime, fetched_at: datetime) -> bool:
    return EARLIEST_PLAUSIBLE <= value <= fetched_at + MAX_CLOCK_SKEW
