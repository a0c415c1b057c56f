"""Throughput of entity and keyword extraction on the demo site's articles, on one core.

Each article's text is taken once with the extractor the process stage uses; NER and
YAKE then run over it, one article per call as a worker would, and the process stage
itself runs over the same pages in the same run, so the shares compare directly:
    .venv/bin/python benchmarks/enrichment.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from newsdesk.enrich.entities import EntityExtractor
from newsdesk.enrich.keywords import extract_keywords
from newsdesk.extract.article import extract_article
from newsdesk.models import FeedEntry, FetchedPage
from newsdesk.stages.process import process_page

SITE = Path(__file__).resolve().parents[1] / "newsdesk" / "demo" / "site"
MIN_BODY_CHARS = 200


def _pages() -> list[tuple[str, bytes]]:
    pages = []
    for path in sorted(SITE.rglob("*.html")):
        if path.name != "index.html":
            url = "http://demo.example/" + str(path.relative_to(SITE))
            pages.append((url, path.read_bytes()))
    return pages


def _page_ref(url: str) -> FetchedPage:
    entry = FeedEntry(url=url, link=url, feed_id="bench", feed_name="Bench", feed_url=url)
    return FetchedPage(
        entry=entry, final_url=url, status_code=200, content_type="text/html",
        fetched_at=datetime.now(UTC), body_key="unused", encoding="utf-8",
    )  # fmt: skip


def _time(label: str, rounds: int, items: list[object], run: Callable[[object], object]) -> float:
    """Print items/s and return the mean seconds per item, after one untimed pass."""
    # The untimed pass loads the spaCy model and warms caches: start-up, not throughput.
    for item in items:
        run(item)
    started = time.perf_counter()
    for _ in range(rounds):
        for item in items:
            run(item)
    elapsed = time.perf_counter() - started
    count = rounds * len(items)
    print(f"{label:<34} {count / elapsed:8.1f} docs/s  ({elapsed:.2f} s for {count} docs)")
    return elapsed / count


def main() -> None:
    """Print docs/s for NER, keywords and the process stage, and enrichment's share."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        # One core, as a cpu worker process gets: no BLAS or OS scheduling spread.
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    pages = _pages()
    texts: list[tuple[str, str | None]] = []
    for url, html in pages:
        extracted = extract_article(html.decode("utf-8"), url, min_body_chars=MIN_BODY_CHARS)
        texts.append((f"{extracted.title or ''}\n{extracted.body}", extracted.detected_language))
    english = sum(1 for _, language in texts if language in {None, "en"})
    chars = sum(len(text) for text, _ in texts) // len(texts)
    print(f"{len(texts)} demo articles ({english} English, {chars} chars on average), ", end="")
    print(f"{args.rounds} rounds, one core")

    extractor = EntityExtractor()
    items: list[object] = list(texts)
    ner_s = _time(
        "entities: EntityExtractor.extract",
        args.rounds,
        items,
        lambda item: extractor.extract([item]),  # type: ignore[list-item]
    )
    batched_s = _time(
        "entities, all articles in one call",
        args.rounds,
        [texts],
        lambda batch: extractor.extract(batch),  # type: ignore[arg-type]
    ) / len(texts)
    print(f"{'  = per article':<34} {1 / batched_s:8.1f} docs/s")
    keywords_s = _time(
        "keywords: extract_keywords",
        args.rounds,
        items,
        lambda item: extract_keywords(item[0], language=item[1]),  # type: ignore[index]
    )
    process_s = _time(
        "process stage: process_page",
        args.rounds,
        list(pages),
        lambda page: process_page(_page_ref(page[0]), page[1], min_body_chars=MIN_BODY_CHARS),  # type: ignore[index]
    )
    total_s = process_s + ner_s + keywords_s
    print(
        f"per article: process {process_s * 1000:.1f} ms, entities {ner_s * 1000:.1f} ms, "
        f"keywords {keywords_s * 1000:.1f} ms; enrichment is "
        f"{(ner_s + keywords_s) / total_s:.0%} of the {total_s * 1000:.1f} ms total "
        f"(entities {ner_s / total_s:.0%}, keywords {keywords_s / total_s:.0%})"
    )


if __name__ == "__main__":
    main()
