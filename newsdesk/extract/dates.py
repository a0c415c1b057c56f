"""Choose an article's publication date, and say where it came from.

Candidates, most reliable first: the feed entry (the publisher's own announcement),
JSON-LD, meta tags, the article header's ``<time>``, a date in the URL path, then
htmldate's text heuristics; the fetch time is the last resort. Text is consulted only
when no structured source exists: "the leaders met on June 16, 2021" in a caption is
not when the article was published, and neither is "since 2014" in the body.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Publishers' clocks and time zones are often off by minutes to hours.
MAX_CLOCK_SKEW = timedelta(hours=26)
# Before the web there were no news feeds: such a date is a parsing accident.
EARLIEST_PLAUSIBLE = datetime(1995, 1, 1, tzinfo=UTC)
# A feed date and the page's own structured date that disagree by more than this are in
# conflict; the page wins, since feeds re-stamp items when they are re-published or the
# feed is rebuilt, while the page's markup comes from the article itself.
MAX_FEED_PAGE_DISAGREEMENT = timedelta(hours=48)

STRUCTURED_SOURCES = ("jsonld", "meta", "time_tag")
_URL_DATE_RES = (
    re.compile(r"/(?P<y>(?:19|20)\d\d)/(?P<m>0?[1-9]|1[0-2])/(?P<d>0?[1-9]|[12]\d|3[01])(?:/|$)"),
    re.compile(
        r"(?<!\d)(?P<y>(?:19|20)\d\d)-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])(?!\d)"
    ),
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])(?!\d)"),
)


@dataclass(frozen=True)
class DateChoice:
    """The chosen publication date, its source, and the last update when known."""

    published_at: datetime
    source: str  # feed, jsonld, meta, time_tag, url, text or fetched
    updated_at: datetime | None = None


def choose_dates(
    *,
    fetched_at: datetime,
    feed_published: datetime | None = None,
    feed_updated: datetime | None = None,
    page_published: Sequence[tuple[str, datetime]] = (),
    page_modified: Sequence[tuple[str, datetime]] = (),
    url: str | None = None,
    text_date: datetime | None = None,
) -> DateChoice:
    """Return the most reliable plausible publication date, with its source."""
    structured = _first_structured(page_published, fetched_at)
    published: tuple[datetime, str] | None = None
    feed_date = feed_published or feed_updated
    feed_agrees = feed_date is not None and (
        structured is None or abs(structured[0] - feed_date) <= MAX_FEED_PAGE_DISAGREEMENT
    )
    if feed_date is not None and feed_agrees and _plausible(feed_date, fetched_at):
        published = (feed_date, "feed")
    if published is None and structured is not None:
        published = structured
    if published is None and url:
        url_date = date_from_url(url)
        if url_date is not None and _plausible(url_date, fetched_at):
            published = (url_date, "url")
    if published is None and text_date is not None and _plausible(text_date, fetched_at):
        published = (text_date, "text")
    if published is None:
        published = (fetched_at, "fetched")
    return DateChoice(
        published[0], published[1], _updated(published[0], feed_updated, page_modified, fetched_at)
    )


def choose_published_at(
    entry_date: datetime | None,
    page_dates: Sequence[tuple[str, datetime]],
    fetched_at: datetime,
) -> tuple[datetime, str]:
    """Return ``(published_at, source)`` from a feed date and page dates (no URL or text)."""
    choice = choose_dates(
        fetched_at=fetched_at, feed_published=entry_date, page_published=page_dates
    )
    return choice.published_at, choice.source


def date_from_url(url: str) -> datetime | None:
    """Return the date in a URL path (``/2026/11/19/``, ``-2026-11-19``, ``20261119``), if any."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    path = path.split("://", 1)[-1]
    path = path[path.find("/") :] if "/" in path else ""
    for pattern in _URL_DATE_RES:
        match = pattern.search(path)
        if match:
            try:
                return datetime(int(match["y"]), int(match["m"]), int(match["d"]), tzinfo=UTC)
            except ValueError:
                continue  # 2026/02/30 and similar
    return None


def _first_structured(
    candidates: Sequence[tuple[str, datetime]], fetched_at: datetime
) -> tuple[datetime, str] | None:
    for source in STRUCTURED_SOURCES:
        for candidate_source, candidate in candidates:
            if candidate_source == source and _plausible(candidate, fetched_at):
                return candidate, source
    return None


def _updated(
    published: datetime,
    feed_updated: datetime | None,
    page_modified: Sequence[tuple[str, datetime]],
    fetched_at: datetime,
) -> datetime | None:
    """Return the latest plausible update time after publication, if any source gives one."""
    candidates = [d for _, d in page_modified]
    if feed_updated is not None:
        candidates.append(feed_updated)
    later = [d for d in candidates if d > published and _plausible(d, fetched_at)]
    return max(later) if later else None


def _plausible(value: datetime, fetched_at: datetime) -> bool:
    return EARLIEST_PLAUSIBLE <= value <= fetched_at + MAX_CLOCK_SKEW
