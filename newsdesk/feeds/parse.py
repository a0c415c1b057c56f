"""Turn a feed document (RSS 0.9x/1.0/2.0, Atom) into FeedEntry records with feedparser."""

from __future__ import annotations

import calendar
import dataclasses
import html
import io
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from newsdesk.errors import PermanentError
from newsdesk.feeds.config import Feed
from newsdesk.feeds.hints import interval_hint_s
from newsdesk.feeds.xml_guard import entity_declarations
from newsdesk.models import FeedEntry
from newsdesk.urls import canonicalize_url

MAX_ENTRIES_PER_POLL = 500
MAX_SUMMARY_CHARS = 5_000
_TAG_RE = re.compile(r"<[^>]+>")


@dataclasses.dataclass(frozen=True)
class ParsedFeed:
    """A feed document's entries, and how often the feed asks to be polled at most."""

    entries: list[FeedEntry]
    interval_hint_s: int | None = None


def parse_feed(
    body: bytes, feed: Feed, *, run_id: str | None = None, max_entries: int = MAX_ENTRIES_PER_POLL
) -> list[FeedEntry]:
    """Return the feed's entries with canonical URLs; raise PermanentError if it has none usable."""
    return parse_feed_document(body, feed, run_id=run_id, max_entries=max_entries).entries


def parse_feed_document(
    body: bytes, feed: Feed, *, run_id: str | None = None, max_entries: int = MAX_ENTRIES_PER_POLL
) -> ParsedFeed:
    """Return the feed's entries and polling hint; raise PermanentError if it has none usable."""
    declared = entity_declarations(body)
    if declared:
        raise PermanentError(
            f'feed "{feed.name}" ({feed.url}) declares XML entities, refused unparsed '
            f"(entity expansion can exhaust memory): {declared[0][:80]!r}",
            reason="xml_entities",
        )
    # A file object, never bytes: given bytes, feedparser first tries them as a local
    # file name, so a feed whose body is "/dev/zero" would be read forever.
    parsed = feedparser.parse(io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False)
    raw_entries = list(parsed.entries)[:max_entries]
    if not raw_entries and not parsed.get("version") and not parsed.bozo:
        raise PermanentError(
            f'feed "{feed.name}" ({feed.url}) is not RSS or Atom', reason="not_a_feed"
        )
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for raw in raw_entries:
        entry = _to_entry(raw, feed, run_id)
        # A feed that lists one story twice (say, with and without tracking
        # parameters) still announces one article.
        if entry is not None and entry.url not in seen:
            seen.add(entry.url)
            entries.append(entry)
    entries = _drop_feed_build_dates(entries)
    # feedparser recovers what it can from broken XML; a broken document that yields
    # no usable entry is reported, while a well-formed empty feed is simply empty.
    if parsed.bozo and not entries:
        problem = parsed.get("bozo_exception")
        raise PermanentError(
            f'feed "{feed.name}" ({feed.url}) is not a readable RSS/Atom document: {problem}',
            reason="malformed_feed",
        )
    return ParsedFeed(entries, interval_hint_s(parsed.get("feed", {})))


def _to_entry(raw: Any, feed: Feed, run_id: str | None) -> FeedEntry | None:
    link = _entry_link(raw, feed.url)
    if link is None:
        return None
    try:
        url = canonicalize_url(link)
    except ValueError:
        return None  # mailto:, javascript: and other links that are not articles
    authors = tuple(a.get("name", "").strip() for a in raw.get("authors", []) if a.get("name"))
    if not authors and raw.get("author"):
        authors = (str(raw.get("author")).strip(),)
    categories = tuple(
        t.get("term", "").strip() for t in raw.get("tags", []) or [] if t.get("term")
    )
    return FeedEntry(
        url=url,
        link=link,
        feed_id=feed.feed_id,
        feed_name=feed.name,
        feed_url=feed.url,
        tags=tuple(dict.fromkeys((*feed.tags, *categories))),
        language=feed.language,
        title=_clean_text(raw.get("title")),
        summary=_summary(raw),
        authors=authors,
        # RSS 1.0 and many Atom feeds give only an update time; it is the entry's date.
        published_at=_struct_to_dt(raw.get("published_parsed") or raw.get("updated_parsed")),
        updated_at=_struct_to_dt(raw.get("updated_parsed")),
        run_id=run_id,
    )


def _drop_feed_build_dates(entries: list[FeedEntry]) -> list[FeedEntry]:
    """Forget entry dates when every entry carries the same timestamp.

    Some feed generators stamp each item with the time the feed was built; such a date
    says nothing about the article, and the page's own metadata should decide instead.
    """
    stamps = {e.published_at for e in entries}
    if len(entries) < 3 or len(stamps) != 1 or None in stamps:
        return entries
    return [dataclasses.replace(e, published_at=None, updated_at=None) for e in entries]


def _entry_link(raw: Any, feed_url: str) -> str | None:
    link = raw.get("link")
    if not link:
        for candidate in raw.get("links", []) or []:
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate["href"]
                break
    if not link:
        guid = raw.get("id")
        if isinstance(guid, str) and guid.startswith(("http://", "https://")):
            link = guid
    if not link:
        return None
    # Some feeds give site-relative links; resolve them against the feed's own URL.
    return urljoin(feed_url, str(link).strip())


def _summary(raw: Any) -> str | None:
    text = None
    contents = raw.get("content") or []
    if contents:
        text = max((c.get("value", "") for c in contents), key=len)
    if not text:
        text = raw.get("summary")
    cleaned = _clean_text(text)
    return cleaned[:MAX_SUMMARY_CHARS] if cleaned else None


def _clean_text(value: Any) -> str | None:
    if not value:
        return None
    text = html.unescape(_TAG_RE.sub(" ", str(value)))
    text = " ".join(text.split())
    return text or None


def _struct_to_dt(value: time.struct_time | None) -> datetime | None:
    """feedparser normalises every date to a UTC struct_time; turn it into an aware datetime."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError):
        return None
