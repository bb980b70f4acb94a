"""Officer flows in the real window against a real server: keys, lanes, transfer, no-show, cards, cases."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from support import PASSWORD

pytestmark = pytest.mark.qt

WAIT = 10_000  # ms: generous for a loaded CI machine; the 1 s goal is measured in bench/


def _press(qtbot, desk, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:  # type: ignore[no-untyped-def]
    """A key press in this desk's window (shortcuts belong to the active window, as on a real PC)."""
    desk.window.activateWindow()
    qtbot.waitUntil(desk.window.isActiveWindow, timeout=WAIT)
    qtbot.keyClick(desk.window, key, modifier)


def _idle(desk) -> bool:  # type: ignore[no-untyped-def]
    return desk.model.busy is None


def test_login_then_counter_choice_is_remembered(qtbot, live, settings) -> None:  # type: ignore[no-untyped-def]
    from suqiu_frontdesk.login import LoginDialog
    from suqiu_frontdesk.workers import Runner
    from suqiu_queue.client import SuqiuClient

    server, _world = live
    runner = Runner()
    dialog = LoginDialog(SuqiuClient(server.url), runner, settings)
    qtbot.addWidget(dialog)
    dialog.username.setText("reception1")
    dialog.password.setText("wrong-password")
    qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.login_button.isEnabled() and dialog.message.text() != "正在登录…", timeout=WAIT)
    assert dialog.pages.currentIndex() == 0
    assert "密码" in dialog.message.text()  # the server's Chinese refusal, shown as it came

    dialog.password.setText(PASSWORD)
    qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=WAIT)
    assert [dialog.counter.itemData(i) for i in range(dialog.counter.count())] == [1, 2, 3, 4]
    dialog.counter.setCurrentIndex(dialog.counter.findData(3))
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.session is not None
    assert dialog.session.counter.number == 3 and dialog.session.counter.categories == ("legal",)
    assert dialog.session.center == "T1"

    again = LoginDialog(SuqiuClient(server.url), runner, settings)
    qtbot.addWidget(again)
    assert again.username.text() == "reception1"
    again.password.setText(PASSWORD)
    qtbot.mouseClick(again.login_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: again.pages.currentIndex() == 1, timeout=WAIT)
    assert again.counter.currentData() == 3  # remembered in QSettings


def test_call_next_follows_lanes_and_drives_the_strip(qtbot, strip_text, make_desk, kiosk, officer) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk(counter=1)
    normal = kiosk.issue_ticket("T1", "policy")
    urgent = kiosk.issue_ticket("T1", "urgent")  # later, but the urgent lane has a 30-minute head start
    assert urgent.lane == "urgent"
    qtbot.waitUntil(lambda: {t.id for t in desk.model.waiting()} >= {normal.id, urgent.id}, timeout=WAIT)
    row = desk.window.queue_panel.ticket_item(urgent.id)
    assert row is not None and row.text(1) == "紧急"

    _press(qtbot, desk, Qt.Key.Key_F1)
    # Instant feedback, before the server has answered: buttons off, the status line says so.
    assert desk.model.busy == "call_next"
    assert not desk.window.current_panel.buttons["call_next"].isEnabled()
    assert desk.window.status_line.text().endswith("正在叫号…")

    qtbot.waitUntil(lambda: desk.model.current is not None and _idle(desk), timeout=WAIT)
    assert desk.model.current.id == urgent.id
    assert desk.window.current_panel.number.text() == urgent.display
    assert f"已叫号 {urgent.display}" in desk.window.status_line.text()
    qtbot.waitUntil(lambda: strip_text(desk.strip) == f"{urgent.display} 请到1号窗口", timeout=WAIT)

    _press(qtbot, desk, Qt.Key.Key_F2)  # 重呼
    qtbot.waitUntil(lambda: _idle(desk) and desk.model.current.recall_count == 1, timeout=WAIT)
    assert "第 1 次" in desk.window.status_line.text()

    _press(qtbot, desk, Qt.Key.Key_F4)  # 完成
    qtbot.waitUntil(lambda: desk.model.current is None and _idle(desk), timeout=WAIT)
    assert officer.ticket(urgent.id).state == "done"
    qtbot.waitUntil(lambda: strip_text(desk.strip) == "", timeout=WAIT)

    _press(qtbot, desk, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: desk.model.current is not None and _idle(desk), timeout=WAIT)
    assert desk.model.current.id == normal.id


def test_no_show_and_nothing_left_to_call(qtbot, make_desk, kiosk, officer) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk(counter=2)
    ticket = kiosk.issue_ticket("T1", "health")
    qtbot.waitUntil(lambda: desk.model.ticket(ticket.id) is not None, timeout=WAIT)
    _press(qtbot, desk, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: desk.model.current is not None and _idle(desk), timeout=WAIT)
    _press(qtbot, desk, Qt.Key.Key_F3)  # 过号
    qtbot.waitUntil(lambda: desk.model.current is None and _idle(desk), timeout=WAIT)
    assert officer.ticket(ticket.id).state == "no_show"
    assert "已标记过号" in desk.window.status_line.text()

    _press(qtbot, desk, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: _idle(desk) and "没有可叫的号" in desk.window.status_line.text(), timeout=WAIT)
    assert desk.model.current is None


def test_transfer_to_another_category_keeps_the_ticket_waiting(qtbot, make_desk, kiosk, officer) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk(counter=1)
    ticket = kiosk.issue_ticket("T1", "opinion")
    qtbot.waitUntil(lambda: desk.model.ticket(ticket.id) is not None, timeout=WAIT)
    _press(qtbot, desk, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: desk.model.current is not None and _idle(desk), timeout=WAIT)

    desk.controller.transfer(category="legal")  # what the F5 dialog does after the officer picks 法律援助
    qtbot.waitUntil(lambda: desk.model.current is None and _idle(desk), timeout=WAIT)
    after = officer.ticket(ticket.id)
    assert (after.state, after.category, after.display) == ("waiting", "legal", ticket.display)
    assert after.issued_at == ticket.issued_at  # keeps its place by the original arrival
    assert "已转到法律援助" in desk.window.status_line.text()
    qtbot.waitUntil(
        lambda: desk.model.ticket(ticket.id) and desk.model.ticket(ticket.id).category == "legal", timeout=WAIT
    )
    legal_group = next(g for g in desk.model.groups() if g.code == "legal")
    assert not legal_group.mine and [t.id for t in legal_group.tickets] == [ticket.id]


def test_transfer_to_a_counter_and_call_it_there(qtbot, make_desk, kiosk, officer, live) -> None:  # type: ignore[no-untyped-def]
    _server, world = live
    here = make_desk(counter=1)
    there = make_desk(counter=2, username="handler1")
    ticket = kiosk.issue_ticket("T1", "urgent")
    qtbot.waitUntil(lambda: here.model.ticket(ticket.id) is not None, timeout=WAIT)
    _press(qtbot, here, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: here.model.current is not None and _idle(here), timeout=WAIT)
    here.controller.transfer(counter_id=world.counters[2])
    qtbot.waitUntil(lambda: here.model.current is None and _idle(here), timeout=WAIT)

    # Counter 2 does not serve 紧急重要, but the ticket was handed to it by name.
    def handed_to_counter_2() -> bool:
        row = there.model.ticket(ticket.id)
        return row is not None and row.state == "waiting" and row.target_counter_id == world.counters[2]

    qtbot.waitUntil(handed_to_counter_2, timeout=WAIT)
    row = there.window.queue_panel.ticket_item(ticket.id)
    assert row is not None and "转2号窗" in row.text(3)
    _press(qtbot, there, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: there.model.current is not None and _idle(there), timeout=WAIT)
    assert there.model.current.id == ticket.id
    assert officer.ticket(ticket.id).counter_number == 2


def test_call_a_specific_ticket_from_the_queue(qtbot, make_desk, kiosk) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk(counter=1)
    first = kiosk.issue_ticket("T1", "policy")
    second = kiosk.issue_ticket("T1", "policy")
    qtbot.waitUntil(lambda: desk.window.queue_panel.ticket_item(second.id) is not None, timeout=WAIT)
    desk.window.queue_panel.tree.setCurrentItem(desk.window.queue_panel.ticket_item(second.id))
    _press(qtbot, desk, Qt.Key.Key_F6)  # 指定叫号 the selected one, not the first in line
    qtbot.waitUntil(lambda: desk.model.current is not None and _idle(desk), timeout=WAIT)
    assert desk.model.current.id == second.id
    assert desk.model.ticket(first.id) is None or desk.model.ticket(first.id).state == "waiting"


def test_pause_blocks_calling_until_resumed(qtbot, strip_text, make_desk, kiosk, officer, live) -> None:  # type: ignore[no-untyped-def]
    _server, world = live
    desk = make_desk(counter=4)
    kiosk.issue_ticket("T1", "care")
    _press(qtbot, desk, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: desk.model.paused and _idle(desk), timeout=WAIT)
    assert desk.window.current_panel.paused_banner.isVisibleTo(desk.window)
    assert desk.window.current_panel.buttons["pause"].text().startswith("恢复服务")
    assert not desk.window.current_panel.buttons["call_next"].isEnabled()
    assert next(c for c in officer.center("T1")["counters"] if c["id"] == world.counters[4])["paused"] is True
    qtbot.waitUntil(lambda: strip_text(desk.strip) == "4号窗口 暂停服务", timeout=WAIT)

    desk.controller.call_next()
    assert "暂停" in desk.window.status_line.text() and desk.model.current is None

    _press(qtbot, desk, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: not desk.model.paused and _idle(desk), timeout=WAIT)
    _press(qtbot, desk, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: desk.model.current is not None and _idle(desk), timeout=WAIT)


def test_server_refusal_shows_the_chinese_message(qtbot, make_desk, kiosk, officer, live) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk(counter=1)
    ticket = kiosk.issue_ticket("T1", "policy")
    qtbot.waitUntil(lambda: desk.model.ticket(ticket.id) is not None, timeout=WAIT)
    officer.cancel(ticket.id)  # another PC takes it away first
    desk.controller.call_ticket(ticket.id)
    qtbot.waitUntil(lambda: _idle(desk), timeout=WAIT)
    assert desk.model.status.level == "error"
    assert "号票当前为“已取消”，不能叫号" in desk.window.status_line.text()
    assert desk.model.current is None


def test_arrival_card_appears_with_history_and_opens_the_case_view(qtbot, make_desk, kiosk, officer) -> None:  # type: ignore[no-untyped-def]
    earlier = kiosk.issue_ticket("T1", "policy", employee_no="E1001")
    case = officer.open_case(center="T1", category="policy", summary="公积金提取", ticket_id=earlier.id)
    officer.cancel(earlier.id)
    desk = make_desk(counter=1)
    assert desk.model.cards == []

    ticket = kiosk.issue_ticket("T1", "policy", employee_no="E1001", note="上次说的公积金提取还没办好")
    qtbot.waitUntil(lambda: desk.model.card(ticket.id) is not None, timeout=WAIT)
    [widget] = desk.window.cards_panel.widgets()
    text = " ".join(label.text() for label in widget.findChildren(type(desk.window.status_line)))
    assert "张三" in text and "工号 E1001" in text and "36岁" in text
    assert "测试集团 / 测试分公司 / 测试车间" in text
    assert "本人留言：上次说的公积金提取还没办好" in text
    assert case["reference"] in text and "受理" in text
    assert "重复诉求" in text and "工号识别" in text
    assert desk.window.cards_panel.title.text() == "到访卡片（1）"

    anonymous = kiosk.issue_ticket("T1", "policy")
    qtbot.waitUntil(lambda: desk.model.ticket(anonymous.id) is not None, timeout=WAIT)
    assert len(desk.model.cards) == 1  # no card without a person

    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(desk.window.case_views) == 1, timeout=WAIT)
    view = desk.window.case_views[0]
    assert "张三" in view.header.text() and ticket.display in view.header.text()
    assert view.summary.toPlainText() == "上次说的公积金提取还没办好"


def test_card_leaves_when_another_counter_calls_the_ticket(qtbot, make_desk, kiosk, officer, live) -> None:  # type: ignore[no-untyped-def]
    _server, world = live
    desk = make_desk(counter=1)
    ticket = kiosk.issue_ticket("T1", "policy", employee_no="E1003")
    qtbot.waitUntil(lambda: desk.model.card(ticket.id) is not None, timeout=WAIT)
    officer.call(ticket.id, world.counters[2])
    qtbot.waitUntil(lambda: desk.model.card(ticket.id) is None, timeout=WAIT)
    assert desk.window.cards_panel.widgets() == []


def test_case_from_a_visit_with_note_handover_and_close(qtbot, make_desk, kiosk, officer) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk(counter=3)
    ticket = kiosk.issue_ticket("T1", "legal", employee_no="E1002", note="工伤认定想咨询一下")
    qtbot.waitUntil(lambda: desk.model.card(ticket.id) is not None, timeout=WAIT)
    _press(qtbot, desk, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: desk.model.current is not None and _idle(desk), timeout=WAIT)
    # The card and the buttons are redrawn from the call's event a moment later (two workers
    # share the machine in `make test`): wait for what a person would wait for.
    qtbot.waitUntil(lambda: len(desk.window.cards_panel.widgets()) == 1, timeout=WAIT)
    [card] = desk.window.cards_panel.widgets()
    assert card.expanded and card.property("serving")

    qtbot.waitUntil(desk.window.current_panel.buttons["case"].isEnabled, timeout=WAIT)
    _press(qtbot, desk, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: len(desk.window.case_views) == 1, timeout=WAIT)
    [view] = desk.window.case_views
    assert view.confidential.isChecked()  # 法律援助 starts confidential
    view.sub_topic.setCurrentText("工伤认定")
    qtbot.mouseClick(view.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.case is not None and not view.busy, timeout=WAIT)
    assert view.case["summary"] == "【工伤认定】工伤认定想咨询一下"
    assert view.case["channel"] == "visit" and view.case["confidential"] is True

    view.note.setText("已告知需要的材料清单")
    qtbot.mouseClick(view.note_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.busy and view.timeline.count() == 2, timeout=WAIT)
    view.department.setCurrentText("法律事务部")
    view.person.setText("赵律师")
    view.handover_note.setText("请三个工作日内联系职工")
    qtbot.mouseClick(view.handover_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.busy and view.timeline.count() == 3, timeout=WAIT)
    assert "转交 法律事务部（赵律师）：请三个工作日内联系职工" in view.timeline.item(2).text()

    stored = officer.case(view.case["id"])
    assert [row["kind"] for row in stored["timeline"]] == ["created", "note", "handover"]
    assert officer.ticket(ticket.id).raw["case_id"] == view.case["id"]

    qtbot.mouseClick(view.close_visit_button, Qt.MouseButton.LeftButton)  # 结束接待 = 完成
    qtbot.waitUntil(lambda: desk.model.current is None and _idle(desk), timeout=WAIT)
    assert officer.ticket(ticket.id).state == "done"
    qtbot.waitUntil(lambda: desk.model.card(ticket.id) is None, timeout=WAIT)


def test_intake_of_a_phone_call_without_a_ticket(qtbot, make_desk, officer) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk(counter=1, display=False)
    _press(qtbot, desk, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    [view] = desk.window.case_views
    assert view.channel.currentData() == "phone" and view.channel.isEnabled()
    view.category.setCurrentIndex(view.category.findData("logistics"))
    view.employee_no.setText("E1003")
    view.summary.setPlainText("宿舍热水器坏了三天")
    qtbot.mouseClick(view.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.case is not None and not view.busy, timeout=WAIT)
    stored = officer.case(view.case["id"])
    assert (stored["channel"], stored["category"], stored["origin_ticket_id"]) == ("phone", "logistics", None)
    history = officer.history("E1003")
    assert any(item.get("reference") == stored["reference"] for item in history["items"])


def test_restart_picks_up_the_ticket_being_served(qtbot, make_desk, kiosk, officer, live) -> None:  # type: ignore[no-untyped-def]
    _server, world = live
    ticket = kiosk.issue_ticket("T1", "care")
    officer.call(ticket.id, world.counters[4])
    desk = make_desk(counter=4, username="counselor1")
    qtbot.waitUntil(lambda: desk.model.current is not None, timeout=WAIT)
    assert desk.model.current.id == ticket.id
    assert "继续办理" in desk.window.status_line.text()


def test_crisis_alert_pops_up_for_counselors_only_and_is_taken(qtbot, make_desk, kiosk, live) -> None:  # type: ignore[no-untyped-def]
    counselor = make_desk(counter=4, username="counselor1", display=False)
    reception = make_desk(counter=1, display=False)
    heard_at_reception: list[str] = []
    reception.controller.event_listeners.append(
        lambda event: heard_at_reception.append(f"{event.kind}:{event.payload.get('ticket_id')}")
    )
    # Only counselors (and supervisors, for escalations) get the crisis tab; nobody else has any of it.
    assert reception.window.crisis_panel is None and reception.window.right_tabs is None
    assert reception.window.assessments_button is None and "assessments" not in reception.window.shortcuts
    panel = counselor.window.crisis_panel
    assert panel is not None and panel.role == "counselor"

    ticket = kiosk.issue_ticket("T1", "care")
    # PHQ-9 with item 9 answered "好几天": a crisis whatever the total (the difficulty item is not scored).
    kiosk.post("/api/v1/assessments", {"scale": "phq9", "points": [0] * 8 + [1, 0], "ticket_id": ticket.id})

    qtbot.waitUntil(lambda: panel.popup.isVisible(), timeout=WAIT)
    assert panel.popup.ticket.text() == ticket.display
    tabs = counselor.window.right_tabs
    assert tabs.tabText(tabs.indexOf(panel)) == "危机预警（1）"
    assert f"危机预警 {ticket.display}" in counselor.window.status_line.text()
    # The server tells only counselors; a later ticket proves the reception's stream has moved past it.
    marker = kiosk.issue_ticket("T1", "policy")
    qtbot.waitUntil(lambda: f"ticket.issued:{marker.id}" in heard_at_reception, timeout=WAIT)
    assert not any(kind.startswith("crisis.") for kind in heard_at_reception)

    qtbot.mouseClick(panel.popup.take_button, Qt.MouseButton.LeftButton)
    alert_id = panel.popup.alert_id
    qtbot.waitUntil(lambda: panel.book.alerts[alert_id].state == "mine", timeout=WAIT)
    assert not panel.popup.isVisible()
    assert "已接手危机预警" in counselor.window.status_line.text()
    assert tabs.tabText(tabs.indexOf(panel)) == "危机预警"
    assert counselor.client.get("/api/v1/crisis-alerts", open=1)["alerts"] == []
