"""Polling schedule: jitter only earlier, exponential backoff with a cap, and first polls."""

from __future__ import annotations

import random

import pytest

from newsdesk.feeds.schedule import backoff_s, initial_due_s, next_due_s

pytestmark = pytest.mark.unit

NOW_S = 1_700_000_000.0


def test_no_failures_is_the_interval_minus_bounded_jitter() -> None:
    rng = random.Random(1)
    delays_s = [next_due_s(NOW_S, 600, 0, rng) - NOW_S for _ in range(2000)]
    assert all(540 <= delay_s <= 600 for delay_s in delays_s)
    # The jitter really spreads polls over the whole band rather than bunching them.
    assert min(delays_s) < 545
    assert max(delays_s) > 595


@pytest.mark.parametrize("interval_s", [30, 900, 86_400])
@pytest.mark.parametrize("jitter_ratio", [0.1, 0.5, 0.999])
def test_jitter_never_makes_a_poll_later_than_its_interval(
    interval_s: int, jitter_ratio: float
) -> None:
    rng = random.Random(interval_s)
    for _ in range(2000):
        due_s = next_due_s(NOW_S, interval_s, 0, rng, jitter_ratio=jitter_ratio)
        assert due_s <= NOW_S + interval_s


@pytest.mark.parametrize("failures", [1, 2, 6])
def test_after_failures_jitter_stays_within_the_backoff(failures: int) -> None:
    rng = random.Random(failures)
    backoff = backoff_s(300, failures)
    delays_s = [next_due_s(NOW_S, 300, failures, rng) - NOW_S for _ in range(2000)]
    assert all(0.9 * backoff <= delay_s <= backoff for delay_s in delays_s)
    # Even the earliest retry backs off: it comes well after the regular interval would.
    assert min(delays_s) > 300


def test_zero_jitter_is_exact() -> None:
    assert next_due_s(NOW_S, 600, 0, random.Random(1), jitter_ratio=0) == NOW_S + 600


@pytest.mark.parametrize(
    ("failures", "expected_s"),
    [(0, 300), (1, 600), (2, 1200), (3, 2400), (8, 76_800), (9, 86_400), (50, 86_400)],
)
def test_backoff_doubles_then_caps(failures: int, expected_s: int) -> None:
    assert backoff_s(300, failures) == expected_s
    due_s = next_due_s(NOW_S, 300, failures, random.Random(7), jitter_ratio=0)
    assert due_s == NOW_S + expected_s


def test_backoff_grows_monotonically_until_the_cap() -> None:
    delays_s = [backoff_s(60, failures, max_backoff_s=3600) for failures in range(12)]
    assert delays_s == sorted(delays_s)
    assert delays_s[-1] == 3600


def test_backoff_never_shortens_a_long_interval() -> None:
    two_days_s = 2 * 86_400
    assert backoff_s(two_days_s, 3, max_backoff_s=86_400) == two_days_s


def test_huge_failure_counts_stay_capped() -> None:
    assert backoff_s(60, 10_000) == 86_400


def test_jitter_applies_after_the_cap() -> None:
    rng = random.Random(3)
    delays_s = [next_due_s(NOW_S, 300, 20, rng, max_backoff_s=1000) - NOW_S for _ in range(500)]
    # The cap is a ceiling: jitter spreads the retries below it, never past it.
    assert all(900 <= delay_s <= 1000 for delay_s in delays_s)


@pytest.mark.parametrize("failures", [0, 1, 5])
@pytest.mark.parametrize("jitter_ratio", [0.0, 0.5, 0.999])
def test_never_at_or_before_now(failures: int, jitter_ratio: float) -> None:
    rng = random.Random(11)
    for now_s in (0.0, NOW_S, 1e15):
        for _ in range(200):
            assert next_due_s(now_s, 30, failures, rng, jitter_ratio=jitter_ratio) > now_s


def test_same_seed_same_schedule() -> None:
    def run(seed: int) -> list[float]:
        rng = random.Random(seed)
        return [next_due_s(NOW_S, 900, failures % 4, rng) for failures in range(50)]

    assert run(42) == run(42)
    assert run(42) != run(43)


@pytest.mark.parametrize(
    ("interval_s", "failures", "jitter_ratio"),
    [(0, 0, 0.1), (-5, 0, 0.1), (60, -1, 0.1), (60, 0, 1.0), (60, 0, -0.1)],
)
def test_bad_arguments_raise(interval_s: int, failures: int, jitter_ratio: float) -> None:
    with pytest.raises(ValueError, match=r"interval_s|jitter_ratio"):
        next_due_s(NOW_S, interval_s, failures, random.Random(0), jitter_ratio=jitter_ratio)


def test_first_polls_are_soon_and_spread() -> None:
    rng = random.Random(5)
    firsts_s = [initial_due_s(NOW_S, 3600, rng) - NOW_S for _ in range(10_000)]
    assert all(0 <= delay_s <= 60 for delay_s in firsts_s)
    # 10,000 feeds must not all start in the same second.
    per_second = [0] * 61
    for delay_s in firsts_s:
        per_second[int(delay_s)] += 1
    assert max(per_second) < 400


def test_first_poll_of_a_short_interval_feed_waits_at_most_the_interval() -> None:
    rng = random.Random(9)
    assert all(NOW_S <= initial_due_s(NOW_S, 30, rng) <= NOW_S + 30 for _ in range(500))


def test_first_poll_is_deterministic_with_a_seed() -> None:
    assert initial_due_s(NOW_S, 900, random.Random(1)) == initial_due_s(
        NOW_S, 900, random.Random(1)
    )
    with pytest.raises(ValueError, match="interval_s"):
        initial_due_s(NOW_S, 0, random.Random(1))
