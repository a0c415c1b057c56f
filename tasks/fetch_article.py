"""newsdesk.fetch_article: download an article page and hand it to processing."""

from __future__ import annotations

from typing import Any

from newsdesk.models import FeedEntry
from newsdesk.stages.fetch import fetch_page
from workers import routing
from workers.app import app
from workers.task_base import RETRY_POLICY, NewsdeskTask


@app.task(name=routing.FETCH_ARTICLE, base=NewsdeskTask, bind=True, **RETRY_POLICY)
def fetch_article(self: NewsdeskTask, entry: dict[str, Any]) -> None:
    """Fetch the page of one feed entry."""
    svc = self.services
    page = fetch_page(FeedEntry.from_json(entry), http=svc.http, r=svc.redis, settings=svc.settings)
    routing.send_next(app, routing.FETCH_ARTICLE, page.to_json())
