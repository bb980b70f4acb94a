"""Management reports (管理报表) of one center for one month or one year: the data, as plain JSON.

Everything is counted in the database with GROUP BY (and window functions for the 90th
percentiles); Python only folds the few grouped rows into the report. The one exception is the
hot topics, which need the summaries' text (see ``topics.py``).

What each figure counts (also printed in the report's notes, see ``wording.py``):

* **受理** (received): cases created in the period; their category, channel, the employee's org unit,
  and how many of them are closed by now (反馈/评价/归档).
* **时限** (SLA): cases answered in the period (答复 reached the employee), on time when answered no
  later than their final stored due time (办结, else 答复). Responses likewise: the first route or
  answer against the 首次响应 (else 受理) due time. Overdue open: received before the cut-off,
  final due time before it, and not answered by it. Cases without a stored due time (no policy
  step, or beyond the holiday data) are counted apart, never as on time.
* **办理时长** (handling): answered − received, calendar time, of the cases answered in the period.
* **等候/服务** (queue): tickets of the period's service days; wait = called − issued, service =
  finished − called (tickets served to the end).
* **满意度**: ratings given in the period (the latest rating of a case; 4–5 满意, 3 基本满意, 1–2 不满意);
  the satisfied share counts 3–5, as the board does.
* **自助解决** (FAQ): the kiosk's daily counts of answers marked "解决了".
* **热点**: keywords and topics of the period's summaries — without confidential cases and without
  心理关爱 cases, whose text is sensitive personal information; their counts are in the figures above.

The period is in the center's own time zone: "2026-10" is 1 October 00:00 to 1 November 00:00 in
Asia/Shanghai. A period that has not ended yet is counted up to now (``cutoff``).
"""

from __future__ import annotations

import calendar
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session

from suqiu_queue.domain.enums import CHANNEL_LABELS_ZH, CaseState, Channel, TicketState
from suqiu_queue.domain.errors import Invalid
from suqiu_queue.domain.hours import local_now, zone
from suqiu_queue.domain.lifecycle import UNSATISFIED_MAX_SCORE

from ..cases.models import Case
from ..faq.models import FaqDailyOutcome, FaqEntry
from ..org.models import Category, Center, OrgUnit
from ..people.models import Employee
from ..tickets.models import Ticket
from . import topics

# Categories whose summaries stay out of the topic analysis (心理关爱: sensitive personal information).
TOPIC_EXCLUDED_CATEGORIES = frozenset({"care"})
CLOSED_STATES = (CaseState.ANSWERED.value, CaseState.RATED.value, CaseState.ARCHIVED.value)
TOP_ORG_UNITS = 15
TOP_FAQ = 8
NO_ORG_UNIT = "未识别身份"
FIRST_YEAR, LAST_YEAR = 2000, 2100
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


# --- the period ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A calendar month or year of the center's local calendar."""

    year: int
    month: int | None = None  # None: the whole year

    @property
    def kind(self) -> str:
        return "year" if self.month is None else "month"

    @property
    def key(self) -> str:
        return str(self.year) if self.month is None else f"{self.year}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year}年" if self.month is None else f"{self.year}年{self.month}月"

    @property
    def start(self) -> date:
        return date(self.year, self.month or 1, 1)

    @property
    def end(self) -> date:
        """The first day after the period."""
        if self.month is None:
            return date(self.year + 1, 1, 1)
        return date(self.year + 1, 1, 1) if self.month == 12 else date(self.year, self.month + 1, 1)

    def previous(self) -> Period:
        if self.month is None:
            return Period(self.year - 1)
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    def buckets(self) -> list[tuple[str, date]]:
        """(label, first day): each day of a month, each month of a year."""
        if self.month is None:
            return [(f"{m}月", date(self.year, m, 1)) for m in range(1, 13)]
        days = calendar.monthrange(self.year, self.month)[1]
        return [(f"{d}日", date(self.year, self.month, d)) for d in range(1, days + 1)]


def parse_period(*, month: str | None = None, year: int | str | None = None, today: date) -> Period:
    """``month="2026-10"`` or ``year=2026``; neither: the current month. Both: refused."""
    if month and year:
        raise Invalid("report_period_ambiguous", "请只指定月份或年份之一", "Give either a month or a year, not both")
    if month:
        match = _MONTH.match(month.strip())
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise Invalid(
                "report_month_invalid", f"月份格式应为 2026-10：{month}", f"Month must look like 2026-10: {month}"
            )
        period = Period(int(match.group(1)), int(match.group(2)))
    elif year:
        try:
            period = Period(int(year))
        except ValueError as exc:
            raise Invalid("report_year_invalid", f"年份无效：{year}", f"Invalid year: {year}") from exc
    else:
        period = Period(today.year, today.month)
    if not FIRST_YEAR <= period.year <= LAST_YEAR:
        raise Invalid(
            "report_year_invalid",
            f"年份应在 {FIRST_YEAR}–{LAST_YEAR} 之间：{period.year}",
            f"Year must be within {FIRST_YEAR}-{LAST_YEAR}: {period.year}",
        )
    return period


def local_midnight(day: date, timezone: str) -> datetime:
    """The instant (UTC) a local calendar day begins at the center."""
    return datetime.combine(day, time(0), tzinfo=zone(timezone)).astimezone(UTC)


# --- SQL helpers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """One query window: the center, a half-open UTC interval, and the SQL dialect."""

    center_id: int
    start: datetime
    end: datetime
    dialect: str

    def within(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.end)


def seconds_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[float]:
    """``later - earlier`` in seconds, computed by the database."""
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier)
    # SQLite keeps UTC datetimes as ISO text; julianday() reads it (to the millisecond).
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


@dataclass(frozen=True)
class DurationStats:
    count: int
    mean_seconds: float | None
    p90_seconds: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "mean_seconds": None if self.mean_seconds is None else round(self.mean_seconds, 1),
            "p90_seconds": None if self.p90_seconds is None else round(self.p90_seconds, 1),
        }


EMPTY_STATS = DurationStats(0, None, None)


def duration_stats(
    session: Session, *, seconds: ColumnElement[float], group: Any, where: Sequence[ColumnElement[bool]]
) -> dict[Any, DurationStats]:
    """Count, mean and 90th percentile (nearest rank) of ``seconds`` per ``group``, in SQL.

    The percentile is the smallest value whose cumulative distribution reaches 0.9 — the same
    on SQLite and PostgreSQL (both have ``cume_dist()``), so both databases give the same report.
    """
    base = select(group.label("g"), seconds.label("d")).where(*where).subquery()
    totals = session.execute(select(base.c.g, func.count(), func.avg(base.c.d)).group_by(base.c.g)).all()
    ranked = select(
        base.c.g, base.c.d, func.cume_dist().over(partition_by=base.c.g, order_by=base.c.d).label("cd")
    ).subquery()
    p90 = dict(
        session.execute(select(ranked.c.g, func.min(ranked.c.d)).where(ranked.c.cd >= 0.9).group_by(ranked.c.g)).all()
    )
    return {
        g: DurationStats(int(n), float(mean) if mean is not None else None, _float(p90.get(g))) for g, n, mean in totals
    }


def overall_duration(
    session: Session, *, seconds: ColumnElement[float], where: Sequence[ColumnElement[bool]]
) -> DurationStats:
    found = duration_stats(session, seconds=seconds, group=literal_column("0"), where=where)
    return next(iter(found.values()), EMPTY_STATS)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _bucket_index(column: Any, bounds: Sequence[Any]) -> ColumnElement[int]:
    """Which bucket a value falls in (0-based), given the buckets' start values in order.

    A CASE over the bounds works alike on both databases and with any time zone (a local day or
    month is a UTC interval computed here, daylight saving time included).
    """
    whens = [(column < bound, index - 1) for index, bound in enumerate(bounds[1:], start=1)]
    return case(*whens, else_=len(bounds) - 1)


# --- the sections --------------------------------------------------------------------------------


@dataclass
class Lookup:
    """The small tables the grouped rows refer to, read once."""

    categories: dict[int, Category]
    units: dict[int, OrgUnit]

    @classmethod
    def load(cls, session: Session) -> Lookup:
        categories = {c.id: c for c in session.scalars(select(Category)).all()}
        units = {u.id: u for u in session.scalars(select(OrgUnit)).all()}
        return cls(categories, units)

    def category(self, category_id: int) -> dict[str, Any]:
        item = self.categories.get(category_id)
        if item is None:
            return {"code": str(category_id), "name": f"类别 {category_id}", "order": 999}
        return {"code": item.code, "name": item.name_zh, "order": item.sort_order}

    def second_level(self, unit_id: int | None) -> OrgUnit | None:
        """The 二级单位 a unit belongs to (itself when it is one); None for 总部 or unknown."""
        unit = self.units.get(unit_id) if unit_id is not None else None
        seen = 0
        while unit is not None and unit.level > 2 and seen < 10:
            unit = self.units.get(unit.parent_id) if unit.parent_id is not None else None
            seen += 1
        return unit if unit is not None and unit.level == 2 else None


def _by_category(lookup: Lookup, rows: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    out = [{**lookup.category(cid), **values} for cid, values in rows.items()]
    out.sort(key=lambda r: (r["order"], r["code"]))
    for row in out:
        del row["order"]
    return out


def received_cases(session: Session, scope: Scope, previous: Scope, lookup: Lookup) -> dict[str, Any]:
    """受理: counts by category, channel and org unit, how many are closed, repeats; vs the previous period."""
    rows = session.execute(
        select(
            Case.category_id,
            Case.channel,
            Employee.org_unit_id,
            func.count(),
            func.sum(case((Case.status.in_(CLOSED_STATES), 1), else_=0)),
            func.sum(case((Case.is_repeat.is_(True), 1), else_=0)),
        )
        .outerjoin(Employee, Employee.id == Case.employee_id)
        .where(Case.center_id == scope.center_id, scope.within(Case.created_at))
        .group_by(Case.category_id, Case.channel, Employee.org_unit_id)
    ).all()
    before = dict(
        session.execute(
            select(Case.category_id, func.count())
            .where(Case.center_id == previous.center_id, previous.within(Case.created_at))
            .group_by(Case.category_id)
        ).all()
    )
    categories: dict[int, dict[str, Any]] = defaultdict(lambda: {"count": 0, "closed": 0, "previous": 0})
    channels: Counter[str] = Counter()
    units: Counter[int | None] = Counter()
    total = closed = repeats = 0
    for category_id, channel, unit_id, count, closed_count, repeat_count in rows:
        count, closed_count, repeat_count = int(count), int(closed_count or 0), int(repeat_count or 0)
        categories[category_id]["count"] += count
        categories[category_id]["closed"] += closed_count
        channels[channel] += count
        units[unit_id] += count
        total += count
        closed += closed_count
        repeats += repeat_count
    for category_id, count in before.items():
        categories[category_id]["previous"] += int(count)
    by_category = _by_category(lookup, categories)
    for row in by_category:
        row["closed_rate"] = _rate(row["closed"], row["count"])

    by_channel = [
        {"code": c.value, "name": CHANNEL_LABELS_ZH[c], "count": channels.get(c.value, 0)}
        for c in Channel
        if channels.get(c.value)
    ]
    by_unit = []
    second: Counter[int | None] = Counter()
    for unit_id, count in units.most_common():
        unit = lookup.units.get(unit_id) if unit_id is not None else None
        parent = lookup.units.get(unit.parent_id) if unit is not None and unit.parent_id is not None else None
        by_unit.append(
            {
                "id": unit_id,
                "name": unit.name if unit else NO_ORG_UNIT,
                "level": unit.level if unit else None,
                "parent": parent.name if parent else None,
                "count": count,
            }
        )
        upper = lookup.second_level(unit_id)
        second[upper.id if upper else (unit_id if unit is not None and unit.level == 1 else None)] += count
    by_unit.sort(key=lambda r: (-r["count"], r["name"]))
    by_second_level = [
        {"id": uid, "name": lookup.units[uid].name if uid in lookup.units else NO_ORG_UNIT, "count": count}
        for uid, count in second.items()
    ]
    by_second_level.sort(key=lambda r: (-r["count"], r["name"]))
    return {
        "received": total,
        "previous_received": sum(int(v) for v in before.values()),
        "closed": closed,
        "closed_rate": _rate(closed, total),
        "repeats": repeats,
        "by_category": by_category,
        "by_channel": by_channel,
        "by_org_unit": by_unit[:TOP_ORG_UNITS],
        "org_units_total": len(by_unit),
        "by_second_level_unit": by_second_level,
    }


def trend(session: Session, scope: Scope, period: Period, timezone: str) -> list[dict[str, Any]]:
    """Cases received and tickets issued per day (month) or month (year)."""
    buckets = period.buckets()
    instants = [local_midnight(day, timezone) for _label, day in buckets]
    days = [day for _label, day in buckets]
    case_bucket = _bucket_index(Case.created_at, instants)
    cases = dict(
        session.execute(
            select(case_bucket, func.count())
            .where(Case.center_id == scope.center_id, scope.within(Case.created_at))
            .group_by(case_bucket)
        ).all()
    )
    ticket_bucket = _bucket_index(Ticket.service_date, days)
    tickets = dict(
        session.execute(
            select(ticket_bucket, func.count())
            .where(
                Ticket.center_id == scope.center_id,
                Ticket.service_date >= period.start,
                Ticket.service_date < period.end,
            )
            .group_by(ticket_bucket)
        ).all()
    )
    return [
        {"label": label, "start": day.isoformat(), "cases": int(cases.get(i, 0)), "tickets": int(tickets.get(i, 0))}
        for i, (label, day) in enumerate(buckets)
    ]


def service_levels(session: Session, scope: Scope, cutoff: datetime, lookup: Lookup) -> dict[str, Any]:
    """时限: answered and responded on time, overdue open cases, handling time."""
    final_due = func.coalesce(Case.resolve_due_at, Case.answer_due_at)
    response_due = func.coalesce(Case.first_response_due_at, Case.accept_due_at)
    answered_where = [Case.center_id == scope.center_id, scope.within(Case.answered_at)]
    answered = session.execute(
        select(
            Case.category_id,
            func.count(),
            func.sum(case((final_due.is_(None), 1), else_=0)),
            func.sum(case((Case.answered_at <= final_due, 1), else_=0)),
        )
        .where(*answered_where)
        .group_by(Case.category_id)
    ).all()
    responded = session.execute(
        select(
            Case.category_id,
            func.count(),
            func.sum(case((response_due.is_(None), 1), else_=0)),
            func.sum(case((Case.responded_at <= response_due, 1), else_=0)),
        )
        .where(Case.center_id == scope.center_id, scope.within(Case.responded_at))
        .group_by(Case.category_id)
    ).all()
    overdue = dict(
        session.execute(
            select(Case.category_id, func.count())
            .where(
                Case.center_id == scope.center_id,
                Case.created_at < cutoff,
                final_due < cutoff,
                or_(Case.answered_at.is_(None), Case.answered_at >= cutoff),
            )
            .group_by(Case.category_id)
        ).all()
    )
    handling_seconds = seconds_between(scope.dialect, Case.answered_at, Case.created_at)
    handling_where = [*answered_where, Case.answered_at >= Case.created_at]
    handling_by_category = duration_stats(
        session, seconds=handling_seconds, group=Case.category_id, where=handling_where
    )
    handling_all = overall_duration(session, seconds=handling_seconds, where=handling_where)

    rows: dict[int, dict[str, Any]] = defaultdict(
        lambda: {
            "answered": 0,
            "answered_with_deadline": 0,
            "answered_on_time": 0,
            "responded_with_deadline": 0,
            "responded_on_time": 0,
            "overdue_open": 0,
        }
    )
    totals: Counter[str] = Counter()
    for category_id, count, no_due, on_time in answered:
        row = rows[category_id]
        row["answered"] += int(count)
        row["answered_with_deadline"] += int(count) - int(no_due or 0)
        row["answered_on_time"] += int(on_time or 0)
    for category_id, count, no_due, on_time in responded:
        row = rows[category_id]
        row["responded_with_deadline"] += int(count) - int(no_due or 0)
        row["responded_on_time"] += int(on_time or 0)
    for category_id, count in overdue.items():
        rows[category_id]["overdue_open"] += int(count)
    for category_id in set(rows) | set(handling_by_category):
        row = rows[category_id]
        row["handling"] = handling_by_category.get(category_id, EMPTY_STATS).as_dict()
        for key in list(row):
            if key != "handling":
                totals[key] += row[key]
    by_category = _by_category(lookup, rows)
    for row in by_category:
        row["on_time_rate"] = _rate(row["answered_on_time"], row["answered_with_deadline"])
        row["response_on_time_rate"] = _rate(row["responded_on_time"], row["responded_with_deadline"])
    return {
        "answered": totals["answered"],
        "answered_with_deadline": totals["answered_with_deadline"],
        "answered_on_time": totals["answered_on_time"],
        "answered_without_deadline": totals["answered"] - totals["answered_with_deadline"],
        "on_time_rate": _rate(totals["answered_on_time"], totals["answered_with_deadline"]),
        "responded_with_deadline": totals["responded_with_deadline"],
        "responded_on_time": totals["responded_on_time"],
        "response_on_time_rate": _rate(totals["responded_on_time"], totals["responded_with_deadline"]),
        "overdue_open": totals["overdue_open"],
        "handling": handling_all.as_dict(),
        "by_category": by_category,
    }


def queue_figures(session: Session, scope: Scope, period: Period, lookup: Lookup) -> dict[str, Any]:
    """Tickets of the period's service days: counts by state, wait and service times, by category."""
    in_period = [
        Ticket.center_id == scope.center_id,
        Ticket.service_date >= period.start,
        Ticket.service_date < period.end,
    ]
    counts = session.execute(
        select(Ticket.category_id, Ticket.state, func.count())
        .where(*in_period)
        .group_by(Ticket.category_id, Ticket.state)
    ).all()
    wait = seconds_between(scope.dialect, Ticket.called_at, Ticket.issued_at)
    wait_where = [*in_period, Ticket.called_at.is_not(None), Ticket.called_at >= Ticket.issued_at]
    service = seconds_between(scope.dialect, Ticket.finished_at, Ticket.called_at)
    service_where = [
        *in_period,
        Ticket.state == TicketState.DONE.value,
        Ticket.called_at.is_not(None),
        Ticket.finished_at.is_not(None),
        Ticket.finished_at >= Ticket.called_at,
    ]
    wait_by = duration_stats(session, seconds=wait, group=Ticket.category_id, where=wait_where)
    service_by = duration_stats(session, seconds=service, group=Ticket.category_id, where=service_where)
    states: Counter[str] = Counter()
    rows: dict[int, dict[str, Any]] = defaultdict(lambda: {"tickets": 0, "done": 0, "no_show": 0})
    for category_id, state, count in counts:
        states[state] += int(count)
        rows[category_id]["tickets"] += int(count)
        if state in (TicketState.DONE.value, TicketState.NO_SHOW.value):
            rows[category_id][state] += int(count)
    for category_id in set(rows) | set(wait_by) | set(service_by):
        rows[category_id]["wait"] = wait_by.get(category_id, EMPTY_STATS).as_dict()
        rows[category_id]["service"] = service_by.get(category_id, EMPTY_STATS).as_dict()
    return {
        "tickets": sum(states.values()),
        "done": states.get(TicketState.DONE.value, 0),
        "no_show": states.get(TicketState.NO_SHOW.value, 0),
        "cancelled": states.get(TicketState.CANCELLED.value, 0),
        "by_state": dict(sorted(states.items())),
        "wait": overall_duration(session, seconds=wait, where=wait_where).as_dict(),
        "service": overall_duration(session, seconds=service, where=service_where).as_dict(),
        "by_category": _by_category(lookup, rows),
    }


def satisfaction(session: Session, scope: Scope, previous: Scope, lookup: Lookup) -> dict[str, Any]:
    """评价 given in the period: how many, the mean score, the satisfied share, the 1–5 spread."""

    def grouped(window: Scope) -> list[Any]:
        return list(
            session.execute(
                select(Case.category_id, Case.rating_score, func.count())
                .where(Case.center_id == window.center_id, window.within(Case.rated_at), Case.rating_score.is_not(None))
                .group_by(Case.category_id, Case.rating_score)
            ).all()
        )

    def summary(rows: Sequence[Any]) -> dict[str, Any]:
        count = sum(int(n) for _c, _s, n in rows)
        score_sum = sum(int(s) * int(n) for _c, s, n in rows)
        satisfied = sum(int(n) for _c, s, n in rows if int(s) > UNSATISFIED_MAX_SCORE)
        return {
            "ratings": count,
            "mean_score": round(score_sum / count, 2) if count else None,
            "satisfied": satisfied,
            "satisfied_rate": _rate(satisfied, count),
        }

    now_rows = grouped(scope)
    distribution = Counter[int]()
    per_category: dict[int, list[Any]] = defaultdict(list)
    for category_id, score, count in now_rows:
        distribution[int(score)] += int(count)
        per_category[category_id].append((category_id, score, count))
    return {
        **summary(now_rows),
        "previous": summary(grouped(previous)),
        "distribution": {str(score): distribution.get(score, 0) for score in range(1, 6)},
        "by_category": _by_category(lookup, {cid: summary(rows) for cid, rows in per_category.items()}),
    }


def faq_figures(session: Session, scope: Scope, period: Period, previous: Period, lookup: Lookup) -> dict[str, Any]:
    """自助解决: what kiosk visitors did with the FAQ's answers, per category and the top answers."""

    def in_window(p: Period) -> list[ColumnElement[bool]]:
        return [
            FaqDailyOutcome.center_id == scope.center_id,
            FaqDailyOutcome.day >= p.start,
            FaqDailyOutcome.day < p.end,
        ]

    sums = (
        func.coalesce(func.sum(FaqDailyOutcome.viewed), 0),
        func.coalesce(func.sum(FaqDailyOutcome.resolved), 0),
        func.coalesce(func.sum(FaqDailyOutcome.not_resolved), 0),
    )
    by_code = session.execute(
        select(FaqDailyOutcome.category, *sums).where(*in_window(period)).group_by(FaqDailyOutcome.category)
    ).all()
    before = session.execute(select(*sums).where(*in_window(previous))).one()
    resolved_sum = func.sum(FaqDailyOutcome.resolved)
    top = session.execute(
        select(FaqEntry.question, FaqEntry.category, func.sum(FaqDailyOutcome.viewed), resolved_sum)
        .join(FaqEntry, FaqEntry.id == FaqDailyOutcome.faq_id)
        .where(*in_window(period))
        .group_by(FaqEntry.id, FaqEntry.question, FaqEntry.category)
        .order_by(resolved_sum.desc(), FaqEntry.id)
        .limit(TOP_FAQ)
    ).all()
    names = {c.code: c.name_zh for c in lookup.categories.values()}
    viewed = sum(int(v) for _c, v, _r, _n in by_code)
    resolved = sum(int(r) for _c, _v, r, _n in by_code)
    not_resolved = sum(int(n) for _c, _v, _r, n in by_code)
    return {
        "viewed": viewed,
        "resolved": resolved,
        "not_resolved": not_resolved,
        "resolved_rate": _rate(resolved, resolved + not_resolved),
        "previous_resolved": int(before[1]),
        "by_category": sorted(
            (
                {
                    "code": code,
                    "name": names.get(code, code),
                    "viewed": int(v),
                    "resolved": int(r),
                    "not_resolved": int(n),
                }
                for code, v, r, n in by_code
            ),
            key=lambda row: (-row["resolved"], row["code"]),
        ),
        "top": [
            {"question": q, "category": names.get(code, code), "viewed": int(v or 0), "resolved": int(r or 0)}
            for q, code, v, r in top
            if r
        ],
    }


def topic_figures(
    session: Session,
    scope: Scope,
    previous: Scope,
    period: Period,
    timezone: str,
    lookup: Lookup,
    segmenter: topics.Segmenter | None,
) -> dict[str, Any]:
    excluded = [cid for cid, c in lookup.categories.items() if c.code in TOPIC_EXCLUDED_CATEGORIES]

    def texts(window: Scope, columns: Sequence[Any]) -> list[Any]:
        return list(
            session.execute(
                select(*columns).where(
                    Case.center_id == window.center_id,
                    window.within(Case.created_at),
                    Case.confidential.is_(False),
                    Case.category_id.not_in(excluded),
                    Case.summary != "",
                )
            ).all()
        )

    current = [(at, text) for at, text in texts(scope, (Case.created_at, Case.summary))]
    before = [text for (text,) in texts(previous, (Case.summary,))]
    starts = [local_midnight(day, timezone) for _label, day in period.buckets()]
    report = topics.hot_topics(current, before, bucket_starts=starts, segmenter=segmenter)
    return report.as_dict()


# --- the report ----------------------------------------------------------------------------------


def build_report(
    session: Session,
    *,
    center: Center,
    period: Period,
    now: datetime,
    segmenter: topics.Segmenter | None = None,
) -> dict[str, Any]:
    """The whole report of ``center`` for ``period`` as JSON-ready data (read-only)."""
    dialect = session.get_bind().dialect.name
    tz = center.timezone
    start, end = local_midnight(period.start, tz), local_midnight(period.end, tz)
    before = period.previous()
    scope = Scope(center.id, start, end, dialect)
    previous = Scope(center.id, local_midnight(before.start, tz), local_midnight(before.end, tz), dialect)
    cutoff = min(end, now)
    lookup = Lookup.load(session)
    return {
        "center": {"code": center.code, "name": center.name, "timezone": tz},
        "period": {
            "kind": period.kind,
            "key": period.key,
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "previous_key": before.key,
            "previous_label": before.label,
            "complete": end <= now,
        },
        "generated_at": now.isoformat(),
        "generated_at_local": local_now(now, tz).strftime("%Y-%m-%d %H:%M"),
        "cutoff": cutoff.isoformat(),
        "cases": received_cases(session, scope, previous, lookup),
        "trend": trend(session, scope, period, tz),
        "sla": service_levels(session, scope, cutoff, lookup),
        "queue": queue_figures(session, scope, period, lookup),
        "satisfaction": satisfaction(session, scope, previous, lookup),
        "faq": faq_figures(session, scope, period, before, lookup),
        "topics": topic_figures(session, scope, previous, period, tz, lookup, segmenter),
    }
