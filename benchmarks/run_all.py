"""Every Newsdesk benchmark in one command, with each figure printed next to its target.

    .venv/bin/python benchmarks/run_all.py [--quick] [--only NAME ...] [--json PATH]

In order: the peer comparison (news-please vs ``process_page`` on the article-body
benchmark), the schedule at scale (10,000 feeds on Redis), then the end-to-end run
(synthetic site, single-core processing limit, the real stack with its memory, then
freshness and unchanged-feed polling with the scheduler running). ``--quick`` shrinks
every size (200 articles, 1,000 feeds, 20 peer pages) for development runs on a busy
machine. Every benchmark starts its own engines and stops them when it ends.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import end_to_end  # benchmarks/ is a folder of scripts, not a package
import peer
import schedule_scale

# At the whole tree's peak: what is not the stack itself (the benchmark process with its
# loopback outlets and sampler, and py-spy when profiling).
NOT_THE_STACK = frozenset({"driver", "other"})


def stack_peak_mib(memory: dict[str, Any]) -> float:
    """Return the RSS of Elasticsearch, Redis and the workers at the tree's peak."""
    return sum(v for k, v in memory["peak_parts_mib"].items() if k not in NOT_THE_STACK)


# The end-to-end run goes first, so the driver's memory (counted in the stack's peak)
# is not swollen by what the other benchmarks loaded.
NAMES = ("e2e", "scale", "peer")


def machine() -> dict[str, Any]:
    """Return what the figures were measured on."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "load_at_start": os.getloadavg(),
    }


def _row(label: str, value: float | None, target: str, ok: bool | None, unit: str = "") -> str:
    shown = "n/a" if value is None else f"{value:,.2f}{unit}"
    verdict = "" if ok is None else ("meets" if ok else "MISSES")
    return f"| {label} | {shown} | {target} | {verdict} |"


def summary_rows(results: dict[str, Any]) -> list[str]:
    """Return the Markdown rows of every figure that has a target."""
    rows = ["| figure | value | target | |", "| --- | --- | --- | --- |"]
    e2e = results.get("e2e")
    if e2e:
        t, limit = e2e["throughput"], e2e["limit"]
        stack_mib = stack_peak_mib(e2e["memory"])
        rows += [
            _row("end-to-end articles/s (first poll → searchable)", t["articles_per_s"], "", None),
            _row("single-core limit, pages/CPU-s", limit["pages_per_cpu_s"], "", None),
            _row(
                "end-to-end ÷ (2 x single-core)", e2e["ratio_to_2_cores"], "≥ 0.8",
                e2e["ratio_to_2_cores"] >= 0.8,
            ),
            _row(
                "peak RSS: Elasticsearch, Redis, workers (MiB)", stack_mib, "≤ 1,536",
                stack_mib <= 1536,
            ),
            _row("peak RSS, with the benchmark's own process (MiB)",
                 e2e["memory"]["peak_rss_mib"], "", None),
            _row("peak PSS, with the benchmark's own process (MiB)",
                 e2e["memory"]["peak_pss_mib"], "", None),
            _row("Redis: relation keys per article (B)", t["relations_b_per_article"], "", None),
        ]  # fmt: skip
        f = e2e.get("freshness")
        if f:
            bound = f["interval_s"] + 3
            p95 = f["freshness_p95_s"]
            rows += [
                _row("freshness p50 (s)", f["freshness_p50_s"], "", None),
                _row(
                    "freshness p95 (s)", p95, f"≤ {bound:g}", p95 is not None and p95 <= bound
                ),
                _row(
                    "requests per unchanged-feed poll", f["feed_requests_per_poll"], "1",
                    f["feed_requests_per_poll"] <= 1.0,
                ),
                _row("bytes per 304 answer (headers)", f["unchanged_304_wire_bytes"], "", None),
                _row(
                    "extra article fetches from unchanged polls",
                    f["extra_article_requests"], "0", f["extra_article_requests"] == 0,
                ),
            ]  # fmt: skip
    s = results.get("scale")
    if s:
        rows += [
            _row("tick, none due (ms)", s["tick_none_due_ms"], "≤ 50", s["tick_none_due_ms"] <= 50),
            _row(
                f"tick, all due ({s['tick_all_due_polls_per_tick']} polls) (ms)",
                s["tick_all_due_ms"], "≤ 50", s["tick_all_due_ms"] <= 50,
            ),
            _row("Redis per feed (B)", s["b_per_feed"], "≤ 1,024", s["b_per_feed"] <= 1024),
            _row(
                "Redis per seen article (B)", s["seen_b_per_article_used_memory"], "", None
            ),
            _row("config reload, first (ms)", s["reload_first_ms"], "", None),
            _row("config reload, one feed changed (ms)", s["reload_changed_ms"], "", None),
        ]  # fmt: skip
    p = results.get("peer")
    if p and "news_please" in p:
        ours, theirs = p["newsdesk_process_page"], p["news_please"]
        rows += [
            _row("news-please pages/s (one core)", theirs["pages_per_s"], "", None),
            _row("news-please F1", theirs["f1"], "", None),
            _row("process_page pages/s (one core)", ours["pages_per_s"], "", None),
            _row("process_page F1", ours["f1"], f"> {theirs['f1']:.4f}", ours["f1"] > theirs["f1"]),
            _row("speed-up over news-please, wall", p["speedup"], "≥ 5x", p["speedup"] >= 5),
            _row(
                "speed-up over news-please, CPU time",
                p["speedup_cpu"],
                "≥ 5x",
                p["speedup_cpu"] >= 5,
            ),
        ]
    return rows


def main() -> None:
    """Run the chosen benchmarks, print every figure and the summary against targets."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes for development runs")
    parser.add_argument("--only", nargs="*", choices=NAMES, default=list(NAMES))
    parser.add_argument("--no-politeness", action="store_true", help="lift per-host limits")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--profile", type=Path, help="py-spy the workers, raw stacks to DIR")
    args = parser.parse_args()
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    print(f"machine: {results['machine']}", flush=True)
    jobs: dict[str, Callable[[], dict[str, Any]]] = {
        "peer": lambda: peer.run(limit=20 if args.quick else 0),
        "scale": lambda: schedule_scale.measure(
            1_000 if args.quick else 10_000, 50 if args.quick else 200
        ),
        "e2e": lambda: end_to_end.run(
            args.quick, not args.no_politeness, freshness=True, profile_dir=args.profile
        ),
    }
    for name in args.only:
        started = time.perf_counter()
        print(f"\n== {name} ==", flush=True)
        results[name] = jobs[name]()
        results[name]["took_s"] = time.perf_counter() - started
        print(json.dumps(results[name], indent=2, default=str), flush=True)
    results["machine"]["load_at_end"] = os.getloadavg()
    print("\n" + "\n".join(summary_rows(results)))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
