"""Composing an arrival card (到访卡片): who arrived, why, what happened before, what to watch for.

The card is for officers only. It carries the full name (the officer greets the person by name),
never psychological results: those live in their own area and reach counselors only.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from suqiu_queue.domain.enums import (
    CASE_STATE_LABELS_ZH,
    CHANNEL_LABELS_ZH,
    LANE_LABELS_ZH,
    CaseState,
    Channel,
    Lane,
    TicketState,
)
from suqiu_queue.domain.hours import local_now
from suqiu_queue.domain.masking import mask_name
from suqiu_queue.domain.queueing import STATE_LABELS_ZH

from ..cases.config import LoopConfig
from ..cases.models import Case
from ..cases.service import route
from ..org.models import Category, OrgUnit
from ..people.models import Employee
from ..people.service import age_on
from ..tickets.models import Ticket

REPEAT_WINDOW = timedelta(days=90)
HISTORY_LIMIT = 8
# Used when a category's SLA policy code cannot be read (see ``sla_days``).
DEFAULT_OPEN_CASE_DAYS = 15.0
# A case in these states is no longer waiting on the center.
SETTLED_CASE_STATES = frozenset({CaseState.RATED.value, CaseState.ARCHIVED.value})

_HOURS = re.compile(r"(\d+)h$")
_WORKING_DAYS = re.compile(r"(\d+)wd$")
_DAYS_PAIR = re.compile(r"_(\d+)_(\d+)$")


def sla_days(policy_code: str) -> float | None:
    """How many calendar days a case of this SLA policy may stay open before the card flags it.

    Interim rule until the real SLA clock (``suqiu_queue.domain.sla`` with the working-day
    calendar) is wired into cases: it reads the number in the policy code and errs on the side
    of *not* flagging too early — ``urgent_48h`` → 2 days, ``policy_3wd`` → 3 working days taken
    as ⌈3 × 7/5⌉ = 5 calendar days, ``petition_15_60`` → its final limit, 60 days. Unknown codes
    give None (the caller then uses DEFAULT_OPEN_CASE_DAYS).
    """
    code = (policy_code or "").strip().lower()
    if match := _HOURS.search(code):
        return int(match.group(1)) / 24
    if match := _WORKING_DAYS.search(code):
        return float(math.ceil(int(match.group(1)) * 7 / 5))
    if match := _DAYS_PAIR.search(code):
        return float(max(int(match.group(1)), int(match.group(2))))
    return None


def allowed_open_days(category: Category) -> float:
    days = sla_days(category.sla_policy)
    return days if days is not None else DEFAULT_OPEN_CASE_DAYS


def org_unit_path(unit: OrgUnit | None) -> list[str]:
    """总部 / 二级单位 / 基层单位, top first."""
    path: list[str] = []
    seen: set[int] = set()
    while unit is not None and unit.id not in seen:  # a cycle in imported data must not hang us
        seen.add(unit.id)
        path.append(unit.name)
        unit = unit.parent
    return list(reversed(path))


def _employee_out(employee: Employee, today: Any) -> dict[str, Any]:
    return {
        "employee_no": employee.employee_no,
        "name": employee.name,
        "masked_name": mask_name(employee.name),
        "age": age_on(employee.birth_date, today),
        "org_unit_path": org_unit_path(employee.org_unit),
    }


def _local_date(moment: datetime, timezone: str) -> str:
    return local_now(moment, timezone).date().isoformat()


def _ticket_history_item(ticket: Ticket, timezone: str) -> dict[str, Any]:
    outcome = ""
    if ticket.case_id is not None:
        outcome = "已转为诉求事项"
    elif ticket.state == TicketState.NO_SHOW.value:
        outcome = "未到窗口"
    return {
        "type": "ticket",
        "id": ticket.id,
        "at": ticket.issued_at.isoformat(),
        "date": _local_date(ticket.issued_at, timezone),
        "label": ticket.display,
        "category": ticket.category.code,
        "category_name": ticket.category.name_zh,
        "status": ticket.state,
        "status_label": STATE_LABELS_ZH[TicketState(ticket.state)],
        "outcome": outcome,
    }


def _case_history_item(case: Case, timezone: str) -> dict[str, Any]:
    return {
        "type": "case",
        "id": case.id,
        "at": case.created_at.isoformat(),
        "date": _local_date(case.created_at, timezone),
        "label": case.reference,
        "category": case.category.code,
        "category_name": case.category.name_zh,
        "channel_label": CHANNEL_LABELS_ZH[Channel(case.channel)],
        "status": case.status,
        "status_label": CASE_STATE_LABELS_ZH[CaseState(case.status)],
        # A confidential case says that it exists, not how it ended.
        "outcome": "（保密事项）" if case.confidential else case.outcome,
        "confidential": case.confidential,
    }


def _overdue(cases: list[Case], now: datetime) -> list[dict[str, Any]]:
    overdue = []
    for case in cases:
        if case.status in SETTLED_CASE_STATES:
            continue
        allowed = allowed_open_days(case.category)
        open_for = now - case.created_at
        if open_for > timedelta(days=allowed):
            overdue.append(
                {
                    "case_id": case.id,
                    "reference": case.reference,
                    "category_name": case.category.name_zh,
                    "status_label": CASE_STATE_LABELS_ZH[CaseState(case.status)],
                    "days_open": open_for.days,
                    "allowed_days": allowed,
                }
            )
    return overdue


def arrival_card(session: Session, ticket: Ticket, *, now: datetime) -> dict[str, Any]:
    """Everything the officer needs on one card. Caller checks access and writes the audit row."""
    center = ticket.center
    category = ticket.category
    card: dict[str, Any] = {
        "ticket": {
            "id": ticket.id,
            "display": ticket.display,
            "category": category.code,
            "category_name": category.name_zh,
            "lane": ticket.lane,
            "lane_label": LANE_LABELS_ZH[Lane(ticket.lane)],
            "state": ticket.state,
            "state_label": STATE_LABELS_ZH[TicketState(ticket.state)],
            "issued_at": ticket.issued_at.isoformat(),
            "note": ticket.note,
            "counter_number": ticket.counter.number if ticket.counter else None,
            "case_id": ticket.case_id,
        },
        "employee": None,
        "history": [],
        "history_total": 0,
        "flags": {
            "repeat_topic": False,
            "repeat_items": [],
            "overdue_case": False,
            "overdue_cases": [],
            "crisis_lane": ticket.lane == Lane.CRISIS.value,
            "print_failed": ticket.print_failed,
            "identified_by": ticket.identified_by if ticket.employee_id is not None else None,
        },
    }
    if ticket.employee_id is None:
        return card
    employee = session.get(Employee, ticket.employee_id)
    if employee is None:
        return card
    card["employee"] = _employee_out(employee, local_now(now, center.timezone).date())

    earlier_tickets = list(
        session.scalars(
            select(Ticket)
            .where(Ticket.employee_id == employee.id, Ticket.id != ticket.id)
            .order_by(Ticket.issued_at.desc())
        ).all()
    )
    cases = list(
        session.scalars(select(Case).where(Case.employee_id == employee.id).order_by(Case.created_at.desc())).all()
    )
    # A ticket that became a case is shown once, as the case (the case carries status and outcome).
    items = [_ticket_history_item(t, center.timezone) for t in earlier_tickets if t.case_id is None]
    items += [_case_history_item(c, center.timezone) for c in cases if c.origin_ticket_id != ticket.id]
    items.sort(key=lambda item: (item["at"], item["id"]), reverse=True)
    card["history"] = items[:HISTORY_LIMIT]
    card["history_total"] = len(items)

    # 重复诉求 (simple rule for now): the same person came about the same category within 90 days.
    since = ticket.issued_at - REPEAT_WINDOW
    repeats = [
        item
        for item in items
        if item["category"] == category.code and since <= datetime.fromisoformat(item["at"]) <= ticket.issued_at
    ]
    card["flags"]["repeat_topic"] = bool(repeats)
    card["flags"]["repeat_items"] = [{"type": r["type"], "label": r["label"], "date": r["date"]} for r in repeats]

    overdue = _overdue(cases, now)
    card["flags"]["overdue_case"] = bool(overdue)
    card["flags"]["overdue_cases"] = overdue
    return card


def hand_over(
    session: Session,
    case: Case,
    *,
    now: datetime,
    actor: str,
    department: str,
    person: str,
    note: str,
    config: LoopConfig | None = None,
) -> None:
    """转交: the case goes to a department (and optionally a named person) — a 分流 in the lifecycle,
    with its deadlines and supervision; without a named person the department's head is responsible.
    Handing over a case already routed (转办) needs the note as its reason."""
    department = department.strip()
    person = person.strip()
    route(
        session,
        case,
        now=now,
        actor=actor,
        config=config or LoopConfig(),
        departments=[department],
        responsible=person or f"{department}负责人",
        reason=note.strip() or None,
        timeline_kind="handover",
        timeline_data={"department": department, "person": person},
    )
