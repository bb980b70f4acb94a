"""Time left on the current step, counted the way its limit is counted: working days by the center's
calendar (``remaining_working_days`` from the server), hours for hour limits, and the 暂定 mark when
the due year's holiday notice is not out yet. Plain dicts, as the server sends them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from suqiu_frontdesk.case_actions import (
    PROVISIONAL_MARK,
    deadline_text,
    format_due,
    is_provisional,
    step_unit,
    time_left_text,
)

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _case(limit: str | None, due: datetime | None, **fields: Any) -> dict[str, Any]:
    """An open case whose current step (答复) has ``limit`` as the server labels it."""
    steps = [] if limit is None else [{"step": "answer", "label": "答复", "limit": limit, "open": True}]
    return {
        "status": "in_progress",
        "due_at": due.isoformat() if due else None,
        "due_step": "answer",
        "due_step_label": "答复",
        "paused": False,
        "sla": {"steps": steps, "pauses": []},
        **fields,
    }


def test_working_day_limits_count_working_days_left() -> None:
    due = NOW + timedelta(days=6)  # a weekend in between: six calendar days, four working days
    case = _case("3个工作日", due, remaining_working_days=4)
    assert step_unit(case) == "working_days"
    assert time_left_text(case, due, NOW) == ("剩余 4 个工作日", "ok")
    assert deadline_text(case, NOW) == (f"答复时限 {format_due(due)} · 剩余 4 个工作日", "ok")


def test_overdue_working_days_are_red() -> None:
    due = NOW - timedelta(days=4)
    case = _case("15个工作日", due, remaining_working_days=-2)
    assert deadline_text(case, NOW) == (f"答复时限 {format_due(due)} · 已超期 2 个工作日", "error")


def test_the_last_day_and_just_overdue() -> None:
    due = NOW + timedelta(hours=14)
    assert time_left_text(_case("3个工作日", due, remaining_working_days=0), due, NOW) == ("今天到期", "warn")
    # The server says -1 from the due instant on.
    late = NOW - timedelta(hours=3)
    assert time_left_text(_case("3个工作日", late, remaining_working_days=-1), late, NOW) == (
        "已超期 1 个工作日",
        "error",
    )
    # Counted before the due time, shown after it (the view stayed open): red, in hours, never "今天到期".
    assert time_left_text(_case("3个工作日", late, remaining_working_days=0), late, NOW) == ("已超期 3 小时", "error")


def test_hour_limits_stay_in_hours() -> None:
    due = NOW + timedelta(hours=5, minutes=30)
    # 紧急重要: 48 hours round the clock; working days from the server do not apply to it.
    case = _case("48 小时", due, remaining_working_days=1)
    assert step_unit(case) == "calendar_hours"
    assert deadline_text(case, NOW)[0].endswith("· 剩余 5 小时")
    far = NOW + timedelta(hours=30, minutes=10)
    assert time_left_text(_case("48 小时", far), far, NOW) == ("剩余 30 小时", "ok")
    late = NOW - timedelta(hours=2, minutes=10)
    assert time_left_text(_case("48 小时", late), late, NOW) == ("已超期 3 小时", "error")
    assert step_unit(_case("8个工作小时", due)) == "business_hours"


def test_calendar_days_and_an_older_server_count_calendar_days() -> None:
    due = NOW + timedelta(days=40, hours=1)
    # Statutory periods count calendar days; a working-day count would mislead.
    assert time_left_text(_case("60 日", due, remaining_working_days=28), due, NOW) == ("剩余 40 天", "ok")
    # Before the server sends remaining_working_days (or without step details): calendar time.
    assert time_left_text(_case("3个工作日", due), due, NOW) == ("剩余 40 天", "ok")
    assert time_left_text(_case(None, due, remaining_working_days=3), due, NOW) == ("剩余 40 天", "ok")


def test_a_unit_sent_by_the_server_wins_over_the_label() -> None:
    due = NOW + timedelta(days=2)
    case = _case("anything", due, remaining_working_days=2)
    case["sla"]["steps"][0]["unit"] = "working_days"
    assert time_left_text(case, due, NOW) == ("剩余 2 个工作日", "ok")
    assert time_left_text(_case("3个工作日", due, remaining_working_days=True), due, NOW) == ("剩余 2 天", "ok")


def test_paused_and_closed_cases_show_no_time_left() -> None:
    paused = _case("3个工作日", None, paused=True, remaining_working_days=None, due_provisional=False)
    paused["sla"]["pauses"] = [{"reason": "等待职工补交材料", "end_at": None}]
    assert deadline_text(paused, NOW) == ("暂停计时（等待职工补交材料）", "warn")
    assert deadline_text({**_case("3个工作日", None), "status": "answered"}, NOW) == ("已办结，不再计时", "info")


def test_provisional_only_with_a_running_due_time() -> None:
    due = NOW + timedelta(days=50)
    assert PROVISIONAL_MARK == "（暂定）"
    assert is_provisional(_case("15个工作日", due, remaining_working_days=30, due_provisional=True))
    assert not is_provisional(_case("15个工作日", due, remaining_working_days=30, due_provisional=False))
    assert not is_provisional(_case("15个工作日", due))  # an older server says nothing
    assert not is_provisional(_case("15个工作日", None, paused=True, due_provisional=True))


def test_the_panel_marks_provisional_and_overdue(qtbot) -> None:  # type: ignore[no-untyped-def]
    from suqiu_frontdesk.case_actions import PROVISIONAL_TIP, LifecyclePanel

    panel = LifecyclePanel(None, lambda *a, **k: None, lambda case: None, lambda text, level: None, [])  # type: ignore[arg-type]
    qtbot.addWidget(panel)
    panel.show()
    due = NOW + timedelta(days=50)
    case = {**_case("15个工作日", due, remaining_working_days=30, due_provisional=True), "allowed_actions": []}
    panel.show_case(case, NOW)
    assert panel.due_label.text().endswith("剩余 30 个工作日")
    assert panel.provisional_label.isVisible() and panel.provisional_label.text() == "（暂定）"
    assert panel.provisional_label.toolTip() == PROVISIONAL_TIP and "节假日" in PROVISIONAL_TIP

    late = NOW - timedelta(days=3)
    panel.show_case({**_case("15个工作日", late, remaining_working_days=-1), "allowed_actions": []}, NOW)
    assert panel.due_label.text().endswith("已超期 1 个工作日")
    assert "#c62828" in panel.due_label.styleSheet()
    assert not panel.provisional_label.isVisible()
