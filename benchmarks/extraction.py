"""Article-body extraction: Newsdesk against plain trafilatura, quality and speed in one run.

Both extractors run in this process, pinned to one core, on the pages of the article
extraction benchmark (read from ../shared/data, never copied into the repository):
    .venv/bin/python benchmarks/extraction.py [--data DIR] [--rounds N] [--json] [--per-page N]

Quality is the benchmark's published shingle score (see scoring.py). Speed is pages per
second of extraction alone (HTML already decoded in memory), after one untimed warm-up
pass so that lazy imports and caches are start-up cost rather than throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import trafilatura
from scoring import Match, Page, Scores, load_pages, match, summarize

from newsdesk.errors import PermanentError
from newsdesk.extract.article import extract_article

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "article-body-benchmark"

Extractor = Callable[[str, str], str]


@dataclass(frozen=True)
class Run:
    """One extractor's scores, speed and per-page matches."""

    name: str
    scores: Scores
    pages_per_s: float
    empty_pages: int
    matches: list[Match]


def baseline(html: str, url: str) -> str:
    """Return plain trafilatura's text with its default settings (the published baseline)."""
    return trafilatura.extract(html, url=url) or ""


def newsdesk(html: str, url: str) -> str:
    """Return Newsdesk's article body, or "" when it finds no article."""
    try:
        return extract_article(html, url, min_body_chars=0).body
    except PermanentError:
        return ""


def run(name: str, extractor: Extractor, pages: list[Page], rounds: int) -> Run:
    """Return the extractor's scores and its pages/s over ``rounds`` timed passes."""
    for page in pages:
        extractor(page.html, page.url)  # warm-up, untimed
    texts: list[str] = []
    started = time.perf_counter()
    for _ in range(rounds):
        texts = [extractor(page.html, page.url) for page in pages]
    elapsed_s = time.perf_counter() - started
    matches = [match(page.truth, text) for page, text in zip(pages, texts, strict=True)]
    return Run(
        name=name,
        scores=summarize(matches),
        pages_per_s=rounds * len(pages) / elapsed_s,
        empty_pages=sum(1 for text in texts if not text.strip()),
        matches=matches,
    )


def pin_to_one_core() -> str:
    """Restrict this process to one CPU where the OS allows it; return what was done."""
    if not hasattr(os, "sched_setaffinity"):
        return "single process (CPU pinning unavailable here)"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"single process pinned to CPU {core}"


def _page_f1(m: Match) -> float:
    both = m.precision + m.recall
    return 2 * m.precision * m.recall / both if both else 0.0


@dataclass(frozen=True)
class PageFigures:
    """One page's (precision, recall) under each extractor."""

    page_id: str
    url: str
    figures: dict[str, tuple[float, float]]


def worst_pages(pages: list[Page], runs: list[Run], count: int) -> list[PageFigures]:
    """Return the ``count`` pages where the last run scores lowest, with every run's figures."""
    order = sorted(range(len(pages)), key=lambda i: _page_f1(runs[-1].matches[i]))
    return [
        PageFigures(
            pages[i].page_id,
            pages[i].url,
            {r.name: (r.matches[i].precision, r.matches[i].recall) for r in runs},
        )
        for i in order[:count]
    ]


def main() -> None:
    """Print precision, recall, F1 and pages/s for the baseline and for Newsdesk."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="benchmark directory")
    parser.add_argument("--rounds", type=int, default=1, help="timed passes over the pages")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--per-page", type=int, default=0, metavar="N", help="list N worst pages")
    args = parser.parse_args()
    try:
        pages = load_pages(args.data)
    except FileNotFoundError as exc:
        parser.error(f"benchmark data not found: {exc.filename} (point --data at it)")
    cpu = pin_to_one_core()
    runs = [
        run("baseline", baseline, pages, args.rounds),
        run("newsdesk", newsdesk, pages, args.rounds),
    ]
    worst = worst_pages(pages, runs, args.per_page)
    if args.json:
        report = {
            "data": str(args.data),
            "pages": len(pages),
            "rounds": args.rounds,
            "cpu": cpu,
            "extractors": {
                r.name: {**asdict(r.scores), "pages_per_s": r.pages_per_s, "empty": r.empty_pages}
                for r in runs
            },
            "worst_pages": [asdict(row) for row in worst],
        }
        print(json.dumps(report, indent=2))
        return
    print(f"{len(pages)} pages from {args.data}; {cpu}; {args.rounds} timed round(s) after warm-up")
    print(f"{'extractor':<10} {'precision':>9} {'recall':>7} {'F1':>7} {'pages/s':>8} {'empty':>6}")
    for r in runs:
        s = r.scores
        print(
            f"{r.name:<10} {s.precision:9.4f} {s.recall:7.4f} {s.f1:7.4f}"
            f" {r.pages_per_s:8.1f} {r.empty_pages:6d}"
        )
    if worst:
        print(f"\n{len(worst)} worst pages for {runs[-1].name} (precision/recall per extractor):")
        for row in worst:
            figures = "  ".join(f"{name} {p:.3f}/{r:.3f}" for name, (p, r) in row.figures.items())
            print(f"  {row.page_id[:12]}  {figures}  {row.url}")


if __name__ == "__main__":
    main()
