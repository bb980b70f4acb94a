"""The estimated wait: median of recent service times, shared by the open counters, rounded up."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suqiu_queue.domain.waiting import estimate_wait_minutes, typical_service_seconds


def test_the_median_of_recent_service_times() -> None:
    assert typical_service_seconds([300, 600, 420], default_seconds=999) == 420
    assert typical_service_seconds([300, 600, 420, 480], default_seconds=999) == 450  # mean of the middle two


def test_one_very_long_case_does_not_make_the_hall_look_slow() -> None:
    assert typical_service_seconds([300, 310, 320, 7200], default_seconds=999) == 315


def test_too_few_samples_fall_back_to_the_category_default() -> None:
    assert typical_service_seconds([], default_seconds=480) == 480
    assert typical_service_seconds([100, 200], default_seconds=480) == 480


def test_zero_and_negative_durations_are_not_samples() -> None:
    # A ticket finished in the same second it was called (a mis-click) says nothing about speed.
    assert typical_service_seconds([0, -5, 100, 200], default_seconds=480) == 480
    assert typical_service_seconds([0, 100, 200, 300], default_seconds=480) == 200


def test_nobody_ahead_means_no_wait() -> None:
    assert estimate_wait_minutes(0, [600, 600, 600], open_counters=1, default_seconds=600) == 0


@pytest.mark.parametrize(
    ("ahead", "counters", "expected"),
    [
        (1, 1, 8),  # one person, 8 minutes each
        (1, 2, 4),  # two counters share the line
        (3, 2, 12),
        (2, 4, 4),
        (5, 0, 40),  # no counter open right now: count as one rather than dividing by zero
    ],
)
def test_people_ahead_times_median_shared_by_open_counters(ahead: int, counters: int, expected: int) -> None:
    assert estimate_wait_minutes(ahead, [480, 480, 480], open_counters=counters, default_seconds=60) == expected


def test_minutes_are_rounded_up_and_never_zero_when_someone_is_ahead() -> None:
    assert estimate_wait_minutes(1, [61, 61, 61], open_counters=1, default_seconds=60) == 2
    assert estimate_wait_minutes(1, [5, 5, 5], open_counters=3, default_seconds=60) == 1


def test_uses_the_default_until_there_are_enough_samples() -> None:
    assert estimate_wait_minutes(2, [60], open_counters=1, default_seconds=600) == 20


@given(
    st.integers(0, 200),
    st.lists(st.floats(-10, 7200, allow_nan=False), max_size=40),
    st.integers(0, 10),
    st.floats(1, 3600),
)
def test_more_people_ahead_never_means_a_shorter_wait(
    ahead: int, samples: list[float], counters: int, default: float
) -> None:
    now = estimate_wait_minutes(ahead, samples, counters, default)
    assert estimate_wait_minutes(ahead + 1, samples, counters, default) >= now >= 0
    # Opening another counter never makes it longer.
    assert estimate_wait_minutes(ahead, samples, counters + 1, default) <= max(now, 1 if ahead else 0)
