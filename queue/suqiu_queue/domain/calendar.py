"""Working days and business hours: China's public holidays *and* its make-up working weekends.

Each year the State Council's General Office publishes 《国务院办公厅关于XXXX年部分节假日安排的通知》
(usually in November for the next year). Those notices move working days around: a week-long
holiday is paid for with Saturdays or Sundays that become working days (调休上班). A plain
"Monday to Friday" rule is therefore wrong on about a dozen days a year, and wrong in the direction
that matters — a deadline across the National Day week would be a week too early.

The calendar is built from data (``suqiu_assets/calendar/cn_holidays.yaml``, handed over as a
plain mapping so this module stays free of YAML). Dates outside the years the data covers raise
:class:`CalendarOutOfRange` instead of silently guessing: an SLA clock that quietly treats next
year's Spring Festival as working days would breach cases that are not late.

Past the last notice, the data may also carry *provisional* years: the statutory holidays of
《全国年节及纪念日放假办法》 (weekends off, a holiday on a weekend made up on the next working day)
hung on the shipped lunar dates, without the notice's 调休. A calendar is *strict* by default and
refuses them; ``calendar.lenient`` accepts them, and :func:`computed` tells a caller whether a
result needed them (the server flags such deadlines ``due_provisional``).

Counting conventions (the same as Chinese administrative and civil-procedure practice):

* "within N working days" starts counting the day *after* the start day (期间开始的当日不计算在内);
  ``add_working_days(d, n)`` is the n-th working day after ``d``.
* Datetimes are aware; their local date is taken in the calendar's time zone (the center's).
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, TypeVar, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import Invalid, SuqiuError

DEFAULT_TIMEZONE = "Asia/Shanghai"
# Longest official break so far is 10 days (2020 Spring Festival with its COVID extension); a
# "holiday" range much longer than that in the data is a typo, not a policy.
MAX_HOLIDAY_SPAN_DAYS = 12
# Every notice since 2008 schedules these two festivals; a year without them was typed wrong.
REQUIRED_FESTIVALS = ("春节", "国庆")


T = TypeVar("T")


class CalendarOutOfRange(SuqiuError):
    """A date the holiday data does not cover: the data needs its yearly update.

    ``last_year`` is the last year of the official notices; ``provisional_until`` the last
    provisional year when the calendar was allowed to use them (None for a strict calendar).
    """

    status = 503

    def __init__(self, day: date, first_year: int, last_year: int, provisional_until: int | None = None) -> None:
        if day.year > last_year:
            message = f"节假日数据只到 {last_year} 年，请更新日历数据（无法计算 {day.isoformat()}）"
            message_en = f"Holiday data only goes up to {last_year}; please update the calendar data (cannot compute {day.isoformat()})"
            if provisional_until is not None and provisional_until > last_year:
                message = (
                    f"节假日数据只到 {last_year} 年（暂定安排到 {provisional_until} 年），"
                    f"请更新日历数据（无法计算 {day.isoformat()}）"
                )
                message_en = (
                    f"Holiday data only goes up to {last_year} (provisionally {provisional_until}); "
                    f"please update the calendar data (cannot compute {day.isoformat()})"
                )
        else:
            message = f"节假日数据从 {first_year} 年开始，无法计算更早的日期（{day.isoformat()}）"
            message_en = f"Holiday data starts in {first_year}; cannot compute earlier dates ({day.isoformat()})"
        super().__init__(
            "calendar_out_of_range",
            message,
            message_en,
            details={
                "date": day.isoformat(),
                "first_year": first_year,
                "last_year": last_year,
                "provisional_until": provisional_until,
            },
        )
        self.day = day
        self.first_year = first_year
        self.last_year = last_year
        self.provisional_until = provisional_until

    @property
    def past_the_notices(self) -> bool:
        return self.day.year > self.last_year


def _invalid_data(what_zh: str, what_en: str) -> Invalid:
    return Invalid("invalid_calendar_data", f"节假日数据有误：{what_zh}", f"Invalid holiday data: {what_en}")


def _as_date(value: Any, where: str) -> date:
    # YAML gives datetime.date for unquoted ISO dates; JSON and hand-built dicts give strings.
    if isinstance(value, datetime):
        raise _invalid_data(f"{where} 应为日期而不是时间：{value}", f"{where} must be a date, not a datetime: {value}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _invalid_data(f"{where} 不是有效日期：{value!r}", f"{where} is not a valid date: {value!r}")


def _text(raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise _invalid_data(f"{where} 缺少 {key}", f"{where} is missing {key}")
    return value.strip()


@dataclass(frozen=True)
class HolidayYear:
    """One year's arrangement as published in one notice."""

    year: int
    notice: str
    source: str
    holidays: Mapping[date, str]  # date -> festival name (休息日, weekends inside the break included)
    workdays: Mapping[date, str]  # date -> the festival it pays for (调休上班, always a weekend day)
    provisional: bool = False  # built from the statutory rules, not from a notice (see statutory_year)


@dataclass(frozen=True)
class BusinessHours:
    """The office periods of a working day in local time, e.g. 08:30–12:00 and 13:30–17:30."""

    periods: tuple[tuple[time, time], ...]

    def __post_init__(self) -> None:
        if not self.periods:
            raise Invalid("invalid_business_hours", "办公时间不能为空", "Business hours cannot be empty")
        previous_end: time | None = None
        for start, end in self.periods:
            if end <= start:
                raise Invalid(
                    "invalid_business_hours",
                    f"办公时段的结束早于开始：{start:%H:%M}–{end:%H:%M}",
                    f"Business period ends before it starts: {start:%H:%M}-{end:%H:%M}",
                )
            if previous_end is not None and start < previous_end:
                raise Invalid(
                    "invalid_business_hours",
                    "办公时段应按时间先后排列且互不重叠",
                    "Business periods must be in order and must not overlap",
                )
            previous_end = end

    @classmethod
    def parse(cls, raw: Sequence[Sequence[str]]) -> BusinessHours:
        """From ``[["08:30", "12:00"], ["13:30", "17:30"]]`` (the shape the center settings use)."""
        periods = []
        for span in raw:
            try:
                start, end = (time.fromisoformat(part) for part in span)
            except (TypeError, ValueError) as exc:
                raise Invalid(
                    "invalid_business_hours",
                    f'办公时段格式有误：{span}（应为 ["08:30", "12:00"]）',
                    f'Bad business period: {span} (use ["08:30", "12:00"])',
                ) from exc
            periods.append((start, end))
        return cls(tuple(periods))

    def to_raw(self) -> list[list[str]]:
        return [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in self.periods]

    @property
    def hours_per_day(self) -> float:
        return (
            sum(
                (datetime.combine(date.min, e) - datetime.combine(date.min, s)).total_seconds() for s, e in self.periods
            )
            / 3600
        )


DEFAULT_BUSINESS_HOURS = BusinessHours(((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30))))


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are worked at a center, and when its office is open on them."""

    years: Mapping[int, HolidayYear]
    timezone: str = DEFAULT_TIMEZONE
    business_hours: BusinessHours = DEFAULT_BUSINESS_HOURS
    # Years after the last notice, from the statutory rules (no 调休); used only when not strict.
    provisional: Mapping[int, HolidayYear] = field(default_factory=dict)
    strict: bool = True
    _holidays: Mapping[date, str] = field(init=False, repr=False, compare=False)
    _workdays: Mapping[date, str] = field(init=False, repr=False, compare=False)
    _tz: tzinfo = field(init=False, repr=False, compare=False)
    _span: tuple[int, int] = field(init=False, repr=False, compare=False)  # (first, last) year covered

    def __post_init__(self) -> None:
        if not self.years:
            raise _invalid_data("没有任何年份", "no years")
        try:
            tz = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise Invalid(
                "invalid_timezone", f"无效的时区：{self.timezone}", f"Invalid time zone: {self.timezone}"
            ) from exc
        if self.provisional and min(self.provisional) != max(self.years) + 1:
            raise _invalid_data("暂定年份应紧接在最后一个通知年份之后", "provisional years must follow the last notice")
        holidays: dict[date, str] = {}
        workdays: dict[date, str] = {}
        for entry in (*self.years.values(), *self.provisional.values()):
            holidays.update(entry.holidays)
            workdays.update(entry.workdays)
        object.__setattr__(self, "_holidays", holidays)
        object.__setattr__(self, "_workdays", workdays)
        object.__setattr__(self, "_tz", tz)
        # Checked on every day a deadline walks over: worked out once, not per call.
        last = max(self.years) if self.strict else max(self.provisional, default=max(self.years))
        object.__setattr__(self, "_span", (min(self.years), last))

    # ----- building -------------------------------------------------------------------------

    @classmethod
    def from_data(
        cls,
        raw: Mapping[str, Any],
        *,
        timezone: str = DEFAULT_TIMEZONE,
        business_hours: BusinessHours = DEFAULT_BUSINESS_HOURS,
    ) -> WorkCalendar:
        """Build from the shipped data's shape, checking it on the way (see docs/calendar.md)."""
        entries = raw.get("years") if isinstance(raw, Mapping) else None
        if not isinstance(entries, Sequence) or isinstance(entries, str) or not entries:
            raise _invalid_data("缺少 years 列表", "missing the list of years")
        years: dict[int, HolidayYear] = {}
        for item in entries:
            parsed = _parse_year(item)
            if parsed.year in years:
                raise _invalid_data(f"{parsed.year} 年重复出现", f"year {parsed.year} appears twice")
            years[parsed.year] = parsed
        ordered = sorted(years)
        # A missing year in the middle would make it look like an ordinary Monday-to-Friday year.
        missing = sorted(set(range(ordered[0], ordered[-1] + 1)) - set(ordered))
        if missing:
            raise _invalid_data(
                f"缺少年份 {', '.join(map(str, missing))}", f"missing years {', '.join(map(str, missing))}"
            )
        _check_no_clash(years)
        provisional = _parse_provisional(raw.get("provisional"), after=ordered[-1])
        return cls(
            years={y: years[y] for y in ordered},
            timezone=timezone,
            business_hours=business_hours,
            provisional=provisional,
        )

    def for_center(self, *, timezone: str | None = None, business_hours: BusinessHours | None = None) -> WorkCalendar:
        """The same holidays with one center's time zone and office hours."""
        return replace(
            self,
            timezone=timezone or self.timezone,
            business_hours=business_hours or self.business_hours,
        )

    # ----- range ------------------------------------------------------------------------------

    @property
    def first_year(self) -> int:
        return min(self.years)

    @property
    def last_year(self) -> int:
        """The last year an official notice covers."""
        return max(self.years)

    @property
    def provisional_until(self) -> int:
        """The last year the provisional data covers (``last_year`` when there is none)."""
        return max(self.provisional, default=self.last_year)

    @functools.cached_property
    def lenient(self) -> WorkCalendar:
        """This calendar, allowed to use the provisional years (built once, then kept)."""
        return self if not self.strict else replace(self, strict=False)

    @functools.cached_property
    def official(self) -> WorkCalendar:
        """This calendar, limited to the years of the official notices."""
        return self if self.strict else replace(self, strict=True)

    @property
    def tz(self) -> tzinfo:
        return self._tz

    def covers(self, day: date) -> bool:
        first, last = self._span
        return first <= day.year <= last

    def is_provisional(self, moment: date | datetime) -> bool:
        """Whether the day lies in a provisional year (its arrangement may still move)."""
        return self.local_date(moment).year in self.provisional

    def _check_range(self, day: date) -> None:
        if not self.covers(day):
            until = None if self.strict else self.provisional_until
            raise CalendarOutOfRange(day, self.first_year, self.last_year, until)

    # ----- days -------------------------------------------------------------------------------

    def local_date(self, moment: date | datetime) -> date:
        if isinstance(moment, datetime):
            return self.to_local(moment).date()
        return moment

    def to_local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise Invalid(
                "naive_datetime",
                "时间缺少时区信息",
                f"Datetime without a time zone: {moment.isoformat()}",
            )
        return moment.astimezone(self._tz)

    def is_working_day(self, moment: date | datetime) -> bool:
        day = self.local_date(moment)
        self._check_range(day)
        if day in self._workdays:
            return True
        if day in self._holidays:
            return False
        return day.weekday() < 5

    def holiday_name(self, moment: date | datetime) -> str | None:
        """The festival a rest day belongs to (None on ordinary days and ordinary weekends)."""
        day = self.local_date(moment)
        self._check_range(day)
        return self._holidays.get(day)

    def makeup_for(self, moment: date | datetime) -> str | None:
        """The festival a make-up working weekend day (调休上班) pays for, if it is one."""
        day = self.local_date(moment)
        self._check_range(day)
        return self._workdays.get(day)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        candidate = day + timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate += timedelta(days=1)
        return candidate

    def working_days(self, first: date, last: date) -> Iterator[date]:
        """The working days from ``first`` to ``last``, both included."""
        day = first
        while day <= last:
            if self.is_working_day(day):
                yield day
            day += timedelta(days=1)

    @overload
    def add_working_days(self, start: datetime, n: int) -> datetime: ...
    @overload
    def add_working_days(self, start: date, n: int) -> date: ...

    def add_working_days(self, start: date | datetime, n: int) -> date | datetime:
        """The n-th working day after ``start`` (the start day itself is not counted).

        For a datetime the result keeps the local time of day, in the input's time zone.
        ``n == 0`` returns ``start`` unchanged; negative ``n`` counts backwards.
        """
        if isinstance(n, bool) or not isinstance(n, int):
            raise Invalid(
                "invalid_day_count", f"工作日数应为整数：{n!r}", f"Working-day count must be an integer: {n!r}"
            )
        day = self.local_date(start)
        self._check_range(day)
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        if isinstance(start, datetime):
            local = self.to_local(start)
            moved = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=self._tz)
            return moved.astimezone(start.tzinfo)
        return day

    def working_days_between(self, a: date | datetime, b: date | datetime) -> int:
        """How many working days lie after ``a`` up to and including ``b`` (negative if b < a).

        The inverse of :meth:`add_working_days`: ``working_days_between(d, add_working_days(d, n)) == n``.
        """
        first, last = self.local_date(a), self.local_date(b)
        if last < first:
            return -self.working_days_between(last, first)
        self._check_range(first)
        if last > first:
            self._check_range(last)
        # Counted on the sorted working days of the whole range (lists show it for every row).
        ordinals = self._working_ordinals
        return bisect.bisect_right(ordinals, last.toordinal()) - bisect.bisect_right(ordinals, first.toordinal())

    @functools.cached_property
    def _working_ordinals(self) -> list[int]:
        first, last = self._span
        return [d.toordinal() for d in self.working_days(date(first, 1, 1), date(last, 12, 31))]

    # ----- business hours ---------------------------------------------------------------------

    def local_midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0, 0), tzinfo=self._tz)

    def business_periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The office periods of one local day as aware datetimes (empty on rest days)."""
        if not self.is_working_day(day):
            return []
        return [
            (datetime.combine(day, s, tzinfo=self._tz), datetime.combine(day, e, tzinfo=self._tz))
            for s, e in self.business_hours.periods
        ]

    def business_spans(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Office periods from ``start`` on, in order (the first one clipped to ``start``). Endless."""
        local = self.to_local(start)
        day = local.date()
        while True:
            for open_at, close_at in self.business_periods(day):
                if close_at > local:
                    yield max(open_at, local), close_at
            day += timedelta(days=1)

    def is_business_time(self, moment: datetime) -> bool:
        local = self.to_local(moment)
        return any(s <= local < e for s, e in self.business_periods(local.date()))

    def add_business_hours(self, start: datetime, hours: float | timedelta) -> datetime:
        """The moment when ``hours`` of office time have passed since ``start``.

        Time outside office periods and on rest days does not count; a start outside office hours
        begins counting at the next opening. The result is in the input's time zone.
        """
        if isinstance(hours, float) and not math.isfinite(hours):
            raise Invalid("invalid_hours", f"小时数无效：{hours}", f"Invalid number of hours: {hours}")
        budget = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
        if budget < timedelta(0):
            raise Invalid("invalid_hours", f"小时数不能为负：{hours}", f"Hours cannot be negative: {hours}")
        if budget == timedelta(0):
            return start
        for open_at, close_at in self.business_spans(start):
            length = close_at - open_at
            if budget <= length:
                return (open_at + budget).astimezone(start.tzinfo)
            budget -= length
        raise AssertionError("business_spans is endless")  # pragma: no cover

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Office time from ``a`` to ``b`` (zero when b <= a)."""
        total = timedelta(0)
        if b <= a:
            return total
        for open_at, close_at in self.business_spans(a):
            if open_at >= b:
                break
            total += min(close_at, b) - open_at
        return total


def _parse_year(item: Any) -> HolidayYear:
    if not isinstance(item, Mapping):
        raise _invalid_data(f"年份条目应为映射：{item!r}", f"a year entry must be a mapping: {item!r}")
    year = item.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise _invalid_data(f"年份无效：{year!r}", f"invalid year: {year!r}")
    where = f"{year} 年"
    notice = _text(item, "notice", where)
    source = _text(item, "source", where)

    holidays: dict[date, str] = {}
    raw_holidays = item.get("holidays")
    if not isinstance(raw_holidays, Sequence) or isinstance(raw_holidays, str) or not raw_holidays:
        raise _invalid_data(f"{where} 缺少 holidays 列表", f"{year} is missing its holidays list")
    for entry in raw_holidays:
        if not isinstance(entry, Mapping):
            raise _invalid_data(f"{where} 的假期条目应为映射", f"{year}: a holiday entry must be a mapping")
        name = _text(entry, "name", f"{where} 假期")
        first = _as_date(entry.get("first"), f"{where} {name} first")
        last = _as_date(entry.get("last", entry.get("first")), f"{where} {name} last")
        if last < first:
            raise _invalid_data(f"{where} {name} 的结束早于开始", f"{year} {name}: last is before first")
        if (last - first).days + 1 > MAX_HOLIDAY_SPAN_DAYS:
            raise _invalid_data(f"{where} {name} 长得不合常理", f"{year} {name}: implausibly long break")
        # A notice may reach into the previous December (2023's 元旦 began on 2022-12-31).
        if not (date(year - 1, 12, 1) <= first and last <= date(year, 12, 31)):
            raise _invalid_data(f"{where} {name} 的日期不在该年内", f"{year} {name}: dates outside the year")
        day = first
        while day <= last:
            if day in holidays:
                raise _invalid_data(f"{where} {day} 重复出现", f"{year}: {day} listed twice")
            holidays[day] = name
            day += timedelta(days=1)
    names = "".join(set(holidays.values()))
    for festival in REQUIRED_FESTIVALS:
        if festival not in names:
            raise _invalid_data(f"{where} 缺少{festival}", f"{year} has no {festival}")

    workdays: dict[date, str] = {}
    raw_workdays = item.get("workdays", [])
    if not isinstance(raw_workdays, Sequence) or isinstance(raw_workdays, str):
        raise _invalid_data(f"{where} 的 workdays 应为列表", f"{year}: workdays must be a list")
    for entry in raw_workdays:
        if not isinstance(entry, Mapping):
            raise _invalid_data(f"{where} 的调休上班条目应为映射", f"{year}: a workday entry must be a mapping")
        name = _text(entry, "name", f"{where} 调休上班")
        day = _as_date(entry.get("date"), f"{where} {name} date")
        if day.weekday() < 5:
            # 调休上班 only ever turns a Saturday or Sunday into a working day.
            raise _invalid_data(
                f"{where} 调休上班日 {day} 不是周末", f"{year}: make-up working day {day} is not a weekend day"
            )
        if day in workdays:
            raise _invalid_data(f"{where} {day} 重复出现", f"{year}: {day} listed twice")
        if day in holidays:
            raise _invalid_data(
                f"{where} {day} 既是假期又是上班日", f"{year}: {day} is both a rest day and a working day"
            )
        workdays[day] = name
    return HolidayYear(year=year, notice=notice, source=source, holidays=holidays, workdays=workdays)


def _check_no_clash(years: Mapping[int, HolidayYear]) -> None:
    """A date one notice makes a rest day may not be made a working day by another."""
    seen_holidays: dict[date, int] = {}
    for entry in years.values():
        for day in entry.holidays:
            if day in seen_holidays:
                raise _invalid_data(
                    f"{day} 同时出现在 {seen_holidays[day]} 年和 {entry.year} 年的通知里",
                    f"{day} appears in both the {seen_holidays[day]} and {entry.year} notices",
                )
            seen_holidays[day] = entry.year
    for entry in years.values():
        for day in entry.workdays:
            if day in seen_holidays:
                raise _invalid_data(f"{day} 既是假期又是上班日", f"{day} is both a rest day and a working day")


# ----- provisional years: the statutory holidays without a notice --------------------------------

# 《全国年节及纪念日放假办法》 (2024 revision, from 2025): the days every citizen has off, in the order
# of the year. Fixed dates are here; the lunar ones (除夕, 端午, 中秋) and the solar term 清明 come
# from the shipped data, never from an algorithm run on the server.
LUNAR_KEYS = ("chuxi", "qingming", "duanwu", "zhongqiu")
# Where each can fall (a wider window than ever happens): a date outside it was typed wrong.
_LUNAR_WINDOWS = {
    "chuxi": ((1, 20), (2, 19)),
    "qingming": ((4, 3), (4, 6)),
    "duanwu": ((5, 26), (6, 26)),
    "zhongqiu": ((9, 6), (10, 8)),
}


def statutory_days(year: int, *, chuxi: date, qingming: date, duanwu: date, zhongqiu: date) -> list[tuple[date, str]]:
    """The 13 statutory holidays of ``year`` as (date, festival), in date order."""
    days = [
        (date(year, 1, 1), "元旦"),
        *((chuxi + timedelta(days=i), "春节") for i in range(4)),  # 除夕 and 正月初一至初三
        (qingming, "清明节"),
        (date(year, 5, 1), "劳动节"),
        (date(year, 5, 2), "劳动节"),
        (duanwu, "端午节"),
        (zhongqiu, "中秋节"),
        *((date(year, 10, d), "国庆节") for d in (1, 2, 3)),
    ]
    return sorted(days, key=lambda item: item[0])


def statutory_year(
    year: int, *, chuxi: date, qingming: date, duanwu: date, zhongqiu: date, rules: str, source: str
) -> HolidayYear:
    """A provisional year from the statutory rules alone.

    Every statutory holiday is a rest day. One that falls on a Saturday or Sunday, or on another
    holiday (中秋 on 国庆, as in 2028), is made up on the next weekday that is not already off
    (第六条: 适逢周六、周日，应当在工作日补假). No weekend becomes a working day: which ones do (调休)
    is only known from the notice. So the year has as many working days as the notice will give it,
    but they may sit a few days apart from where the notice puts them.
    """
    days = statutory_days(year, chuxi=chuxi, qingming=qingming, duanwu=duanwu, zhongqiu=zhongqiu)
    holidays: dict[date, str] = {}
    owed: list[tuple[date, str]] = []
    for day, name in days:
        if day.weekday() < 5 and day not in holidays:
            holidays[day] = name
        else:
            holidays.setdefault(day, name)
            owed.append((day, name))
    for day, name in owed:
        substitute = day + timedelta(days=1)
        while substitute.weekday() >= 5 or substitute in holidays:
            substitute += timedelta(days=1)
        holidays[substitute] = name
    return HolidayYear(
        year=year,
        notice=f"暂定：按{rules}推算（国务院办公厅当年通知发布前）",
        source=source,
        holidays=dict(sorted(holidays.items())),
        workdays={},
        provisional=True,
    )


def _parse_provisional(raw: Any, *, after: int) -> dict[int, HolidayYear]:
    """The ``provisional`` section: years after ``after`` (the last notice) built by :func:`statutory_year`.

    Years a notice already covers are skipped: the notice replaces the provisional year as soon as
    it is added, so the section can stay as it is until the next release tidies it.
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _invalid_data("provisional 应为映射", "provisional must be a mapping")
    where = "暂定安排"
    rules = _text(raw, "rules", where)
    source = _text(raw, "source", where)
    entries = raw.get("years")
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        raise _invalid_data(f"{where} 缺少 years 列表", "provisional is missing its list of years")
    years: dict[int, HolidayYear] = {}
    for item in entries:
        if not isinstance(item, Mapping):
            raise _invalid_data(f"{where} 的年份条目应为映射", "a provisional year must be a mapping")
        year = item.get("year")
        if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
            raise _invalid_data(f"{where} 年份无效：{year!r}", f"invalid provisional year: {year!r}")
        if year in years:
            raise _invalid_data(f"{where} {year} 年重复出现", f"provisional year {year} appears twice")
        dates: dict[str, date] = {}
        for key in LUNAR_KEYS:
            day = _as_date(item.get(key), f"{where} {year} {key}")
            (m1, d1), (m2, d2) = _LUNAR_WINDOWS[key]
            if not date(year, m1, d1) <= day <= date(year, m2, d2):
                raise _invalid_data(
                    f"{where} {year} 年的 {key} 不在合理范围内：{day}",
                    f"provisional {year} {key} is implausible: {day}",
                )
            dates[key] = day
        if year > after:
            years[year] = statutory_year(year, rules=rules, source=source, **dates)
    ordered = sorted(years)
    if ordered and ordered != list(range(after + 1, ordered[-1] + 1)):
        raise _invalid_data(
            f"{where} 应从 {after + 1} 年起逐年连续", f"provisional years must run on from {after + 1} without a gap"
        )
    return {y: years[y] for y in ordered}


def computed(calendar: WorkCalendar, compute: Callable[[WorkCalendar], T]) -> tuple[T, bool]:
    """``compute`` on the official data; past it, on the provisional years. Returns (result, provisional).

    A result is provisional exactly when the official data alone could not give it, so deadlines
    that never reach past the last notice are never flagged. Dates before the data, or past the
    provisional years too, still raise :class:`CalendarOutOfRange`.
    """
    try:
        return compute(calendar.official), False
    except CalendarOutOfRange as exc:
        if not exc.past_the_notices or not calendar.provisional:
            raise
    return compute(calendar.lenient), True
