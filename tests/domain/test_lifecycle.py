"""The case lifecycle: every (state, action) pair, the data each action needs, and the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product
from typing import Any

import pytest

from suqiu_queue.domain.enums import CaseState
from suqiu_queue.domain.errors import Conflict, Invalid
from suqiu_queue.domain.lifecycle import (
    ALLOWED,
    MAX_REOPENINGS,
    CaseAction,
    CaseSnapshot,
    TimelineEntry,
    allowed_actions,
    transition,
)

A, S = CaseAction, CaseState
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

# Written out by hand from the issue (not derived from the module's table), so the test checks the
# table instead of repeating it: (from state, action) -> state it leads to.
EXPECTED: dict[tuple[CaseState, CaseAction], CaseState] = {
    (S.ACCEPTED, A.ROUTE): S.ROUTED,
    (S.ROUTED, A.ROUTE): S.ROUTED,  # re-route before work starts
    (S.IN_PROGRESS, A.ROUTE): S.ROUTED,  # 转办 to another department
    (S.ROUTED, A.CONCLUDE_DELIBERATION): S.ROUTED,
    (S.ROUTED, A.START): S.IN_PROGRESS,
    (S.ACCEPTED, A.ANSWER): S.ANSWERED,  # 当场答复
    (S.IN_PROGRESS, A.ANSWER): S.ANSWERED,
    (S.ANSWERED, A.RATE): S.RATED,
    (S.RATED, A.REOPEN): S.IN_PROGRESS,
    (S.RATED, A.ESCALATE): S.IN_PROGRESS,
    (S.ANSWERED, A.ARCHIVE): S.ARCHIVED,  # never rated
    (S.RATED, A.ARCHIVE): S.ARCHIVED,
}

# Data, reason and case context that make each action succeed from any state it is allowed in.
GOOD_DATA: dict[CaseAction, dict[str, Any]] = {
    A.ROUTE: {"departments": ["hr"], "responsible": "u-17"},
    A.CONCLUDE_DELIBERATION: {"lead_department": "hr", "conclusion": "由人力资源部牵头，财务部配合核算"},
    A.START: {},
    A.ANSWER: {"reply": "已为您核实：住房公积金按新基数从下月起缴纳。"},
    A.RATE: {"score": 4},
    A.REOPEN: {},
    A.ESCALATE: {},
    A.ARCHIVE: {},
}
REASON = "员工补充了新情况"


def snapshot_for(state: CaseState, action: CaseAction) -> CaseSnapshot:
    """A case in ``state`` whose other fields let ``action``'s extra conditions pass."""
    if action is A.CONCLUDE_DELIBERATION:
        return CaseSnapshot(state=state, departments=("hr", "finance"), deliberation_open=True)
    if action in (A.REOPEN, A.ESCALATE):
        return CaseSnapshot(state=state, departments=("hr",), last_score=1)
    return CaseSnapshot(state=state, departments=("hr",), last_score=5 if state is S.RATED else None)


def test_the_table_matches_the_issue() -> None:
    assert set(EXPECTED) == set(ALLOWED)


@pytest.mark.parametrize(("state", "action"), sorted(EXPECTED, key=str))
def test_every_allowed_pair_moves_to_its_state(state: CaseState, action: CaseAction) -> None:
    result = transition(snapshot_for(state, action), action, "u-1", T0, REASON, **GOOD_DATA[action])

    assert result.state is EXPECTED[(state, action)]
    assert result.changes["state"] is EXPECTED[(state, action)]
    assert result.snapshot.state is EXPECTED[(state, action)]
    assert result.timeline.from_state is state
    assert result.timeline.to_state is EXPECTED[(state, action)]
    assert result.timeline.action is action


FORBIDDEN = sorted((pair for pair in product(CaseState, CaseAction) if pair not in EXPECTED), key=str)


@pytest.mark.parametrize(("state", "action"), FORBIDDEN)
def test_every_forbidden_pair_is_refused_with_a_conflict(state: CaseState, action: CaseAction) -> None:
    with pytest.raises(Conflict) as refused:
        transition(snapshot_for(state, action), action, "u-1", T0, REASON, **GOOD_DATA[action])

    expected_code = "case_archived" if state is S.ARCHIVED else "case_transition_forbidden"
    assert refused.value.code == expected_code
    assert refused.value.status == 409
    assert refused.value.message and refused.value.message_en
    if state is not S.ARCHIVED:
        # The Chinese message names the state and the action the way the officer sees them.
        assert "“" in refused.value.message and refused.value.details == {"state": state.value, "action": action.value}


def test_forbidden_message_reads_naturally() -> None:
    with pytest.raises(Conflict) as refused:
        transition(CaseSnapshot(S.ACCEPTED), A.RATE, "u-1", T0, score=5)
    assert refused.value.message == "诉求当前处于“受理”，不能执行“评价”"


# ----- one full loop -----------------------------------------------------------------------------


def test_a_case_walks_the_whole_closed_loop_and_every_step_writes_a_timeline_row() -> None:
    case = CaseSnapshot(state=S.ACCEPTED)
    timeline: list[TimelineEntry] = []
    steps: list[tuple[CaseAction, str | None, dict[str, Any]]] = [
        (A.ROUTE, None, {"departments": ["hr"], "responsible": "u-9"}),
        (A.START, None, {}),
        (A.ANSWER, None, {"reply": "已协调班组，下月起调整排班。", "outcome": "resolved"}),
        (A.RATE, None, {"score": 5, "comment": "很满意"}),
        (A.ARCHIVE, None, {}),
    ]
    for minutes, (action, reason, data) in enumerate(steps):
        result = transition(case, action, "u-9", T0 + timedelta(minutes=minutes), reason, **data)
        timeline.append(result.timeline)
        case = result.snapshot

    assert case.state is S.ARCHIVED
    assert [e.to_state for e in timeline] == [S.ROUTED, S.IN_PROGRESS, S.ANSWERED, S.RATED, S.ARCHIVED]
    assert [e.at for e in timeline] == [T0 + timedelta(minutes=m) for m in range(5)]
    assert all(e.actor == "u-9" for e in timeline)
    assert timeline[2].data == {"reply": "已协调班组，下月起调整排班。", "outcome": "resolved"}
    assert timeline[3].data == {"score": 5, "comment": "很满意", "satisfied": True}
    assert [e.summary_zh for e in timeline[:2]] == ["分流（受理 → 分流）", "开始办理（分流 → 办理）"]
    assert allowed_actions(case) == []


def test_each_state_entered_gets_its_timestamp() -> None:
    result = transition(CaseSnapshot(S.ROUTED, departments=("hr",)), A.START, "u-1", T0)
    assert result.changes == {"state": S.IN_PROGRESS, "in_progress_at": T0}
    assert result.snapshot.last_changed_at == T0


def test_staying_in_a_state_does_not_overwrite_its_timestamp() -> None:
    case = CaseSnapshot(S.ROUTED, departments=("hr",), responsible="u-1")
    result = transition(case, A.ROUTE, "u-2", T0, "原部门不负责此事", departments=["logistics"], responsible="u-3")
    assert "routed_at" not in result.changes
    assert result.changes["departments"] == ("logistics",)
    assert result.timeline.reason == "原部门不负责此事"


def test_answer_on_the_spot_skips_routing() -> None:
    result = transition(CaseSnapshot(S.ACCEPTED), A.ANSWER, "u-1", T0, reply="年休假天数按工龄计算，您可休 10 天。")
    assert result.state is S.ANSWERED
    assert result.changes["answered_at"] == T0


def test_what_cannot_be_solved_is_answered_with_the_explanation() -> None:
    result = transition(
        CaseSnapshot(S.IN_PROGRESS),
        A.ANSWER,
        "u-1",
        T0,
        reply="该岗位津贴标准由集团统一规定，本单位无权调整，已向您说明依据。",
        outcome="explained",
    )
    assert result.changes["outcome"] == "explained"
    assert result.timeline.data["outcome"] == "explained"


# ----- required data -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "action", "data", "code"),
    [
        (CaseSnapshot(S.ACCEPTED), A.ROUTE, {"responsible": "u-1"}, "case_department_required"),
        (CaseSnapshot(S.ACCEPTED), A.ROUTE, {"departments": [], "responsible": "u-1"}, "case_department_required"),
        (CaseSnapshot(S.ACCEPTED), A.ROUTE, {"departments": ["  "], "responsible": "u-1"}, "case_department_required"),
        (CaseSnapshot(S.ACCEPTED), A.ROUTE, {"departments": ["hr"]}, "case_responsible_required"),
        (CaseSnapshot(S.IN_PROGRESS), A.ANSWER, {}, "case_reply_required"),
        (CaseSnapshot(S.IN_PROGRESS), A.ANSWER, {"reply": "   "}, "case_reply_required"),
        (CaseSnapshot(S.IN_PROGRESS), A.ANSWER, {"reply": "好", "outcome": "maybe"}, "case_outcome_invalid"),
        (CaseSnapshot(S.IN_PROGRESS), A.ANSWER, {"reply": "好" * 4001}, "case_text_too_long"),
        (CaseSnapshot(S.ANSWERED), A.RATE, {}, "case_score_invalid"),
        (CaseSnapshot(S.ANSWERED), A.RATE, {"score": 0}, "case_score_invalid"),
        (CaseSnapshot(S.ANSWERED), A.RATE, {"score": 6}, "case_score_invalid"),
        (CaseSnapshot(S.ANSWERED), A.RATE, {"score": "5"}, "case_score_invalid"),
        (CaseSnapshot(S.ANSWERED), A.RATE, {"score": True}, "case_score_invalid"),
        (CaseSnapshot(S.ANSWERED), A.RATE, {"score": 3, "comment": 7}, "case_comment_invalid"),
        (CaseSnapshot(S.ROUTED, ("hr", "fin"), deliberation_open=True), A.CONCLUDE_DELIBERATION,
         {"conclusion": "共同办理"}, "case_lead_department_required"),
        (CaseSnapshot(S.ROUTED, ("hr", "fin"), deliberation_open=True), A.CONCLUDE_DELIBERATION,
         {"lead_department": "it", "conclusion": "共同办理"}, "case_lead_department_unknown"),
        (CaseSnapshot(S.ROUTED, ("hr", "fin"), deliberation_open=True), A.CONCLUDE_DELIBERATION,
         {"lead_department": "hr"}, "case_conclusion_required"),
        (CaseSnapshot(S.ROUTED, ("hr",)), A.START, {"score": 3}, "case_unknown_field"),
    ],
)  # fmt: skip
def test_missing_or_wrong_data_is_invalid(case: CaseSnapshot, action: CaseAction, data: dict, code: str) -> None:
    with pytest.raises(Invalid) as refused:
        transition(case, action, "u-1", T0, **data)
    assert refused.value.code == code
    assert refused.value.status == 422
    assert refused.value.message and refused.value.message_en


@pytest.mark.parametrize(
    ("case", "action", "data"),
    [
        (CaseSnapshot(S.RATED, last_score=2), A.REOPEN, {}),
        (CaseSnapshot(S.RATED, last_score=1), A.ESCALATE, {}),
        (CaseSnapshot(S.ANSWERED), A.ARCHIVE, {}),  # the employee never rated
        (CaseSnapshot(S.RATED, last_score=2), A.ARCHIVE, {}),  # closed although unsatisfied
        (CaseSnapshot(S.ROUTED, ("hr",)), A.ROUTE, {"departments": ["it"], "responsible": "u-2"}),
        (CaseSnapshot(S.IN_PROGRESS, ("hr",)), A.ROUTE, {"departments": ["it"], "responsible": "u-2"}),
    ],
)
def test_these_moves_need_a_reason(case: CaseSnapshot, action: CaseAction, data: dict) -> None:
    for missing in (None, "", "   "):
        with pytest.raises(Invalid) as refused:
            transition(case, action, "u-1", T0, missing, **data)
        assert refused.value.code == "case_reason_required"
    assert transition(case, action, "u-1", T0, "员工认为答复未解决实际问题", **data).timeline.reason == (
        "员工认为答复未解决实际问题"
    )


def test_routine_moves_need_no_reason() -> None:
    assert transition(CaseSnapshot(S.RATED, last_score=4), A.ARCHIVE, "u-1", T0).timeline.reason is None
    first_route = transition(CaseSnapshot(S.ACCEPTED), A.ROUTE, "u-1", T0, departments=["hr"], responsible="u-2")
    assert first_route.timeline.reason is None


def test_who_and_when_are_required() -> None:
    case = CaseSnapshot(S.ROUTED, ("hr",))
    with pytest.raises(Invalid, match="case_actor_required"):
        transition(case, A.START, "  ", T0)
    with pytest.raises(Invalid, match="naive_datetime"):
        transition(case, A.START, "u-1", datetime(2025, 3, 3, 9, 0))
    with pytest.raises(Invalid, match="case_time_backwards"):
        transition(CaseSnapshot(S.ROUTED, ("hr",), last_changed_at=T0), A.START, "u-1", T0 - timedelta(seconds=1))
    with pytest.raises(Invalid, match="case_action_unknown"):
        transition(case, "teleport", "u-1", T0)


# ----- deliberation, reopening, escalation -------------------------------------------------------


def test_several_departments_open_a_deliberation_that_must_conclude_before_handling() -> None:
    routed = transition(
        CaseSnapshot(S.ACCEPTED), A.ROUTE, "u-1", T0, departments=["hr", "finance", "hr"], responsible="u-5"
    )
    assert routed.changes["departments"] == ("hr", "finance")  # repeats dropped, order kept
    assert routed.changes["deliberation_open"] is True
    assert routed.timeline.data["deliberation"] is True
    assert allowed_actions(routed.snapshot) == [A.ROUTE, A.CONCLUDE_DELIBERATION]

    with pytest.raises(Conflict) as refused:
        transition(routed.snapshot, A.START, "u-5", T0)
    assert refused.value.code == "case_deliberation_open"

    concluded = transition(
        routed.snapshot, A.CONCLUDE_DELIBERATION, "u-5", T0, lead_department="finance", conclusion="财务部牵头核算补发"
    )
    assert concluded.state is S.ROUTED
    assert concluded.changes == {"state": S.ROUTED, "deliberation_open": False, "lead_department": "finance"}
    assert transition(concluded.snapshot, A.START, "u-5", T0).state is S.IN_PROGRESS


def test_one_department_needs_no_deliberation() -> None:
    routed = transition(CaseSnapshot(S.ACCEPTED), A.ROUTE, "u-1", T0, departments="hr", responsible="u-5")
    assert routed.changes["deliberation_open"] is False
    assert routed.changes["lead_department"] == "hr"
    with pytest.raises(Conflict, match="case_no_deliberation"):
        transition(routed.snapshot, A.CONCLUDE_DELIBERATION, "u-5", T0, lead_department="hr", conclusion="无")


def _answer_and_rate(case: CaseSnapshot, score: int) -> CaseSnapshot:
    case = transition(case, A.ANSWER, "u-1", T0, reply="已处理").snapshot
    return transition(case, A.RATE, "employee", T0, score=score).snapshot


def test_a_satisfied_employee_cannot_have_the_case_reopened() -> None:
    for score in (3, 4, 5):
        with pytest.raises(Conflict) as refused:
            transition(CaseSnapshot(S.RATED, last_score=score), A.REOPEN, "u-1", T0, "想再看看")
        assert refused.value.code == "case_not_unsatisfied"
    with pytest.raises(Conflict, match="case_not_unsatisfied"):
        transition(CaseSnapshot(S.RATED, last_score=3), A.ESCALATE, "u-1", T0, "想再看看")


def test_reopenings_are_counted_then_only_the_review_is_left() -> None:
    case = _answer_and_rate(CaseSnapshot(S.IN_PROGRESS), score=1)
    for expected_count in range(1, MAX_REOPENINGS + 1):
        reopened = transition(case, A.REOPEN, "u-1", T0, "员工对答复不满意")
        assert reopened.state is S.IN_PROGRESS
        assert reopened.changes["reopen_count"] == expected_count
        assert reopened.timeline.data == {"reopen_count": expected_count}
        assert reopened.snapshot.last_score is None  # the old rating no longer stands
        case = _answer_and_rate(reopened.snapshot, score=2)

    assert A.REOPEN not in allowed_actions(case)
    with pytest.raises(Conflict) as refused:
        transition(case, A.REOPEN, "u-1", T0, "仍不满意")
    assert refused.value.code == "case_reopen_limit"
    assert "民事民议" in refused.value.message

    escalated = transition(case, A.ESCALATE, "u-1", T0, "员工三次不满意，提请民事民议评议")
    assert escalated.state is S.IN_PROGRESS
    assert escalated.changes["review_requested"] is True
    assert escalated.snapshot.review_requested is True
    assert escalated.snapshot.reopen_count == MAX_REOPENINGS


def test_the_review_is_requested_once_and_the_case_can_then_be_closed() -> None:
    case = _answer_and_rate(CaseSnapshot(S.IN_PROGRESS), score=1)
    case = transition(case, A.ESCALATE, "u-1", T0, "提请民事民议").snapshot
    case = _answer_and_rate(case, score=2)
    assert allowed_actions(case) == [A.REOPEN, A.ARCHIVE]
    with pytest.raises(Conflict, match="case_review_already_requested"):
        transition(case, A.ESCALATE, "u-1", T0, "再次提请")
    archived = transition(case, A.ARCHIVE, "u-1", T0, "经民事民议评议，答复依据充分，予以归档")
    assert archived.state is S.ARCHIVED
    assert archived.changes["archived_at"] == T0


def test_allowed_actions_follow_state_and_conditions() -> None:
    assert allowed_actions(CaseSnapshot(S.ACCEPTED)) == [A.ROUTE, A.ANSWER]
    assert allowed_actions(CaseSnapshot(S.ROUTED, ("hr",))) == [A.ROUTE, A.START]
    assert allowed_actions(CaseSnapshot(S.IN_PROGRESS)) == [A.ROUTE, A.ANSWER]
    assert allowed_actions(CaseSnapshot(S.ANSWERED)) == [A.RATE, A.ARCHIVE]
    assert allowed_actions(CaseSnapshot(S.RATED, last_score=5)) == [A.ARCHIVE]
    assert allowed_actions(CaseSnapshot(S.RATED, last_score=1)) == [A.REOPEN, A.ESCALATE, A.ARCHIVE]
    assert allowed_actions(CaseSnapshot(S.ARCHIVED)) == []
