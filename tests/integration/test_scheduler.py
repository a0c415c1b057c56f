"""The scheduler's due-time ZSET and config reload, on a real Redis and a real worker."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any

import redis
from celery import Celery

from newsdesk.feeds.config import parse_feeds
from newsdesk.scheduling import MAX_DISPATCH_PER_TICK, dispatch_due, sync_schedule
from newsdesk.settings import Settings
from newsdesk.state import redis_state
from workers.scheduler import Scheduler

FEEDS = """\
feeds:
  - name: One
    url: https://one.example/rss
    interval: 1h
  - name: Two
    url: https://two.example/rss
  - name: Three
    url: https://three.example/rss
    enabled: false
"""


def test_sync_adds_enabled_feeds_once_and_keeps_their_due_times(r: redis.Redis) -> None:
    feeds = parse_feeds(FEEDS)
    now = 1_000_000.0
    report = sync_schedule(r, feeds, now, random.Random(1))
    assert (report.added, report.removed, report.total) == (2, 0, 2)
    due_one = r.zscore(redis_state.SCHEDULE_KEY, "one")
    assert due_one is not None and now <= due_one <= now + 60

    again = sync_schedule(r, feeds, now + 30, random.Random(2))
    assert (again.added, again.removed) == (0, 0)
    assert r.zscore(redis_state.SCHEDULE_KEY, "one") == due_one

    only_two = [f for f in feeds if f.name == "Two"]
    dropped = sync_schedule(r, only_two, now, random.Random(3))
    assert dropped.removed == 1
    assert redis_state.scheduled_feed_ids(r) == {"two"}


def test_dispatch_pops_only_due_feeds_and_leases_them(r: redis.Redis) -> None:
    feeds = parse_feeds(FEEDS)
    sync_schedule(r, feeds, 0.0, random.Random(1))
    sent: list[dict[str, Any]] = []
    assert dispatch_due(r, 10_000.0, sent.append) == 2
    assert {p["feed_id"] for p in sent} == {"one", "two"}
    assert sent[0]["feed"]["url"].startswith("https://")
    # Leased: the next tick does not hand them out again while they are being polled.
    assert dispatch_due(r, 10_001.0, sent.append) == 0
    assert len(sent) == 2


class _RecordingPipeline(redis.client.Pipeline):
    """A real pipeline that logs the commands of each execute() as one round trip."""

    def __init__(self, *args: Any, trips: list[list[tuple[Any, ...]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trips = trips

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        if self.command_stack:
            self.trips.append([command for command, _options in self.command_stack])
        return super().execute(raise_on_error)


class RecordingRedis(redis.Redis):
    """A real Redis client that logs every round trip as the list of commands it carried."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trips: list[list[tuple[Any, ...]]] = []

    def execute_command(self, *args: Any, **options: Any) -> Any:
        self.trips.append([args])
        return super().execute_command(*args, **options)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> redis.client.Pipeline:
        return _RecordingPipeline(
            self.connection_pool,
            self.response_callbacks,
            transaction,
            shard_hint,
            trips=self.trips,
        )

    def names(self) -> list[list[str]]:
        """Return the command names of each round trip so far."""
        return [[str(command[0]).upper() for command in trip] for trip in self.trips]


def _many_feeds(count: int) -> str:
    lines = [f"  - name: Feed {i}\n    url: https://f{i}.example/rss" for i in range(count)]
    return "feeds:\n" + "\n".join(lines) + "\n"


def test_dispatch_drains_many_feeds_a_capped_tick_at_a_time(r: redis.Redis) -> None:
    count = 2 * MAX_DISPATCH_PER_TICK + 50
    sync_schedule(r, parse_feeds(_many_feeds(count)), 0.0, random.Random(1))
    sent: list[dict[str, Any]] = []
    per_tick = [dispatch_due(r, 100.0, sent.append) for _ in range(4)]
    assert per_tick == [MAX_DISPATCH_PER_TICK, MAX_DISPATCH_PER_TICK, 50, 0]
    # Nothing lost, nothing sent twice.
    assert len({p["feed_id"] for p in sent}) == len(sent) == count


def test_a_tick_reads_every_due_config_in_one_call(r: redis.Redis) -> None:
    sync_schedule(r, parse_feeds(_many_feeds(MAX_DISPATCH_PER_TICK)), 0.0, random.Random(1))
    recording = RecordingRedis(connection_pool=r.connection_pool)
    sent: list[dict[str, Any]] = []
    assert dispatch_due(recording, 100.0, sent.append) == MAX_DISPATCH_PER_TICK
    # One script pops and leases the due feeds, one HMGET reads their configs.
    assert recording.names() == [["EVAL"], ["HMGET"]]
    assert all(p["feed"]["url"].startswith("https://f") for p in sent)


def test_feeds_without_a_config_leave_the_schedule_in_one_step(r: redis.Redis) -> None:
    sync_schedule(r, parse_feeds(_many_feeds(5)), 0.0, random.Random(1))
    r.hdel(redis_state.FEEDS_KEY, "feed-1", "feed-3")
    recording = RecordingRedis(connection_pool=r.connection_pool)
    sent: list[dict[str, Any]] = []
    assert dispatch_due(recording, 100.0, sent.append) == 3
    assert {p["feed_id"] for p in sent} == {"feed-0", "feed-2", "feed-4"}
    assert redis_state.scheduled_feed_ids(r) == {"feed-0", "feed-2", "feed-4"}
    assert sum(names.count("ZREM") for names in recording.names()) == 1


def test_a_first_load_is_one_read_and_one_write(r: redis.Redis) -> None:
    recording = RecordingRedis(connection_pool=r.connection_pool)
    report = sync_schedule(recording, parse_feeds(_many_feeds(300)), 0.0, random.Random(1))
    assert (report.added, report.changed, report.removed, report.total) == (300, 0, 0, 300)
    assert recording.names() == [["HGETALL", "ZRANGE"], ["HSET", "ZADD"]]
    assert r.zcard(redis_state.SCHEDULE_KEY) == r.hlen(redis_state.FEEDS_KEY) == 300


def test_a_reload_writes_only_the_feeds_that_changed(r: redis.Redis) -> None:
    feeds = parse_feeds(_many_feeds(300))
    sync_schedule(r, feeds, 0.0, random.Random(1))
    due_before = r.zscore(redis_state.SCHEDULE_KEY, "feed-7")

    recording = RecordingRedis(connection_pool=r.connection_pool)
    unchanged = sync_schedule(recording, feeds, 10.0, random.Random(2))
    assert (unchanged.added, unchanged.changed, unchanged.removed) == (0, 0, 0)
    assert recording.names() == [["HGETALL", "ZRANGE"]]  # nothing to write

    edited = parse_feeds(
        _many_feeds(300).replace("https://f7.example/rss", "https://f7.example/feed.xml")
    )
    recording.trips.clear()
    report = sync_schedule(recording, edited[:-1], 20.0, random.Random(3))  # and one gone
    assert (report.added, report.changed, report.removed) == (0, 1, 1)
    [_read, write] = recording.trips
    hset, zrem, hdel = write
    assert hset[0] == "HSET" and hset[2::2] == ("feed-7",)
    assert (zrem[0], zrem[2:]) == ("ZREM", ("feed-299",))
    assert (hdel[0], hdel[2:]) == ("HDEL", ("feed-299",))
    stored = json.loads(r.hget(redis_state.FEEDS_KEY, "feed-7") or "{}")
    assert stored["url"] == "https://f7.example/feed.xml"
    # An edited feed keeps its place in the schedule.
    assert r.zscore(redis_state.SCHEDULE_KEY, "feed-7") == due_before


def test_scheduler_reloads_the_file_when_it_changes_and_survives_a_bad_edit(
    r: redis.Redis, celery_app: Celery, base_settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(FEEDS)
    sched = Scheduler(celery_app, r, base_settings.with_overrides(feeds_path=path))
    sched.reload_if_changed(path)
    assert redis_state.scheduled_feed_ids(r) == {"one", "two"}

    path.write_text(FEEDS + "  - name: Four\n    url: https://four.example/rss\n")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    sched.reload_if_changed(path)
    assert redis_state.scheduled_feed_ids(r) == {"one", "two", "four"}
    stored = json.loads(r.hget(redis_state.FEEDS_KEY, "four") or "{}")
    assert stored["url"] == "https://four.example/rss"

    path.write_text("feeds:\n  - name: Broken\n    intreval: 5m\n")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 2_000_000))
    sched.reload_if_changed(path)
    # A broken edit is rejected; the feeds that were running keep running.
    assert redis_state.scheduled_feed_ids(r) == {"one", "two", "four"}
