"""newsdesk.poll_feed: conditional fetch and parse of one feed; new articles go to fetch."""

from __future__ import annotations

from typing import Any

from newsdesk.feeds.config import Feed
from newsdesk.models import FeedEntry
from newsdesk.outcomes import POLLS
from newsdesk.stages.poll import poll_feed as run_poll
from workers import routing
from workers.app import app
from workers.task_base import RETRY_POLICY, NewsdeskTask


class PollTask(NewsdeskTask):
    """Polls count their outcomes as polls, not articles."""

    abstract = True
    outcome_kind = POLLS


@app.task(name=routing.POLL_FEED, base=PollTask, bind=True, **RETRY_POLICY)
def poll_feed(self: PollTask, payload: dict[str, Any]) -> None:
    """Poll one feed; failures are recorded by the stage, a busy host in a run is retried."""
    svc = self.services

    def enqueue_fetches(entries: list[FeedEntry]) -> None:
        for entry in entries:
            routing.send_next(app, routing.POLL_FEED, entry.to_json())

    run_poll(
        Feed.from_json(payload["feed"]),
        http=svc.http,
        r=svc.redis,
        settings=svc.settings,
        run_id=payload.get("run_id"),
        claimant=self.request.id,
        enqueue=enqueue_fetches,
    )
