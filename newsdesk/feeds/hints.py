"""How often a feed asks to be polled (RSS ``<ttl>``, ``sy:updatePeriod``), and how far
that request is honoured.

A feed that says "I change once a day" should not be fetched every five minutes; but a
feed's claim is not trusted without limit either, or one stale ``<ttl>`` would silence
a busy outlet for a week. So a hint can stretch the configured interval, never shrink
it, and never beyond :data:`MAX_HINT_FACTOR` times the configured interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_HINT_FACTOR = 4
# Anything above a year is a typo or a joke, not a polling schedule.
MAX_HINT_S = 366 * 86_400
SY_PERIOD_S = {
    "hourly": 3_600,
    "daily": 86_400,
    "weekly": 7 * 86_400,
    "monthly": 30 * 86_400,
    "yearly": 365 * 86_400,
}


def interval_hint_s(feed_meta: Mapping[str, Any]) -> int | None:
    """Return the shortest poll interval the feed asks for, in seconds, or None if it says none.

    ``<ttl>`` is in minutes (RSS 2.0). ``sy:updatePeriod`` with ``sy:updateFrequency``
    (RSS 1.0 syndication module) means "updated N times per period". When both are
    given, the longer interval is the feed's wish.
    """
    hints: list[int] = []
    ttl_min = _positive_int(feed_meta.get("ttl"))
    if ttl_min is not None:
        hints.append(ttl_min * 60)
    period = str(feed_meta.get("sy_updateperiod") or "").strip().lower()
    if period in SY_PERIOD_S:
        frequency = _positive_int(feed_meta.get("sy_updatefrequency")) or 1
        hints.append(max(1, SY_PERIOD_S[period] // frequency))
    if not hints:
        return None
    return min(max(hints), MAX_HINT_S)


def effective_interval_s(configured_s: int, hint_s: int | None) -> int:
    """Return the interval to poll at: at least configured_s, at most 4x it, the hint between."""
    if not hint_s:
        return configured_s
    return min(max(configured_s, hint_s), MAX_HINT_FACTOR * configured_s)


def _positive_int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
