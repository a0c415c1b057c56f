"""Scoring of article-body extraction, as published with the article-extraction benchmark.

The method follows `evaluate.py` of scrapinghub/article-extraction-benchmark so that our
figures compare with the published ones:

- tokens are the runs of ``\\w+`` (Unicode, case kept, punctuation dropped);
- a text's shingles are its overlapping 4-token windows, counted as a multiset; a text of
  1 to 3 tokens has one shorter shingle, an empty text none;
- per page, TP/FP/FN are the shared, extra and missing shingles, divided by their sum so
  that long articles do not outweigh short ones;
- precision is averaged over the pages with TP + FP > 0, so an **empty extraction leaves
  the precision mean untouched** and counts as recall 0; recall is averaged over the pages
  with TP + FN > 0; a page where both texts are empty counts in neither;
- F1 is the harmonic mean of the two averages, not an average of per-page F1.

The loader at the end reads the data set (gzip HTML pages plus ``ground-truth.json``);
nothing here imports the extractors, so the tests can load this file on its own.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

SHINGLE_TOKENS = 4
_TOKEN_RE = re.compile(r"\w+")


@dataclass(frozen=True)
class Match:
    """Normalized shared (tp), extra (fp) and missing (fn) shingles of one page."""

    tp: float
    fp: float
    fn: float

    @property
    def precision(self) -> float:
        """Return the page's precision (1.0 when both texts are empty)."""
        if self.fp == self.fn == 0:
            return 1.0
        if self.tp == self.fp == 0:
            return 0.0
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float:
        """Return the page's recall (1.0 when both texts are empty)."""
        if self.fp == self.fn == 0:
            return 1.0
        if self.tp == self.fn == 0:
            return 0.0
        return self.tp / (self.tp + self.fn)


@dataclass(frozen=True)
class Scores:
    """Mean precision and recall over pages, and their harmonic mean."""

    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class Page:
    """One benchmark page: its id (sha256), URL, HTML and annotated article body."""

    page_id: str
    url: str
    html: str
    truth: str


def tokenize(text: str | None) -> list[str]:
    """Return the word tokens of the text the way the benchmark counts them."""
    return _TOKEN_RE.findall(text or "")


def shingles(text: str | None, size: int = SHINGLE_TOKENS) -> Counter[tuple[str, ...]]:
    """Return the multiset of overlapping token windows of the text."""
    tokens = tokenize(text)
    windows = (tuple(tokens[i : i + size]) for i in range(max(1, len(tokens) - size + 1)))
    return Counter(window for window in windows if window)


def match(truth: str | None, extracted: str | None) -> Match:
    """Return the normalized TP/FP/FN shingle counts of an extraction against the truth."""
    expected, got = shingles(truth), shingles(extracted)
    tp = float(sum((expected & got).values()))
    fp = float(sum((got - expected).values()))
    fn = float(sum((expected - got).values()))
    total = tp + fp + fn
    if total == 0:
        return Match(0.0, 0.0, 0.0)
    return Match(tp / total, fp / total, fn / total)


def summarize(matches: list[Match]) -> Scores:
    """Return the benchmark's precision, recall and F1 over the pages' matches."""
    precisions = [m.precision for m in matches if m.tp + m.fp > 0]
    recalls = [m.recall for m in matches if m.tp + m.fn > 0]
    precision = statistics.fmean(precisions) if precisions else 0.0
    recall = statistics.fmean(recalls) if recalls else 0.0
    both = precision + recall
    return Scores(precision, recall, 2 * precision * recall / both if both else 0.0)


def load_pages(data_dir: Path) -> list[Page]:
    """Return the benchmark's pages sorted by id; raise FileNotFoundError when data is missing."""
    truth = json.loads((data_dir / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        # The published runners decode every page as UTF-8; so do we, for the same input.
        with gzip.open(data_dir / "html" / f"{page_id}.html.gz", "rt", encoding="utf-8") as f:
            html = f.read()
        entry = truth[page_id]
        pages.append(Page(page_id, entry["url"], html, entry.get("articleBody") or ""))
    return pages
