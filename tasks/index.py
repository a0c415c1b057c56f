"""newsdesk.flush_index: bulk-index one batch of the documents waiting in Redis."""

from __future__ import annotations

from typing import Any

from newsdesk.errors import TransientError
from newsdesk.stages.flush_faults import follow_up_delay_s, requeue_document
from workers import routing
from workers.app import app
from workers.task_base import RETRY_POLICY, NewsdeskTask


@app.task(
    name=routing.FLUSH_INDEX, base=NewsdeskTask, bind=True, **{**RETRY_POLICY, "max_retries": None}
)
def flush_index(self: NewsdeskTask, payload: dict[str, Any]) -> None:
    """Flush one batch (after re-queuing a replayed dead letter); schedule the next if needed."""
    # Here, not at module level: the index stage reads relations, whose module imports
    # datasketch and with it scipy (~40 MiB), and workers that never flush (the prefork
    # parent, a cpu-only worker) must not pay for it.
    from newsdesk.stages.index import flush_index_batch  # noqa: PLC0415

    svc = self.services
    if payload.get("document"):
        requeue_document(svc.redis, payload["document"])
    try:
        # The task id survives redelivery, so a crashed flush finds its own in-flight batch.
        result = flush_index_batch(
            svc.redis,
            svc.es,
            svc.settings.index_alias,
            batch_id=self.request.id,
            max_docs=svc.settings.bulk_max_docs,
        )
    except TransientError as exc:
        # The stage picked the pause (it grows while Elasticsearch stays down); a replayed
        # document is already back in the pending list, so the retry carries none.
        raise self.retry(exc=exc, countdown=exc.retry_after_s, args=({},)) from exc
    delay_s = follow_up_delay_s(svc.redis, result)
    if delay_s is not None:
        routing.send(app, routing.FLUSH_INDEX, {}, countdown_s=delay_s or None)
