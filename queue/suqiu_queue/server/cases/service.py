"""Opening cases and writing their timeline. The lifecycle rules grow in their own issue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from suqiu_queue.domain.enums import CASE_STATE_LABELS_ZH, CHANNEL_LABELS_ZH, CaseState, Channel
from suqiu_queue.domain.errors import Conflict, Invalid, not_found
from suqiu_queue.domain.numbering import format_case_reference

from ..events.service import emit
from ..org.models import Category, Center
from ..people.models import Employee
from ..tickets.models import Ticket
from ..tickets.numbers import allocate, case_scope
from .models import Case, CaseTimeline


def open_case(
    session: Session,
    *,
    now: datetime,
    center: Center,
    category: Category,
    channel: str,
    summary: str,
    actor: str,
    employee: Employee | None = None,
    ticket: Ticket | None = None,
    confidential: bool = False,
) -> Case:
    try:
        channel = Channel(channel).value
    except ValueError as exc:
        raise Invalid("invalid_channel", f"无效的渠道：{channel}", f"Invalid channel: {channel}") from exc
    if ticket is not None:
        if ticket.case_id is not None:
            raise Conflict(
                "ticket_has_case",
                "该号票已关联诉求事项",
                "This ticket already has a case",
                details={"case_id": ticket.case_id},
            )
        if ticket.center_id != center.id:
            raise Conflict("other_center", "号票不属于该中心", "The ticket belongs to another center")
        if employee is None and ticket.employee_id is not None:
            employee = session.get(Employee, ticket.employee_id)
    number = allocate(session, case_scope(now.year))
    case = Case(
        reference=format_case_reference(now.year, number),
        center_id=center.id,
        employee_id=employee.id if employee else None,
        category_id=category.id,
        channel=channel,
        summary=summary.strip(),
        status=CaseState.ACCEPTED.value,
        confidential=confidential,
        origin_ticket_id=ticket.id if ticket else None,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    if ticket is not None:
        ticket.case_id = case.id
    add_timeline(session, case, now=now, actor=actor, kind="created", to_status=case.status, note="受理")
    emit(session, "case.created", case_payload(case, category), center_id=center.id)
    return case


def add_timeline(
    session: Session,
    case: Case,
    *,
    now: datetime,
    actor: str,
    kind: str,
    note: str = "",
    from_status: str | None = None,
    to_status: str | None = None,
    data: dict[str, Any] | None = None,
) -> CaseTimeline:
    row = CaseTimeline(
        case_id=case.id,
        at=now,
        actor=actor,
        kind=kind,
        note=note,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
    )
    session.add(row)
    return row


def add_note(session: Session, case: Case, *, now: datetime, actor: str, note: str) -> CaseTimeline:
    case.updated_at = now
    row = add_timeline(session, case, now=now, actor=actor, kind="note", note=note)
    emit(session, "case.updated", case_payload(case), center_id=case.center_id)
    return row


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise not_found("诉求事项", "Case", case_id)
    return case


def case_payload(case: Case, category: Category | None = None) -> dict[str, Any]:
    """Event payload: no summary text and no person (boards may listen)."""
    category = category or case.category
    return {
        "case_id": case.id,
        "reference": case.reference,
        "category": category.code,
        "status": case.status,
        "channel": case.channel,
        "confidential": case.confidential,
    }


def case_out(case: Case, *, with_timeline: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": case.id,
        "reference": case.reference,
        "category": case.category.code,
        "category_name": case.category.name_zh,
        "channel": case.channel,
        "channel_label": CHANNEL_LABELS_ZH[Channel(case.channel)],
        "summary": case.summary,
        "status": case.status,
        "status_label": CASE_STATE_LABELS_ZH[CaseState(case.status)],
        "confidential": case.confidential,
        "outcome": case.outcome,
        "origin_ticket_id": case.origin_ticket_id,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
    }
    if with_timeline:
        out["timeline"] = [
            {
                "at": t.at.isoformat(),
                "actor": t.actor,
                "kind": t.kind,
                "from": t.from_status,
                "to": t.to_status,
                "note": t.note,
            }
            for t in case.timeline
        ]
    return out
