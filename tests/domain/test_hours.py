"""Opening hours and the center's local day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from suqiu_queue.domain.errors import Invalid
from suqiu_queue.domain.hours import (
    ALWAYS_OPEN,
    OFFICE_HOURS,
    OpeningHours,
    local_now,
    service_date,
    zone,
)

SHANGHAI = zone("Asia/Shanghai")


def shanghai(y: int, mo: int, d: int, h: int, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI)


# 2026-11-23 is a Monday.
MONDAY = (2026, 11, 23)
SATURDAY = (2026, 11, 28)


# --- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        {"monday": [["08:30", "12:00"]]},  # weekday keys are mon..sun
        {"mon": [["8点半", "12:00"]]},
        {"mon": [["08:30"]]},
        {"mon": [["08:30", "12:00", "13:00"]]},
        {"mon": [["17:30", "08:30"]]},  # ends before it starts
        {"mon": [["08:30", "08:30"]]},  # empty period
        {"mon": [[830, 1200]]},
        {"mon": [None]},
        {"mon": None},
        {"mon": "08:30-12:00"},
        {"mon": [["08:30+08:00", "12:00"]]},  # a zone inside a period: the center's zone decides
        {"mon": [["24:00", "24:00"]]},
        [["08:30", "12:00"]],  # not a weekday mapping at all
    ],
    ids=repr,
)
def test_bad_opening_hours_are_refused_with_a_clear_error(raw: object) -> None:
    with pytest.raises(Invalid) as caught:
        OpeningHours.parse(raw)  # type: ignore[arg-type]
    assert caught.value.code == "invalid_opening_hours"
    assert "营业时间" in caught.value.message
    assert caught.value.status == 422


def test_parse_and_back() -> None:
    hours = OpeningHours.parse(OFFICE_HOURS)
    assert hours.periods["mon"] == [(time(8, 30), time(12, 0)), (time(13, 30), time(17, 30))]
    assert "sat" not in hours.periods
    assert hours.to_raw() == OFFICE_HOURS
    assert OpeningHours.parse(ALWAYS_OPEN).to_raw() == ALWAYS_OPEN


def test_a_day_with_no_periods_is_closed() -> None:
    hours = OpeningHours.parse({"mon": []})
    assert not hours.is_open(shanghai(*MONDAY, 10))


# --- is_open --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "second", "expected"),
    [
        (8, 29, 59, False),
        (8, 30, 0, True),  # periods include their start
        (11, 59, 59, True),
        (12, 0, 0, False),  # ...and exclude their end
        (12, 45, 0, False),  # lunch break between the two periods
        (13, 30, 0, True),
        (17, 29, 59, True),
        (17, 30, 0, False),
        (0, 0, 0, False),
        (23, 59, 59, False),
    ],
)
def test_office_hours_on_a_weekday(hour: int, minute: int, second: int, expected: bool) -> None:
    hours = OpeningHours.parse(OFFICE_HOURS)
    assert hours.is_open(shanghai(*MONDAY, hour, minute, second)) is expected


def test_office_hours_are_closed_at_the_weekend() -> None:
    hours = OpeningHours.parse(OFFICE_HOURS)
    assert not hours.is_open(shanghai(*SATURDAY, 10))


def test_a_period_ending_at_midnight_runs_to_the_end_of_the_day() -> None:
    hours = OpeningHours.parse({"mon": [["18:00", "00:00"]]})
    assert hours.is_open(shanghai(*MONDAY, 23, 59, 59))
    assert not hours.is_open(shanghai(*MONDAY, 17, 59, 59))
    # Midnight belongs to Tuesday, which has no hours.
    assert not hours.is_open(shanghai(2026, 11, 24, 0, 0, 0))


def test_always_open_is_open_around_midnight() -> None:
    hours = OpeningHours.parse(ALWAYS_OPEN)
    for moment in (shanghai(*MONDAY, 0), shanghai(*MONDAY, 23, 59, 59), shanghai(*SATURDAY, 3)):
        assert hours.is_open(moment)


def test_is_open_is_decided_in_the_centers_local_time() -> None:
    hours = OpeningHours.parse(OFFICE_HOURS)
    utc_moment = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai, 00:30 in UTC
    assert hours.is_open(local_now(utc_moment, "Asia/Shanghai"))
    assert not hours.is_open(local_now(utc_moment, "UTC"))


# --- the service day ------------------------------------------------------------------------------


def test_service_date_rolls_over_at_local_midnight_not_at_utc_midnight() -> None:
    just_before = datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Shanghai
    midnight = datetime(2026, 11, 23, 16, 0, 0, tzinfo=UTC)  # 00:00 on the 24th in Shanghai
    assert service_date(just_before, "Asia/Shanghai") == date(2026, 11, 23)
    assert service_date(midnight, "Asia/Shanghai") == date(2026, 11, 24)
    # The same moments in a UTC center are still the 23rd.
    assert service_date(midnight, "UTC") == date(2026, 11, 23)
    assert service_date(datetime(2026, 11, 24, 0, 0, tzinfo=UTC), "UTC") == date(2026, 11, 24)


def test_early_morning_utc_is_already_the_next_day_in_shanghai() -> None:
    # 07:59 on the 23rd in Shanghai is still the 22nd in UTC.
    assert service_date(datetime(2026, 11, 22, 23, 59, tzinfo=UTC), "Asia/Shanghai") == date(2026, 11, 23)


def test_unknown_time_zone() -> None:
    with pytest.raises(Invalid) as caught:
        service_date(datetime(2026, 11, 23, tzinfo=UTC), "Mars/Olympus_Mons")
    assert caught.value.code == "invalid_timezone"
