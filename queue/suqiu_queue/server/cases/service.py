"""The closed loop on the server: opening cases, applying lifecycle actions, and everything around them.

Every state change goes through :func:`apply_action`, which asks the pure
``suqiu_queue.domain.lifecycle.transition`` for the new state, stores its changes, writes the
timeline row, recomputes the deadlines and the next supervision moment, and emits the event (and
queues the webhooks) — all in the caller's transaction. The other functions here change what is
not a state (pauses, extensions, deliberation comments, publication, adoption, visibility) and
write their own timeline rows the same way.

Events carry ids, codes and states only: never a name, a department typed by an officer, or text.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from suqiu_queue.domain import sla
from suqiu_queue.domain.enums import CASE_STATE_LABELS_ZH, CHANNEL_LABELS_ZH, CaseState, Channel, Role
from suqiu_queue.domain.errors import Conflict, Invalid, SuqiuError, not_found
from suqiu_queue.domain.hours import local_now
from suqiu_queue.domain.lifecycle import (
    CASE_ACTION_LABELS_ZH,
    UNSATISFIED_MAX_SCORE,
    AnswerOutcome,
    CaseAction,
    CaseSnapshot,
    allowed_actions,
    transition,
)
from suqiu_queue.domain.numbering import format_case_reference
from suqiu_queue.domain.similarity import most_similar

from ..accounts.models import User
from ..db import utcnow
from ..events.models import Event
from ..events.service import emit
from ..org.models import Category, Center
from ..people.models import Employee
from ..tickets.models import Ticket
from ..tickets.numbers import allocate, case_scope
from ..webhooks.service import enqueue as enqueue_webhooks
from . import deadlines, policies
from .config import LoopConfig
from .models import (
    Case,
    CasePause,
    CaseRepeatLink,
    CaseTimeline,
    Deliberation,
    DeliberationParticipant,
    ShowcaseEntry,
)

# Categories whose cases never appear in public (心理关爱: even having sought counselling is sensitive).
PRIVATE_CATEGORIES = frozenset({"care"})
SUGGESTION_CATEGORY = "proposal"  # 合理化建议
URGENT_LANES = frozenset({"urgent", "crisis"})

ANSWER_OUTCOME_LABELS_ZH = {AnswerOutcome.RESOLVED.value: "已解决", AnswerOutcome.EXPLAINED.value: "已解释说明"}
RATING_CHANNELS = {"kiosk": "自助终端", "qr": "扫码评价", "phone": "电话回访", "counter": "窗口评价"}
ADOPTION_LABELS_ZH = {
    "pending": "待评估",
    "adopted": "已采纳",
    "partly_adopted": "部分采纳",
    "not_adopted": "未采纳",
    "implemented": "已实施",
}
MAX_TEXT = 4000

# lifecycle change key -> Case column
_CHANGE_COLUMNS = {
    "state": "status",
    "departments": "departments",
    "responsible": "responsible",
    "deliberation_open": "deliberation_open",
    "lead_department": "department",
    "reply": "reply",
    "last_score": "rating_score",
    "rating_comment": "rating_comment",
    "reopen_count": "reopen_count",
    "review_requested": "review_requested",
    **{f"{s.value}_at": f"{s.value}_at" for s in CaseState},
}


# --- small helpers ----------------------------------------------------------------------------


def _text(value: str | None, *, code: str, zh: str, en: str, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise Invalid(code, zh, en)
    if len(text) > MAX_TEXT:
        raise Invalid("case_text_too_long", f"内容过长（最多 {MAX_TEXT} 字）", f"Text too long (max {MAX_TEXT})")
    return text


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise not_found("诉求事项", "Case", case_id)
    return case


def _center(session: Session, case: Case) -> Center:
    center = session.get(Center, case.center_id)
    assert center is not None  # a foreign key
    return center


def case_payload(case: Case, category: Category | None = None) -> dict[str, Any]:
    """Event payload: no summary text and no person (boards and OA systems may listen)."""
    category = category or case.category
    return {
        "case_id": case.id,
        "reference": case.reference,
        "category": category.code,
        "status": case.status,
        "channel": case.channel,
        "confidential": case.confidential,
        "private": bool(case.private),
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "assignee_id": case.assignee_id,
        "repeat": bool(case.is_repeat),
    }


def emit_case_event(
    session: Session, kind: str, case: Case, *, now: datetime, change: str | None = None, **extra: Any
) -> Event:
    """The case's event (same transaction) and its webhook deliveries."""
    payload = case_payload(case)
    if change:
        payload["change"] = change
    payload.update(extra)
    event = emit(session, kind, payload, center_id=case.center_id)
    enqueue_webhooks(session, event, now=now)
    return event


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


def open_pauses(session: Session, case: Case) -> list[CasePause]:
    return list(session.scalars(select(CasePause).where(CasePause.case_id == case.id).order_by(CasePause.start_at)))


def clock_of(session: Session, case: Case) -> deadlines.CaseClock | None:
    policy = policies.policy(session, case.sla_policy)
    if policy is None:
        return None
    calendar = policies.calendar_for(_center(session, case).timezone)
    return deadlines.CaseClock(case, policy, calendar, open_pauses(session, case))


def refresh_deadlines(session: Session, case: Case, *, config: LoopConfig, now: datetime) -> None:
    session.flush()
    deadlines.refresh(case, clock_of(session, case), ladder=config.ladder, now=now)


# --- opening --------------------------------------------------------------------------------


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
    private: bool = False,
    config: LoopConfig | None = None,
) -> Case:
    """受理: every channel (来访/来信/来电/网上) enters the same loop here (一口受理)."""
    config = config or LoopConfig()
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
    year = local_now(now, center.timezone).year  # the center's year: 1 January starts at its midnight
    number = allocate(session, case_scope(year))
    case = Case(
        reference=format_case_reference(year, number),
        center_id=center.id,
        employee_id=employee.id if employee else None,
        category_id=category.id,
        channel=channel,
        summary=summary.strip(),
        status=CaseState.ACCEPTED.value,
        confidential=confidential,
        private=private,
        origin_ticket_id=ticket.id if ticket else None,
        created_by=actor,
        created_at=now,
        updated_at=now,
        accepted_at=now,
        clock_start_at=now,
        sla_policy=category.sla_policy or None,
        departments=[],
        extensions=[],
        adoption_status="pending" if category.code == SUGGESTION_CATEGORY else None,
    )
    session.add(case)
    session.flush()
    if ticket is not None:
        ticket.case_id = case.id
    add_timeline(session, case, now=now, actor=actor, kind="created", to_status=case.status, note="受理")
    links = find_repeats(session, case, config=config, now=now)
    if links:
        add_timeline(
            session,
            case,
            now=now,
            actor="system:repeat",
            kind="repeat",
            note="重复诉求",
            data={"earlier_case_ids": [link.earlier_case_id for link in links]},
        )
    refresh_deadlines(session, case, config=config, now=now)
    emit_case_event(session, "case.created", case, now=now)
    return case


# --- repeat appeals (重复诉求) ---------------------------------------------------------------------


def similar_cases(
    session: Session,
    *,
    center_id: int,
    text: str,
    employee_id: int | None,
    config: LoopConfig,
    now: datetime,
    exclude_case_id: int | None = None,
) -> list[tuple[Case, float]]:
    """The earlier cases most like ``text``: the person's own (any age) and the center's recent ones.

    Also what an arrival card can call before a case exists (the ticket's note as ``text``).
    """
    since = now - timedelta(days=config.repeat_window_days)
    pool_query = (
        select(Case.id, Case.summary)
        .where(Case.center_id == center_id, Case.created_at >= since)
        .order_by(Case.created_at.desc())
        .limit(config.repeat_pool)
    )
    rows: dict[int, str] = {case_id: text for case_id, text in session.execute(pool_query)}
    if employee_id is not None:
        own = select(Case.id, Case.summary).where(Case.employee_id == employee_id).order_by(Case.created_at.desc())
        rows.update({case_id: text for case_id, text in session.execute(own.limit(200))})
    rows.pop(exclude_case_id, None)  # type: ignore[arg-type]
    matches = most_similar(text, sorted(rows.items()), threshold=config.repeat_threshold, limit=config.repeat_limit)
    found = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_([m.key for m in matches])))}
    return [(found[m.key], m.score) for m in matches if m.key in found]  # type: ignore[index]


def find_repeats(session: Session, case: Case, *, config: LoopConfig, now: datetime) -> list[CaseRepeatLink]:
    similar = similar_cases(
        session,
        center_id=case.center_id,
        text=case.summary,
        employee_id=case.employee_id,
        config=config,
        now=now,
        exclude_case_id=case.id,
    )
    links = []
    for earlier, score in similar:
        link = CaseRepeatLink(
            case_id=case.id,
            earlier_case_id=earlier.id,
            score=score,
            same_employee=case.employee_id is not None and earlier.employee_id == case.employee_id,
            found_at=now,
        )
        session.add(link)
        links.append(link)
    case.is_repeat = bool(links)
    return links


def repeat_out(case: Case, score: float, same_employee: bool, timezone: str) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "reference": case.reference,
        "score": round(score, 3),
        "same_employee": same_employee,
        "category_name": case.category.name_zh,
        "status": case.status,
        "status_label": CASE_STATE_LABELS_ZH[CaseState(case.status)],
        "date": local_now(case.created_at, timezone).date().isoformat(),
        "link": f"/api/v1/cases/{case.id}",
    }


def repeats_of(session: Session, case: Case) -> list[dict[str, Any]]:
    rows = session.execute(
        select(CaseRepeatLink, Case)
        .join(Case, Case.id == CaseRepeatLink.earlier_case_id)
        .where(CaseRepeatLink.case_id == case.id)
        .order_by(CaseRepeatLink.score.desc())
    ).all()
    timezone = _center(session, case).timezone
    return [repeat_out(earlier, link.score, link.same_employee, timezone) for link, earlier in rows]


# --- the lifecycle ----------------------------------------------------------------------------


def snapshot_of(case: Case) -> CaseSnapshot:
    stamps = [t for t in (case.routed_at, case.in_progress_at, case.answered_at, case.rated_at) if t is not None]
    return CaseSnapshot(
        state=CaseState(case.status),
        departments=tuple(case.departments or ()),
        responsible=case.responsible,
        deliberation_open=bool(case.deliberation_open),
        reopen_count=case.reopen_count or 0,
        review_requested=bool(case.review_requested),
        last_score=case.rating_score,
        last_changed_at=max(stamps) if stamps else None,
    )


def apply_action(
    session: Session,
    case: Case,
    action: CaseAction | str,
    *,
    now: datetime,
    actor: str,
    config: LoopConfig,
    reason: str | None = None,
    timeline_kind: str | None = None,
    timeline_data: dict[str, Any] | None = None,
    **data: Any,
) -> CaseTimeline:
    """Apply one lifecycle action through the pure ``transition`` and store everything it implies."""
    result = transition(snapshot_of(case), action, actor, now, reason, **data)
    act = result.timeline.action
    for key, value in result.changes.items():
        column = _CHANGE_COLUMNS.get(key)
        if key == "outcome":
            case.answer_outcome = AnswerOutcome(value).value
            case.outcome = ANSWER_OUTCOME_LABELS_ZH[case.answer_outcome]
        elif column is None:
            raise RuntimeError(f"lifecycle change {key!r} has no column")  # a new rule needs a column here
        elif key == "state":
            case.status = CaseState(value).value
        elif key == "departments":
            case.departments = list(value)
        else:
            setattr(case, column, value)
    if act in (CaseAction.ROUTE, CaseAction.ANSWER) and case.responded_at is None:
        case.responded_at = now
    if act in (CaseAction.REOPEN, CaseAction.ESCALATE):
        # A new round of handling: the answer clocks start again, and so does the ladder.
        case.clock_start_at = now
        case.alert_step = None
    case.updated_at = now
    row = add_timeline(
        session,
        case,
        now=now,
        actor=result.timeline.actor,
        kind=timeline_kind or act.value,
        note=result.timeline.reason or "",
        from_status=result.timeline.from_state.value,
        to_status=result.timeline.to_state.value,
        data={**dict(result.timeline.data), **(timeline_data or {})},
    )
    refresh_deadlines(session, case, config=config, now=now)
    return row


def _user_at(session: Session, username: str, case: Case) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise Invalid("assignee_unknown", f"找不到可承办的账号：{username}", f"No active officer named {username}")
    if user.center_id is not None and user.center_id != case.center_id:
        raise Invalid("assignee_other_center", "承办人不属于本中心", "The assignee belongs to another center")
    return user


def route(
    session: Session,
    case: Case,
    *,
    now: datetime,
    actor: str,
    config: LoopConfig,
    departments: list[str],
    responsible: str | None = None,
    assignee: str | None = None,
    reason: str | None = None,
    timeline_kind: str | None = None,
    timeline_data: dict[str, Any] | None = None,
) -> Case:
    """分流 to one department (and a responsible person), or to several: then a 议事 opens.

    ``timeline_kind``/``timeline_data`` let a caller name the move in its own words (the front
    desk's 转交 is a route with kind ``handover``)."""
    user = _user_at(session, assignee, case) if assignee else None
    responsible = (responsible or "").strip() or (user.display_name if user else "")
    row = apply_action(
        session,
        case,
        CaseAction.ROUTE,
        now=now,
        actor=actor,
        config=config,
        reason=reason,
        timeline_kind=timeline_kind,
        timeline_data={"assignee_id": user.id if user else None, **(timeline_data or {})},
        departments=departments,
        responsible=responsible,
    )
    case.assignee_id = user.id if user else None
    current = open_deliberation(session, case)
    if current is not None:
        current.status = "withdrawn"  # re-routed: the old round of deliberation no longer applies
    if case.deliberation_open:
        deliberation = Deliberation(case_id=case.id, status="open", opened_at=now, opened_by=actor)
        deliberation.participants = [
            DeliberationParticipant(department=d, invited_at=now, invited_by=actor) for d in case.departments
        ]
        session.add(deliberation)
        row.data = {**row.data, "deliberation": True}
    refresh_deadlines(session, case, config=config, now=now)
    emit_case_event(
        session, "case.updated", case, now=now, change=timeline_kind or "route", deliberation=case.deliberation_open
    )
    return case


def act(
    session: Session,
    case: Case,
    action: CaseAction,
    *,
    now: datetime,
    actor: str,
    config: LoopConfig,
    reason: str | None = None,
    **data: Any,
) -> Case:
    """start / answer / reopen / escalate / archive: the actions with nothing around them."""
    if action in (CaseAction.ANSWER, CaseAction.ARCHIVE):
        # The reply ends any wait (a refused action rolls this back with the transaction).
        _close_open_pause(session, case, now=now, actor=actor)
    apply_action(session, case, action, now=now, actor=actor, config=config, reason=reason, **data)
    extra: dict[str, Any] = {}
    if action is CaseAction.ESCALATE:
        extra["review"] = True
    emit_case_event(session, "case.updated", case, now=now, change=CaseAction(action).value, **extra)
    return case


def rate(
    session: Session,
    case: Case,
    *,
    now: datetime,
    actor: str,
    config: LoopConfig,
    score: int,
    comment: str | None,
    channel: str,
) -> Case:
    """评价: 1–5 and a comment, from the kiosk, the receipt's QR code, or an officer's phone call."""
    if channel not in RATING_CHANNELS:
        raise Invalid("rating_channel_invalid", f"评价渠道无效：{channel}", f"Unknown rating channel: {channel}")
    apply_action(
        session,
        case,
        CaseAction.RATE,
        now=now,
        actor=actor,
        config=config,
        timeline_data={"channel": channel},
        score=score,
        comment=comment,
    )
    case.rating_channel = channel
    satisfied = case.rating_score is not None and case.rating_score > UNSATISFIED_MAX_SCORE
    emit_case_event(session, "case.updated", case, now=now, change="rate", score=case.rating_score, satisfied=satisfied)
    return case


def rateable_cases_for_ticket(session: Session, ticket: Ticket) -> list[Case]:
    """The cases a receipt's token may rate: only those opened from (or linked to) that ticket."""
    ids = {ticket.case_id} if ticket.case_id else set()
    ids |= set(session.scalars(select(Case.id).where(Case.origin_ticket_id == ticket.id)).all())
    if not ids:
        return []
    return list(session.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.id)).all())


# --- pauses and extensions --------------------------------------------------------------------


def _close_open_pause(session: Session, case: Case, *, now: datetime, actor: str) -> None:
    for pause in open_pauses(session, case):
        if pause.end_at is None:
            pause.end_at = max(now, pause.start_at + timedelta(microseconds=1))
            pause.ended_by = actor


def pause(session: Session, case: Case, *, now: datetime, actor: str, config: LoopConfig, reason: str) -> Case:
    """Stop the clock with a recorded reason (e.g. 等待员工补交材料)."""
    if case.status not in deadlines.OPEN_STATES:
        raise Conflict(
            "case_not_open",
            f"诉求当前处于“{CASE_STATE_LABELS_ZH[CaseState(case.status)]}”，无需暂停计时",
            "Only an open case's clock can be paused",
        )
    rows = open_pauses(session, case)
    sla.pause(deadlines.pauses_of(rows), reason=reason, at=now)  # the rules: reason, no overlap
    session.add(CasePause(case_id=case.id, reason=reason.strip(), start_at=now, started_by=actor))
    case.updated_at = now
    add_timeline(session, case, now=now, actor=actor, kind="pause", note=reason.strip())
    refresh_deadlines(session, case, config=config, now=now)
    emit_case_event(session, "case.updated", case, now=now, change="pause", paused=True)
    return case


def resume(session: Session, case: Case, *, now: datetime, actor: str, config: LoopConfig) -> Case:
    rows = open_pauses(session, case)
    sla.resume(deadlines.pauses_of(rows), at=now)
    current = rows[-1]
    current.end_at = now
    current.ended_by = actor
    case.updated_at = now
    paused_for = now - current.start_at
    add_timeline(
        session,
        case,
        now=now,
        actor=actor,
        kind="resume",
        note=current.reason,
        data={"paused_minutes": int(paused_for.total_seconds() // 60)},
    )
    refresh_deadlines(session, case, config=config, now=now)
    emit_case_event(session, "case.updated", case, now=now, change="resume", paused=False)
    return case


def extend(
    session: Session, case: Case, *, now: datetime, actor: str, config: LoopConfig, step: str, reason: str
) -> Case:
    """延期: one more extension of ``step``, if the policy allows it, with a written reason."""
    policy = policies.policy(session, case.sla_policy)
    if policy is None:
        raise Conflict("case_no_sla", "该类诉求没有时限规则，无需延期", "This case has no SLA policy")
    try:
        step_value = sla.SlaStep(step)
    except ValueError as exc:
        raise Invalid("sla_step_invalid", f"无效的时限步骤：{step}", f"Unknown SLA step: {step}") from exc
    if not deadlines.step_open(case, step_value):
        raise Conflict("sla_step_closed", "该步骤已经完成，不能延期", "That step is already done")
    granted = sla.extend(policy, step_value, deadlines.extensions_of(case, step_value), reason=reason, at=now)
    case.extensions = [
        *(case.extensions or []),
        {"step": step_value.value, "reason": granted[-1].reason, "at": now.isoformat(), "by": actor},
    ]
    case.updated_at = now
    before = getattr(case, deadlines.DUE_COLUMN[step_value])
    refresh_deadlines(session, case, config=config, now=now)
    after = getattr(case, deadlines.DUE_COLUMN[step_value])
    add_timeline(
        session,
        case,
        now=now,
        actor=actor,
        kind="extend",
        note=granted[-1].reason,
        data={
            "step": step_value.value,
            "due_before": before.isoformat() if before else None,
            "due_after": after.isoformat() if after else None,
        },
    )
    emit_case_event(session, "case.updated", case, now=now, change="extend", step=step_value.value)
    return case


# --- deliberation (议事) -----------------------------------------------------------------------


def open_deliberation(session: Session, case: Case) -> Deliberation | None:
    return session.scalar(
        select(Deliberation).where(Deliberation.case_id == case.id, Deliberation.status == "open").limit(1)
    )


def latest_deliberation(session: Session, case: Case) -> Deliberation | None:
    return session.scalar(
        select(Deliberation)
        .where(Deliberation.case_id == case.id, Deliberation.status != "withdrawn")
        .order_by(Deliberation.id.desc())
        .limit(1)
    )


def _require_deliberation(session: Session, case: Case) -> Deliberation:
    deliberation = open_deliberation(session, case)
    if deliberation is None:
        raise Conflict("case_no_deliberation", "这件诉求没有进行中的议事", "This case has no open deliberation")
    return deliberation


def _participant(deliberation: Deliberation, department: str) -> DeliberationParticipant:
    for participant in deliberation.participants:
        if participant.department == department.strip():
            return participant
    raise Invalid(
        "deliberation_department_unknown",
        f"“{department}”没有受邀参加这次议事",
        f"{department} is not invited to this deliberation",
    )


def invite(session: Session, case: Case, *, now: datetime, actor: str, departments: list[str]) -> Deliberation:
    deliberation = _require_deliberation(session, case)
    present = {p.department for p in deliberation.participants}
    added = [d for d in dict.fromkeys(d.strip() for d in departments if d.strip()) if d not in present]
    if not added:
        raise Invalid("deliberation_nobody_new", "这些部门已在议事中", "These departments are already invited")
    for department in added:
        deliberation.participants.append(
            DeliberationParticipant(department=department, invited_at=now, invited_by=actor)
        )
    case.departments = [*(case.departments or []), *added]
    case.updated_at = now
    add_timeline(session, case, now=now, actor=actor, kind="deliberation_invite", data={"departments": added})
    emit_case_event(session, "case.updated", case, now=now, change="deliberation_invite")
    return deliberation


def comment(
    session: Session, case: Case, *, now: datetime, actor: str, department: str, text: str, sign_off: bool = False
) -> Deliberation:
    """A department's comment (意见); with ``sign_off`` it also signs the deliberation off (会签)."""
    deliberation = _require_deliberation(session, case)
    participant = _participant(deliberation, department)
    body = _text(
        text,
        code="deliberation_comment_required",
        zh="请填写部门意见",
        en="The comment is empty",
        required=not sign_off,
    )
    if body:
        participant.comment = body
        participant.commented_at = now
        participant.commented_by = actor
    if sign_off:
        if participant.signed_off_at is not None:
            raise Conflict("deliberation_already_signed", "该部门已经会签", "This department has already signed off")
        participant.signed_off_at = now
        participant.signed_off_by = actor
    case.updated_at = now
    add_timeline(
        session,
        case,
        now=now,
        actor=actor,
        kind="deliberation_sign_off" if sign_off else "deliberation_comment",
        note=body,
        data={"department": participant.department},
    )
    emit_case_event(
        session, "case.updated", case, now=now, change="deliberation_sign_off" if sign_off else "deliberation_comment"
    )
    return deliberation


def decide(
    session: Session,
    case: Case,
    *,
    now: datetime,
    actor: str,
    config: LoopConfig,
    lead_department: str,
    conclusion: str,
) -> Deliberation:
    """议事结论: every invited department has signed off; the decision names the lead department."""
    deliberation = open_deliberation(session, case)
    if deliberation is None:
        # The lifecycle says why not (wrong state, or no 议事 open) in its own words.
        transition(
            snapshot_of(case),
            CaseAction.CONCLUDE_DELIBERATION,
            actor,
            now,
            None,
            **_conclusion(lead_department, conclusion),
        )
        deliberation = _require_deliberation(session, case)
    missing = [p.department for p in deliberation.participants if p.signed_off_at is None]
    if missing:
        raise Conflict(
            "deliberation_not_signed_off",
            f"还有部门未会签：{'、'.join(missing)}",
            f"Not every department has signed off: {', '.join(missing)}",
            details={"departments": missing},
        )
    participants = [
        {
            "department": p.department,
            "signed_off_at": p.signed_off_at.isoformat() if p.signed_off_at else None,
            "signed_off_by": p.signed_off_by,
            "comment": p.comment,
        }
        for p in deliberation.participants
    ]
    apply_action(
        session,
        case,
        CaseAction.CONCLUDE_DELIBERATION,
        now=now,
        actor=actor,
        config=config,
        timeline_data={"participants": participants},
        lead_department=lead_department,
        conclusion=conclusion,
    )
    deliberation.status = "decided"
    deliberation.decided_at = now
    deliberation.decided_by = actor
    deliberation.lead_department = case.department
    deliberation.decision = conclusion.strip()
    emit_case_event(session, "case.updated", case, now=now, change="conclude_deliberation")
    return deliberation


def _conclusion(lead_department: str, conclusion: str) -> dict[str, Any]:
    return {"lead_department": lead_department, "conclusion": conclusion}


def deliberation_out(deliberation: Deliberation) -> dict[str, Any]:
    return {
        "id": deliberation.id,
        "status": deliberation.status,
        "opened_at": deliberation.opened_at.isoformat(),
        "decided_at": deliberation.decided_at.isoformat() if deliberation.decided_at else None,
        "decided_by": deliberation.decided_by,
        "lead_department": deliberation.lead_department,
        "decision": deliberation.decision,
        "participants": [
            {
                "department": p.department,
                "comment": p.comment,
                "commented_at": p.commented_at.isoformat() if p.commented_at else None,
                "signed_off": p.signed_off_at is not None,
                "signed_off_at": p.signed_off_at.isoformat() if p.signed_off_at else None,
                "signed_off_by": p.signed_off_by,
            }
            for p in deliberation.participants
        ],
    }


# --- publication (阳光办理, 案例专栏) ----------------------------------------------------------------


def is_public(case: Case, category: Category | None = None) -> bool:
    """May the case appear on the public board? Not when confidential, private, or of a private category."""
    category = category or case.category
    return not case.confidential and not case.private and category.code not in PRIVATE_CATEGORIES


_PHONE = re.compile(r"1[3-9]\d{9}")


def _identifying_bits(session: Session, case: Case) -> list[str]:
    if case.employee_id is None:
        return []
    employee = session.get(Employee, case.employee_id)
    if employee is None:
        return []
    bits = [employee.name, employee.employee_no, employee.phone or ""]
    if len(employee.name) >= 3:  # a two-character given name is distinctive; a one-character one is not
        bits.append(employee.name[1:])
    return [b for b in bits if b and len(b) >= 2]


def request_publication(
    session: Session, case: Case, *, now: datetime, actor: str, title: str, summary: str
) -> ShowcaseEntry:
    """A handler proposes an anonymised summary for the 案例专栏; a supervisor approves it."""
    if case.status not in deadlines.ANSWERED_STATES:
        raise Conflict(
            "showcase_case_not_answered", "诉求答复后才能发布到案例专栏", "Only answered cases can be published"
        )
    if not is_public(case):
        raise Conflict(
            "showcase_not_public",
            "保密或不公开的诉求不能发布到案例专栏",
            "Confidential or private cases are never published",
        )
    title = _text(title, code="showcase_title_required", zh="请填写标题", en="The title is empty")[:100]
    summary = _text(summary, code="showcase_summary_required", zh="请填写案例摘要", en="The summary is empty")
    leaks = [bit for bit in _identifying_bits(session, case) if bit in title or bit in summary]
    if leaks or _PHONE.search(title + summary):
        raise Invalid(
            "showcase_not_anonymous",
            "案例摘要中含有员工姓名、工号或电话，请匿名处理后再提交",
            "The summary names the employee (name, staff number or phone); anonymise it first",
        )
    entry = session.scalar(select(ShowcaseEntry).where(ShowcaseEntry.case_id == case.id))
    if entry is not None and entry.status == "approved":
        raise Conflict("showcase_already_published", "该案例已经发布", "This case is already published")
    if entry is None:
        entry = ShowcaseEntry(case_id=case.id, center_id=case.center_id, category_id=case.category_id)
        session.add(entry)
    entry.title = title
    entry.summary = summary
    entry.status = "requested"
    entry.requested_by = actor
    entry.requested_at = now
    entry.decided_by = entry.decided_at = entry.decision_note = None
    case.updated_at = now
    add_timeline(session, case, now=now, actor=actor, kind="showcase_request", note=title)
    emit_case_event(session, "case.updated", case, now=now, change="showcase_request")
    return entry


def decide_publication(
    session: Session, case: Case, *, now: datetime, actor: str, approve: bool, note: str | None
) -> ShowcaseEntry:
    entry = session.scalar(select(ShowcaseEntry).where(ShowcaseEntry.case_id == case.id))
    if entry is None or entry.status != "requested":
        raise Conflict("showcase_not_requested", "没有待审核的案例发布申请", "No publication request is waiting")
    if not is_public(case):  # made confidential since the request
        raise Conflict(
            "showcase_not_public", "保密或不公开的诉求不能发布", "Confidential or private cases are never published"
        )
    entry.status = "approved" if approve else "rejected"
    entry.decided_by = actor
    entry.decided_at = now
    entry.decision_note = (note or "").strip() or None
    case.updated_at = now
    add_timeline(
        session,
        case,
        now=now,
        actor=actor,
        kind="showcase_decision",
        note=entry.decision_note or "",
        data={"approved": approve},
    )
    emit_case_event(session, "case.updated", case, now=now, change="showcase_decision", published=approve)
    return entry


def showcase_out(entry: ShowcaseEntry, category: Category, *, internal: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": entry.id,
        "title": entry.title,
        "summary": entry.summary,
        "category": category.code,
        "category_name": category.name_zh,
        "published_at": entry.decided_at.isoformat() if entry.decided_at and entry.status == "approved" else None,
    }
    if internal:
        out |= {
            "case_id": entry.case_id,
            "status": entry.status,
            "requested_by": entry.requested_by,
            "requested_at": entry.requested_at.isoformat(),
            "decided_by": entry.decided_by,
            "decision_note": entry.decision_note,
        }
    return out


def public_showcase(session: Session, center: Center, limit: int = 50) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ShowcaseEntry, Category, Case)
        .join(Category, Category.id == ShowcaseEntry.category_id)
        .join(Case, Case.id == ShowcaseEntry.case_id)
        .where(ShowcaseEntry.center_id == center.id, ShowcaseEntry.status == "approved")
        .order_by(ShowcaseEntry.decided_at.desc())
        .limit(limit)
    ).all()
    # A case made confidential after publication disappears at once.
    return [showcase_out(entry, category) for entry, category, case in rows if is_public(case, category)]


def set_visibility(
    session: Session, case: Case, *, now: datetime, actor: str, confidential: bool | None, private: bool | None
) -> Case:
    before = {"confidential": case.confidential, "private": bool(case.private)}
    if confidential is not None:
        case.confidential = confidential
    if private is not None:
        case.private = private
    after = {"confidential": case.confidential, "private": bool(case.private)}
    if after != before:
        case.updated_at = now
        add_timeline(session, case, now=now, actor=actor, kind="visibility", data=after)
        emit_case_event(session, "case.updated", case, now=now, change="visibility")
    return case


# --- 合理化建议: adoption ------------------------------------------------------------------------------


def set_adoption(
    session: Session, case: Case, *, now: datetime, actor: str, status: str, reward_note: str | None
) -> Case:
    if case.category.code != SUGGESTION_CATEGORY:
        raise Conflict(
            "adoption_not_a_suggestion",
            "只有合理化建议才有采纳情况",
            "Only 合理化建议 suggestions have an adoption status",
        )
    if status not in ADOPTION_LABELS_ZH:
        raise Invalid(
            "adoption_status_invalid",
            f"采纳情况应为：{'、'.join(ADOPTION_LABELS_ZH.values())}",
            f"Adoption status must be one of {', '.join(ADOPTION_LABELS_ZH)}",
        )
    note = _text(reward_note, code="reward_note_invalid", zh="", en="", required=False) or None
    case.adoption_status = status
    case.reward_note = note
    case.updated_at = now
    add_timeline(
        session, case, now=now, actor=actor, kind="adoption", note=note or "", data={"adoption_status": status}
    )
    emit_case_event(session, "case.updated", case, now=now, change="adoption", adoption_status=status)
    return case


# --- notes ------------------------------------------------------------------------------------


def add_note(session: Session, case: Case, *, now: datetime, actor: str, note: str) -> CaseTimeline:
    case.updated_at = now
    row = add_timeline(session, case, now=now, actor=actor, kind="note", note=note)
    emit_case_event(session, "case.updated", case, now=now, change="note")
    return row


# --- lists ------------------------------------------------------------------------------------


def overdue_cases(
    session: Session, *, center_id: int, now: datetime, department: str | None = None, limit: int = 100
) -> list[Case]:
    """督办 list: open, unpaused cases past a due time, most overdue first (indexed on center, due_at)."""
    query = select(Case).where(Case.center_id == center_id, Case.due_at.is_not(None), Case.due_at <= now)
    if department:
        query = query.where(Case.department == department)
    return list(session.scalars(query.order_by(Case.due_at).limit(limit)).all())


def employee_cases(session: Session, *, employee_id: int, limit: int = 50) -> list[Case]:
    """One person's cases, newest first (indexed on employee, created_at)."""
    return list(
        session.scalars(
            select(Case).where(Case.employee_id == employee_id).order_by(Case.created_at.desc()).limit(limit)
        ).all()
    )


def list_cases(
    session: Session,
    *,
    center_id: int | None,
    status: str | None = None,
    assignee_id: int | None = None,
    department: str | None = None,
    limit: int = 100,
) -> list[Case]:
    query = select(Case)
    if center_id is not None:
        query = query.where(Case.center_id == center_id)
    if status:
        query = query.where(Case.status == status)
    if assignee_id is not None:
        query = query.where(Case.assignee_id == assignee_id)
    if department:
        query = query.where(Case.department == department)
    return list(session.scalars(query.order_by(Case.updated_at.desc(), Case.id.desc()).limit(limit)).all())


# --- output -----------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def working_days_left(case: Case, now: datetime) -> int | None:
    """Whole working days until the current step's due time (see ``sla.working_days_left``); None
    while paused, without a due time, or when the days lie outside the holiday data."""
    if case.due_at is None or case.paused:
        return None
    try:
        return sla.working_days_left(case.due_at, now, policies.calendar_for(case.center.timezone))
    except SuqiuError:
        return None


def case_out(case: Case, *, with_timeline: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """The case as officers see it (cheap: no extra queries but its center's, for lists and histories).

    ``now`` is the request's clock, for the working days left (the wall clock when not given).
    """
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
        "private": bool(case.private),
        "outcome": case.outcome,
        "origin_ticket_id": case.origin_ticket_id,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
        "departments": list(case.departments or []),
        "department": case.department,
        "responsible": case.responsible,
        "assignee_id": case.assignee_id,
        "deliberation_open": bool(case.deliberation_open),
        "reply": case.reply or "",
        "answer_outcome": case.answer_outcome,
        "rating": (
            {
                "score": case.rating_score,
                "comment": case.rating_comment,
                "channel": case.rating_channel,
                "channel_label": RATING_CHANNELS.get(case.rating_channel or "", ""),
                "at": _iso(case.rated_at),
            }
            if case.rating_score is not None
            else None
        ),
        "reopen_count": case.reopen_count or 0,
        "review_requested": bool(case.review_requested),
        "due_at": _iso(case.due_at),
        "due_step": case.due_step,
        "due_step_label": sla.SLA_STEP_LABELS_ZH[sla.SlaStep(case.due_step)] if case.due_step else None,
        "paused": bool(case.paused),
        "remaining_working_days": working_days_left(case, now or utcnow()),
        "due_provisional": bool(case.due_provisional) and case.due_at is not None,
        "overdue_since": _iso(case.breached_at),
        "is_repeat": bool(case.is_repeat),
        "adoption_status": case.adoption_status,
        "adoption_label": ADOPTION_LABELS_ZH.get(case.adoption_status or ""),
        "reward_note": case.reward_note,
        "allowed_actions": [a.value for a in allowed_actions(snapshot_of(case))],
    }
    if with_timeline:
        out["timeline"] = [
            {
                "at": t.at.isoformat(),
                "actor": t.actor,
                "kind": t.kind,
                "kind_label": TIMELINE_LABELS_ZH.get(t.kind, t.kind),
                "from": t.from_status,
                "to": t.to_status,
                "note": t.note,
                "data": t.data or {},
            }
            for t in case.timeline
        ]
    return out


TIMELINE_LABELS_ZH = {
    "created": "受理登记",
    "note": "备注",
    "handover": "转交",
    "status": "状态变更",
    "repeat": "重复诉求",
    "pause": "暂停计时",
    "resume": "恢复计时",
    "extend": "延期",
    "deliberation_invite": "邀请部门议事",
    "deliberation_comment": "部门意见",
    "deliberation_sign_off": "部门会签",
    "showcase_request": "申请发布案例",
    "showcase_decision": "案例发布审核",
    "adoption": "建议采纳情况",
    "visibility": "公开设置",
    "supervision": "督办",
    "calendar": "时限重算",
    **{a.value: label for a, label in CASE_ACTION_LABELS_ZH.items()},
}


def case_detail(session: Session, case: Case, *, now: datetime) -> dict[str, Any]:
    """Everything the case view shows: the case, its clocks, pauses, 议事, repeats, publication."""
    session.refresh(case)
    out = case_out(case, with_timeline=True, now=now)
    clock = clock_of(session, case)
    steps = []
    if clock is not None:
        for step in deadlines.STEP_ORDER:
            if step not in clock.policy.steps:
                continue
            state = clock.deadline(step, now)
            clock.due(step)  # whether the due time needs the provisional holiday years
            steps.append(
                {
                    "step": step.value,
                    "label": sla.SLA_STEP_LABELS_ZH[step],
                    "limit": clock.policy.steps[step].label_zh,
                    "open": deadlines.step_open(case, step),
                    "due_at": _iso(getattr(case, deadlines.DUE_COLUMN[step])),
                    "due_provisional": step in clock.provisional,
                    "fraction_elapsed": round(state.fraction_elapsed, 3) if state else None,
                    "overdue": bool(state and state.is_breached and deadlines.step_open(case, step)),
                    "extensions": [e for e in (case.extensions or []) if e.get("step") == step.value],
                    "can_extend": clock.policy.steps[step].extension is not None,
                }
            )
    out["sla"] = {
        "policy": case.sla_policy,
        "policy_name": clock.policy.name if clock else None,
        "steps": steps,
        "pauses": [
            {
                "reason": p.reason,
                "start_at": p.start_at.isoformat(),
                "end_at": _iso(p.end_at),
                "started_by": p.started_by,
                "ended_by": p.ended_by,
            }
            for p in open_pauses(session, case)
        ],
    }
    deliberation = latest_deliberation(session, case)
    out["deliberation"] = deliberation_out(deliberation) if deliberation else None
    out["repeats"] = repeats_of(session, case)
    entry = session.scalar(select(ShowcaseEntry).where(ShowcaseEntry.case_id == case.id))
    out["showcase"] = showcase_out(entry, case.category, internal=True) if entry else None
    out["public"] = is_public(case)
    return out


def rating_view(case: Case) -> dict[str, Any]:
    """What a receipt's token shows before rating: no text, no person (a photographed QR code leaks nothing)."""
    return {
        "case_id": case.id,
        "reference": case.reference,
        "category_name": case.category.name_zh,
        "status": case.status,
        "status_label": CASE_STATE_LABELS_ZH[CaseState(case.status)],
        "answered_at": _iso(case.answered_at),
        "can_rate": case.status == CaseState.ANSWERED.value,
        "rated": case.rating_score is not None,
    }


def is_urgent(category: Category) -> bool:
    return category.default_lane in URGENT_LANES


def supervisors_of_center(session: Session, center_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User).where(User.center_id == center_id, User.role == Role.SUPERVISOR.value, User.active.is_(True))
        ).all()
    )
