"""The benchmark's scoring math, on hand-made strings."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCORING_PY = Path(__file__).resolve().parents[3] / "benchmarks" / "scoring.py"


def _load_scoring() -> ModuleType:
    # benchmarks/ holds scripts, not a package: load the module from its file.
    spec = importlib.util.spec_from_file_location("benchmark_scoring", SCORING_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


scoring = _load_scoring()


def test_tokens_are_word_runs_with_case_kept() -> None:
    assert scoring.tokenize("Hello, world! It's 2019.") == ["Hello", "world", "It", "s", "2019"]
    assert scoring.tokenize(None) == []


def test_shingles_are_overlapping_four_token_windows_counted_as_a_multiset() -> None:
    got = scoring.shingles("a b c d a b c d")
    assert got[("a", "b", "c", "d")] == 2
    assert sum(got.values()) == 5


def test_short_text_has_one_short_shingle_and_empty_text_none() -> None:
    assert scoring.shingles("two words") == {("two", "words"): 1}
    assert scoring.shingles("  ...  ") == {}


def test_identical_texts_score_one_whatever_the_layout() -> None:
    m = scoring.match("The cat sat on the mat.", "The cat\n\nsat on the mat")
    assert (m.precision, m.recall) == (1.0, 1.0)


def test_missing_and_extra_shingles_are_normalized_per_page() -> None:
    # truth shingles: abcd, bcde; extracted: abcd, bcdx -> one shared, one extra, one missing
    m = scoring.match("a b c d e", "a b c d x")
    assert (m.tp, m.fp, m.fn) == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert (m.precision, m.recall) == (0.5, 0.5)


def test_a_shingle_repeated_beyond_the_truth_counts_as_extra() -> None:
    # extracted shingles: wxyz twice, xyzw, yzwx, zwxy; the truth has wxyz once
    m = scoring.match("w x y z", "w x y z w x y z")
    assert (m.tp, m.fp, m.fn) == pytest.approx((1 / 5, 4 / 5, 0.0))
    assert m.recall == 1.0


def test_empty_extraction_counts_against_recall_but_not_precision() -> None:
    empty = scoring.match("a b c d e", "")
    assert (empty.recall, empty.tp + empty.fp) == (0.0, 0.0)
    perfect = scoring.match("a b c d", "a b c d")
    scores = scoring.summarize([empty, perfect])
    assert scores.precision == 1.0  # the empty page is left out of the precision mean
    assert scores.recall == 0.5


def test_both_empty_counts_in_neither_mean() -> None:
    both_empty = scoring.match("", "")
    half = scoring.match("a b c d e", "a b c d")
    scores = scoring.summarize([both_empty, half])
    assert (scores.precision, scores.recall) == (1.0, 0.5)


def test_f1_is_the_harmonic_mean_of_the_mean_precision_and_recall() -> None:
    precise = scoring.Match(tp=0.5, fp=0.0, fn=0.5)  # P 1.0, R 0.5
    greedy = scoring.Match(tp=0.5, fp=0.5, fn=0.0)  # P 0.5, R 1.0
    scores = scoring.summarize([precise, greedy])
    assert (scores.precision, scores.recall) == (0.75, 0.75)
    assert scores.f1 == pytest.approx(0.75)  # the mean of per-page F1 would be 0.667


def test_no_pages_score_zero() -> None:
    assert scoring.summarize([]) == scoring.Scores(0.0, 0.0, 0.0)
