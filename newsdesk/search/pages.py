"""Raw pages: each fetched article page kept, compressed, next to its article.

The body is zlib-compressed and base64-encoded into a ``binary`` field (never indexed,
no doc values) of ``<alias>-pages``, together with the fetch metadata and the feed
entry, which is everything ``process_page`` needs: ``newsdesk reprocess`` rebuilds the
articles from these documents after an extraction fix, without one HTTP request. The
document ``_id`` is the article's, so a page fetched again overwrites the old copy.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch.helpers import scan

from newsdesk.models import Article, FeedEntry, FetchedPage

COMPRESSION = "zlib"
# Level 9 gains nothing over 6 on news HTML (3,520 bytes a page either way on the demo
# site) and costs more CPU on the cpu workers.
ZLIB_LEVEL = 6


class RawPageError(ValueError):
    """A stored raw page cannot be decoded (unknown compression, corrupt body)."""


def raw_page_document(
    page: FetchedPage, html: bytes, article: Article, *, compressed: bytes | None = None
) -> dict[str, Any]:
    """Return the raw-page document for a fetched page and the article made from it.

    ``compressed`` is the page's zlib stream when one exists already (the fetch stage
    parks pages compressed), so the body is not compressed a second time.
    """
    body = compressed if compressed is not None else zlib.compress(html, ZLIB_LEVEL)
    return {
        "url": article.url,
        "final_url": page.final_url,
        "redirects": list(page.redirects),
        "status_code": page.status_code,
        "content_type": page.content_type,
        "encoding": page.encoding,
        "feed_id": page.entry.feed_id,
        "feed_name": page.entry.feed_name,
        "fetched_at": page.fetched_at.isoformat(),
        # Kept for `prune`, which drops a page together with its article.
        "published_at": (article.published_at or page.fetched_at).isoformat(),
        "entry": page.entry.to_json(),
        "compression": COMPRESSION,
        "body_bytes": len(html),
        "body": base64.b64encode(body).decode("ascii"),
    }


def raw_page_for(
    page: FetchedPage,
    html: bytes | None,
    article: Article,
    *,
    keep: bool,
    compressed: bytes | None = None,
) -> dict[str, Any] | None:
    """Return the raw-page document to store with the article, or None when none is kept.

    Nothing is kept when the setting is off or the fetch gave no HTML (a PDF, say).
    """
    if not keep or html is None:
        return None
    return raw_page_document(page, html, article, compressed=compressed)


def page_from_document(source: dict[str, Any]) -> tuple[FetchedPage, bytes]:
    """Return the fetched page and its HTML from a raw-page document; raise RawPageError."""
    if source.get("compression") != COMPRESSION:
        raise RawPageError(f"unknown compression {source.get('compression')!r}")
    try:
        html = zlib.decompress(base64.b64decode(source["body"], validate=True))
    except (KeyError, ValueError, zlib.error) as exc:
        raise RawPageError(f"corrupt body: {exc}") from exc
    page = FetchedPage(
        entry=FeedEntry.from_json(source["entry"]),
        final_url=source["final_url"],
        status_code=int(source["status_code"]),
        content_type=source.get("content_type") or "",
        fetched_at=datetime.fromisoformat(source["fetched_at"]),
        body_key="",  # the body comes from this document, not from Redis
        redirects=tuple(source.get("redirects") or ()),
        encoding=source.get("encoding"),
    )
    return page, html


def pages_query(*, since: datetime | None = None, feed: str | None = None) -> dict[str, Any]:
    """Return the query selecting raw pages fetched since ``since`` from ``feed`` (id or name)."""
    filters: list[dict[str, Any]] = []
    if since is not None:
        filters.append({"range": {"fetched_at": {"gte": since.isoformat()}}})
    if feed:
        ids_or_names = [{"term": {"feed_id": feed}}, {"term": {"feed_name": feed}}]
        filters.append({"bool": {"should": ids_or_names, "minimum_should_match": 1}})
    return {"bool": {"filter": filters}} if filters else {"match_all": {}}


def iter_raw_pages(
    es: Elasticsearch, index: str, query: dict[str, Any], *, batch_docs: int = 200
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(doc_id, source)`` of every raw page matching ``query`` (scroll, any order)."""
    # A scroll, not search_after: sorting on _id is deprecated and the order does not matter.
    # No pages index (raw pages never kept) reads as no pages.
    hits = scan(es, index=index, query={"query": query}, size=batch_docs, scroll="5m",
                ignore_unavailable=True)  # fmt: skip
    for hit in hits:
        yield hit["_id"], hit["_source"]
