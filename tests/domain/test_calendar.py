"""The working-day calendar: known dates from the State Council notices, properties, and its data."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suqiu_assets.calendar import CalendarDataError, holiday_data
from suqiu_queue.domain.calendar import (
    BusinessHours,
    CalendarOutOfRange,
    WorkCalendar,
    computed,
    statutory_days,
    statutory_year,
)
from suqiu_queue.domain.errors import Invalid

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar.from_data(holiday_data())

# Dates the property tests draw from: far enough from the end of the data that adding 40 working
# days never runs past it.
FIRST = date(2020, 1, 1)
LAST_SAFE = date(2026, 10, 31)
days = st.dates(min_value=FIRST, max_value=LAST_SAFE)
counts = st.integers(min_value=0, max_value=40)


def d(text: str) -> date:
    return date.fromisoformat(text)


# ----- known dates -------------------------------------------------------------------------------


def test_shipped_data_covers_2020_to_2026() -> None:
    assert (CAL.first_year, CAL.last_year) == (2020, 2026)
    assert all(CAL.years[y].notice.startswith(f"国务院办公厅关于{y}年部分节假日安排的通知") for y in CAL.years)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # 2024 National Day: 10-01..10-07 off; Sunday 09-29 and Saturday 10-12 worked.
        ("2024-09-28", False),
        ("2024-09-29", True),
        ("2024-09-30", True),
        *[(f"2024-10-0{n}", False) for n in range(1, 8)],
        ("2024-10-08", True),
        ("2024-10-12", True),
        ("2024-10-13", False),
        # 2025 National Day + Mid-Autumn under the new rules: 10-01..10-08 off; 09-28 and 10-11 worked.
        ("2025-09-28", True),
        *[(f"2025-10-0{n}", False) for n in range(1, 9)],
        ("2025-10-09", True),
        ("2025-10-11", True),
        ("2025-10-12", False),
        # 2025 Spring Festival: 除夕 01-28 .. 02-04 off; Sunday 01-26 and Saturday 02-08 worked.
        ("2025-01-26", True),
        ("2025-01-27", True),
        ("2025-01-28", False),
        ("2025-02-04", False),
        ("2025-02-05", True),
        ("2025-02-08", True),
        # 2024: 除夕 (02-09) was only encouraged as a day off, so it is a working day.
        ("2024-02-09", True),
        ("2024-02-10", False),
        ("2024-02-18", True),
        # 2020: the COVID extension kept everyone home until 02-02 and cancelled Saturday 02-01's make-up.
        ("2020-01-19", True),
        ("2020-01-31", False),
        ("2020-02-01", False),
        ("2020-02-03", True),
        # 2023's New Year break began on Saturday 2022-12-31 and included Monday 01-02.
        ("2023-01-02", False),
        # 2026 as published on 2025-11-04: 9-day Spring Festival, Sunday 01-04 worked.
        ("2026-01-04", True),
        ("2026-02-14", True),
        ("2026-02-15", False),
        ("2026-02-23", False),
        ("2026-02-24", True),
        ("2026-02-28", True),
        ("2026-09-20", True),
        ("2026-10-07", False),
        ("2026-10-10", True),
        # Ordinary days.
        ("2025-03-05", True),
        ("2025-03-08", False),
        ("2025-03-09", False),
    ],
)
def test_known_dates(day: str, working: bool) -> None:
    assert CAL.is_working_day(d(day)) is working


def test_make_up_saturdays_count_as_working_days_and_name_their_festival() -> None:
    assert CAL.makeup_for(d("2024-10-12")) == "国庆节"
    assert CAL.makeup_for(d("2025-02-08")) == "春节"
    assert CAL.holiday_name(d("2025-10-06")) == "国庆节、中秋节"
    assert CAL.holiday_name(d("2025-03-08")) is None  # an ordinary Saturday is not a festival
    # Five working days from Monday 2024-10-07 (a holiday) run through the make-up Saturday.
    assert CAL.add_working_days(d("2024-10-07"), 5) == d("2024-10-12")


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2024-09-30", 1, "2024-10-08"),  # across the 2024 National Day week
        ("2024-09-27", 1, "2024-09-29"),  # Friday → the make-up Sunday
        ("2024-09-27", 3, "2024-10-08"),
        ("2025-09-30", 1, "2025-10-09"),  # across the 8-day 2025 break
        ("2025-09-30", 3, "2025-10-11"),  # ... landing on its make-up Saturday
        ("2025-01-24", 1, "2025-01-26"),  # Friday before Spring Festival → make-up Sunday
        ("2025-01-24", 2, "2025-01-27"),
        ("2025-01-24", 3, "2025-02-05"),
        ("2024-12-31", 1, "2025-01-02"),  # across New Year and the year boundary
        ("2025-03-07", 3, "2025-03-12"),  # an ordinary weekend
        ("2025-03-08", 0, "2025-03-08"),  # adding nothing leaves the day as it is
        ("2024-10-08", -1, "2024-09-30"),  # counting backwards skips the break too
    ],
)
def test_add_working_days_known(start: str, n: int, expected: str) -> None:
    assert CAL.add_working_days(d(start), n) == d(expected)


def test_working_days_between_known() -> None:
    assert CAL.working_days_between(d("2024-09-30"), d("2024-10-08")) == 1
    # After Friday 09-26 up to Sunday 10-12: 09-28 (make-up Sunday), 09-29, 09-30, 10-09, 10-10, 10-11 (make-up Saturday).
    assert CAL.working_days_between(d("2025-09-26"), d("2025-10-12")) == 6
    assert CAL.working_days_between(d("2024-10-08"), d("2024-09-30")) == -1
    assert CAL.working_days_between(d("2025-03-05"), d("2025-03-05")) == 0


def test_year_totals_match_the_notices() -> None:
    # Working days = weekdays − weekday rest days + make-up weekend days, counted by hand from the notices:
    # 2024: 262 − 19 + 8; 2025: 261 − 18 + 5; 2026: 261 − 19 + 6.
    def working(year: int) -> int:
        return CAL.working_days_between(date(year - 1, 12, 31), date(year, 12, 31))

    assert working(2024) == 251
    assert working(2025) == 248
    assert working(2026) == 248


def test_datetimes_use_the_local_date_and_keep_their_time_of_day() -> None:
    # 2024-09-30 17:00 UTC is already 10-01 01:00 in Beijing: a holiday.
    assert CAL.is_working_day(datetime(2024, 9, 30, 15, 59, tzinfo=UTC)) is True
    assert CAL.is_working_day(datetime(2024, 9, 30, 16, 0, tzinfo=UTC)) is False
    moved = CAL.add_working_days(datetime(2024, 9, 30, 2, 30, tzinfo=UTC), 1)  # 10:30 in Beijing
    assert moved == datetime(2024, 10, 8, 2, 30, tzinfo=UTC)
    assert moved.tzinfo is UTC
    with pytest.raises(Invalid, match="naive_datetime"):
        CAL.is_working_day(datetime(2024, 9, 30, 10, 0))


# ----- properties --------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(start=days, n=st.integers(min_value=1, max_value=40))
def test_add_working_days_lands_on_a_working_day(start: date, n: int) -> None:
    result = CAL.add_working_days(start, n)
    assert result > start
    assert CAL.is_working_day(result)


@settings(max_examples=300, deadline=None)
@given(start=days, n=counts)
def test_add_working_days_is_monotone_in_n(start: date, n: int) -> None:
    assert CAL.add_working_days(start, n) < CAL.add_working_days(start, n + 1)


@settings(max_examples=300, deadline=None)
@given(start=days, n=counts)
def test_working_days_between_inverts_add_working_days(start: date, n: int) -> None:
    assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == n


@settings(max_examples=300, deadline=None)
@given(start=days, end=days)
def test_add_working_days_inverts_working_days_between_on_working_days(start: date, end: date) -> None:
    if end > start and CAL.is_working_day(end):
        assert CAL.add_working_days(start, CAL.working_days_between(start, end)) == end
    assert CAL.working_days_between(start, end) == -CAL.working_days_between(end, start)


@settings(max_examples=300, deadline=None)
@given(start=days, n=st.integers(min_value=1, max_value=40))
def test_backwards_undoes_forwards_from_a_working_day(start: date, n: int) -> None:
    if CAL.is_working_day(start):
        assert CAL.add_working_days(CAL.add_working_days(start, n), -n) == start


# ----- out of range ------------------------------------------------------------------------------


def test_dates_past_the_data_raise_a_clear_error() -> None:
    with pytest.raises(CalendarOutOfRange) as past:
        CAL.is_working_day(d("2027-01-04"))
    assert past.value.code == "calendar_out_of_range"
    assert past.value.message.startswith("节假日数据只到 2026 年，请更新日历数据")
    assert "2026" in past.value.message_en and "update" in past.value.message_en
    with pytest.raises(CalendarOutOfRange):
        CAL.add_working_days(d("2026-12-28"), 5)  # steps into 2027
    with pytest.raises(CalendarOutOfRange) as before:
        CAL.is_working_day(d("2019-12-31"))
    assert "2020" in before.value.message


# ----- business hours ----------------------------------------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        ("2025-03-05 09:00", 2, "2025-03-05 11:00"),
        ("2025-03-05 11:00", 2, "2025-03-05 14:30"),  # lunch break does not count
        ("2025-03-05 11:00", 1, "2025-03-05 12:00"),  # ends exactly at noon
        ("2025-03-05 16:30", 2, "2025-03-06 09:30"),  # overnight
        ("2025-03-05 19:00", 1, "2025-03-06 09:30"),  # starting after hours: counts from the next opening
        ("2025-03-07 17:00", 1, "2025-03-10 09:00"),  # over an ordinary weekend
        ("2024-09-30 17:00", 1, "2024-10-08 09:00"),  # over the National Day week
        ("2024-10-11 17:00", 1, "2024-10-12 09:00"),  # into the make-up Saturday
        ("2025-03-05 08:30", 7.5, "2025-03-05 17:30"),  # one full office day
        ("2025-03-05 10:00", 0, "2025-03-05 10:00"),
    ],
)
def test_add_business_hours_known(start: str, hours: float, expected: str) -> None:
    assert CAL.add_business_hours(at(start), hours) == at(expected)


def test_business_hours_are_per_center() -> None:
    late_shift = CAL.for_center(business_hours=BusinessHours.parse([["09:00", "13:00"], ["14:00", "18:00"]]))
    assert late_shift.add_business_hours(at("2025-03-05 12:00"), 2) == at("2025-03-05 15:00")
    assert late_shift.business_hours.hours_per_day == 8
    assert CAL.business_hours.hours_per_day == 7.5
    urumqi = CAL.for_center(timezone="Asia/Urumqi")  # UTC+6: the same instant is two hours earlier there
    assert urumqi.is_business_time(at("2025-03-05 10:00")) is False  # 08:00 in Urumqi
    assert urumqi.is_business_time(at("2025-03-05 11:00")) is True


def test_is_business_time() -> None:
    assert CAL.is_business_time(at("2025-03-05 08:30")) is True
    assert CAL.is_business_time(at("2025-03-05 12:00")) is False
    assert CAL.is_business_time(at("2025-03-08 10:00")) is False  # Saturday
    assert CAL.is_business_time(at("2024-10-12 10:00")) is True  # make-up Saturday


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 10, 31)),
    minutes=st.integers(min_value=0, max_value=60 * 60),
)
def test_business_time_between_inverts_add_business_hours(start: datetime, minutes: int) -> None:
    begin = start.replace(tzinfo=SH)
    end = CAL.add_business_hours(begin, timedelta(minutes=minutes))
    assert end >= begin
    assert CAL.business_time_between(begin, end) == timedelta(minutes=minutes)
    if minutes:
        assert CAL.is_business_time(end - timedelta(microseconds=1))


def test_bad_business_hours_are_refused() -> None:
    for raw in ([["12:00", "08:30"]], [["08:30", "12:00"], ["11:00", "17:00"]], [["8点", "12:00"]], []):
        with pytest.raises(Invalid, match="invalid_business_hours"):
            BusinessHours.parse(raw)
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(Invalid, match="invalid_hours"):
            CAL.add_business_hours(at("2025-03-05 10:00"), bad)
    assert BusinessHours.parse([["08:30", "12:00"]]).to_raw() == [["08:30", "12:00"]]
    assert CAL.business_hours.periods == ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))


# ----- the data and its checks -------------------------------------------------------------------


def test_cross_check_with_chinese_calendar_package() -> None:
    """Every day of every shipped year agrees with the independently maintained package."""
    chinese_calendar = pytest.importorskip("chinese_calendar")
    day, mismatches, checked_years = date(CAL.first_year, 1, 1), [], set()
    while day <= date(CAL.last_year, 12, 31):
        try:
            theirs = chinese_calendar.is_workday(day)
        except NotImplementedError:  # a year the installed package does not know yet
            day += timedelta(days=1)
            continue
        checked_years.add(day.year)
        if CAL.is_working_day(day) != theirs:
            mismatches.append(day)
        day += timedelta(days=1)
    assert mismatches == []
    assert checked_years >= set(range(2020, 2027))


def _raw() -> dict:
    return copy.deepcopy(holiday_data())


def _year(raw: dict, year: int) -> dict:
    return next(y for y in raw["years"] if y["year"] == year)


def test_a_gap_between_years_is_refused() -> None:
    raw = _raw()
    raw["years"] = [y for y in raw["years"] if y["year"] != 2023]
    with pytest.raises(Invalid, match="missing years 2023"):
        WorkCalendar.from_data(raw)


def test_a_make_up_day_on_a_weekday_is_refused() -> None:
    raw = _raw()
    _year(raw, 2024)["workdays"].append({"name": "国庆节", "date": date(2024, 10, 9)})
    with pytest.raises(Invalid, match="not a weekend day"):
        WorkCalendar.from_data(raw)


def test_a_day_both_off_and_on_is_refused() -> None:
    raw = _raw()
    _year(raw, 2024)["workdays"].append({"name": "国庆节", "date": date(2024, 10, 5)})
    with pytest.raises(Invalid, match="both a rest day and a working day"):
        WorkCalendar.from_data(raw)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda y: y["holidays"].append({"name": "国庆节", "first": date(2024, 10, 1), "last": date(2024, 9, 1)}), "last is before first"),
        (lambda y: y["holidays"].append({"name": "暑假", "first": date(2024, 7, 1), "last": date(2024, 8, 31)}), "implausibly long"),
        (lambda y: y["holidays"].append({"name": "元旦", "first": date(2025, 1, 1), "last": date(2025, 1, 1)}), "outside the year"),
        (lambda y: y["holidays"].append({"name": "元旦", "first": "2024-13-01"}), "not a valid date"),
        (lambda y: y.update(holidays=[h for h in y["holidays"] if h["name"] != "春节"]), "has no 春节"),
        (lambda y: y.update(notice=""), "missing notice"),
        (lambda y: y.update(year=2024.0), "invalid year"),
    ],
)  # fmt: skip
def test_malformed_years_are_refused(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    raw = _raw()
    mutate(_year(raw, 2024))
    with pytest.raises(Invalid, match=message) as refused:
        WorkCalendar.from_data(raw)
    assert refused.value.code == "invalid_calendar_data"
    assert refused.value.message.startswith("节假日数据有误")


def test_a_new_year_is_added_by_appending_its_notice() -> None:
    """The yearly update path of docs/calendar.md: append the year, and the range grows with it."""
    raw = _raw()
    raw["years"].append(
        {
            "year": 2027,
            "notice": "国务院办公厅关于2027年部分节假日安排的通知（测试用）",
            "source": "test",
            "holidays": [
                {"name": "春节", "first": date(2027, 2, 5), "last": date(2027, 2, 12)},
                {"name": "国庆节", "first": date(2027, 10, 1), "last": date(2027, 10, 7)},
            ],
            "workdays": [{"name": "国庆节", "date": date(2027, 10, 9)}],
        }
    )
    extended = WorkCalendar.from_data(raw)
    assert extended.last_year == 2027
    assert extended.is_working_day(d("2027-10-09")) is True
    assert extended.add_working_days(d("2026-12-31"), 1) == d("2027-01-01")  # no 元旦 in this test year
    # The notice replaces the provisional 2027: its break, not the statutory guess; 2028 stays provisional.
    assert sorted(extended.provisional) == [2028]
    assert extended.is_working_day(d("2027-02-11")) is False
    assert extended.lenient.is_working_day(d("2027-06-09")) is True and not extended.lenient.is_provisional(
        d("2027-06-09")
    )


def test_the_asset_loader_checks_the_file_shape() -> None:
    assert holiday_data()["years"][0]["year"] == 2020
    for text, problem in [
        ("version: 2\nyears: []\n", "unsupported version"),
        ("- 1\n", "mapping at the top level"),
        ("version: 1\nyears: []\n", "non-empty list"),
        ("version: 1\nyears:\n  - {year: 2030}\n", "needs a 'notice'"),
        (
            "version: 1\nyears:\n  - {year: 2030, notice: n, source: s, holidays: [{name: 春节, first: '2030-02-01', last: 2030-02-07}]}\n",
            "unquoted ISO dates",
        ),
        ("version: 1\nyears: [: :\n", "not valid YAML"),
    ]:
        with pytest.raises(CalendarDataError, match=problem):
            holiday_data(text)


# ----- provisional years (past the last notice) -----------------------------------------------------

LENIENT = CAL.lenient
# 除夕, 清明, 端午, 中秋 of the years the notices under the 2024 rules cover, read from those notices.
NOTICE_LUNAR_DATES = {
    2025: {"chuxi": d("2025-01-28"), "qingming": d("2025-04-04"), "duanwu": d("2025-05-31"), "zhongqiu": d("2025-10-06")},
    2026: {"chuxi": d("2026-02-16"), "qingming": d("2026-04-05"), "duanwu": d("2026-06-19"), "zhongqiu": d("2026-09-25")},
}  # fmt: skip


def test_the_provisional_years_run_to_2028_and_only_when_allowed() -> None:
    assert (CAL.strict, CAL.last_year, CAL.provisional_until) == (True, 2026, 2028)
    assert sorted(CAL.provisional) == [2027, 2028] and all(y.provisional for y in CAL.provisional.values())
    assert LENIENT.strict is False and LENIENT.lenient is LENIENT and LENIENT.official.strict is True
    with pytest.raises(CalendarOutOfRange):  # the strict calendar keeps refusing, as before
        CAL.is_working_day(d("2027-03-01"))
    assert LENIENT.is_working_day(d("2027-03-01")) is True
    assert LENIENT.is_provisional(d("2027-03-01")) and not LENIENT.is_provisional(d("2026-12-31"))
    with pytest.raises(CalendarOutOfRange) as past:
        LENIENT.is_working_day(d("2029-01-02"))
    assert past.value.message.startswith("节假日数据只到 2026 年（暂定安排到 2028 年），请更新日历数据")
    assert past.value.details["provisional_until"] == 2028
    # A center's calendar keeps the provisional years and the strictness it was made from.
    assert LENIENT.for_center(timezone="Asia/Urumqi").is_working_day(d("2027-02-08")) is False


@pytest.mark.parametrize(
    ("day", "working", "name"),
    [
        # 2027: 除夕 Friday 02-05; 正月初一 and 初二 fall on the weekend, made up Tuesday and Wednesday.
        ("2027-02-04", True, None),
        *[(f"2027-02-{n:02d}", False, "春节") for n in range(5, 11)],
        ("2027-02-11", True, None),
        ("2027-02-13", False, None),  # an ordinary Saturday: no 调休 without a notice
        ("2027-04-05", False, "清明节"),
        ("2027-05-03", False, "劳动节"),  # 05-01/02 are a weekend: made up on Monday and Tuesday
        ("2027-05-04", False, "劳动节"),
        ("2027-05-05", True, None),
        ("2027-06-09", False, "端午节"),
        ("2027-09-15", False, "中秋节"),
        ("2027-10-01", False, "国庆节"),
        ("2027-10-04", False, "国庆节"),  # 10-02/03 are a weekend
        ("2027-10-05", False, "国庆节"),
        ("2027-10-06", True, None),
        # 2028: 元旦 is a Saturday (made up Monday 01-03); 中秋 falls on 国庆 (10-03), made up too.
        ("2028-01-03", False, "元旦"),
        ("2028-01-25", False, "春节"),
        ("2028-01-29", False, None),
        ("2028-01-31", True, None),
        ("2028-05-29", False, "端午节"),  # 端午 is a Sunday
        ("2028-10-03", False, "中秋节"),
        ("2028-10-05", False, "国庆节"),
        ("2028-10-06", True, None),
    ],
)
def test_provisional_known_dates(day: str, working: bool, name: str | None) -> None:
    assert LENIENT.is_working_day(d(day)) is working
    assert LENIENT.holiday_name(d(day)) == name
    assert LENIENT.makeup_for(d(day)) is None  # no make-up working weekends are ever guessed


def test_the_statutory_rules_reproduce_each_notice_since_the_2024_revision() -> None:
    """For the years a notice covers under the same rules, the provisional model has every statutory
    day off and exactly as many working days as the notice: only where the 调休 puts them differs."""
    for year, lunar in NOTICE_LUNAR_DATES.items():
        model = WorkCalendar(years={year: statutory_year(year, rules="测试", source="test", **lunar)})
        for day, _name in statutory_days(year, **lunar):
            assert CAL.is_working_day(day) is False, (year, day)
        first, last = date(year, 1, 1), date(year, 12, 31)
        assert sum(1 for _ in model.working_days(first, last)) == sum(1 for _ in CAL.working_days(first, last))
    assert sum(1 for _ in LENIENT.working_days(date(2027, 1, 1), date(2027, 12, 31))) == 261 - 13  # 13 statutory days


def test_computed_flags_results_that_needed_the_provisional_years() -> None:
    assert computed(LENIENT, lambda cal: cal.add_working_days(d("2026-12-01"), 5)) == (d("2026-12-08"), False)
    # 2027-01-01 is 元旦: Monday 12-28 + 5 working days is Tuesday 2027-01-05, a provisional answer.
    assert computed(LENIENT, lambda cal: cal.add_working_days(d("2026-12-28"), 5)) == (d("2027-01-05"), True)
    assert computed(CAL, lambda cal: cal.add_working_days(d("2026-12-28"), 5)) == (d("2027-01-05"), True)
    with pytest.raises(CalendarOutOfRange):  # past the provisional years too: still the clear error
        computed(LENIENT, lambda cal: cal.add_working_days(d("2028-12-20"), 20))
    without = WorkCalendar.from_data({k: v for k, v in _raw().items() if k != "provisional"})
    with pytest.raises(CalendarOutOfRange):
        computed(without, lambda cal: cal.add_working_days(d("2026-12-28"), 5))


def test_the_shipped_lunar_dates_agree_with_a_lunar_calendar_library() -> None:
    """除夕, 清明, 端午 and 中秋 of every provisional year, and of the notice years as a control."""
    lunar_python = pytest.importorskip("lunar_python")

    def as_date(solar) -> date:  # type: ignore[no-untyped-def]
        return date(solar.getYear(), solar.getMonth(), solar.getDay())

    def library(year: int) -> dict[str, date]:
        new_year = lunar_python.Lunar.fromYmd(year, 1, 1)
        return {
            "chuxi": as_date(new_year.next(-1).getSolar()),
            "qingming": as_date(new_year.getJieQiTable()["清明"]),
            "duanwu": as_date(lunar_python.Lunar.fromYmd(year, 5, 5).getSolar()),
            "zhongqiu": as_date(lunar_python.Lunar.fromYmd(year, 8, 15).getSolar()),
        }

    shipped = {
        y["year"]: {k: y[k] for k in ("chuxi", "qingming", "duanwu", "zhongqiu")}
        for y in _raw()["provisional"]["years"]
    }
    assert sorted(shipped) == [2027, 2028]
    for year, dates in {**NOTICE_LUNAR_DATES, **shipped}.items():
        assert library(year) == dates, year


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: p["years"][0].update(duanwu=date(2027, 9, 9)), "implausible"),
        (lambda p: p["years"].pop(0), "without a gap"),
        (lambda p: p["years"].append(dict(p["years"][0])), "appears twice"),
        (lambda p: p.update(rules=""), "missing rules"),
        (lambda p: p["years"][0].update(chuxi="2027-02-31"), "not a valid date"),
    ],
)
def test_malformed_provisional_data_is_refused(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    raw = _raw()
    mutate(raw["provisional"])
    with pytest.raises(Invalid, match=message):
        WorkCalendar.from_data(raw)


def test_the_asset_loader_checks_the_provisional_section() -> None:
    base = "version: 1\nyears:\n  - {year: 2026, notice: n, source: s, holidays: [{name: 春节, first: 2026-02-15, last: 2026-02-23}]}\n"
    assert holiday_data(base)["years"][0]["year"] == 2026  # a file without the section is fine
    assert holiday_data()["provisional"]["years"][0]["year"] == 2027
    for section, problem in [
        ("provisional: {rules: r, source: s, years: [{year: 2027, chuxi: '2027-02-05'}]}", "unquoted ISO dates"),
        ("provisional: {source: s, years: []}", "needs 'rules'"),
        ("provisional: [2027]", "mapping with a list"),
    ]:
        with pytest.raises(CalendarDataError, match=problem):
            holiday_data(base + section + "\n")
