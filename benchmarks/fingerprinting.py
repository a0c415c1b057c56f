"""Throughput of copy, spin and story fingerprinting on the demo site's article bodies.

The pure parts (shingles + MinHash + LSH bands, anchor extraction, story term vectors)
are timed on one core against ``process_page`` on the same pages, so their share of the
per-article processing time reads directly. With ``--redis`` the whole
``enrich_relations`` step also runs against a real redis-server (round trips included),
each round republishing every page under a new URL, so every article after the first
round has verified copies to compare with: a worst case for the Redis side.

    .venv/bin/python benchmarks/fingerprinting.py [--rounds N] [--redis]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from process_stage import demo_pages, page_ref

from newsdesk.embedded.redis_server import EmbeddedRedis
from newsdesk.enrich.fingerprints import fingerprint
from newsdesk.enrich.relations import enrich_relations
from newsdesk.enrich.spinning import extract_anchors
from newsdesk.enrich.stories import term_counts, term_vector
from newsdesk.models import Article
from newsdesk.stages.process import process_page

SITE = Path(__file__).resolve().parents[1] / "newsdesk" / "demo" / "site"


def _rate(label: str, rounds: int, items: list[Any], run: Callable[[Any], object]) -> float:
    """Print and return the mean seconds per item over ``rounds`` passes (after a warm-up)."""
    for item in items:
        run(item)
    started = time.perf_counter()
    for _ in range(rounds):
        for item in items:
            run(item)
    per_item_s = (time.perf_counter() - started) / (rounds * len(items))
    print(f"{label:<40} {1 / per_item_s:9.0f} docs/s  ({per_item_s * 1e3:7.3f} ms/doc)")
    return per_item_s


def _with_redis(articles: list[Article], rounds: int, process_s: float) -> None:
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp)) as server:
        r = redis.Redis.from_url(server.url)
        before_b = int(r.info("memory")["used_memory"])
        started = time.perf_counter()
        count = 0
        for round_no in range(rounds):
            for article in articles:
                url = article.url.replace("demo.example/", f"demo.example/r{round_no}/")
                enrich_relations(dataclasses.replace(article, url=url), r=r)
                count += 1
        per_doc_s = (time.perf_counter() - started) / count
        used_b = int(r.info("memory")["used_memory"]) - before_b
        r.close()
    print(
        f"{'enrich_relations (Redis, copies)':<40} {1 / per_doc_s:9.0f} docs/s  "
        f"({per_doc_s * 1e3:7.3f} ms/doc, {per_doc_s / process_s:.0%} of process_page)"
    )
    print(f"Redis memory for {count} articles: {used_b / count / 1024:.1f} KiB per article")


def main() -> None:
    """Print docs/s for each fingerprinting step and its share of process_page's time."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--redis", action="store_true", help="also time enrich_relations")
    args = parser.parse_args()
    pages = demo_pages()
    articles = [process_page(page_ref(url), html, min_body_chars=200) for url, html in pages]
    words = sum(len(a.body.split()) for a in articles) / len(articles)
    print(f"{len(articles)} demo articles ({words:.0f} words on average), one core")
    process_s = _rate(
        "process_page (extraction, for scale)",
        max(1, args.rounds // 10),
        pages,
        lambda page: process_page(page_ref(page[0]), page[1], min_body_chars=200),
    )
    steps: list[tuple[str, Callable[[Article], object]]] = [
        ("MinHash + LSH bands + paragraphs", lambda a: fingerprint(a.body).band_hashes()),
        ("anchor extraction", lambda a: extract_anchors(a.body)),
        ("story term vector", lambda a: term_vector(term_counts(a.title, a.body), {}, 0)),
    ]
    total_s = 0.0
    for label, run in steps:
        per_doc_s = _rate(label, args.rounds, articles, run)
        total_s += per_doc_s
        print(f"{'':<40} {per_doc_s / process_s:9.1%} of process_page")
    print(f"pure fingerprinting together: {total_s / process_s:.1%} of process_page")
    if args.redis:
        _with_redis(articles, max(1, args.rounds // 4), process_s)


if __name__ == "__main__":
    main()
