"""When to poll a feed next: the interval, jitter (only earlier), and backoff after failures.

Pure arithmetic on epoch seconds with an injected ``random.Random``, so the scheduler
stays deterministic under test and the Redis due-ZSET only stores the results.
"""

from __future__ import annotations

import math
import random

# 2**MAX_BACKOFF_EXPONENT times any sane interval is past every cap; stopping the exponent
# here keeps a feed that has failed for months from building huge integers.
MAX_BACKOFF_EXPONENT = 32
# A brand-new feed waits at most this long, so adding a feed shows results quickly while a
# restart with thousands of feeds still spreads their first polls out.
INITIAL_SPREAD_S = 60


def backoff_s(interval_s: int, failures: int, *, max_backoff_s: int = 86_400) -> int:
    """Return interval_s * 2**failures capped at max_backoff_s, never below interval_s."""
    if interval_s <= 0 or failures < 0:
        raise ValueError(f"need interval_s > 0 and failures >= 0, got {interval_s}, {failures}")
    grown: int = interval_s << min(failures, MAX_BACKOFF_EXPONENT)
    # A feed polled daily by choice must not be polled more often because it fails.
    return min(grown, max(max_backoff_s, interval_s))


def next_due_s(
    now_s: float,
    interval_s: int,
    failures: int,
    rng: random.Random,
    *,
    jitter_ratio: float = 0.1,
    max_backoff_s: int = 86_400,
) -> float:
    """Return the epoch seconds of the next poll, after now_s; raises ValueError.

    The poll is never later than the interval (after failures, the backoff) from now_s:
    jitter only brings it forward, by up to ``jitter_ratio`` of that delay.
    """
    if not 0 <= jitter_ratio < 1:
        raise ValueError(f"jitter_ratio must be in [0, 1), got {jitter_ratio}")
    delay_s: float = backoff_s(interval_s, failures, max_backoff_s=max_backoff_s)
    # Jitter stops feeds added together (or failing together in one outage) from being
    # polled in lockstep forever, which would hit one host or the workers in bursts. Only
    # earlier: a 30 s feed jittered to 33 s missed its freshness target by chance. The
    # backoff cap stays a ceiling, and a failing feed still waits (1 - ratio) * backoff.
    delay_s -= rng.uniform(0, jitter_ratio) * delay_s
    return max(now_s + delay_s, math.nextafter(now_s, math.inf))


def initial_due_s(now_s: float, interval_s: int, rng: random.Random) -> float:
    """Return the epoch seconds of a new feed's first poll, within min(interval_s, 60)s of now_s."""
    if interval_s <= 0:
        raise ValueError(f"interval_s must be > 0, got {interval_s}")
    return now_s + rng.uniform(0, min(interval_s, INITIAL_SPREAD_S))
