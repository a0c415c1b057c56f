"""End-to-end throughput on the real stack, against the single-core processing limit.

One run, in this order:

1. generate the synthetic site (benchmarks/synthetic_site.py) in a temp dir;
2. the processing limit: ``process_page`` + ``add_text_facets`` over (a sample of) the
   same pages in one process pinned to one core, with no services (process_limit.py,
   as a subprocess so that its spaCy model does not count in the stack's memory);
3. the stack (stack_harness.BenchStack: outlets on 127.0.0.2.., embedded Redis and
   Elasticsearch, one threads worker for io+index and one prefork worker for cpu), then
   ``ingest_once`` over every feed, timed from the first poll until every article has
   its outcome and the index is refreshed, i.e. searchable; memory of the whole process
   tree sampled every 0.5 s; Redis memory per article by key family;
4. unless ``--no-freshness``: freshness and unchanged-feed polling (freshness.py) on the
   same running stack.

    .venv/bin/python benchmarks/end_to_end.py [--quick] [--no-politeness] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import redis
from elasticsearch import Elasticsearch
from process_tree import MemorySampler, cpu_by_component, machine_busy_cpu_s
from profiling import WorkerProfiles
from stack_harness import BenchStack
from synthetic_site import SyntheticSite

from newsdesk.feeds.config import load_feeds
from workers.ingest import ingest_once

HERE = Path(__file__).resolve().parent
ES_IDLE_PROBE_S = 5.0
# Pipeline state kept per feed or per article for the pipeline itself; every other
# newsdesk:* key family belongs to copy/spin/story detection.
STATE_FAMILIES = frozenset(
    {"seen", "page", "feed", "feeds", "schedule", "host", "heartbeat", "outcome", "outcomes",
     "run", "failures", "index", "dlq", "outage", "outages"}
)  # fmt: skip
SIZES = {
    "quick": {"articles": 200, "feeds": 10, "hosts": 5, "sample": 40},
    "full": {"articles": 2_000, "feeds": 50, "hosts": 25, "sample": 400},
}


def build_site(root: Path, quick: bool) -> SyntheticSite:
    """Generate the synthetic site for this run's size."""
    size = SIZES["quick" if quick else "full"]
    return SyntheticSite(
        root, articles=size["articles"], feeds=size["feeds"], hosts=size["hosts"]
    ).generate()


def process_limit(site_root: Path, sample: int) -> dict[str, float]:
    """Return the single-core processing figures from process_limit.py (a subprocess)."""
    cmd = [sys.executable, str(HERE / "process_limit.py"), str(site_root), "--json"]
    cmd += ["--sample", str(sample)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=1_800)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def redis_memory_by_family(r: redis.Redis) -> dict[str, int]:
    """Return MEMORY USAGE summed per key family (``newsdesk:<family>:...``, or celery)."""
    totals: dict[str, int] = defaultdict(int)
    batch: list[bytes] = []

    def flush() -> None:
        pipe = r.pipeline(transaction=False)
        for key in batch:
            pipe.memory_usage(key, samples=0)
        for key, used in zip(batch, pipe.execute(), strict=True):
            text = key.decode(errors="replace")
            family = text.split(":")[1] if text.startswith("newsdesk:") else "celery"
            totals[family] += int(used or 0)
        batch.clear()

    for key in r.scan_iter(count=1_000):
        batch.append(key)
        if len(batch) >= 1_000:
            flush()
    if batch:
        flush()
    return dict(totals)


def es_work(es: Elasticsearch) -> dict[str, float]:
    """Return Elasticsearch's cumulative work counters (all indices, this node)."""
    prim = es.indices.stats(index="_all", metric="indexing,refresh,merge,docs,store")["_all"]
    prim = prim["primaries"]
    node = next(iter(es.nodes.stats(metric="thread_pool,process,jvm")["nodes"].values()))
    gc = node["jvm"]["gc"]["collectors"]
    return {
        "index_ops": prim["indexing"]["index_total"],
        "index_ms": prim["indexing"]["index_time_in_millis"],
        "refreshes": prim["refresh"]["total"],
        "refresh_ms": prim["refresh"]["total_time_in_millis"],
        "merge_ms": prim["merges"]["total_time_in_millis"],
        "store_mib": prim["store"]["size_in_bytes"] / 2**20,
        "bulk_shard_requests": node["thread_pool"]["write"]["completed"],
        "gc_ms": sum(c["collection_time_in_millis"] for c in gc.values()),
    }


def relation_stats(stack: BenchStack) -> dict[str, Any]:
    """Return how the indexed articles were grouped: relations, stories, largest story."""
    result = stack.es.search(
        index=stack.settings.index_alias,
        size=0,
        aggs={
            "relation": {"terms": {"field": "relation"}},
            "stories": {"cardinality": {"field": "story_id"}},
            "largest_story": {"max": {"field": "story_size"}},
        },
    )
    aggs = result["aggregations"]
    return {
        "relation": {b["key"]: b["doc_count"] for b in aggs["relation"]["buckets"]},
        "stories": aggs["stories"]["value"],
        "largest_story": aggs["largest_story"]["value"],
    }


def throughput(stack: BenchStack, profile_dir: Path | None = None) -> dict[str, Any]:
    """Ingest every feed once; return articles/s from the first poll until searchable.

    With ``profile_dir``, the workers are sampled by py-spy meanwhile (profiling.py).
    """
    feeds = load_feeds(stack.feeds_path)
    base_memory_b = int(stack.r.info("memory")["used_memory"])
    # Elasticsearch's own CPU while nothing happens (a fresh JVM still compiles code).
    idle_before = cpu_by_component().get("elasticsearch", 0.0)
    time.sleep(ES_IDLE_PROBE_S)
    es_idle_cpu_share = (
        cpu_by_component().get("elasticsearch", 0.0) - idle_before
    ) / ES_IDLE_PROBE_S
    es_before = es_work(stack.es)
    cpu_before, busy_before = cpu_by_component(), machine_busy_cpu_s()
    profiles = WorkerProfiles(profile_dir) if profile_dir else contextlib.nullcontext()
    with profiles:
        started = time.perf_counter()
        summary = ingest_once(
            stack.app, stack.r, stack.es, stack.settings.index_alias, feeds, timeout_s=3_600
        )
        elapsed_s = time.perf_counter() - started
    cpu_after, busy_s = cpu_by_component(), machine_busy_cpu_s() - busy_before
    cpu_s = {k: v - cpu_before.get(k, 0.0) for k, v in cpu_after.items()}
    indexed = summary.count("articles", "indexed")
    # A poll that found its host busy ends the feed's turn in a one-shot run: its
    # articles are missing from this run (they come with the feed's next poll).
    searchable = int(stack.es.count(index=stack.settings.index_alias)["count"])
    es_after = es_work(stack.es)
    es_delta = {k: es_after[k] - es_before[k] for k in es_after}
    es_delta["store_mib"] = es_after["store_mib"]
    families = redis_memory_by_family(stack.r)
    relations_b = sum(b for f, b in families.items() if f not in STATE_FAMILIES | {"celery"})
    return {
        "profile": profiles.summary() if isinstance(profiles, WorkerProfiles) else None,
        "feeds": len(feeds),
        "articles_announced": len(stack.site.articles),
        "outcomes": summary.articles,
        "polls": summary.polls,
        "searchable": searchable,
        "missed_feeds_host_busy": summary.count("polls", "poll_failed"),
        "elapsed_s": elapsed_s,
        "articles_per_s": searchable / elapsed_s,
        "cpu_s_by_component": cpu_s,
        "cpu_s_per_article": sum(cpu_s.values()) / max(1, searchable),
        # What the rest of the machine (other people's test suites) took meanwhile.
        "cores_used_by_stack": sum(cpu_s.values()) / elapsed_s,
        "cores_used_by_others": (busy_s - sum(cpu_s.values())) / elapsed_s,
        "es_work": es_delta,
        "es_index_ops_per_article": es_delta["index_ops"] / max(1, searchable),
        "relations": relation_stats(stack),
        "es_idle_cpu_share": es_idle_cpu_share,
        "redis_used_memory_delta_b": int(stack.r.info("memory")["used_memory"]) - base_memory_b,
        "redis_b_by_family": families,
        "relations_b_per_article": relations_b / max(1, indexed),
        "seen_b_per_article": families.get("seen", 0) / max(1, indexed),
    }


def run(
    quick: bool, politeness: bool, freshness: bool, profile_dir: Path | None = None
) -> dict[str, Any]:
    """Run the whole end-to-end benchmark and return its figures."""
    results: dict[str, Any] = {"politeness": politeness, "size": "quick" if quick else "full"}
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        site = build_site(work / "site", quick)
        results["site"] = {
            "articles": len(site.articles),
            "wire_copies": sum(a.wire for a in site.articles),
            "feeds": len(site.feeds),
            "hosts": len(site.outlets),
            "mean_page_kib": site.page_bytes / len(site.articles) / 1024,
            "generate_s": time.perf_counter() - started,
        }
        print(f"site: {results['site']}", flush=True)
        sample = SIZES["quick" if quick else "full"]["sample"]
        results["limit"] = process_limit(site.root, sample)
        print(f"single-core limit: {results['limit']}", flush=True)
        with MemorySampler() as memory, BenchStack(site, work, politeness=politeness) as stack:
            results["load_before"] = os.getloadavg()
            results["throughput"] = throughput(stack, profile_dir)
            print(f"throughput: {results['throughput']}", flush=True)
            if freshness:
                import freshness as fresh  # noqa: PLC0415

                results["freshness"] = fresh.run(stack, quick=quick)
            results["load_after"] = os.getloadavg()
        results["memory"] = {
            "peak_rss_mib": memory.peak_rss_kib / 1024,
            "peak_pss_mib": memory.peak_pss_kib / 1024,
            "peak_parts_mib": {k: v / 1024 for k, v in memory.peak_parts.items()},
            "peak_processes_mib": [(n, round(kib / 1024)) for n, kib in memory.peak_processes],
            "samples": memory.samples,
        }
    per_core = results["limit"]["pages_per_cpu_s"]
    results["ratio_to_2_cores"] = results["throughput"]["articles_per_s"] / (2 * per_core)
    return results


def main() -> None:
    """Run and print the end-to-end figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="200 articles instead of 2,000")
    parser.add_argument(
        "--no-politeness", action="store_true", help="lift the per-host request limits"
    )
    parser.add_argument("--no-freshness", action="store_true")
    parser.add_argument("--profile", type=Path, help="py-spy the workers, raw stacks to DIR")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args.quick, not args.no_politeness, not args.no_freshness, args.profile)
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
