"""Pipeline topology in one place: queues, task routes, and which stage follows which.

Stages never import each other's tasks; they hand their result to :func:`send_next`,
so a stage does not know its place in the pipeline and the order can change here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import Celery
from kombu import Producer, Queue

IO_QUEUE = "io"  # network-bound: polling feeds, fetching pages
CPU_QUEUE = "cpu"  # extraction and enrichment
INDEX_QUEUE = "index"  # bulk writes to Elasticsearch
QUEUES = (IO_QUEUE, CPU_QUEUE, INDEX_QUEUE)

POLL_FEED = "newsdesk.poll_feed"
FETCH_ARTICLE = "newsdesk.fetch_article"
PROCESS_ARTICLE = "newsdesk.process_article"
FLUSH_INDEX = "newsdesk.flush_index"

# A batch is written to Redis every this many messages, so no pipeline grows past ~1 MB.
BATCH_MAX_MESSAGES = 500

TASK_ROUTES: dict[str, dict[str, str]] = {
    POLL_FEED: {"queue": IO_QUEUE},
    FETCH_ARTICLE: {"queue": IO_QUEUE},
    PROCESS_ARTICLE: {"queue": CPU_QUEUE},
    FLUSH_INDEX: {"queue": INDEX_QUEUE},
}

NEXT_STAGE: dict[str, str] = {
    POLL_FEED: FETCH_ARTICLE,
    FETCH_ARTICLE: PROCESS_ARTICLE,
    PROCESS_ARTICLE: FLUSH_INDEX,
}

TASK_MODULES = [
    "tasks.poll_feed",
    "tasks.fetch_article",
    "tasks.process_article",
    "tasks.index",
    "workers.signals",
]


def task_queues() -> list[Queue]:
    """Return the declared queues (explicit, so a typo cannot create a new queue)."""
    return [Queue(name, routing_key=name) for name in QUEUES]


def send(
    app: Celery,
    task_name: str,
    *args: Any,
    countdown_s: float | None = None,
    producer: Producer | None = None,
    argsrepr: str | None = None,
) -> None:
    """Enqueue ``task_name`` by name, on the queue its route says.

    ``producer`` comes from :func:`batch`; ``argsrepr`` replaces Celery's repr of the
    arguments in the message headers (shown by monitoring tools only), which for a large
    payload is a good part of the cost of a send.
    """
    app.send_task(
        task_name,
        args=list(args),
        countdown=countdown_s,
        producer=producer,
        argsrepr=argsrepr,
        **TASK_ROUTES[task_name],
    )


@contextmanager
def batch(app: Celery) -> Iterator[Producer]:
    """Yield a producer whose sends reach the broker together when the block ends.

    The messages go over one pooled connection in one Redis pipeline instead of one
    round trip each; if the block raises, the messages not yet written are dropped.
    A failed write raises ``kombu.exceptions.BatchPublishError``.
    """
    with app.producer_or_acquire() as producer, producer.batch(max_size=BATCH_MAX_MESSAGES):
        yield producer


def send_next(app: Celery, stage: str, *args: Any, countdown_s: float | None = None) -> None:
    """Hand a stage's result to whichever stage follows it."""
    send(app, NEXT_STAGE[stage], *args, countdown_s=countdown_s)
