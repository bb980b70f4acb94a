"""What the public board (阳光办理 看板) shows: calls, waiting figures, public cases, month figures.

Everything here is public by construction — it is shown on a wall in the hall:

* calls carry only the ticket number, the counter and the category;
* a case appears with its reference, a masked name (张*), category, stage, received date and
  deadline — never its summary, reply, outcome or anything else typed by a person;
* confidential cases never appear, nor cases the employee asked to keep off the board
  (``private``, 不公开), nor cases of the private categories (心理关爱: even the fact that someone
  sought counselling is sensitive personal information under PIPL);
* month figures are counts over all cases (a count names nobody).

The deadline shown is the due time of the last step the case's SLA policy has (办结 / 答复 /
首次响应 / 受理): as stored by the case lifecycle (``*_due_at``) when it has stored one, otherwise
computed here from the category's policy, the working-day calendar and the case's ``created_at``
(cases opened before deadlines were stored). A paused clock has no due time.

Past the last State Council notice the calendar uses the provisional years (statutory holidays
without a notice, see docs/calendar.md), as the case lifecycle does; a deadline that falls in such
a year is shown as 暂定 (``deadline_provisional``), since the official arrangement may move it.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suqiu_assets.sla import sla_policies
from suqiu_queue.domain import sla
from suqiu_queue.domain.calendar import computed
from suqiu_queue.domain.enums import CASE_STATE_LABELS_ZH, CaseState
from suqiu_queue.domain.errors import SuqiuError
from suqiu_queue.domain.hours import local_now, service_date, zone
from suqiu_queue.domain.lifecycle import UNSATISFIED_MAX_SCORE
from suqiu_queue.domain.masking import mask_name

from ..cases.models import Case, CaseTimeline
from ..cases.policies import calendar_for
from ..org.models import Category, Center, Counter
from ..people.models import Employee
from ..tickets.models import Ticket
from ..tickets.service import waiting_summary

log = logging.getLogger(__name__)

RECENT_CALLS = 8
# How many public cases one snapshot carries; the page pages through them on the wall.
MAX_PUBLIC_CASES = 48
# Categories whose cases never appear on the wall, confidential flag or not.
PRIVATE_CATEGORIES = frozenset({"care"})
OPEN_STATES = (CaseState.ACCEPTED, CaseState.ROUTED, CaseState.IN_PROGRESS, CaseState.ANSWERED)
CLOSED_STATES = (CaseState.RATED, CaseState.ARCHIVED)
# The step whose due time is "the" deadline shown to the public: the last one the policy has.
DEADLINE_STEPS = (sla.SlaStep.RESOLVE, sla.SlaStep.ANSWER, sla.SlaStep.FIRST_RESPONSE, sla.SlaStep.ACCEPT)
DEADLINE_STEP_LABELS_ZH = {
    sla.SlaStep.RESOLVE: "办结时限",
    sla.SlaStep.ANSWER: "答复时限",
    sla.SlaStep.FIRST_RESPONSE: "响应时限",
    sla.SlaStep.ACCEPT: "受理时限",
}


@functools.cache
def _policies() -> dict[str, sla.SlaPolicy]:
    return sla.load_policies(sla_policies())


@dataclass(frozen=True)
class PublicDeadline:
    step: sla.SlaStep
    due_at: datetime
    provisional: bool = False  # falls in a year the holiday notice has not been published for


def _public(step: sla.SlaStep, due_at: datetime, timezone: str) -> PublicDeadline:
    # Due times are counted forward from the case's start, so one needed a provisional day exactly
    # when it falls in a provisional year itself.
    return PublicDeadline(step, due_at, calendar_for(timezone).is_provisional(due_at))


def computed_deadline(category: Category, created_at: datetime, timezone: str) -> PublicDeadline | None:
    """The public deadline of a case of ``category`` received at ``created_at``; None when unknown.

    Unknown means: the category names no (known) policy, or the holiday data (provisional years
    included) does not reach the due date. The board then shows "—" rather than a guess.
    """
    return _computed_due(category.sla_policy or "", created_at, timezone)


# The board reads the same cases every few seconds; their computed due times never change.
@functools.lru_cache(maxsize=8192)
def _computed_due(policy_code: str, created_at: datetime, timezone: str) -> PublicDeadline | None:
    policy = _policies().get(policy_code)
    if policy is None:
        return None
    step = next((s for s in DEADLINE_STEPS if s in policy.steps), None)
    if step is None:
        return None
    try:
        due, _provisional = computed(
            calendar_for(timezone), lambda calendar: sla.due_at(policy, step, created_at, calendar)
        )
    except SuqiuError as exc:  # CalendarOutOfRange: past the provisional years too (logged once per case)
        log.warning("no deadline for a %s case: %s", policy_code, exc.message_en)
        return None
    return _public(step, due, timezone) if due is not None else None


def case_deadline(case: Case, category: Category, timezone: str) -> PublicDeadline | None:
    """The deadline the lifecycle stored, or the computed one; None while the clock is paused.

    Stored, in this order: the final promise (办结, else 答复), then the step the lifecycle is
    counting now (``due_at``) — never an earlier step's old due time, which may long be met.
    """
    if case.paused:
        return None
    for step in (sla.SlaStep.RESOLVE, sla.SlaStep.ANSWER):
        stored = getattr(case, f"{step.value}_due_at", None)
        if stored is not None:
            return _public(step, stored, timezone)
    current = getattr(case, "due_at", None)
    if current is not None:
        try:
            return _public(sla.SlaStep(case.due_step), current, timezone)
        except ValueError:
            log.warning("case %s has an unknown due step %r", case.reference, case.due_step)
    return computed_deadline(category, case.created_at, timezone)


# --- calls ------------------------------------------------------------------------------------


def _call_out(ticket: Ticket, counter_numbers: dict[int, int], category_names: dict[int, str]) -> dict[str, Any]:
    return {
        "ticket_id": ticket.id,
        "display": ticket.display,
        "counter_number": counter_numbers.get(ticket.counter_id) if ticket.counter_id else None,
        "category_name": category_names.get(ticket.category_id, ""),
        "state": ticket.state,
        "called_at": ticket.called_at.isoformat() if ticket.called_at else None,
        "recall_count": ticket.recall_count,
    }


def recent_calls(session: Session, center: Center, day: date, limit: int = RECENT_CALLS) -> list[dict[str, Any]]:
    """Today's calls, newest first. A ticket sent back to a queue (transfer) has no call any more."""
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.center_id == center.id, Ticket.service_date == day, Ticket.called_at.is_not(None))
        .order_by(Ticket.called_at.desc(), Ticket.id.desc())
        .limit(limit)
    ).all()
    counters = dict(session.execute(select(Counter.id, Counter.number).where(Counter.center_id == center.id)).all())
    categories = dict(session.execute(select(Category.id, Category.name_zh)).all())
    return [_call_out(t, counters, categories) for t in tickets]


# --- cases ------------------------------------------------------------------------------------


def _is_public(case: Case, category: Category) -> bool:
    return not case.confidential and not case.private and category.code not in PRIVATE_CATEGORIES


def public_cases(
    session: Session, center: Center, now: datetime, limit: int = MAX_PUBLIC_CASES
) -> list[dict[str, Any]]:
    """Open, non-confidential cases of the center, soonest deadline first. No text, masked names."""
    rows = session.execute(
        select(Case, Category, Employee.name)
        .join(Category, Category.id == Case.category_id)
        .outerjoin(Employee, Employee.id == Case.employee_id)
        .where(
            Case.center_id == center.id,
            Case.confidential.is_(False),
            Case.private.is_(False),
            Case.status.in_([s.value for s in OPEN_STATES]),
            Category.code.not_in(PRIVATE_CATEGORIES),
        )
        .order_by(Case.created_at)
        .limit(limit * 4)  # the oldest are the likeliest to be due first; enough to sort from
    ).all()
    tz = zone(center.timezone)
    out = []
    for case, category, name in rows:
        if not _is_public(case, category):  # belt and braces: the query already filters these
            continue
        deadline = case_deadline(case, category, center.timezone)
        out.append(
            {
                "reference": case.reference,
                "masked_name": mask_name(name) if name else "",
                "category_name": category.name_zh,
                "status": case.status,
                "stage_label": CASE_STATE_LABELS_ZH[CaseState(case.status)],
                "received_date": case.created_at.astimezone(tz).date().isoformat(),
                "deadline_at": deadline.due_at.astimezone(UTC).isoformat() if deadline else None,
                "deadline_label": DEADLINE_STEP_LABELS_ZH[deadline.step] if deadline else "",
                "deadline_provisional": bool(deadline and deadline.provisional),
                "overdue": bool(deadline and deadline.due_at <= now),
                "paused": bool(case.paused),
            }
        )
    far_future = datetime.max.replace(tzinfo=UTC).isoformat()
    out.sort(key=lambda c: (c["deadline_at"] or far_future, c["reference"]))
    return out[:limit]


# --- month figures ----------------------------------------------------------------------------


def month_start(now: datetime, timezone: str) -> datetime:
    """The first instant of the center's current month, in UTC."""
    local = local_now(now, timezone)
    return datetime.combine(local.date().replace(day=1), time(0), tzinfo=local.tzinfo).astimezone(UTC)


def month_figures(session: Session, center: Center, now: datetime) -> dict[str, Any]:
    """Received this month; closed this month and how many of those on time; satisfaction.

    A case counts as closed when its status is 评价 or 归档, at the time of its last timeline row;
    on time when that is no later than its deadline (no computable deadline: not counted on
    time — the board would rather understate than flatter). Satisfaction is the share of this
    month's ratings above the "unsatisfied" scores (1–2 of 5); None while there are no ratings.
    """
    start = month_start(now, center.timezone)
    local = local_now(now, center.timezone)
    received = session.scalar(
        select(func.count()).select_from(Case).where(Case.center_id == center.id, Case.created_at >= start)
    )
    # A case's last change falls in this month exactly when its latest row of this month is its
    # latest row at all: reading only this month's rows keeps the query small as years pass.
    last_change = (
        select(CaseTimeline.case_id, func.max(CaseTimeline.at).label("closed_at"))
        .where(CaseTimeline.at >= start)
        .group_by(CaseTimeline.case_id)
        .subquery()
    )
    closed_rows = session.execute(
        select(Case, Category, last_change.c.closed_at)
        .join(Category, Category.id == Case.category_id)
        .join(last_change, last_change.c.case_id == Case.id)
        .where(
            Case.center_id == center.id,
            Case.status.in_([s.value for s in CLOSED_STATES]),
            last_change.c.closed_at >= start,
        )
    ).all()
    on_time = 0
    for case, category, closed_at in closed_rows:
        deadline = case_deadline(case, category, center.timezone)
        if deadline is not None and _aware(closed_at) <= deadline.due_at:
            on_time += 1
    scores = [
        data.get("score")
        for (data,) in session.execute(
            select(CaseTimeline.data)
            .join(Case, Case.id == CaseTimeline.case_id)
            .where(Case.center_id == center.id, CaseTimeline.to_status == CaseState.RATED.value)
            .where(CaseTimeline.at >= start)
        ).all()
        if isinstance(data, dict)
    ]
    scores = [s for s in scores if isinstance(s, int) and not isinstance(s, bool)]
    satisfied = sum(1 for s in scores if s > UNSATISFIED_MAX_SCORE)
    return {
        "month": f"{local.year}年{local.month}月",
        "received": int(received or 0),
        "closed": len(closed_rows),
        "closed_on_time": on_time,
        "on_time_percent": round(100 * on_time / len(closed_rows)) if closed_rows else None,
        "ratings": len(scores),
        "satisfaction_percent": round(100 * satisfied / len(scores)) if scores else None,
    }


def _aware(moment: datetime) -> datetime:
    # Rows from a subquery's max() bypass the UTCDateTime type on SQLite and may come back naive
    # (or, on SQLite, as text): they are UTC either way.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- the snapshot -----------------------------------------------------------------------------


def snapshot(session: Session, center: Center, now: datetime) -> dict[str, Any]:
    day = service_date(now, center.timezone)
    calls = recent_calls(session, center, day)
    return {
        "center": {"code": center.code, "name": center.name, "timezone": center.timezone},
        "generated_at": now.isoformat(),
        "service_date": day.isoformat(),
        "now_calling": calls[0] if calls else None,
        "recent_calls": calls[1:],
        "waiting": waiting_summary(session, center, now),
        "cases": public_cases(session, center, now),
        "month": month_figures(session, center, now),
    }
