"""Composing an arrival card (到访卡片): who arrived, why, what happened before, what to watch for.

The card is for officers only. It carries the full name (the officer greets the person by name),
never psychological results: those live in their own area and reach counselors only. A counselor's
card carries one derived yes/no, ``referral`` (建议转介), computed here from the stored bands; other
roles' cards do not have the key at all.

重复诉求 compares what the person typed or said at the kiosk with earlier cases (the same text
similarity as intake, ``cases.service.similar_cases``); other people's cases appear by reference
and category only. 诉求超期 reads the stored deadlines (``Case.due_at``) of the person's open cases.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from suqiu_queue.domain.enums import (
    CASE_STATE_LABELS_ZH,
    CHANNEL_LABELS_ZH,
    LANE_LABELS_ZH,
    CaseState,
    Channel,
    Lane,
    Role,
    TicketState,
)
from suqiu_queue.domain.hours import local_now
from suqiu_queue.domain.masking import mask_name
from suqiu_queue.domain.queueing import STATE_LABELS_ZH
from suqiu_queue.domain.similarity import bigrams
from suqiu_queue.domain.sla import SLA_STEP_LABELS_ZH, SlaStep

from ..assessments.models import AssessmentResult
from ..cases import deadlines
from ..cases.config import LoopConfig
from ..cases.models import Case
from ..cases.service import route, similar_cases
from ..faces.service import pending_enrolment
from ..org.models import OrgUnit
from ..people.models import Employee
from ..people.service import age_on
from ..tickets.models import Ticket
from ..voice.models import VoiceMessage

REPEAT_WINDOW = timedelta(days=90)
HISTORY_LIMIT = 8
# 建议转介: the bands from which a counselor should consider referring the person to professional
# help — each scale's "moderate or worse" range as its source paper reads it: PHQ-9 ≥ 10 and
# GAD-7 ≥ 10 (Kroenke 2001, Spitzer 2006: the referral thresholds), SDS ≥ 63 and SAS ≥ 60 (moderate
# on the Chinese norms), K10 ≥ 22 (high), PSS-10 ≥ 27 (high), WHO-5 raw ≤ 7 (likely depression).
# A crisis answer counts whatever the band. Site-supplied scales (SCL-90) count by crisis only.
REFERRAL_BANDS: dict[str, frozenset[str]] = {
    "phq9": frozenset({"moderate", "moderately_severe", "severe"}),
    "gad7": frozenset({"moderate", "severe"}),
    "sds": frozenset({"moderate", "severe"}),
    "sas": frozenset({"moderate", "severe"}),
    "k10": frozenset({"high", "very_high"}),
    "pss10": frozenset({"high"}),
    "who5": frozenset({"very_low"}),
}
REFERRAL_WINDOW = timedelta(days=90)
REFERRAL_LABEL = "建议转介"


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
    """The person's open cases past their stored due time (None while paused: a paused case waits
    on the employee, so it is never overdue), most overdue first."""
    overdue = []
    for case in cases:
        if case.status not in deadlines.OPEN_STATES or case.due_at is None or case.due_at > now:
            continue
        step = SlaStep(case.due_step) if case.due_step else None
        overdue.append(
            {
                "case_id": case.id,
                "reference": case.reference,
                "category_name": case.category.name_zh,
                "status_label": CASE_STATE_LABELS_ZH[CaseState(case.status)],
                "due_at": case.due_at.isoformat(),
                "due_step": step.value if step else None,
                "due_step_label": SLA_STEP_LABELS_ZH[step] if step else None,
                "overdue_hours": int((now - case.due_at).total_seconds() // 3600),
                "days_open": (now - case.created_at).days,
            }
        )
    overdue.sort(key=lambda item: item["due_at"])
    return overdue


def _similar_out(case: Case, score: float, same_employee: bool, timezone: str) -> dict[str, Any]:
    """One similar case. Someone else's: reference, category and state only — never a name or text."""
    return {
        "case_id": case.id,
        "reference": case.reference,
        "category": case.category.code,
        "category_name": case.category.name_zh,
        "score": round(score, 3),
        "same_employee": same_employee,
        "status": case.status,
        "status_label": CASE_STATE_LABELS_ZH[CaseState(case.status)],
        "date": _local_date(case.created_at, timezone) if same_employee else None,
    }


def similar_to_ticket(session: Session, ticket: Ticket, *, config: LoopConfig, now: datetime) -> list[dict[str, Any]]:
    """Earlier cases like what the ticket's note says (the person's own and the center's recent ones),
    at or above the configured threshold, best first. The ticket's own case is not a repeat of itself."""
    own_cases = set(session.scalars(select(Case.id).where(Case.origin_ticket_id == ticket.id)).all())
    if ticket.case_id is not None:
        own_cases.add(ticket.case_id)
    found = similar_cases(
        session,
        center_id=ticket.center_id,
        text=ticket.note,
        employee_id=ticket.employee_id,
        config=replace(config, repeat_limit=config.repeat_limit + len(own_cases)),
        now=now,
    )
    timezone = ticket.center.timezone
    items = [
        _similar_out(case, score, ticket.employee_id is not None and case.employee_id == ticket.employee_id, timezone)
        for case, score in found
        if case.id not in own_cases
    ]
    return items[: config.repeat_limit]


def referral_suggested(session: Session, employee_id: int, *, now: datetime) -> bool:
    """建议转介: a result linked to this person (实名; anonymous ones have no person) in the last 90 days
    whose band calls for referral, or with a crisis answer. Reads the stored band and crisis flag
    only — never the sealed answers — and returns nothing but yes or no."""
    calls_for_referral = or_(
        AssessmentResult.crisis.is_(True),
        *(
            and_(AssessmentResult.scale == scale, AssessmentResult.band.in_(sorted(bands)))
            for scale, bands in REFERRAL_BANDS.items()
        ),
    )
    found = session.scalar(
        select(AssessmentResult.id)
        .where(
            AssessmentResult.employee_id == employee_id,
            AssessmentResult.created_at >= now - REFERRAL_WINDOW,
            calls_for_referral,
        )
        .limit(1)
    )
    return found is not None


def arrival_card(
    session: Session,
    ticket: Ticket,
    *,
    now: datetime,
    config: LoopConfig | None = None,
    viewer_role: str | None = None,
) -> dict[str, Any]:
    """Everything the officer needs on one card. Caller checks access and writes the audit row.

    ``viewer_role`` decides what the card may carry: only a counselor's has ``referral``."""
    config = config or LoopConfig()
    counselor = viewer_role == Role.COUNSELOR.value
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
            "repeat_rule": None,  # "similar_text" | "same_category_90d"
            "repeat_items": [],
            "similar_cases": [],
            "overdue_case": False,
            "overdue_cases": [],
            "crisis_lane": ticket.lane == Lane.CRISIS.value,
            "print_failed": ticket.print_failed,
            "identified_by": ticket.identified_by if ticket.employee_id is not None else None,
            # 语音留言: how many, so the officer knows to listen (the messages are a separate, audited read).
            "voice_messages": session.scalar(
                select(func.count()).select_from(VoiceMessage).where(VoiceMessage.ticket_id == ticket.id)
            )
            or 0,
            "face_pending": False,
        },
    }
    if counselor:
        card["flags"]["referral"] = False
        card["flags"]["referral_label"] = None
    # 重复诉求 by what the person wrote (typed or dictated) at the kiosk, against everybody's earlier
    # cases: an anonymous visitor can be raising a matter that is already open, too.
    has_text = bool(bigrams(ticket.note or ""))
    if has_text:
        similar = similar_to_ticket(session, ticket, config=config, now=now)
        card["flags"]["similar_cases"] = similar
        card["flags"]["repeat_topic"] = bool(similar)
        card["flags"]["repeat_rule"] = "similar_text" if similar else None
        card["flags"]["repeat_items"] = [
            {"type": "case", "label": item["reference"], "date": item["date"]}
            for item in similar
            if item["same_employee"]
        ]
    if ticket.employee_id is None:
        return card
    employee = session.get(Employee, ticket.employee_id)
    if employee is None:
        return card
    card["employee"] = _employee_out(employee, local_now(now, center.timezone).date())
    # 待确认人脸登记: a kiosk face enrolment waits for an officer to check the person's badge.
    card["flags"]["face_pending"] = pending_enrolment(session, employee.id)

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

    if not has_text:
        # Nothing to compare (the person left no words at the kiosk): the old rule — the same person
        # came about the same category within 90 days.
        since = ticket.issued_at - REPEAT_WINDOW
        repeats = [
            item
            for item in items
            if item["category"] == category.code and since <= datetime.fromisoformat(item["at"]) <= ticket.issued_at
        ]
        card["flags"]["repeat_topic"] = bool(repeats)
        card["flags"]["repeat_rule"] = "same_category_90d" if repeats else None
        card["flags"]["repeat_items"] = [{"type": r["type"], "label": r["label"], "date": r["date"]} for r in repeats]

    overdue = _overdue(cases, now)
    card["flags"]["overdue_case"] = bool(overdue)
    card["flags"]["overdue_cases"] = overdue

    if counselor and referral_suggested(session, employee.id, now=now):
        card["flags"]["referral"] = True
        card["flags"]["referral_label"] = REFERRAL_LABEL
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
