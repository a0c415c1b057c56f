"""newsdesk.process_article: extract and enrich a fetched page, then queue it for indexing."""

from __future__ import annotations

from typing import Any

from newsdesk.errors import PermanentError
from newsdesk.models import FetchedPage
from newsdesk.search.pages import raw_page_for
from newsdesk.state.redis_state import load_compressed_page, unpack_page
from workers import routing
from workers.app import app
from workers.task_base import RETRY_POLICY, NewsdeskTask


@app.task(name=routing.PROCESS_ARTICLE, base=NewsdeskTask, bind=True, **RETRY_POLICY)
def process_article(self: NewsdeskTask, payload: dict[str, Any]) -> None:
    """Process one fetched page."""
    # Every worker imports this module (the app includes every task) but only the cpu
    # pool children run it: at module level, trafilatura, YAKE and datasketch (which
    # pulls in scipy) would cost the io worker and the prefork parent ~80 MiB each.
    from newsdesk.enrich.relations import enrich_relations  # noqa: PLC0415
    from newsdesk.stages.enrich import add_text_facets  # noqa: PLC0415
    from newsdesk.stages.index import queue_for_index  # noqa: PLC0415
    from newsdesk.stages.process import process_page  # noqa: PLC0415

    svc = self.services
    page = FetchedPage.from_json(payload)
    # Kept compressed as parked: the raw page stores the same zlib stream.
    packed = load_compressed_page(svc.redis, page.body_key) if page.body_key else None
    html = unpack_page(packed) if packed is not None else None
    if html is None and page.fetch_error is None:
        raise PermanentError(f"{page.final_url}: stored page expired", reason="page_expired")
    article = process_page(page, html, min_body_chars=svc.settings.min_body_chars)
    article = add_text_facets(article, svc.entities)
    article = enrich_relations(article, r=svc.redis)
    entry = page.entry
    raw_page = raw_page_for(
        page, html, article, keep=svc.settings.keep_raw_pages, compressed=packed
    )
    if queue_for_index(
        svc.redis, article, feed_id=entry.feed_id, run_id=entry.run_id, raw_page=raw_page
    ):
        routing.send_next(app, routing.PROCESS_ARTICLE, {}, countdown_s=svc.settings.bulk_delay_s)
    if page.body_key:
        svc.redis.delete(page.body_key)
