"""After new holiday data: recompute the deadlines that depended on the provisional years.

Deadlines reaching past the last State Council notice are computed with the provisional years
(the statutory holidays, without the notice's 调休) and flagged ``due_provisional``. The notice for
the next year comes with a release; the first supervision pass after it (``run_jobs``, under the
single-runner lock: ``suqiu supervise`` or the server's scheduler) sees that the data's fingerprint
differs from the one stored in ``calendar_state`` and recomputes those cases — and the ones that had
no computable deadline at all — writing a timeline row and a ``case.updated`` event for each case
whose due time moved. ``suqiu calendar refresh`` does the same by hand (``--all``: every open case,
e.g. after a notice was amended during its year).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from suqiu_queue.domain.errors import SuqiuError

from . import deadlines, policies
from .config import LoopConfig
from .models import CalendarState, Case, CasePause
from .service import add_timeline, emit_case_event

log = logging.getLogger(__name__)

DATA_NAME = "cn_holidays"
BATCH = 500


@dataclass
class CalendarUpdate:
    changed: bool  # the data differed from the one the stored deadlines were computed with
    fingerprint: str
    checked: int = 0  # cases recomputed
    moved: int = 0  # of which the due time changed


def _utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def stored_fingerprint(session: Session) -> str | None:
    state = session.get(CalendarState, DATA_NAME)
    return state.fingerprint if state is not None else None


def refresh_if_changed(sessions: sessionmaker[Session], *, now: datetime, config: LoopConfig) -> CalendarUpdate:
    """Recompute the provisional deadlines when the holiday data is not the one last applied."""
    current = policies.calendar_fingerprint()
    with sessions() as session:
        if stored_fingerprint(session) == current:
            return CalendarUpdate(changed=False, fingerprint=current)
    return recompute(sessions, now=now, config=config)


def _candidates(everything: bool):  # type: ignore[no-untyped-def]
    query = select(Case.id).where(Case.status.in_(deadlines.OPEN_STATES))
    if not everything:
        no_deadline = and_(Case.due_at.is_(None), Case.due_step.is_not(None), Case.paused.is_(False))
        query = query.where(or_(Case.due_provisional.is_(True), no_deadline))
    return query.order_by(Case.id)


def recompute(
    sessions: sessionmaker[Session], *, now: datetime, config: LoopConfig, everything: bool = False
) -> CalendarUpdate:
    """Recompute open cases' deadlines with the current data: the provisional and uncomputable ones,
    or ``everything``. Each batch is its own transaction; the data's fingerprint is stored last."""
    current = policies.calendar_fingerprint()
    result = CalendarUpdate(changed=True, fingerprint=current)
    with sessions() as session:
        ids = list(session.scalars(_candidates(everything)))
    for start in range(0, len(ids), BATCH):
        with sessions() as session, session.begin():
            result.checked, result.moved = _recompute_batch(session, ids[start : start + BATCH], now, config, result)
    with sessions() as session, session.begin():
        state = session.get(CalendarState, DATA_NAME) or CalendarState(name=DATA_NAME)
        calendar = policies.calendar_for("Asia/Shanghai")
        state.fingerprint = current
        state.last_year = calendar.last_year
        state.provisional_until = calendar.provisional_until
        state.applied_at = now
        session.add(state)
    if result.checked:
        log.info("holiday data %s: recomputed %d deadlines, %d moved", current, result.checked, result.moved)
    return result


def _recompute_batch(
    session: Session, ids: list[int], now: datetime, config: LoopConfig, result: CalendarUpdate
) -> tuple[int, int]:
    query = select(Case).where(Case.id.in_(ids)).order_by(Case.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Case)  # an officer's change to the same case waits for us
    cases = list(session.scalars(query))
    pauses: dict[int, list[CasePause]] = {}
    for pause in session.scalars(select(CasePause).where(CasePause.case_id.in_(ids)).order_by(CasePause.start_at)):
        pauses.setdefault(pause.case_id, []).append(pause)
    all_policies = policies.all_policies(session)
    checked, moved = result.checked, result.moved
    for case in cases:
        policy = all_policies.get(case.sla_policy or "")
        clock = (
            deadlines.CaseClock(case, policy, policies.calendar_for(case.center.timezone), pauses.get(case.id, []))
            if policy is not None
            else None
        )
        before = (case.due_at, bool(case.due_provisional))
        try:
            deadlines.refresh(case, clock, ladder=config.ladder, now=now)
        except SuqiuError as exc:  # stored data the rules now refuse: leave the case as it was
            log.warning("case %s: deadlines not recomputed: %s", case.id, exc.message_en)
            continue
        checked += 1
        if (case.due_at, bool(case.due_provisional)) == before:
            continue
        moved += 1
        case.updated_at = now
        add_timeline(
            session,
            case,
            now=now,
            actor="system:calendar",
            kind="calendar",
            note="节假日安排更新，时限已重新计算",
            data={
                "due_before": _utc(before[0]),
                "due_after": _utc(case.due_at),
                "provisional": bool(case.due_provisional),
            },
        )
        emit_case_event(session, "case.updated", case, now=now, change="calendar")
    return checked, moved
