"""Frozen records passed between pipeline stages, each with a JSON round trip.

Messages on the queue carry only these small dicts; page bodies travel through Redis
under a key with a TTL (see ``newsdesk.state.pages``) so the broker never holds megabytes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self


def _to_json(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def _from_json(cls: type[Any], data: dict[str, Any]) -> dict[str, Any]:
    """Return constructor kwargs for ``cls``, restoring tuples and datetimes by field type."""
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        type_text = str(f.type)
        if value is not None and "datetime" in type_text and isinstance(value, str):
            value = datetime.fromisoformat(value)
        elif isinstance(value, list) and "tuple" in type_text:
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        kwargs[f.name] = value
    return kwargs


@dataclass(frozen=True)
class FeedEntry:
    """One article announced by a feed, with the feed-level metadata it keeps downstream."""

    url: str  # canonical URL: the article's identity
    link: str  # the link exactly as the feed gave it
    feed_id: str
    feed_name: str
    feed_url: str
    tags: tuple[str, ...] = ()
    language: str | None = None
    title: str | None = None
    summary: str | None = None
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    updated_at: datetime | None = None
    run_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-safe dict for a queue message."""
        return _to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Return the entry decoded from :meth:`to_json` output."""
        return cls(**_from_json(cls, data))


@dataclass(frozen=True)
class FetchedPage:
    """A downloaded article page: where it ended up, and where its body is stored."""

    entry: FeedEntry
    final_url: str
    status_code: int
    content_type: str
    fetched_at: datetime
    body_key: str  # Redis key holding the compressed body
    redirects: tuple[str, ...] = ()
    encoding: str | None = None
    # Set when the page itself is unusable (e.g. not HTML): processing falls back to
    # the feed's own summary, and this reason is recorded with the outcome.
    fetch_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-safe dict for a queue message."""
        out = _to_json(self)
        out["entry"] = self.entry.to_json()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Return the page reference decoded from :meth:`to_json` output."""
        kwargs = _from_json(cls, data)
        kwargs["entry"] = FeedEntry.from_json(data["entry"])
        return cls(**kwargs)


@dataclass(frozen=True)
class Article:
    """A processed article, ready to become an Elasticsearch document."""

    url: str  # canonical URL used for the document id
    title: str
    body: str
    feed_ids: tuple[str, ...]
    feed_names: tuple[str, ...]
    source: str  # the outlet's site name
    fetched_at: datetime
    published_at: datetime | None = None
    published_at_source: str | None = None
    updated_at: datetime | None = None
    language: str | None = None
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    summary: str | None = None
    link: str | None = None
    final_url: str | None = None
    redirects: tuple[str, ...] = ()
    body_source: str = "page"  # "page", or "feed" when the page gave nothing usable
    body_source_reason: str | None = None  # why the feed's text was used
    agencies: tuple[str, ...] = ()
    agency_evidence: tuple[str, ...] = ()
    description: str | None = None
    image: str | None = None
    section: str | None = None
    dateline: str | None = None
    # Facets from the text: named entities (English only) and keyphrases.
    people: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    entities_skipped: str | None = None  # e.g. "language:fr" when English NER does not apply
    # Relations to other articles, derived from Redis (newsdesk.enrich.relations) and
    # rewritten at flush time, because later articles change them.
    syndication_group: str | None = None
    relation: str | None = None  # "original", "copy" or "version"
    copy_of: str | None = None  # doc id of the group's original
    copies_count: int | None = None  # on the original: the group's other members
    shared_passages: int | None = None  # paragraphs a copy or version shares with it
    spun_copy_of: str | None = None
    spun_confidence: float | None = None
    story_id: str | None = None  # doc id of the story's earliest article
    story_size: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-safe dict."""
        return _to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Return the article decoded from :meth:`to_json` output."""
        return cls(**_from_json(cls, data))
