"""Opening hours and the center's local day (the queue rolls over at local midnight)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import Invalid

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def local_now(now_utc: datetime, tz_name: str) -> datetime:
    return now_utc.astimezone(zone(tz_name))


def zone(tz_name: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid("invalid_timezone", f"无效的时区：{tz_name}", f"Invalid time zone: {tz_name}") from exc


def service_date(now_utc: datetime, tz_name: str) -> date:
    """The queue day a moment belongs to: the calendar date at the center."""
    return local_now(now_utc, tz_name).date()


@dataclass(frozen=True)
class OpeningHours:
    """Per weekday, a list of [start, end) periods in local time, e.g. 08:30–12:00, 13:30–17:30."""

    periods: Mapping[str, Sequence[tuple[time, time]]]

    @classmethod
    def parse(cls, raw: Mapping[str, Sequence[Sequence[str]]]) -> OpeningHours:
        periods: dict[str, list[tuple[time, time]]] = {}
        if not isinstance(raw, Mapping):
            raise _bad_period(raw)
        for key, spans in raw.items():
            if key not in WEEKDAY_KEYS:
                raise Invalid(
                    "invalid_opening_hours",
                    f"营业时间中的星期写法有误：{key}（应为 mon…sun）",
                    f"Unknown weekday key in opening hours: {key} (use mon..sun)",
                )
            if isinstance(spans, str | bytes) or not isinstance(spans, Sequence):
                raise _bad_period(spans)
            parsed = []
            for span in spans:
                try:
                    start, end = (time.fromisoformat(part) for part in span)
                except (TypeError, ValueError) as exc:
                    raise _bad_period(span) from exc
                if start.tzinfo is not None or end.tzinfo is not None:
                    raise _bad_period(span)  # local times only: the center's time zone decides
                if end <= start and end != time(0, 0):
                    raise Invalid(
                        "invalid_opening_hours",
                        f"营业时间的结束早于开始：{span}",
                        f"Opening-hours period ends before it starts: {span}",
                    )
                parsed.append((start, end))
            periods[key] = parsed
        return cls(periods)

    def to_raw(self) -> dict[str, list[list[str]]]:
        return {
            key: [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in spans] for key, spans in self.periods.items()
        }

    def is_open(self, local_moment: datetime) -> bool:
        key = WEEKDAY_KEYS[local_moment.weekday()]
        now = local_moment.time()
        return any(start <= now and (now < end or end == time(0, 0)) for start, end in self.periods.get(key, ()))


def _bad_period(span: object) -> Invalid:
    return Invalid(
        "invalid_opening_hours",
        f'营业时间格式有误：{span}（应为 ["08:30", "17:30"]）',
        f'Bad opening-hours period: {span} (use ["08:30", "17:30"])',
    )


ALWAYS_OPEN = {key: [["00:00", "00:00"]] for key in WEEKDAY_KEYS}
OFFICE_HOURS = {key: [["08:30", "12:00"], ["13:30", "17:30"]] for key in WEEKDAY_KEYS[:5]}
