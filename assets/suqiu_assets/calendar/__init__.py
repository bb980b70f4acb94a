"""The shipped holiday calendar (cn_holidays.yaml), read as plain data for the domain.

The YAML is parsed and its shape checked here; ``suqiu_queue.domain.calendar.WorkCalendar.from_data``
then checks the meaning (contiguous years, make-up days on weekends, no date both off and on).
Keeping YAML out of the domain keeps the domain free of third-party imports.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from importlib import resources
from typing import Any

import yaml

HOLIDAYS_FILE = "cn_holidays.yaml"
SUPPORTED_VERSION = 1
# The dates a provisional year hangs on: 除夕, 清明 (a solar term), 端午, 中秋.
LUNAR_KEYS = ("chuxi", "qingming", "duanwu", "zhongqiu")


class CalendarDataError(ValueError):
    """The shipped holiday file is malformed (a packaging mistake, caught by the tests)."""


def holiday_data(text: str | None = None) -> dict[str, Any]:
    """The holiday file as a dict: ``{"version", "country", "years": [{year, notice, source, holidays, workdays}],
    "provisional": {rules, source, years: [{year, chuxi, qingming, duanwu, zhongqiu}]}}``.

    ``text`` lets a test or an admin tool check a candidate file before it replaces the shipped one.
    """
    if text is None:
        text = resources.files(__name__).joinpath(HOLIDAYS_FILE).read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CalendarDataError(f"{HOLIDAYS_FILE} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise CalendarDataError(f"{HOLIDAYS_FILE} must be a mapping at the top level")
    if raw.get("version") != SUPPORTED_VERSION:
        raise CalendarDataError(f"{HOLIDAYS_FILE}: unsupported version {raw.get('version')!r}")
    years = raw.get("years")
    if not isinstance(years, list) or not years:
        raise CalendarDataError(f"{HOLIDAYS_FILE}: 'years' must be a non-empty list")
    for entry in years:
        if not isinstance(entry, dict) or not isinstance(entry.get("year"), int):
            raise CalendarDataError(f"{HOLIDAYS_FILE}: every year entry needs an integer 'year': {entry!r}")
        for key in ("notice", "source"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise CalendarDataError(f"{HOLIDAYS_FILE}: {entry['year']} needs a '{key}'")
        for key, date_keys in (("holidays", ("first", "last")), ("workdays", ("date",))):
            items = entry.get(key, [])
            if not isinstance(items, list):
                raise CalendarDataError(f"{HOLIDAYS_FILE}: {entry['year']}.{key} must be a list")
            for item in items:
                # Unquoted ISO dates become datetime.date; a quoted or mistyped one stays a string
                # and would only fail later, far from the file, so say it here.
                if not isinstance(item, dict) or not all(isinstance(item.get(k), date) for k in date_keys):
                    raise CalendarDataError(
                        f"{HOLIDAYS_FILE}: {entry['year']}.{key} entry needs unquoted ISO dates {date_keys}: {item!r}"
                    )
    _check_provisional(raw.get("provisional"))
    return raw


def _check_provisional(section: Any) -> None:
    """The ``provisional`` section (years after the last notice): its lunar dates must be real dates."""
    if section is None:
        return
    if not isinstance(section, dict) or not isinstance(section.get("years"), list):
        raise CalendarDataError(f"{HOLIDAYS_FILE}: 'provisional' must be a mapping with a list of 'years'")
    for key in ("rules", "source"):
        if not isinstance(section.get(key), str) or not section[key].strip():
            raise CalendarDataError(f"{HOLIDAYS_FILE}: 'provisional' needs '{key}'")
    for entry in section["years"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("year"), int):
            raise CalendarDataError(f"{HOLIDAYS_FILE}: every provisional year needs an integer 'year': {entry!r}")
        if not all(isinstance(entry.get(k), date) for k in LUNAR_KEYS):
            raise CalendarDataError(
                f"{HOLIDAYS_FILE}: provisional {entry['year']} needs unquoted ISO dates {LUNAR_KEYS}: {entry!r}"
            )


def fingerprint(raw: dict[str, Any] | None = None) -> str:
    """A short stable hash of the holiday data: the server recomputes provisional deadlines when it changes."""
    data = holiday_data() if raw is None else raw
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
