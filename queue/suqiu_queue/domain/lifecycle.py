"""The closed loop of a case: 受理 → 分流 → 办理 → 反馈 → 评价 → 归档, as a table and one function.

Every state change of a case goes through :func:`transition`. It takes a snapshot of the case (the
few fields the rules look at), the action, who does it, when and why, plus the action's data, and
returns the new state, the field changes to store, and the timeline row to write — or refuses
with :class:`~.errors.Conflict` (the move is not allowed now) or :class:`~.errors.Invalid` (the
move is allowed but its data is missing or wrong). Nothing is written here; the server applies
the result in one transaction with its event and audit rows.

The rules are data: :data:`TRANSITIONS` lists each action with the states it may start from, the
state it leads to, the data it needs, and any extra condition ("guard"). The tests walk every
(state, action) pair against this table.

Where the loop bends:

* 分流 to several departments opens a 议事 (deliberation): handling cannot start until the
  deliberation is concluded with a lead department (``conclude_deliberation``).
* 反馈 can come straight from 受理 when the officer answers on the spot (当场答复), as most policy
  questions are; for what cannot be solved, the reply is the explanation (``outcome="explained"``).
* From 评价, an unsatisfied employee (score 1–2) may have the case reopened (back to 办理, counted),
  at most :data:`MAX_REOPENINGS` times; after that — or at any time instead — the case is escalated
  to the 民事民议 review (back to 办理 with ``review_requested`` set).
* 归档 from 反馈 without a rating (the employee never rated) or after an unsatisfied rating needs a
  reason, so the archive shows why the loop closed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from .enums import CASE_STATE_LABELS_ZH, CaseState
from .errors import Conflict, Invalid

MAX_REOPENINGS = 2  # then only the 民事民议 review can take the case further
UNSATISFIED_MAX_SCORE = 2  # 1–2 of 5: 不满意; 3: 基本满意; 4–5: 满意
MAX_TEXT = 4000  # a reply or reason longer than this is a paste accident, not a message


class CaseAction(StrEnum):
    ROUTE = "route"  # 分流 (also re-route / 转办)
    CONCLUDE_DELIBERATION = "conclude_deliberation"  # 议事结论
    START = "start"  # 开始办理
    ANSWER = "answer"  # 反馈答复
    RATE = "rate"  # 评价
    REOPEN = "reopen"  # 重新办理
    ESCALATE = "escalate"  # 提请民事民议
    ARCHIVE = "archive"  # 归档


CASE_ACTION_LABELS_ZH: dict[CaseAction, str] = {
    CaseAction.ROUTE: "分流",
    CaseAction.CONCLUDE_DELIBERATION: "议事结论",
    CaseAction.START: "开始办理",
    CaseAction.ANSWER: "反馈答复",
    CaseAction.RATE: "评价",
    CaseAction.REOPEN: "重新办理",
    CaseAction.ESCALATE: "提请民事民议",
    CaseAction.ARCHIVE: "归档",
}


class AnswerOutcome(StrEnum):
    RESOLVED = "resolved"  # 已解决
    EXPLAINED = "explained"  # 无法解决，已解释说明


@dataclass(frozen=True)
class CaseSnapshot:
    """The fields of a case the lifecycle rules look at."""

    state: CaseState
    departments: tuple[str, ...] = ()
    responsible: str | None = None
    deliberation_open: bool = False
    reopen_count: int = 0
    review_requested: bool = False
    last_score: int | None = None  # the latest rating, None until rated (reset on reopening)
    last_changed_at: datetime | None = None


@dataclass(frozen=True)
class TimelineEntry:
    """One row of the case's timeline: who did what, when, why, and with which data."""

    action: CaseAction
    from_state: CaseState
    to_state: CaseState
    actor: str
    at: datetime
    reason: str | None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def summary_zh(self) -> str:
        moved = (
            f"{CASE_STATE_LABELS_ZH[self.from_state]} → {CASE_STATE_LABELS_ZH[self.to_state]}"
            if self.from_state != self.to_state
            else CASE_STATE_LABELS_ZH[self.to_state]
        )
        return f"{CASE_ACTION_LABELS_ZH[self.action]}（{moved}）"


@dataclass(frozen=True)
class TransitionResult:
    state: CaseState
    changes: Mapping[str, Any]  # case fields to store, state and per-state timestamp included
    timeline: TimelineEntry
    snapshot: CaseSnapshot  # the case as it is after the change (handy for chaining and tests)


# ----- data checks -------------------------------------------------------------------------------


def _text(data: Mapping[str, Any], key: str, *, code: str, zh: str, en: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(code, zh, en)
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise Invalid(
            "case_text_too_long", f"内容过长（最多 {MAX_TEXT} 字）", f"Text too long (max {MAX_TEXT} characters)"
        )
    return value


def _departments(data: Mapping[str, Any]) -> tuple[str, ...]:
    raw = data.get("departments")
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list | tuple) or not raw or not all(isinstance(d, str) and d.strip() for d in raw):
        raise Invalid("case_department_required", "分流必须指定承办部门", "Routing needs at least one department")
    departments = tuple(dict.fromkeys(d.strip() for d in raw))  # keeps order, drops repeats
    return departments


@dataclass(frozen=True)
class _Prepared:
    """What an action's data turned into: timeline data and case-field changes."""

    data: dict[str, Any]
    changes: dict[str, Any]


def _prepare_route(case: CaseSnapshot, data: Mapping[str, Any]) -> _Prepared:
    departments = _departments(data)
    responsible = _text(
        data,
        "responsible",
        code="case_responsible_required",
        zh="分流必须指定责任人",
        en="Routing needs a responsible person",
    )
    deliberation = len(departments) > 1
    return _Prepared(
        data={"departments": list(departments), "responsible": responsible, "deliberation": deliberation},
        changes={
            "departments": departments,
            "responsible": responsible,
            "deliberation_open": deliberation,
            "lead_department": None if deliberation else departments[0],
        },
    )


def _prepare_conclude(case: CaseSnapshot, data: Mapping[str, Any]) -> _Prepared:
    lead = _text(
        data,
        "lead_department",
        code="case_lead_department_required",
        zh="议事结论必须指定牵头部门",
        en="The deliberation outcome needs a lead department",
    )
    if lead not in case.departments:
        raise Invalid(
            "case_lead_department_unknown",
            f"牵头部门必须是参与议事的部门之一：{lead}",
            f"The lead department must be one of the deliberating departments: {lead}",
        )
    conclusion = _text(
        data,
        "conclusion",
        code="case_conclusion_required",
        zh="请填写议事结论",
        en="The deliberation needs a written conclusion",
    )
    return _Prepared(
        data={"lead_department": lead, "conclusion": conclusion},
        changes={"deliberation_open": False, "lead_department": lead},
    )


def _prepare_answer(case: CaseSnapshot, data: Mapping[str, Any]) -> _Prepared:
    reply = _text(
        data,
        "reply",
        code="case_reply_required",
        zh="反馈必须填写答复内容（无法解决的，写明解释说明）",
        en="An answer needs the reply text (for what cannot be solved, the explanation)",
    )
    try:
        outcome = AnswerOutcome(data.get("outcome", AnswerOutcome.RESOLVED))
    except ValueError as exc:
        raise Invalid(
            "case_outcome_invalid",
            "办理结果应为“已解决”或“已解释说明”",
            "Outcome must be 'resolved' or 'explained'",
        ) from exc
    return _Prepared(data={"reply": reply, "outcome": outcome.value}, changes={"reply": reply, "outcome": outcome})


def _prepare_rate(case: CaseSnapshot, data: Mapping[str, Any]) -> _Prepared:
    score = data.get("score")
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise Invalid("case_score_invalid", "评价请选择 1 到 5 分", "A rating needs a score from 1 to 5")
    comment = data.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise Invalid("case_comment_invalid", "评价意见应为文字", "The rating comment must be text")
    comment = (comment or "").strip()[:MAX_TEXT] or None
    return _Prepared(
        data={"score": score, "comment": comment, "satisfied": score > UNSATISFIED_MAX_SCORE},
        changes={"last_score": score, "rating_comment": comment},
    )


def _prepare_reopen(case: CaseSnapshot, data: Mapping[str, Any]) -> _Prepared:
    count = case.reopen_count + 1
    return _Prepared(data={"reopen_count": count}, changes={"reopen_count": count, "last_score": None})


def _prepare_escalate(case: CaseSnapshot, data: Mapping[str, Any]) -> _Prepared:
    return _Prepared(data={"review": "民事民议"}, changes={"review_requested": True, "last_score": None})


def _prepare_nothing(case: CaseSnapshot, data: Mapping[str, Any]) -> _Prepared:
    return _Prepared(data={}, changes={})


# ----- guards: conditions beyond the state ------------------------------------------------------


def _unsatisfied(case: CaseSnapshot) -> bool:
    return case.last_score is not None and case.last_score <= UNSATISFIED_MAX_SCORE


def _guard_start(case: CaseSnapshot) -> None:
    if case.deliberation_open:
        raise Conflict(
            "case_deliberation_open",
            "多部门议事尚未形成结论，不能开始办理",
            "The departments' deliberation has no conclusion yet; handling cannot start",
        )


def _guard_conclude(case: CaseSnapshot) -> None:
    if not case.deliberation_open:
        raise Conflict("case_no_deliberation", "这件诉求没有进行中的议事", "This case has no open deliberation")


def _guard_reopen(case: CaseSnapshot) -> None:
    if not _unsatisfied(case):
        raise Conflict(
            "case_not_unsatisfied",
            "只有员工表示不满意时才能重新办理",
            "A case is reopened only when the employee is unsatisfied",
        )
    if case.reopen_count >= MAX_REOPENINGS:
        raise Conflict(
            "case_reopen_limit",
            f"已重新办理 {case.reopen_count} 次，请提请民事民议评议",
            f"Already reopened {case.reopen_count} times; escalate to the 民事民议 review instead",
            details={"max_reopenings": MAX_REOPENINGS},
        )


def _guard_escalate(case: CaseSnapshot) -> None:
    if not _unsatisfied(case):
        raise Conflict(
            "case_not_unsatisfied",
            "只有员工表示不满意时才能提请民事民议",
            "Only an unsatisfied employee's case is escalated to the 民事民议 review",
        )
    if case.review_requested:
        raise Conflict(
            "case_review_already_requested",
            "这件诉求已经提请过民事民议评议",
            "This case has already been escalated to the 民事民议 review",
        )


def _archive_needs_reason(case: CaseSnapshot) -> bool:
    # Archiving a happy, rated case is routine; archiving an unrated or unhappy one needs a why.
    return case.state is CaseState.ANSWERED or _unsatisfied(case)


def _reroute_needs_reason(case: CaseSnapshot) -> bool:
    return case.state is not CaseState.ACCEPTED  # 转办: say why the first department was wrong


# ----- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    action: CaseAction
    sources: frozenset[CaseState]
    target: CaseState
    fields: frozenset[str]  # the data keys the action accepts
    prepare: Callable[[CaseSnapshot, Mapping[str, Any]], _Prepared]
    reason_required: Callable[[CaseSnapshot], bool] = lambda case: False
    guard: Callable[[CaseSnapshot], None] = lambda case: None


_S = CaseState
TRANSITIONS: Mapping[CaseAction, Transition] = {
    t.action: t
    for t in (
        Transition(
            CaseAction.ROUTE,
            frozenset({_S.ACCEPTED, _S.ROUTED, _S.IN_PROGRESS}),
            _S.ROUTED,
            frozenset({"departments", "responsible"}),
            _prepare_route,
            reason_required=_reroute_needs_reason,
        ),
        Transition(
            CaseAction.CONCLUDE_DELIBERATION,
            frozenset({_S.ROUTED}),
            _S.ROUTED,
            frozenset({"lead_department", "conclusion"}),
            _prepare_conclude,
            guard=_guard_conclude,
        ),
        Transition(
            CaseAction.START, frozenset({_S.ROUTED}), _S.IN_PROGRESS, frozenset(), _prepare_nothing, guard=_guard_start
        ),
        Transition(
            CaseAction.ANSWER,
            frozenset({_S.ACCEPTED, _S.IN_PROGRESS}),
            _S.ANSWERED,
            frozenset({"reply", "outcome"}),
            _prepare_answer,
        ),
        Transition(CaseAction.RATE, frozenset({_S.ANSWERED}), _S.RATED, frozenset({"score", "comment"}), _prepare_rate),
        Transition(
            CaseAction.REOPEN,
            frozenset({_S.RATED}),
            _S.IN_PROGRESS,
            frozenset(),
            _prepare_reopen,
            reason_required=lambda case: True,
            guard=_guard_reopen,
        ),
        Transition(
            CaseAction.ESCALATE,
            frozenset({_S.RATED}),
            _S.IN_PROGRESS,
            frozenset(),
            _prepare_escalate,
            reason_required=lambda case: True,
            guard=_guard_escalate,
        ),
        Transition(
            CaseAction.ARCHIVE,
            frozenset({_S.ANSWERED, _S.RATED}),
            _S.ARCHIVED,
            frozenset(),
            _prepare_nothing,
            reason_required=_archive_needs_reason,
        ),
    )
}

# The timestamp column each state sets when it is entered (a timestamp per state, as Dispatch keeps).
STATE_TIMESTAMP: Mapping[CaseState, str] = {
    _S.ACCEPTED: "accepted_at",
    _S.ROUTED: "routed_at",
    _S.IN_PROGRESS: "in_progress_at",
    _S.ANSWERED: "answered_at",
    _S.RATED: "rated_at",
    _S.ARCHIVED: "archived_at",
}

ALLOWED: frozenset[tuple[CaseState, CaseAction]] = frozenset(
    (state, t.action) for t in TRANSITIONS.values() for state in t.sources
)


def allowed_actions(case: CaseSnapshot) -> list[CaseAction]:
    """The actions possible on this case now (state and guards), in table order — for the UI's buttons."""
    result = []
    for t in TRANSITIONS.values():
        if case.state not in t.sources:
            continue
        try:
            t.guard(case)
        except Conflict:
            continue
        result.append(t.action)
    return result


def transition(
    case: CaseSnapshot,
    action: CaseAction | str,
    actor: str,
    at: datetime,
    reason: str | None = None,
    **data: Any,
) -> TransitionResult:
    """Apply ``action`` to ``case``: the new state, the changes to store and the timeline row."""
    try:
        act = CaseAction(action)
    except ValueError as exc:
        raise Invalid("case_action_unknown", f"未知的操作：{action}", f"Unknown case action: {action}") from exc
    rule = TRANSITIONS[act]
    if case.state not in rule.sources:
        if case.state is CaseState.ARCHIVED:
            raise Conflict(
                "case_archived",
                "诉求已归档，不能再变更",
                "The case is archived and cannot change any more",
                details={"state": case.state.value, "action": act.value},
            )
        raise Conflict(
            "case_transition_forbidden",
            f"诉求当前处于“{CASE_STATE_LABELS_ZH[case.state]}”，不能执行“{CASE_ACTION_LABELS_ZH[act]}”",
            f"A case in state '{case.state.value}' cannot take the action '{act.value}'",
            details={"state": case.state.value, "action": act.value},
        )
    rule.guard(case)

    if not isinstance(actor, str) or not actor.strip():
        raise Invalid("case_actor_required", "必须记录操作人", "Every case change needs the person who made it")
    if at.tzinfo is None or at.utcoffset() is None:
        raise Invalid("naive_datetime", "操作时间缺少时区信息", f"Action time has no time zone: {at.isoformat()}")
    if case.last_changed_at is not None and at < case.last_changed_at:
        raise Invalid(
            "case_time_backwards",
            "操作时间早于这件诉求的上一次变更",
            "The action is dated before the case's previous change",
        )
    unknown = sorted(set(data) - rule.fields)
    if unknown:
        raise Invalid(
            "case_unknown_field",
            f"“{CASE_ACTION_LABELS_ZH[act]}”不接受这些内容：{', '.join(unknown)}",
            f"The action '{act.value}' does not take: {', '.join(unknown)}",
        )
    why = reason.strip() if isinstance(reason, str) else None
    why = why or None
    if why is None and rule.reason_required(case):
        raise Invalid(
            "case_reason_required",
            f"“{CASE_ACTION_LABELS_ZH[act]}”必须写明原因",
            f"The action '{act.value}' needs a reason",
        )
    if why is not None and len(why) > MAX_TEXT:
        raise Invalid(
            "case_text_too_long", f"内容过长（最多 {MAX_TEXT} 字）", f"Text too long (max {MAX_TEXT} characters)"
        )

    prepared = rule.prepare(case, data)
    changes: dict[str, Any] = {"state": rule.target, **prepared.changes}
    if rule.target is not case.state:
        changes[STATE_TIMESTAMP[rule.target]] = at
    entry = TimelineEntry(
        action=act,
        from_state=case.state,
        to_state=rule.target,
        actor=actor.strip(),
        at=at,
        reason=why,
        data=prepared.data,
    )
    snapshot_fields = {f: changes[f] for f in CaseSnapshot.__dataclass_fields__ if f in changes}
    snapshot = replace(case, **snapshot_fields, last_changed_at=at)
    return TransitionResult(state=rule.target, changes=changes, timeline=entry, snapshot=snapshot)
