"""Scale of the schedule: 10,000 configured feeds on one embedded Redis.

Measures, with the real ``workers.scheduler.Scheduler`` and a Celery app whose broker is
that Redis:

- config reload: the first load of the feeds file (every feed new), a reload after one
  feed changed, and one after the default interval changed (every feed's config);
- ``Scheduler.tick`` with no feed due; with 1,000 due, against the tick as it was before
  (one ``send_task`` round trip per poll, up to 1,000 a tick) in the same process; and
  with every feed due (a tick dispatches at most ``MAX_DISPATCH_PER_TICK`` polls; the
  ticks until all are dispatched are counted);
- Redis memory per feed: the schedule ZSET and config hash (``MEMORY USAGE``), plus the
  status hash a real ``poll_feed`` leaves behind (validators, last poll, counters),
  taken from a sample of feeds polled against a loopback outlet;
- Redis memory per seen article: the ``SET NX`` seen-gate key, by ``MEMORY USAGE`` and
  by the growth of ``used_memory`` over 10,000 claims.

    .venv/bin/python benchmarks/schedule_scale.py [--feeds N] [--polled N] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from newsdesk.demo.server import LoopbackSite
from newsdesk.embedded.redis_server import EmbeddedRedis
from newsdesk.feeds.config import load_feeds
from newsdesk.http.fetch import build_http_client
from newsdesk.scheduling import MAX_DISPATCH_PER_TICK, dispatch_due
from newsdesk.settings import Settings
from newsdesk.stages.poll import poll_feed
from newsdesk.state import redis_state
from newsdesk.state.heartbeat import beat
from workers import routing
from workers.app import create_app
from workers.scheduler import Scheduler

# The cap before ticks were batched, for the in-process baseline.
BEFORE_MAX_DISPATCH_PER_TICK = 1_000
TICK_ROUNDS = 15

FEED_XML = (
    """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Scale test</title><link>{base_url}/</link>
<description>One small feed served under many URLs</description>
"""
    + "".join(
        f"<item><title>Item {i}</title><link>{{base_url}}/a/{i}.html</link>"
        f"<pubDate>Mon, 16 Nov 2026 0{i % 10}:00:00 +0000</pubDate>"
        f"<description>Summary of item {i}.</description></item>\n"
        for i in range(20)
    )
    + "</channel></rss>\n"
)


def feeds_yaml(count: int, base_url: str, *, interval: str = "15m") -> str:
    """Return a feeds file with ``count`` feeds (distinct names and URLs on one outlet)."""
    lines = ["defaults:", f"  interval: {interval}", "  tags: [scale]", "feeds:"]
    for i in range(count):
        lines += [f'  - name: "Scale feed {i:05d}"', f'    url: "{base_url}/feeds/{i}.xml"']
    return "\n".join(lines) + "\n"


def _median_ms(run: Callable[[], object], rounds: int) -> tuple[float, float]:
    """Return (median, max) milliseconds of ``rounds`` calls."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def _used(r: redis.Redis) -> int:
    return int(r.info("memory")["used_memory"])


def measure(feed_count: int, polled: int) -> dict[str, Any]:
    """Return tick times, reload times and Redis memory figures for ``feed_count`` feeds."""
    out: dict[str, Any] = {"feeds": feed_count}
    with tempfile.TemporaryDirectory(prefix="newsdesk-scale-") as tmp:
        root = Path(tmp) / "site"
        (root / "feeds").mkdir(parents=True)
        for i in range(max(polled, 1)):
            (root / "feeds" / f"{i}.xml").write_text(FEED_XML)
        with EmbeddedRedis(Path(tmp) / "redis") as server, LoopbackSite(root) as site:
            r = redis.Redis.from_url(server.url)
            path = Path(tmp) / "feeds.yaml"
            path.write_text(feeds_yaml(feed_count, site.base_url))
            base = Settings.from_env({})
            settings = base.with_overrides(
                redis_url=server.url, feeds_path=path,
                fetch=dataclasses.replace(
                    base.fetch, allow_networks=("127.0.0.0/8",), host_max_concurrency=0,
                    host_min_delay_s=0,
                ),
            )  # fmt: skip
            app = create_app(settings)
            scheduler = Scheduler(app, r, settings)
            empty_b = _used(r)

            started = time.perf_counter()
            scheduler.reload_if_changed(path)
            out["reload_first_ms"] = (time.perf_counter() - started) * 1000
            loaded_b = _used(r)
            started = time.perf_counter()
            load_feeds(path)
            out["parse_feeds_file_ms"] = (time.perf_counter() - started) * 1000
            # Change one feed's URL: the file's size and mtime change, the other feeds stay.
            path.write_text(path.read_text().replace("/feeds/0.xml", "/feeds/0.xml?v=2"))
            started = time.perf_counter()
            scheduler.reload_if_changed(path)
            out["reload_changed_ms"] = (time.perf_counter() - started) * 1000
            # Change the default interval: every feed's config changes.
            path.write_text(path.read_text().replace("interval: 15m", "interval: 14m"))
            started = time.perf_counter()
            scheduler.reload_if_changed(path)
            out["reload_all_changed_ms"] = (time.perf_counter() - started) * 1000

            zset_b = int(r.memory_usage(redis_state.SCHEDULE_KEY, samples=0) or 0)
            hash_b = int(r.memory_usage(redis_state.FEEDS_KEY, samples=0) or 0)
            out["schedule_b_per_feed"] = (zset_b + hash_b) / feed_count
            out["used_memory_b_per_feed_after_load"] = (loaded_b - empty_b) / feed_count

            out.update(_ticks(r, scheduler, feed_count))
            out.update(_status_memory(r, settings, path, polled))
            out.update(_seen_memory(r, 10_000))
            r.close()
    out["b_per_feed"] = out["schedule_b_per_feed"] + out["status_b_per_feed"]
    return out


def _tick_before(scheduler: Scheduler) -> int:
    """Run the tick as it was before batching; return the polls it dispatched.

    The in-process baseline: up to 1,000 polls a tick, each its own ``send_task`` (one
    LPUSH round trip, Celery's repr of the whole feed in the headers). It shares today's
    cheaper ``Feed.to_json``, so the gain it shows is a little understated.
    """
    scheduler.reload_if_changed(scheduler.settings.feeds_path)
    route = routing.TASK_ROUTES[routing.POLL_FEED]
    dispatched = dispatch_due(
        scheduler.r,
        time.time(),
        lambda payload: scheduler.app.send_task(routing.POLL_FEED, args=[payload], **route),
        limit=BEFORE_MAX_DISPATCH_PER_TICK,
    )
    beat(scheduler.r, "scheduler", scheduler.settings.heartbeat_ttl_s)
    return dispatched


def _ticks(r: redis.Redis, scheduler: Scheduler, feed_count: int) -> dict[str, Any]:
    """Return tick times with no feed due, with 1,000 due (now and before), and all due."""
    out: dict[str, Any] = {}
    # Nothing due: push every feed an hour ahead.
    ids = sorted(redis_state.scheduled_feed_ids(r))
    r.zadd(redis_state.SCHEDULE_KEY, dict.fromkeys(ids, time.time() + 3_600))
    out["tick_none_due_ms"], out["tick_none_due_max_ms"] = _median_ms(scheduler.tick, 50)
    # 1,000 due, the rest an hour ahead; the two ticks alternate so both see the same load.
    due_count = min(1_000, feed_count)
    times: dict[str, list[float]] = {"now": [], "before": []}
    polls: dict[str, int] = {}
    for _ in range(TICK_ROUNDS):
        for name, tick in (("now", scheduler.tick), ("before", lambda: _tick_before(scheduler))):
            r.zadd(redis_state.SCHEDULE_KEY, dict.fromkeys(ids, time.time() + 3_600))
            r.zadd(redis_state.SCHEDULE_KEY, dict.fromkeys(ids[:due_count], 0))
            started = time.perf_counter()
            polls[name] = tick()
            times[name].append((time.perf_counter() - started) * 1000)
            r.delete(routing.IO_QUEUE)  # the dispatched poll messages: no worker will run them
    for name, suffix in (("now", ""), ("before", "_before")):
        out[f"tick_{due_count}_due{suffix}_ms"] = statistics.median(times[name])
        out[f"tick_{due_count}_due{suffix}_polls"] = polls[name]
        out[f"dispatch{suffix}_per_poll_ms"] = statistics.median(times[name]) / polls[name]
    # Everything due at once (say after an outage): capped ticks drain it.
    r.zadd(redis_state.SCHEDULE_KEY, dict.fromkeys(ids, 0))
    tick_ms, dispatched = [], 0
    while dispatched < feed_count:
        started = time.perf_counter()
        count = scheduler.tick()
        tick_ms.append((time.perf_counter() - started) * 1000)
        if count == 0:
            break
        dispatched += count
    out["tick_all_due_ms"] = statistics.median(tick_ms)
    out["tick_all_due_polls_per_tick"] = MAX_DISPATCH_PER_TICK
    out["ticks_to_dispatch_all"] = len(tick_ms)
    out["dispatch_all_due_s"] = sum(tick_ms) / 1000
    r.delete(routing.IO_QUEUE)
    return out


def _status_memory(r: redis.Redis, settings: Settings, path: Path, polled: int) -> dict[str, Any]:
    """Return the mean MEMORY USAGE of a feed's status hash after real polls (200, then 304)."""
    feeds = load_feeds(path)[:polled]
    with build_http_client(settings.fetch) as http:
        for _ in range(2):  # the first poll gets 200 and validators, the second a 304
            for feed in feeds:
                poll_feed(feed, http=http, r=r, settings=settings)
    pipe = r.pipeline(transaction=False)
    for feed in feeds:
        pipe.memory_usage(redis_state.feed_key(feed.feed_id), samples=0)
    sizes = [int(b or 0) for b in pipe.execute()]
    return {"status_b_per_feed": statistics.fmean(sizes), "feeds_polled_for_status": len(feeds)}


def _seen_memory(r: redis.Redis, count: int) -> dict[str, Any]:
    """Return bytes per seen-gate key: MEMORY USAGE of one, and used_memory growth per claim."""
    rng = random.Random(3)
    before = _used(r)
    ids = [f"{rng.getrandbits(256):064x}" for _ in range(count)]
    # As polls claim them: by feedfuls of 40, each under its poll task's id.
    for start in range(0, count, 40):
        claimant = f"{rng.getrandbits(128):032x}"
        redis_state.claim_articles(r, ids[start : start + 40], 90 * 86_400, claimant)
    return {
        "seen_b_per_article_used_memory": (_used(r) - before) / count,
        "seen_b_per_article_memory_usage": int(
            r.memory_usage(redis_state.seen_key(ids[0]), samples=0) or 0
        ),
    }


def main() -> None:
    """Print the scheduler's scale figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--polled", type=int, default=200, help="feeds polled for status size")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = measure(args.feeds, args.polled)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
