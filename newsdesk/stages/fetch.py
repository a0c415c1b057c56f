"""Fetch stage: download an article page (HTML only, capped) and park its body in Redis."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import redis

from newsdesk.errors import PermanentError
from newsdesk.http.fetch import fetch
from newsdesk.http.politeness import host_slot
from newsdesk.models import FeedEntry, FetchedPage
from newsdesk.settings import Settings
from newsdesk.state import redis_state
from newsdesk.urls import url_id

HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"


def fetch_page(
    entry: FeedEntry, *, http: httpx.Client, r: redis.Redis, settings: Settings
) -> FetchedPage:
    """Return a reference to the fetched page; raise TransientError or PermanentError.

    A page that is not HTML comes back with ``fetch_error`` set, so processing can fall
    back to the feed's summary; every other permanent failure is raised.
    """
    try:
        # A busy host raises TransientError("host_busy") here, and the task retries later.
        with host_slot(r, entry.url, settings.fetch):
            response = fetch(
                http,
                entry.url,
                settings.fetch,
                max_bytes=settings.fetch.max_page_bytes,
                accept=HTML_ACCEPT,
                html_only=True,
            )
    except PermanentError as exc:
        if exc.reason != "not_html":
            raise
        return FetchedPage(
            entry=entry,
            final_url=entry.url,
            status_code=200,
            content_type="",
            fetched_at=datetime.now(UTC),
            body_key="",
            fetch_error=exc.reason,
        )
    key = redis_state.page_key(url_id(entry.url))
    redis_state.store_page(r, key, response.body, settings.page_ttl_s)
    return FetchedPage(
        entry=entry,
        final_url=response.url,
        status_code=response.status_code,
        content_type=response.content_type,
        fetched_at=datetime.now(UTC),
        body_key=key,
        redirects=response.redirects,
        encoding=response.encoding,
    )
