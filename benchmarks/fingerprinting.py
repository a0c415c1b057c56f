"""Throughput of copy, spin and story fingerprinting on the demo site's article bodies.

The pure parts (shingles + MinHash + LSH bands, anchor extraction, story term vectors)
are timed on one core against ``process_page`` on the same pages, so their share of the
per-article processing time reads directly. With ``--redis`` the whole
``enrich_relations`` step also runs against a real redis-server (round trips included),
each round republishing every page under a new URL, so every article after the first
round has verified copies to compare with: a worst case for the Redis side.

With ``--synthetic N`` the relation step runs on N articles of the synthetic site
(benchmarks/synthetic_site.py, processed with entities as the cpu worker does; cache
them with ``--cache FILE``) in the order a first poll of its feeds brings them, each
queued and flushed to a real Elasticsearch as the index stage does. It prints the Redis
round trips per article, the relation rewrites and Elasticsearch index operations per
article, and the relation keys' Redis memory per article by family.

    .venv/bin/python benchmarks/fingerprinting.py [--rounds N] [--redis]
    .venv/bin/python benchmarks/fingerprinting.py --synthetic 2000 [--cache FILE] [--flush-every K]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from process_limit import BASE_URL
from process_stage import demo_pages, page_ref
from synthetic_site import SyntheticSite

from newsdesk.embedded.es_server import EmbeddedElasticsearch
from newsdesk.embedded.redis_server import EmbeddedRedis
from newsdesk.enrich.entities import EntityExtractor
from newsdesk.enrich.fingerprints import fingerprint
from newsdesk.enrich.relations import enrich_relations
from newsdesk.enrich.spinning import extract_anchors
from newsdesk.enrich.stories import term_counts, term_vector
from newsdesk.models import Article
from newsdesk.search.client import build_es_client
from newsdesk.search.setup import ensure_index
from newsdesk.stages.enrich import add_text_facets
from newsdesk.stages.index import flush_index_batch, queue_for_index, sync_relations
from newsdesk.stages.process import process_page

# Key families of copy, spin and story detection (the rest is pipeline state).
RELATION_FAMILIES = frozenset({"fp", "lsh", "para", "syn", "anchor", "anchors", "spun", "term",
                               "terms", "story"})  # fmt: skip
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


class _CountingConnection(redis.Connection):
    """A connection that counts round trips: one per packed send (a pipeline is one)."""

    sends = 0

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        type(self).sends += 1
        super().send_packed_command(command, check_health)


def _synthetic_articles(count: int, cache: Path | None) -> list[Article]:
    """Return the site's articles, processed, in the order a first poll of its feeds gives."""
    if cache is not None and cache.exists():
        return [Article.from_json(a) for a in json.loads(cache.read_text())][:count]
    with tempfile.TemporaryDirectory() as tmp:
        site = SyntheticSite(Path(tmp), articles=count).generate()
        # Feeds list the newest first and are polled side by side: a story is often
        # fetched backwards, its earliest report last.
        queues = [list(feed.items) for feed in site.feeds]
        order = [q.pop(0) for _ in range(count) for q in queues if q][:count]
        extractor, articles = EntityExtractor(), []
        for item in order:
            html = (site.root / item.path.lstrip("/")).read_bytes()
            html = html.replace(b"{base_url}", BASE_URL.encode())
            page = process_page(page_ref(BASE_URL + item.path), html, min_body_chars=200)
            articles.append(add_text_facets(page, extractor))
    if cache is not None:
        cache.write_text(json.dumps([a.to_json() for a in articles]))
    return articles


def _memory_by_family(r: redis.Redis) -> dict[str, int]:
    """Return MEMORY USAGE summed per relation key family (``newsdesk:<family>:...``)."""
    totals: dict[str, int] = defaultdict(int)
    for key in r.scan_iter(match=b"newsdesk:*", count=1_000):
        family = key.split(b":")[1].decode(errors="replace")
        if family in RELATION_FAMILIES:
            totals[family] += int(r.memory_usage(key, samples=0) or 0)
    return dict(totals)


def _synthetic(count: int, cache: Path | None, flush_every: int) -> None:
    """Print round trips, rewrites, index operations and Redis bytes per synthetic article."""
    articles = _synthetic_articles(count, cache)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp) / "redis") as server:
        es_server = EmbeddedElasticsearch(Path(tmp) / "es")
        es = build_es_client(es_server.start(), compat_7x=True)
        pool = redis.ConnectionPool.from_url(server.url, connection_class=_CountingConnection)
        r = redis.Redis(connection_pool=pool)
        try:
            ensure_index(es, "articles")
            stats: dict[str, list[float]] = {"enrich_sends": [], "enrich_cpu_s": []}
            flush_sends, index_before, redis_before = 0, _index_ops(es), _cpu_s(r)
            for n, article in enumerate(articles, start=1):
                sends, cpu_s = _CountingConnection.sends, time.process_time()
                enriched = enrich_relations(article, r=r)
                stats["enrich_cpu_s"].append(time.process_time() - cpu_s)
                stats["enrich_sends"].append(_CountingConnection.sends - sends)
                queue_for_index(r, enriched, feed_id="bench", run_id=None)
                if n % flush_every == 0 or n == len(articles):
                    sends = _CountingConnection.sends
                    flush_index_batch(r, es, "articles", batch_id=f"b{n}", max_docs=1_000)
                    flush_sends += _CountingConnection.sends - sends
            sync_relations(r, es, "articles")
            index_ops, redis_cpu_s = _index_ops(es) - index_before, _cpu_s(r) - redis_before
            es.indices.refresh(index="articles")
            largest = es.search(
                index="articles", size=0, aggs={"m": {"max": {"field": "story_size"}}}
            )["aggregations"]["m"]["value"]
            families = _memory_by_family(r)
        finally:
            r.close()
            pool.disconnect()
            es.close()
            es_server.stop()
    n = len(articles)
    print(f"{n} synthetic articles, a bulk flush every {flush_every}; largest story_size {largest}")
    sends, cpu_ms = statistics.mean(stats["enrich_sends"]), statistics.median(stats["enrich_cpu_s"])
    print(f"enrich_relations: {sends:.1f} Redis round trips per article, {cpu_ms * 1e3:.1f} ms CPU")
    print(f"bulk flushes: {flush_sends / n:.1f} Redis round trips per article")
    print(f"redis-server: {redis_cpu_s / n * 1e3:.1f} ms CPU per article (relations and flushes)")
    print(f"Elasticsearch: {index_ops / n:.2f} index operations per article "
          f"({index_ops / n - 1:.2f} relation rewrites besides the document)")  # fmt: skip
    parts = ", ".join(
        f"{f} {b / n / 1000:.1f}" for f, b in sorted(families.items(), key=lambda kv: -kv[1])
    )
    print(f"Redis, relation keys: {sum(families.values()) / n / 1000:.1f} KB per article ({parts})")


def _cpu_s(r: redis.Redis) -> float:
    info = r.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _index_ops(es: Any) -> int:
    stats = es.indices.stats(index="_all", metric="indexing")
    return int(stats["_all"]["primaries"]["indexing"]["index_total"])


def main() -> None:
    """Print docs/s for each fingerprinting step and its share of process_page's time."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--redis", action="store_true", help="also time enrich_relations")
    parser.add_argument("--synthetic", type=int, default=0, help="relations on N site articles")
    parser.add_argument("--cache", type=Path, help="processed synthetic articles (JSON)")
    parser.add_argument("--flush-every", type=int, default=1, help="articles per bulk flush")
    args = parser.parse_args()
    if args.synthetic:
        _synthetic(args.synthetic, args.cache, args.flush_every)
        return
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
