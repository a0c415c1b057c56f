"""Turn an Article into an Elasticsearch document with a deterministic id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from newsdesk.models import Article
from newsdesk.urls import host_of, url_id


def build_article_document(
    article: Article, *, indexed_at: datetime | None = None
) -> tuple[str, dict[str, Any]]:
    """Return ``(doc_id, source)``; the id is the sha256 of the canonical URL's identity.

    The same article reached twice (a retry, a re-run, a second feed) gets the same id,
    so it can never become two documents.
    """
    source: dict[str, Any] = {
        "url": article.url,
        "link": article.link,
        "final_url": article.final_url,
        "redirects": list(article.redirects),
        "title": article.title,
        "body": article.body,
        "summary": article.summary,
        "source": article.source,
        "domain": host_of(article.url),
        "feed": list(article.feed_names),
        "feed_id": list(article.feed_ids),
        "tags": list(article.tags),
        "language": article.language,
        "authors": list(article.authors),
        "agency": list(article.agencies),
        "agency_evidence": list(article.agency_evidence),
        "body_source": article.body_source,
        "body_source_reason": article.body_source_reason,
        "canonical_url": article.url,
        "description": article.description,
        "image": article.image,
        "section": article.section,
        "dateline": article.dateline,
        "entities": _entities(article),
        "countries": list(article.countries),
        "keywords": list(article.keywords),
        "entities_skipped": article.entities_skipped,
        "published_at": _iso(article.published_at),
        "published_at_source": article.published_at_source,
        "updated_at": _iso(article.updated_at),
        "fetched_at": _iso(article.fetched_at),
        "indexed_at": _iso(indexed_at or datetime.now(UTC)),
        "word_count": len(article.body.split()),
        "syndication_group": article.syndication_group,
        "relation": article.relation,
        "copy_of": article.copy_of,
        "copies_count": article.copies_count,
        "shared_passages": article.shared_passages,
        "spun_copy_of": article.spun_copy_of,
        "spun_confidence": article.spun_confidence,
        "story_id": article.story_id,
        "story_size": article.story_size,
    }
    return url_id(article.url), {k: v for k, v in source.items() if v not in (None, [], "")}


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _entities(article: Article) -> dict[str, list[str]] | None:
    groups = {
        "people": list(article.people),
        "organizations": list(article.organizations),
        "places": list(article.places),
    }
    groups = {k: v for k, v in groups.items() if v}
    return groups or None
