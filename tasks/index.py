"""newsdesk.flush_index: bulk-index one batch of the documents waiting in Redis."""

from __future__ import annotations

from typing import Any

from newsdesk.search.bulk import pending_count
from newsdesk.stages.index import flush_index_batch
from workers import routing
from workers.app import app
from workers.task_base import RETRY_POLICY, NewsdeskTask


@app.task(
    name=routing.FLUSH_INDEX, base=NewsdeskTask, bind=True, **{**RETRY_POLICY, "max_retries": None}
)
def flush_index(self: NewsdeskTask, _payload: dict[str, Any]) -> None:
    """Flush one batch; while documents remain, schedule the next flush."""
    svc = self.services
    # The task id survives redelivery, so a crashed flush finds its own in-flight batch.
    flush_index_batch(
        svc.redis,
        svc.es,
        svc.settings.index_alias,
        batch_id=self.request.id,
        max_docs=svc.settings.bulk_max_docs,
    )
    if pending_count(svc.redis):
        routing.send(app, routing.FLUSH_INDEX, {})
