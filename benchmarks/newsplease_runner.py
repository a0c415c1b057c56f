"""Runs news-please over the article-body benchmark pages; executed by news-please's own venv.

news-please pins libraries that conflict with Newsdesk's, so it lives in a separate
virtualenv and peer.py runs this file with that venv's interpreter. It imports nothing
from Newsdesk and prints one JSON document: each page's main text and the timings.

    NP_PYTHON benchmarks/newsplease_runner.py DATA_DIR [--limit N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
import warnings
from pathlib import Path

WARMUP_PAGES = 3


def main() -> None:
    """Extract every page with NewsPlease.from_html and print texts and timings as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path)
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    from newsplease import NewsPlease  # noqa: PLC0415 - timed as start-up, apart from pages

    import_s = time.perf_counter() - started
    truth = json.loads((args.data / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)[: args.limit or None]
    pages = []
    for page_id in ids:
        with gzip.open(args.data / "html" / f"{page_id}.html.gz", "rt", encoding="utf-8") as f:
            pages.append((page_id, truth[page_id]["url"], f.read()))

    def extract(url: str, html: str) -> str:
        try:
            article = NewsPlease.from_html(html, url=url, fetch_images=False)
        except Exception as exc:  # noqa: BLE001 - a crash on one page scores as empty
            print(f"news-please failed on {url}: {exc!r}", file=sys.stderr)
            return ""
        return (article.maintext or "") if article is not None else ""

    for _, url, html in pages[:WARMUP_PAGES]:
        extract(url, html)
    texts = {}
    wall_started, cpu_started = time.perf_counter(), time.process_time()
    for page_id, url, html in pages:
        texts[page_id] = extract(url, html)
    wall_s, cpu_s = time.perf_counter() - wall_started, time.process_time() - cpu_started
    from importlib.metadata import version  # noqa: PLC0415

    print(
        json.dumps(
            {
                "version": version("news-please"),
                "import_s": import_s,
                "wall_s": wall_s,
                "cpu_s": cpu_s,
                "texts": texts,
            }
        )
    )


if __name__ == "__main__":
    main()
