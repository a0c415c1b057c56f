"""Freshness and the cost of unchanged feeds, with the scheduler loop running.

Runs on a BenchStack that has already ingested its site once (end_to_end.py), so every
feed has validators. The real ``workers.scheduler.Scheduler`` loop runs in a thread with
the feeds' interval (30 s, the shortest the feeds file allows). New articles are added
to random feeds at random moments (``LoopbackSite.mutate``: the page first, then the
feed), and each one is timed from that moment until a search finds it. Everything
else the outlets answered meanwhile is the cost of polling unchanged feeds: requests,
bytes on the wire and downstream work, read from the outlets' response log and from the
outcome counters in Redis.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from typing import Any

from stack_harness import BenchStack, Response

from newsdesk.feeds.config import load_feeds, parse_duration_s
from newsdesk.outcomes import outcomes_key
from newsdesk.state.redis_state import feed_key
from newsdesk.urls import url_id
from workers.scheduler import Scheduler

PROBE_EVERY_S = 0.25
SETTLE_S = 5.0  # after the last item is found, for the polls still in flight


def _counters(stack: BenchStack) -> tuple[dict[str, int], int]:
    """Return the all-time poll outcome counters and the sum of articles_new over feeds."""
    raw = stack.r.hgetall(outcomes_key("polls"))
    polls = {(k.decode() if isinstance(k, bytes) else str(k)): int(v) for k, v in raw.items()}
    pipe = stack.r.pipeline(transaction=False)
    for fid in (feed.feed_id for feed in load_feeds(stack.feeds_path)):
        pipe.hget(feed_key(fid), "articles_new")
    return polls, sum(int(v or 0) for v in pipe.execute())


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(stack: BenchStack, *, quick: bool, seed: int = 11) -> dict[str, Any]:
    """Return freshness percentiles and unchanged-poll costs measured over one window."""
    rng = random.Random(seed)
    interval_s = parse_duration_s(stack.interval)
    items = 8 if quick else 40
    window_s = 1.5 * interval_s if quick else 4 * interval_s
    polls_before, new_before = _counters(stack)
    scheduler = Scheduler(stack.app, stack.r, stack.settings)
    thread = threading.Thread(target=scheduler.run_forever, name="scheduler", daemon=True)
    started = time.time()
    thread.start()
    # Let the first round of scheduled polls pass: the scheduler starts every feed
    # within its first interval, and freshness is about steady state.
    time.sleep(interval_s)
    window_started = time.time()
    offsets = sorted(rng.uniform(0, window_s) for _ in range(items))
    added: dict[str, float] = {}
    added_paths: set[tuple[str, str]] = set()
    found: dict[str, float] = {}
    changed_at: dict[tuple[str, str], list[float]] = {}
    deadline = window_started + window_s + 2 * interval_s + 30
    try:
        while time.time() < deadline and (offsets or len(found) < len(added)):
            now = time.time()
            while offsets and window_started + offsets[0] <= now:
                offsets.pop(0)
                feed_index = rng.randrange(len(stack.site.feeds))
                feed = stack.site.feeds[feed_index]
                article, html, feed_xml = stack.site.add_article(feed_index)
                site = stack.sites[feed.outlet.host]
                site.mutate(article.path, html)
                site.mutate(feed.path, feed_xml)
                added[url_id(site.base_url + article.path)] = time.time()
                added_paths.add((feed.outlet.host, article.path))
                changed_at.setdefault((feed.outlet.host, feed.path), []).append(time.time())
            waiting = [doc_id for doc_id in added if doc_id not in found]
            if waiting:
                stamp = time.time()
                for doc_id in stack.searchable(waiting):
                    found[doc_id] = stamp
            time.sleep(PROBE_EVERY_S)
        time.sleep(SETTLE_S)
    finally:
        scheduler.stop_event.set()
        thread.join(10)
    ended = time.time()
    polls_after, new_after = _counters(stack)
    latencies = [found[d] - added[d] for d in found]
    poll_outcomes = {
        k: polls_after.get(k, 0) - polls_before.get(k, 0)
        for k in polls_after
        if polls_after.get(k, 0) != polls_before.get(k, 0)
    }
    feed_paths = {(f.outlet.host, f.path) for f in stack.site.feeds}
    responses = [r for r in stack.responses() if started <= r.at_s <= ended]
    unchanged = _unchanged(responses, feed_paths, changed_at, added_paths)
    feed_requests = unchanged["unchanged_feed_requests"] + unchanged["changed_feed_requests"]
    return {
        "interval_s": interval_s,
        "items_added": len(added),
        "items_found": len(found),
        "freshness_p50_s": statistics.median(latencies) if latencies else None,
        "freshness_p95_s": _percentile(latencies, 0.95) if latencies else None,
        "freshness_max_s": max(latencies) if latencies else None,
        "window_s": ended - started,
        **unchanged,
        "poll_outcomes": poll_outcomes,
        "feed_requests_per_poll": feed_requests / max(1, sum(poll_outcomes.values())),
        "articles_new_from_polls": new_after - new_before,
    }


def _unchanged(
    responses: list[Response],
    feed_paths: set[tuple[str, str]],
    changed_at: dict[tuple[str, str], list[float]],
    added_paths: set[tuple[str, str]],
) -> dict[str, Any]:
    """Return what polls of unchanged feeds cost, and the article fetches beyond the new items."""
    last_seen: dict[tuple[str, str], float] = {}
    unchanged: list[Response] = []
    changed_polls = page_requests = 0
    fetched: set[tuple[str, str]] = set()
    extra: list[str] = []
    for resp in responses:
        key = (resp.host, resp.path.split("?", 1)[0])
        if key not in feed_paths:
            page_requests += 1
            # Anything but the first fetch of a newly added page is work nobody asked for.
            if key not in added_paths or key in fetched:
                extra.append(f"{resp.status} {resp.host}{resp.path}")
            fetched.add(key)
            continue
        previous = last_seen.get(key, 0.0)
        last_seen[key] = resp.at_s
        if any(previous < t <= resp.at_s for t in changed_at.get(key, [])):
            changed_polls += 1
        else:
            unchanged.append(resp)
    statuses: dict[str, int] = {}
    for resp in unchanged:
        statuses[str(resp.status)] = statuses.get(str(resp.status), 0) + 1
    return {
        "unchanged_feed_requests": len(unchanged),
        "unchanged_statuses": statuses,
        "unchanged_conditional_share": (
            sum(r.conditional for r in unchanged) / len(unchanged) if unchanged else None
        ),
        "unchanged_mean_wire_bytes": (
            statistics.fmean(r.wire_bytes for r in unchanged) if unchanged else None
        ),
        "unchanged_304_wire_bytes": (
            statistics.fmean(r.wire_bytes for r in unchanged if r.status == 304)
            if any(r.status == 304 for r in unchanged)
            else None
        ),
        "changed_feed_requests": changed_polls,
        "article_page_requests": page_requests,
        "extra_article_requests": len(extra),
        "extra_article_examples": extra[:5],
        "unchanged_full_answers": [
            f"{r.status} {r.host}{r.path} conditional={r.conditional}"
            for r in unchanged
            if r.status != 304
        ][:5],
    }
