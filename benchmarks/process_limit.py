"""The processing limit: extraction and enrichment of synthetic pages on one core, no services.

Reads the article pages of a generated synthetic site (benchmarks/synthetic_site.py),
runs ``process_page`` and ``add_text_facets`` on each in this single process, pinned to
one CPU, and prints pages per second (per CPU second, and per wall second). The first
pages are a warm-up (spaCy model load, lazy imports) and are not timed. end_to_end.py
runs this as a subprocess before the stack starts, so the stack's memory and CPU figures
exclude it:

    .venv/bin/python benchmarks/process_limit.py SITE_DIR [--sample N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from process_stage import page_ref

from newsdesk.enrich.entities import EntityExtractor
from newsdesk.errors import PermanentError
from newsdesk.stages.enrich import add_text_facets
from newsdesk.stages.process import process_page

BASE_URL = "http://127.0.0.2:8000"
WARMUP_PAGES = 5
MIN_BODY_CHARS = 200


def load_pages(root: Path, sample: int) -> list[tuple[str, bytes]]:
    """Return (url, html) of every ``len/sample``-th article page, in a stable order."""
    paths = sorted(p for p in root.rglob("*.html"))
    step = max(1, len(paths) // sample) if sample else 1
    pages = []
    for path in paths[::step][: sample or None]:
        url = f"{BASE_URL}/{path.relative_to(root)}"
        pages.append((url, path.read_bytes().replace(b"{base_url}", BASE_URL.encode())))
    return pages


def measure(pages: list[tuple[str, bytes]]) -> dict[str, float]:
    """Return pages/s (CPU and wall) of process_page + add_text_facets, and each part's ms."""
    extractor = EntityExtractor()

    def one(url: str, html: bytes) -> tuple[float, float]:
        started = time.process_time()
        try:
            article = process_page(page_ref(url), html, min_body_chars=MIN_BODY_CHARS)
        except PermanentError:
            return time.process_time() - started, 0.0
        middle = time.process_time()
        add_text_facets(article, extractor)
        return middle - started, time.process_time() - middle

    for url, html in pages[:WARMUP_PAGES]:
        one(url, html)
    process_s = facets_s = 0.0
    wall_started, cpu_started = time.perf_counter(), time.process_time()
    for url, html in pages:
        p_s, f_s = one(url, html)
        process_s, facets_s = process_s + p_s, facets_s + f_s
    wall_s, cpu_s = time.perf_counter() - wall_started, time.process_time() - cpu_started
    n = len(pages)
    return {
        "pages": n,
        "pages_per_cpu_s": n / cpu_s,
        "pages_per_wall_s": n / wall_s,
        "process_page_ms": 1000 * process_s / n,
        "add_text_facets_ms": 1000 * facets_s / n,
        "mean_page_kib": sum(len(h) for _, h in pages) / n / 1024,
    }


def main() -> None:
    """Print the single-core processing rate of the site's pages."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("--sample", type=int, default=0, help="pages to use (0: all)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    figures = measure(load_pages(args.root, args.sample))
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"{figures['pages']} pages ({figures['mean_page_kib']:.0f} KiB mean), one core: "
        f"{figures['pages_per_cpu_s']:.1f} pages/CPU-s, {figures['pages_per_wall_s']:.1f} "
        f"pages/wall-s; process_page {figures['process_page_ms']:.1f} ms, "
        f"add_text_facets {figures['add_text_facets_ms']:.1f} ms per page"
    )


if __name__ == "__main__":
    main()
