"""The shipped holiday calendar (cn_holidays.yaml), read as plain data for the domain.

The YAML is parsed and its shape checked here; ``suqiu_queue.domain.calendar.WorkCalendar.from_data``
then checks the meaning (contiguous years, make-up days on weekends, no date both off and on).
Keeping YAML out of the domain keeps the domain free of third-party imports.
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from typing import Any

import yaml

HOLIDAYS_FILE = "cn_holidays.yaml"
SUPPORTED_VERSION = 1


class CalendarDataError(ValueError):
    """The shipped holiday file is malformed (a packaging mistake, caught by the tests)."""


def holiday_data(text: str | None = None) -> dict[str, Any]:
    """The holiday file as a dict: ``{"version", "country", "years": [{year, notice, source, holidays, workdays}]}``.

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
    return raw
