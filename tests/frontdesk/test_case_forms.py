"""The case view's after-answer forms against a real server: 评价 taken by phone, 重新办理, 提请民事民议,
归档, and 延期 (once, with a written reason). Each test fills the form and clicks as an officer would,
then asks the server (as another officer's PC would) what was stored."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QPushButton

WAIT = 10_000


def _answered(officer, category: str, summary: str, employee_no: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A case answered through the API: 受理 → 分流 → 办理 → 反馈."""
    case = officer.open_case(center="T1", category=category, summary=summary, employee_no=employee_no)
    officer.route_case(case["id"], ["物业管理部"], responsible="周科长")
    officer.start_case(case["id"])
    return officer.answer_case(case["id"], "已安排维修人员上门处理，问题已解决")


def _open(qtbot, desk, case_id: int):  # type: ignore[no-untyped-def]
    view = desk.window.open_intake()
    view.load_case(case_id)
    qtbot.waitUntil(lambda: view.case is not None and not view.busy, timeout=WAIT)
    return view


def _buttons(view) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        b.objectName().removeprefix("caseAction_")
        for b in view.lifecycle.actions_box.findChildren(QPushButton)
        if not b.isHidden()
    ]


def _click(qtbot, widget) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _act(qtbot, view, action: str) -> None:  # type: ignore[no-untyped-def]
    _click(qtbot, view.lifecycle.action_buttons[action])
    assert view.lifecycle.form_box.isVisible() or action in ("start", "resume")


def _submit(qtbot, view) -> None:  # type: ignore[no-untyped-def]
    """Press 确定 and wait until the server has answered (either way)."""
    _click(qtbot, view.lifecycle.submit)
    qtbot.waitUntil(lambda: not view.busy and not view.status.text().startswith("正在"), timeout=WAIT)


def _type(qtbot, widget, text: str) -> None:  # type: ignore[no-untyped-def]
    """Chinese reaches a text box the way a pinyin input method delivers it: one committed string
    (QTest's key clicks cover Latin-1 keys only)."""
    widget.setFocus()
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def test_rate_by_phone_with_comment_then_reopen(qtbot, make_desk, officer) -> None:  # type: ignore[no-untyped-def]
    case = _answered(officer, "logistics", "宿舍楼道灯坏了，晚上看不见路", "E1001")
    view = _open(qtbot, make_desk(counter=1), case["id"])
    assert _buttons(view) == ["rate", "archive"]

    _act(qtbot, view, "rate")
    form = view.lifecycle.form
    assert form.isRowVisible(view.lifecycle.score_row) and form.isRowVisible(view.lifecycle.rating_comment)
    assert view.lifecycle.rating_channel.currentData() == "phone"  # 回访 by phone is the default
    view.lifecycle.score.setValue(2)
    _type(qtbot, view.lifecycle.rating_comment, "灯修了两天又不亮了")
    _submit(qtbot, view)

    stored = officer.case(case["id"])
    assert stored["status"] == "rated"
    assert stored["rating"]["score"] == 2
    assert stored["rating"]["comment"] == "灯修了两天又不亮了"
    assert stored["rating"]["channel"] == "phone"
    assert view.case["status"] == "rated" and "登记评价：已完成" in view.status.text()
    assert not view.lifecycle.form_box.isVisible()
    assert view.lifecycle.rating_comment.toPlainText() == ""  # sent, so the form starts afresh next time
    # Unsatisfied: the officer may reopen or ask for the 民事民议 review.
    assert sorted(_buttons(view)) == ["archive", "escalate", "reopen"]

    _act(qtbot, view, "reopen")
    _type(qtbot, view.lifecycle.reason, "职工反映灯具反复损坏，需要更换线路")
    _submit(qtbot, view)
    stored = officer.case(case["id"])
    assert stored["status"] == "in_progress"
    assert stored["reopen_count"] == 1
    reopen = [row for row in stored["timeline"] if row["kind"] == "reopen"]
    assert reopen and reopen[-1]["note"] == "职工反映灯具反复损坏，需要更换线路"
    assert view.lifecycle.step_label.text().startswith("当前环节：办理")


def test_escalate_to_the_review(qtbot, make_desk, officer) -> None:  # type: ignore[no-untyped-def]
    case = _answered(officer, "opinion", "夜班食堂没有热饭", "E1002")
    officer.rate_case(case["id"], 1, "还是没有热饭", channel="phone")
    view = _open(qtbot, make_desk(counter=1), case["id"])

    _act(qtbot, view, "escalate")
    assert view.lifecycle.form_box.title() == "提请民事民议"
    assert view.lifecycle.form.isRowVisible(view.lifecycle.reason)
    _type(qtbot, view.lifecycle.reason, "职工两次不满意，请职工代表评议")
    _submit(qtbot, view)

    stored = officer.case(case["id"])
    assert stored["status"] == "in_progress"
    assert stored["review_requested"] is True
    assert [row["note"] for row in stored["timeline"] if row["kind"] == "escalate"] == [
        "职工两次不满意，请职工代表评议"
    ]
    assert "提请民事民议：已完成" in view.status.text()


def test_archive_refused_without_a_reason_then_archived(qtbot, make_desk, officer) -> None:  # type: ignore[no-untyped-def]
    case = _answered(officer, "logistics", "班车改线后要多走四十分钟", "E1001")
    officer.rate_case(case["id"], 2, "改线原因没说清楚", channel="phone")
    view = _open(qtbot, make_desk(counter=1), case["id"])

    # An unsatisfied rating is archived only with a reason: the server says so, nothing changes.
    _act(qtbot, view, "archive")
    _submit(qtbot, view)
    assert officer.case(case["id"])["status"] == "rated"
    assert view.status.text() == "“归档”必须写明原因"
    assert "#c62828" in view.status.styleSheet()
    assert view.lifecycle.form_box.isVisible() and view.lifecycle.pending == "archive"

    _type(qtbot, view.lifecycle.reason, "已当面解释改线原因，职工表示理解")
    _submit(qtbot, view)
    stored = officer.case(case["id"])
    assert stored["status"] == "archived"
    assert [row["note"] for row in stored["timeline"] if row["kind"] == "archive"] == [
        "已当面解释改线原因，职工表示理解"
    ]
    assert view.lifecycle.due_label.text() == "已办结，不再计时"
    assert _buttons(view) == []


def test_extend_once_with_a_reason_then_refused(qtbot, make_desk, officer) -> None:  # type: ignore[no-untyped-def]
    # 法律援助 runs the statutory policy: 办结 within 60 days, extendable once by 30 with a written reason.
    case = officer.open_case(center="T1", category="legal", summary="工伤认定一直没有结论", employee_no="E1002")
    view = _open(qtbot, make_desk(counter=1, username="legal1"), case["id"])
    assert "extend" in _buttons(view)

    _act(qtbot, view, "extend")
    assert view.lifecycle.step.currentData() == "resolve"
    assert "60" in view.lifecycle.step.currentText()
    _type(qtbot, view.lifecycle.reason, "需等待工伤鉴定结论，鉴定机构排期一个月")
    _submit(qtbot, view)
    steps = {s["step"]: s for s in officer.case(case["id"])["sla"]["steps"]}
    assert [e["reason"] for e in steps["resolve"]["extensions"]] == ["需等待工伤鉴定结论，鉴定机构排期一个月"]
    assert "申请延期：已完成" in view.status.text()

    # A second extension: the server refuses in its own words, the officer's text stays in the form.
    _act(qtbot, view, "extend")
    _type(qtbot, view.lifecycle.reason, "鉴定机构再次推迟")
    _submit(qtbot, view)
    assert view.status.text() == "已延期 1 次，按规定不能再延期"
    assert "#c62828" in view.status.styleSheet()
    assert view.lifecycle.form_box.isVisible()
    assert view.lifecycle.reason.text() == "鉴定机构再次推迟"
    steps = {s["step"]: s for s in officer.case(case["id"])["sla"]["steps"]}
    assert len(steps["resolve"]["extensions"]) == 1
