"""多部门议事 in the case view against a real server: 发起议事, the participants with their 意见 and
会签 state, 填写意见并签署, 邀请部门, and the 议事结论 form that waits for every signature. Each test
fills the forms and clicks as an officer would, then reads the case back through the API."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

from suqiu_frontdesk.case_view import timeline_line
from suqiu_frontdesk.deliberation import conclusion_blocker, sign_state, split_departments, summary_line

WAIT = 10_000


def _open(qtbot, desk, case_id: int):  # type: ignore[no-untyped-def]
    view = desk.window.open_intake()
    view.load_case(case_id)
    qtbot.waitUntil(lambda: view.case is not None and not view.busy, timeout=WAIT)
    return view


def _click(qtbot, widget) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _type(widget, text: str) -> None:  # type: ignore[no-untyped-def]
    """Chinese arrives as a pinyin input method's committed string (QTest's key clicks are Latin-1 only)."""
    widget.setFocus()
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def _wait_answer(qtbot, view) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not view.busy and not view.status.text().startswith("正在"), timeout=WAIT)


def _tick(qtbot, panel, department: str) -> None:  # type: ignore[no-untyped-def]
    box = panel.department_checks[department]
    # On the tick box itself: a check box's row is wider than its label, and only those react.
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert box.isChecked()


def _rows(panel) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The participants table as the officer reads it: department -> (意见, 会签)."""
    table = panel.table
    return {
        table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text()) for r in range(table.rowCount())
    }


def _participants(case: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["department"]: p for p in case["deliberation"]["participants"]}


def test_start_sign_and_conclude(qtbot, make_desk, officer) -> None:  # type: ignore[no-untyped-def]
    case = officer.open_case(
        center="T1", category="opinion", summary="倒班表调整后连续夜班超过七天，希望恢复原排班", employee_no="E1001"
    )
    view = _open(qtbot, make_desk(counter=1), case["id"])
    panel = view.deliberation
    assert panel.isVisible() and panel.start_button.isVisible()
    assert panel.hint.isVisible() and not panel.summary.isVisible() and not panel.table.isVisible()
    assert not panel.invite_button.isVisible() and not panel.sign_button.isVisible()
    assert "conclude_deliberation" not in view.lifecycle.action_buttons

    _click(qtbot, panel.start_button)
    assert panel.form_box.isVisible() and panel.form_box.title() == "发起议事"
    assert panel.form.isRowVisible(panel.agenda) and not panel.form.isRowVisible(panel.comment)
    _tick(qtbot, panel, "人力资源部")
    _type(panel.responsible, "李主任")
    _type(panel.agenda, "排班调整是否合规，如何补休，请各部门三日内提出意见")
    # One department is no 议事 (it would quietly become an ordinary 分流): asked, nothing sent.
    _click(qtbot, panel.submit)
    assert view.status.text() == "议事至少需要两个部门，请再选择参与的部门"
    assert officer.case(case["id"])["status"] == "accepted"
    _tick(qtbot, panel, "工会")
    _type(panel.other_departments, "生产调度中心")
    _click(qtbot, panel.submit)
    _wait_answer(qtbot, view)

    stored = officer.case(case["id"])
    assert stored["status"] == "routed" and stored["deliberation_open"] is True
    assert stored["departments"] == ["人力资源部", "工会", "生产调度中心"]
    assert stored["responsible"] == "李主任"
    assert list(_participants(stored)) == ["人力资源部", "工会", "生产调度中心"]
    [route] = [row for row in stored["timeline"] if row["kind"] == "route"]
    assert route["note"] == "排班调整是否合规，如何补休，请各部门三日内提出意见"  # the agenda is on record
    assert "已发起议事" in view.status.text() and not panel.form_box.isVisible()

    # The panel: three departments waiting to sign; 议事结论 shown but not yet possible.
    assert _rows(panel) == {
        "人力资源部": ("尚未填写意见", "待签"),
        "工会": ("尚未填写意见", "待签"),
        "生产调度中心": ("尚未填写意见", "待签"),
    }
    assert panel.summary.text() == "议事进行中 · 已会签 0/3 · 待签：人力资源部、工会、生产调度中心"
    assert not panel.start_button.isVisible() and panel.sign_button.isVisible()
    conclude = view.lifecycle.action_buttons["conclude_deliberation"]
    assert not conclude.isEnabled() and conclude.toolTip() == "还有部门未会签：人力资源部、工会、生产调度中心"
    assert "start" not in view.lifecycle.action_buttons  # the lifecycle: no start while the 议事 is open
    lines = [view.timeline.item(i).text() for i in range(view.timeline.count())]
    assert any("发起议事（人力资源部、工会、生产调度中心）：排班调整是否合规" in line for line in lines)

    # Each department signs with its 意见 (as its officer would at this desk).
    for department, comment in [
        ("人力资源部", "连续夜班超过规定天数，本周内调整并安排补休"),
        ("工会", "同意人力资源部意见，工会跟踪补休落实"),
    ]:
        _click(qtbot, panel.sign_button)
        assert panel.form_box.title() == "填写意见并签署"
        panel.sign_department.setCurrentText(department)
        _type(panel.comment, comment)
        _click(qtbot, panel.submit)
        _wait_answer(qtbot, view)
        signed = _participants(officer.case(case["id"]))[department]
        assert signed["signed_off"] is True and signed["comment"] == comment
        assert _rows(panel)[department] == (comment, sign_state(signed))
        assert _rows(panel)[department][1].startswith("已签 ")
    conclude = view.lifecycle.action_buttons["conclude_deliberation"]
    assert conclude.toolTip() == "还有部门未会签：生产调度中心" and not conclude.isEnabled()

    _click(qtbot, panel.sign_button)
    assert panel.sign_department.count() == 1 and panel.sign_department.currentText() == "生产调度中心"
    _click(qtbot, panel.submit)  # signing without a comment is allowed
    _wait_answer(qtbot, view)
    assert _participants(officer.case(case["id"]))["生产调度中心"]["signed_off"] is True
    assert "各部门均已会签" in panel.summary.text()
    assert not panel.sign_button.isEnabled()

    # Every department signed: the (existing) 议事结论 form is open to use.
    conclude = view.lifecycle.action_buttons["conclude_deliberation"]
    assert conclude.isEnabled()
    _click(qtbot, conclude)
    assert not panel.form_box.isVisible()
    view.lifecycle.lead.setCurrentText("人力资源部")
    _type(view.lifecycle.conclusion, "人力资源部牵头本周内调整排班并安排补休，工会跟踪落实")
    _click(qtbot, view.lifecycle.submit)
    _wait_answer(qtbot, view)

    stored = officer.case(case["id"])
    assert stored["deliberation_open"] is False and "start" in stored["allowed_actions"]
    assert stored["deliberation"]["status"] == "decided"
    assert stored["deliberation"]["lead_department"] == "人力资源部"
    assert stored["deliberation"]["decision"] == "人力资源部牵头本周内调整排班并安排补休，工会跟踪落实"
    [row] = [r for r in stored["timeline"] if r["kind"] == "conclude_deliberation"]
    assert [p["department"] for p in row["data"]["participants"]] == ["人力资源部", "工会", "生产调度中心"]
    assert panel.summary.text().startswith("议事已形成结论") and "牵头部门：人力资源部" in panel.summary.text()
    assert panel.decision.isVisible() and "工会跟踪落实" in panel.decision.text()
    assert not panel.sign_button.isVisible() and not panel.invite_button.isVisible()
    assert panel.start_button.isVisible()  # the case may still be routed again, so a new 议事 may be opened


def test_invite_refused_keeps_typing_and_comment_without_signing(qtbot, make_desk, officer) -> None:  # type: ignore[no-untyped-def]
    case = officer.open_case(center="T1", category="logistics", summary="宿舍区改造期间停水停电", employee_no="E1002")
    officer.route_case(case["id"], ["物业管理部", "安全环保部"], responsible="周科长", reason="改造施工安排")
    view = _open(qtbot, make_desk(counter=1), case["id"])
    panel = view.deliberation
    assert not panel.start_button.isVisible() and panel.invite_button.isVisible()

    # Inviting a department that is already there: the server refuses; what was typed stays.
    _click(qtbot, panel.invite_button)
    assert panel.form_box.title() == "邀请部门参加议事" and not panel.form.isRowVisible(panel.agenda)
    present = panel.department_checks["物业管理部"]
    assert present.isChecked() and not present.isEnabled()  # already in the 议事: not a choice
    _type(panel.other_departments, "安全环保部")
    _click(qtbot, panel.submit)
    _wait_answer(qtbot, view)
    assert view.status.text() == "这些部门已在议事中"
    assert "#c62828" in view.status.styleSheet()
    assert panel.form_box.isVisible() and panel.other_departments.text() == "安全环保部"
    assert len(_participants(officer.case(case["id"]))) == 2

    panel.other_departments.clear()
    _tick(qtbot, panel, "财务部")
    _click(qtbot, panel.submit)
    _wait_answer(qtbot, view)
    assert list(_participants(officer.case(case["id"]))) == ["物业管理部", "安全环保部", "财务部"]
    assert "财务部" in _rows(panel)

    # A department's 意见 before it is ready to sign: saved, still 待签.
    _click(qtbot, panel.sign_button)
    panel.sign_department.setCurrentText("财务部")
    _type(panel.comment, "临时住宿补贴需报公司审批，预计下周答复")
    _click(qtbot, panel.save_comment)
    _wait_answer(qtbot, view)
    finance = _participants(officer.case(case["id"]))["财务部"]
    assert finance["comment"] == "临时住宿补贴需报公司审批，预计下周答复" and finance["signed_off"] is False
    assert _rows(panel)["财务部"] == ("临时住宿补贴需报公司审批，预计下周答复", "待签")

    # Coming back to sign: the department's saved 意见 is where the officer left it.
    _click(qtbot, panel.sign_button)
    panel.sign_department.setCurrentText("财务部")
    assert panel.comment.toPlainText() == "临时住宿补贴需报公司审批，预计下周答复"
    # Opening another form hides this one without losing it.
    _click(qtbot, view.lifecycle.action_buttons["route"])
    assert not panel.form_box.isVisible() and view.lifecycle.form_box.isVisible()
    _click(qtbot, panel.sign_button)
    assert not view.lifecycle.form_box.isVisible()
    assert panel.comment.toPlainText() == "临时住宿补贴需报公司审批，预计下周答复"


def test_signed_elsewhere_while_the_form_is_open(qtbot, make_desk, officer) -> None:  # type: ignore[no-untyped-def]
    case = officer.open_case(center="T1", category="policy", summary="异地就医备案流程", employee_no="E1001")
    officer.route_case(case["id"], ["社会保险中心", "医疗保障中心"], responsible="王科长", reason="跨部门")
    view = _open(qtbot, make_desk(counter=1), case["id"])
    panel = view.deliberation
    _click(qtbot, panel.sign_button)
    panel.sign_department.setCurrentText("医疗保障中心")
    _type(panel.comment, "备案可在线办理，本中心负责答复")

    # Another PC signs for 医疗保障中心; its event reloads this view while the form is open.
    officer.deliberation_sign_off(case["id"], "医疗保障中心", "另一台电脑已会签")
    qtbot.waitUntil(lambda: "医疗保障中心" not in panel.sign_department_items(), timeout=WAIT)
    assert panel.sign_department.currentIndex() == -1  # never silently another department
    assert panel.sign_department_items() == ["社会保险中心"]
    assert view.status.text() == "医疗保障中心已由他人会签，请重新选择签署的部门"
    assert panel.form_box.isVisible() and panel.comment.toPlainText() == "备案可在线办理，本中心负责答复"
    assert _rows(panel)["医疗保障中心"] == ("另一台电脑已会签", sign_state(_participants(view.case)["医疗保障中心"]))

    _click(qtbot, panel.submit)  # nothing chosen: asked, nothing sent
    assert view.status.text() == "请选择签署的部门" and not view.busy
    assert _participants(officer.case(case["id"]))["社会保险中心"]["signed_off"] is False


def test_reading_helpers_on_plain_dicts() -> None:
    case = {
        "allowed_actions": ["route", "conclude_deliberation"],
        "deliberation_open": True,
        "deliberation": {
            "status": "open",
            "participants": [
                {"department": "工会", "signed_off": True, "signed_off_at": "2026-11-20T06:05:00+00:00"},
                {"department": "财务部", "signed_off": False, "signed_off_at": None},
            ],
        },
    }
    assert conclusion_blocker(case) == "还有部门未会签：财务部"
    assert summary_line(case) == "议事进行中 · 已会签 1/2 · 待签：财务部"
    assert sign_state(case["deliberation"]["participants"][1]) == "待签"
    assert sign_state(case["deliberation"]["participants"][0]).startswith("已签 11-20 ")
    case["deliberation"]["participants"][1]["signed_off"] = True
    assert conclusion_blocker(case) is None
    assert conclusion_blocker({"allowed_actions": ["start"]}) == "这件诉求没有进行中的议事"
    assert split_departments("工会、财务部，安全环保部 ,  ") == ["工会", "财务部", "安全环保部"]
    row = {"at": "2026-11-20T06:05:00+00:00", "kind": "deliberation_sign_off", "kind_label": "部门会签"}
    assert timeline_line({**row, "note": "同意", "data": {"department": "工会"}}).endswith("部门会签（工会）：同意")
