"""Estimated wait from recent real service times."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import median


def typical_service_seconds(recent: Sequence[float], default_seconds: float) -> float:
    """The median of recent service durations; the category's default when there are too few.

    The median, not the mean, so that one two-hour case does not make the whole hall look slow.
    """
    usable = [s for s in recent if s > 0]
    if len(usable) < 3:
        return default_seconds
    return float(median(usable))


def estimate_wait_minutes(
    people_ahead: int, recent_service_seconds: Sequence[float], open_counters: int, default_seconds: float
) -> int:
    """Whole minutes, rounded up; 0 when nobody is ahead."""
    if people_ahead <= 0:
        return 0
    per_person = typical_service_seconds(recent_service_seconds, default_seconds)
    counters = max(1, open_counters)
    return max(1, math.ceil(people_ahead * per_person / counters / 60))
