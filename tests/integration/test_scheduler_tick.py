"""A scheduler tick's polls reach the broker in one batch, small to describe, capped per tick.

The broker here is a Redis database no worker consumes, so the sent messages stay queued
and can be read back.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery

from newsdesk.scheduling import MAX_DISPATCH_PER_TICK
from newsdesk.settings import Settings
from newsdesk.state import redis_state
from workers import routing
from workers.app import create_app
from workers.scheduler import Scheduler

BROKER_DB = 3


@pytest.fixture
def broker(base_settings: Settings) -> Iterator[tuple[Settings, redis.Redis, Celery]]:
    """Return settings, a client and a Celery app for an empty database used as broker."""
    assert base_settings.redis_url
    url = base_settings.redis_url.rsplit("/", 1)[0] + f"/{BROKER_DB}"
    db = redis.Redis.from_url(url)
    db.flushdb()
    app = create_app(base_settings.with_overrides(redis_url=url))
    try:
        yield base_settings.with_overrides(redis_url=url), db, app
    finally:
        app.close()
        db.flushdb()
        db.close()


def _queued(db: redis.Redis, queue: str = routing.IO_QUEUE) -> list[dict[str, Any]]:
    """Return the messages waiting in a queue, oldest first, with the body decoded."""
    messages = [json.loads(raw) for raw in reversed(db.lrange(queue, 0, -1))]
    for message in messages:
        # Celery protocol 2: the body is [args, kwargs, embed]; each task takes one payload.
        message["args"] = json.loads(base64.b64decode(message["body"]))[0][0]
    return messages


def _feeds_file(path: Path, count: int) -> Path:
    lines = [f"  - name: Feed {i}\n    url: https://f{i}.example/rss" for i in range(count)]
    path.write_text("feeds:\n" + "\n".join(lines) + "\n")
    return path


def test_a_batch_reaches_the_broker_only_when_the_block_ends(
    broker: tuple[Settings, redis.Redis, Celery],
) -> None:
    _settings, db, app = broker
    with routing.batch(app) as producer:
        for n in range(3):
            routing.send(app, routing.POLL_FEED, {"n": n}, producer=producer, argsrepr=f"[{n}]")
        assert db.llen(routing.IO_QUEUE) == 0
    assert [m["args"] for m in _queued(db)] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert [m["headers"]["argsrepr"] for m in _queued(db)] == ["[0]", "[1]", "[2]"]


def test_a_batch_whose_block_fails_sends_nothing(
    broker: tuple[Settings, redis.Redis, Celery],
) -> None:
    _settings, db, app = broker
    with pytest.raises(RuntimeError, match="midway"), routing.batch(app) as producer:
        routing.send(app, routing.POLL_FEED, {"n": 0}, producer=producer)
        raise RuntimeError("midway")
    assert db.llen(routing.IO_QUEUE) == 0


def test_a_tick_sends_at_most_the_cap_with_the_feed_id_as_argsrepr(
    broker: tuple[Settings, redis.Redis, Celery], tmp_path: Path
) -> None:
    settings, db, app = broker
    path = _feeds_file(tmp_path / "feeds.yaml", MAX_DISPATCH_PER_TICK + 7)
    sched = Scheduler(app, db, settings.with_overrides(feeds_path=path))
    sched.reload_if_changed(path)
    ids = redis_state.scheduled_feed_ids(db)
    db.zadd(redis_state.SCHEDULE_KEY, dict.fromkeys(ids, 0))

    assert sched.tick() == MAX_DISPATCH_PER_TICK
    assert sched.tick() == 7
    sent = _queued(db)
    assert len({m["args"]["feed_id"] for m in sent}) == len(sent) == len(ids)
    first = sent[0]
    feed_id = first["args"]["feed_id"]
    # Monitoring sees the feed id; the worker still gets the whole feed.
    assert first["headers"]["argsrepr"] == repr([{"feed_id": feed_id}])
    assert first["headers"]["task"] == routing.POLL_FEED
    assert first["args"]["feed"]["url"] == f"https://{feed_id.replace('feed-', 'f')}.example/rss"


def test_a_full_tick_is_followed_at_once_by_the_next(
    broker: tuple[Settings, redis.Redis, Celery], tmp_path: Path
) -> None:
    settings, db, app = broker
    path = _feeds_file(tmp_path / "feeds.yaml", MAX_DISPATCH_PER_TICK + 7)
    # A tick interval far longer than the test: only a tick run without waiting can
    # dispatch the feeds left over by the first, full one.
    sched = Scheduler(app, db, settings.with_overrides(feeds_path=path, scheduler_tick_s=600))
    sched.reload_if_changed(path)
    ids = redis_state.scheduled_feed_ids(db)
    db.zadd(redis_state.SCHEDULE_KEY, dict.fromkeys(ids, 0))
    runner = threading.Thread(target=sched.run_forever, daemon=True)
    runner.start()
    try:
        deadline_s = time.monotonic() + 60
        while db.llen(routing.IO_QUEUE) < len(ids) and time.monotonic() < deadline_s:
            time.sleep(0.05)
    finally:
        sched.stop_event.set()
        runner.join(timeout=10)
    assert db.llen(routing.IO_QUEUE) == len(ids)
