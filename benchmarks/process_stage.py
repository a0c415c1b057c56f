"""Throughput of the process stage on the demo site's pages, against plain trafilatura.

Both run in this process on the same pages, so the figures compare directly:
    .venv/bin/python benchmarks/process_stage.py [--rounds N]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

import trafilatura

from newsdesk.models import FeedEntry, FetchedPage
from newsdesk.stages.process import process_page

SITE = Path(__file__).resolve().parents[1] / "newsdesk" / "demo" / "site"


def demo_pages() -> list[tuple[str, bytes]]:
    """Return (url, html) for every article page of the bundled demo site."""
    pages = []
    for path in sorted(SITE.rglob("*.html")):
        if path.name != "index.html":
            url = "http://demo.example/" + str(path.relative_to(SITE))
            pages.append((url, path.read_bytes()))
    return pages


def page_ref(url: str) -> FetchedPage:
    """Return a FetchedPage for a benchmark page (no Redis body key is used)."""
    entry = FeedEntry(url=url, link=url, feed_id="bench", feed_name="Bench", feed_url=url)
    return FetchedPage(
        entry=entry, final_url=url, status_code=200, content_type="text/html",
        fetched_at=datetime.now(UTC), body_key="unused", encoding="utf-8",
    )  # fmt: skip


def _time(label: str, rounds: int, pages: list[tuple[str, bytes]], run: object) -> float:
    # One untimed pass: lazy model and parser loading is start-up cost, not throughput.
    for url, html in pages:
        run(url, html)  # type: ignore[operator]
    started = time.perf_counter()
    for _ in range(rounds):
        for url, html in pages:
            run(url, html)  # type: ignore[operator]
    elapsed = time.perf_counter() - started
    rate = rounds * len(pages) / elapsed
    print(f"{label:<34} {rate:8.1f} pages/s  ({elapsed:.2f} s for {rounds * len(pages)} pages)")
    return rate


def main() -> None:
    """Print pages/s for the baseline and for Newsdesk's process stage."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pages = demo_pages()
    print(f"{len(pages)} demo pages, {args.rounds} rounds, one core")
    baseline = _time(
        "baseline: trafilatura.extract",
        args.rounds,
        pages,
        lambda url, html: trafilatura.extract(html, url=url, with_metadata=True),
    )
    ours = _time(
        "newsdesk: process_page",
        args.rounds,
        pages,
        lambda url, html: process_page(page_ref(url), html, min_body_chars=200),
    )
    print(f"process_page runs at {ours / baseline:.2f}x the baseline's speed")


if __name__ == "__main__":
    main()
