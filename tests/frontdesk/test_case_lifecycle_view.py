"""The case view's closed loop against a real server: step and deadline, the allowed actions and their
forms, the server's refusals, 重复诉求, and the supervisors' monthly report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from suqiu_frontdesk.case_actions import deadline_text, format_due, lifecycle_actions

WAIT = 10_000


def _buttons(view) -> list[str]:  # type: ignore[no-untyped-def]
    """The action buttons the officer sees now (the panel's record of them must agree)."""
    shown = [
        b.objectName().removeprefix("caseAction_")
        for b in view.lifecycle.actions_box.findChildren(QPushButton)
        if not b.isHidden()
    ]
    assert sorted(shown) == sorted(view.lifecycle.action_buttons)
    return list(view.lifecycle.action_buttons)


def _act(qtbot, view, action: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(view.lifecycle.action_buttons[action], Qt.MouseButton.LeftButton)


def _submit_and_wait(qtbot, view, status: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(view.lifecycle.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.busy and view.case["status"] == status, timeout=WAIT)


def _open(qtbot, desk, case_id: int):  # type: ignore[no-untyped-def]
    view = desk.window.open_intake()
    view.load_case(case_id)
    qtbot.waitUntil(lambda: view.case is not None and not view.busy, timeout=WAIT)
    return view


def test_route_start_answer_update_status_deadline_and_timeline(qtbot, make_desk, officer) -> None:  # type: ignore[no-untyped-def]
    case = officer.open_case(
        center="T1", category="policy", summary="【五险一金】公积金提取需要哪些材料", employee_no="E1001"
    )
    desk = make_desk(counter=1)
    view = _open(qtbot, desk, case["id"])

    assert view.lifecycle.step_label.text() == "当前环节：受理"
    assert view.lifecycle.due_label.text().startswith("答复时限 ")
    assert "剩余 " in view.lifecycle.due_label.text()
    assert _buttons(view) == ["route", "answer", "pause"]

    _act(qtbot, view, "route")
    assert view.lifecycle.form_box.isVisible()
    assert view.lifecycle.form.isRowVisible(view.lifecycle.department)
    assert not view.lifecycle.form.isRowVisible(view.lifecycle.reason)  # the first route needs no reason
    view.lifecycle.department.setCurrentText("社会保险中心")
    view.lifecycle.person.setText("王科长")
    _submit_and_wait(qtbot, view, "routed")
    assert view.lifecycle.step_label.text() == "当前环节：分流（社会保险中心 · 王科长）"
    assert "start" in _buttons(view) and "answer" not in _buttons(view)
    assert not view.lifecycle.form_box.isVisible()

    # Re-routing without a reason: the server refuses, its Chinese message is shown, nothing changes.
    _act(qtbot, view, "route")
    assert view.lifecycle.form.isRowVisible(view.lifecycle.reason)
    view.lifecycle.department.setCurrentText("人力资源部")
    qtbot.mouseClick(view.lifecycle.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.busy and view.status.text() != "正在分流 / 转办…", timeout=WAIT)
    refused = officer.case(case["id"])
    assert refused["departments"] == ["社会保险中心"]
    assert view.status.text().endswith("必须写明原因")  # the server's own sentence
    assert "#c62828" in view.status.styleSheet()
    view.lifecycle.cancel_form()

    _act(qtbot, view, "start")
    qtbot.waitUntil(lambda: not view.busy and view.case["status"] == "in_progress", timeout=WAIT)
    assert view.lifecycle.step_label.text().startswith("当前环节：办理")

    _act(qtbot, view, "answer")
    assert view.lifecycle.form.isRowVisible(view.lifecycle.reply)
    view.lifecycle.reply.setPlainText("需要身份证、购房合同，请到社保中心二楼办理")
    _submit_and_wait(qtbot, view, "answered")
    assert view.lifecycle.step_label.text().startswith("当前环节：反馈")
    assert _buttons(view) == ["rate", "archive"]
    view.lifecycle.show_case(view.case)  # a redraw: the old buttons must go at once, not at the next loop
    assert _buttons(view) == ["rate", "archive"]
    assert view.lifecycle.due_label.text() == "已办结，不再计时"
    assert "反馈答复：已完成" in view.status.text()
    lines = [view.timeline.item(i).text() for i in range(view.timeline.count())]
    assert any("分流" in line for line in lines)
    assert any("开始办理" in line for line in lines)
    assert any("反馈" in line for line in lines)
    assert officer.case(case["id"])["reply"] == "需要身份证、购房合同，请到社保中心二楼办理"


def test_pause_shows_paused_clock_and_resume_restarts_it(qtbot, make_desk, officer) -> None:  # type: ignore[no-untyped-def]
    case = officer.open_case(center="T1", category="policy", summary="退休待遇怎么计算", employee_no="E1002")
    desk = make_desk(counter=1)
    view = _open(qtbot, desk, case["id"])

    _act(qtbot, view, "pause")
    qtbot.mouseClick(view.lifecycle.submit, Qt.MouseButton.LeftButton)  # nothing typed: asked, nothing sent
    assert view.status.text() == "请写明暂停计时的原因" and not view.busy
    assert officer.case(case["id"])["paused"] is False

    view.lifecycle.reason.setText("等待职工补交材料")
    qtbot.mouseClick(view.lifecycle.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.busy and view.case["paused"], timeout=WAIT)
    assert view.lifecycle.due_label.text() == "暂停计时（等待职工补交材料）"
    assert "resume" in _buttons(view) and "pause" not in _buttons(view)

    _act(qtbot, view, "resume")
    qtbot.waitUntil(lambda: not view.busy and not view.case["paused"], timeout=WAIT)
    assert view.lifecycle.due_label.text().startswith("答复时限 ")


def test_deadline_text_for_overdue_paused_and_working_day_ends() -> None:
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    overdue = {"status": "in_progress", "due_at": (now - timedelta(hours=30)).isoformat(), "due_step_label": "答复"}
    assert deadline_text(overdue, now) == (f"答复时限 {format_due(now - timedelta(hours=30))} · 已超期 2 天", "error")
    soon = {
        "status": "routed",
        "due_at": (now + timedelta(hours=5, minutes=30)).isoformat(),
        "due_step_label": "首次响应",
    }
    assert deadline_text(soon, now)[0].endswith("剩余 5 小时")
    paused = {
        "status": "routed",
        "paused": True,
        "due_at": None,
        "sla": {"pauses": [{"reason": "外出核实", "end_at": None}]},
    }
    assert deadline_text(paused, now) == ("暂停计时（外出核实）", "warn")
    local_midnight = datetime(2026, 11, 26).astimezone()  # a working-day limit ends at the day's end
    assert format_due(local_midnight) == "11月25日 24:00 前"
    # An older server without allowed_actions: the buttons follow docs/cases.md.
    assert lifecycle_actions({"status": "rated"}) == ["archive", "reopen", "escalate"]
    assert lifecycle_actions({"status": "accepted", "paused": True}) == ["route", "answer", "resume"]


def test_similar_cases_listed_and_own_ones_open(qtbot, make_desk, officer) -> None:  # type: ignore[no-untyped-def]
    text = "宿舍热水器坏了一个星期没人来修"
    earlier = officer.open_case(center="T1", category="logistics", summary=text, employee_no="E1001")
    others = officer.open_case(center="T1", category="logistics", summary=text, employee_no="E1002")
    case = officer.open_case(center="T1", category="logistics", summary=text + "，请尽快", employee_no="E1001")
    desk = make_desk(counter=1)
    view = _open(qtbot, desk, case["id"])

    repeats = view.case["repeats"]
    assert {r["case_id"] for r in repeats} >= {earlier["id"], others["id"]}
    assert view.repeats.isVisible()
    rows = {view.repeats.list.item(i).text(): view.repeats.list.item(i) for i in range(view.repeats.list.count())}
    [own] = [item for label, item in rows.items() if earlier["reference"] in label]
    [theirs] = [item for label, item in rows.items() if others["reference"] in label]
    assert "本人" in own.text() and "相似度" in own.text() and "受理" in own.text()
    assert "他人" in theirs.text() and "点击打开" not in theirs.text()

    view.repeats._activated(theirs)  # someone else's case: nothing opens
    assert view.case["id"] == case["id"]
    rect = view.repeats.list.visualItemRect(own)
    qtbot.mouseClick(view.repeats.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: not view.busy and view.case["id"] == earlier["id"], timeout=WAIT)
    assert earlier["reference"] in view.case_title.text()


def test_monthly_report_only_for_supervisors(qtbot, make_desk) -> None:  # type: ignore[no-untyped-def]
    reception = make_desk(counter=1)
    assert reception.window.findChild(QPushButton, "headerReport") is None

    supervisor = make_desk(counter=2, username="supervisor1")
    button = supervisor.window.findChild(QPushButton, "headerReport")
    assert button is not None and button.text() == "月度报告"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    window = supervisor.window.report_window
    assert window is not None
    qtbot.waitUntil(lambda: not window.busy and window.browser.toPlainText() != "", timeout=WAIT)
    assert "月" in window.browser.toPlainText()
    assert window.status.text() == ""  # no refusal: the server answers supervisors
