"""A crisis answer at the kiosk pops up on every logged-in counselor's desk — and on no one else's —
through the real server and its event stream; a counselor takes it and the other pop-ups close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt

from suqiu_frontdesk.crisis import AlertBook, CrisisAlertPanel

pytestmark = pytest.mark.qt


def make_panel(qtbot: Any, desk: Any, role: str = "counselor") -> CrisisAlertPanel:
    panel = CrisisAlertPanel(desk.client, role=role)
    qtbot.addWidget(panel)
    panel.resize(520, 600)
    panel.show()
    desk.listeners.append(panel.on_event)
    return panel


def test_the_alert_reaches_each_counselor_and_never_reception_and_one_counselor_takes_it(
    qtbot: Any, desk: Any, kiosk: Any, crisis_points: list[int], all_text: Any
) -> None:
    first, second, reception = desk("counselor1"), desk("counselor2"), desk("reception1")
    panel_a, panel_b = make_panel(qtbot, first), make_panel(qtbot, second)
    ticket = kiosk.issue_ticket("T1", "care", employee_no="E1001")

    reply = kiosk.submit_assessment("phq9", crisis_points, employee_no="E1001", ticket_id=ticket.id)
    assert reply["crisis"]

    for panel in (panel_a, panel_b):
        qtbot.waitUntil(lambda p=panel: p.popup is not None and p.popup.isVisible(), timeout=10_000)
        assert panel.popup.ticket.text() == ticket.display
        assert ticket.display in panel.rows[panel.popup.alert_id].ticket.text()
        assert "待接手" in panel.rows[panel.popup.alert_id].state.text()
    alert_id = panel_a.popup.alert_id
    assert panel_b.popup.alert_id == alert_id

    # Reception hears what follows the alert (the next ticket) but never the alert itself.
    marker = kiosk.issue_ticket("T1", "policy")
    qtbot.waitUntil(
        lambda: any(e.kind.startswith("ticket.") and e.payload.get("ticket_id") == marker.id for e in reception.events),
        timeout=10_000,
    )
    assert not [k for k in reception.kinds() if k.startswith("crisis.")]
    assert "crisis.alert" in first.kinds() and "crisis.alert" in second.kinds()

    # Nothing that was answered shows on a desk: no score, no item, no answer text.
    shown = all_text(panel_a, panel_a.popup)
    for private in ("好几天", "有自伤或轻生念头", "不如死掉", "PHQ", "总分", "无或极轻微"):
        assert private not in shown

    qtbot.mouseClick(panel_a.popup.take_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel_a.book.alerts[alert_id].state == "mine", timeout=10_000)
    assert not panel_a.popup.isVisible()
    assert panel_a.rows[alert_id].state.text() == "由您接手"
    assert panel_a.rows[alert_id].view_button.isVisibleTo(panel_a)
    qtbot.waitUntil(lambda: not panel_b.popup.isVisible(), timeout=10_000)
    assert panel_b.rows[alert_id].state.text() == "已有其他老师接手"
    assert not panel_b.rows[alert_id].ack_button.isVisibleTo(panel_b)
    assert alert_id not in {a["id"] for a in first.client.crisis_alerts()}

    # The second counselor, a moment too late (before the event), is told someone else has it.
    panel_b.book.alerts[alert_id].acknowledged_at = None  # as if the event had not arrived yet
    panel_b.acknowledge(alert_id)
    qtbot.waitUntil(lambda: panel_b.book.alerts[alert_id].state == "taken", timeout=10_000)
    assert panel_b.rows[alert_id].state.text() == "已有其他老师接手"
    assert not panel_b.error.isVisible()

    viewed: list[Any] = []
    panel_a.view_requested.connect(viewed.append)
    view = panel_a.rows[alert_id].view_button
    qtbot.waitUntil(view.isVisible)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton)
    assert [a.ticket_id for a in viewed] == [ticket.id]


def test_an_alert_raised_before_the_desk_opened_is_loaded_on_refresh(
    qtbot: Any, desk: Any, kiosk: Any, crisis_points: list[int]
) -> None:
    reply = kiosk.submit_assessment("phq9", crisis_points)  # anonymous: no ticket goes with it
    assert reply["crisis"]
    counselor = desk("counselor2")
    panel = make_panel(qtbot, counselor)
    arrived: list[Any] = []
    panel.alert_arrived.connect(arrived.append)
    panel.refresh()
    qtbot.waitUntil(lambda: bool(arrived), timeout=10_000)
    open_ids = {a["id"] for a in counselor.client.crisis_alerts()}
    assert {a.id for a in panel.book.open_alerts()} == open_ids
    anonymous = [a for a in panel.book.open_alerts() if a.ticket_display is None]
    assert anonymous and "未关联号票" in panel.rows[anonymous[0].id].ticket.text()
    assert panel.popup.isVisible() and panel.title.text() == f"危机预警（{len(open_ids)} 条待接手）"
    qtbot.mouseClick(panel.popup.later_button, Qt.MouseButton.LeftButton)  # 稍后处理
    if len(open_ids) == 1:
        assert not panel.popup.isVisible()
    assert len(panel.book.open_alerts()) == len(open_ids)  # still listed until someone takes it
    for alert_id in open_ids:  # leave the module's server without open alerts
        panel.acknowledge(alert_id)
    qtbot.waitUntil(lambda: not panel.book.open_alerts(), timeout=10_000)


def test_a_supervisor_panel_shows_escalations_only_without_a_take_button(qtbot: Any, desk: Any) -> None:
    supervisor = desk("supervisor1")
    panel = make_panel(qtbot, supervisor, role="supervisor")
    now = datetime.now(UTC)
    panel.on_event({"kind": "crisis.alert", "payload": {"alert_id": 9001, "ticket_display": "D009"}})
    assert not panel.rows and not panel.popup.isVisible()
    panel.on_event(
        {
            "kind": "crisis.escalated",
            "payload": {"alert_id": 9002, "ticket_display": "D010", "waited_minutes": 6},
            "created_at": now.isoformat(),
        }
    )
    qtbot.waitUntil(lambda: 9002 in panel.rows, timeout=5_000)
    row = panel.rows[9002]
    assert "已上报主管" in row.state.text() and "6 分钟" in row.state.text()
    assert not row.ack_button.isVisibleTo(panel)
    assert panel.popup.isVisible() and not panel.popup.take_button.isVisible()


def test_the_alert_book_follows_events_in_any_order() -> None:
    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    book = AlertBook(clock=lambda: start + timedelta(minutes=7))
    assert book.apply("ticket.issued", {"ticket_id": 1}) is None
    assert book.apply("crisis.acknowledged", {"alert_id": 1}) is None  # unknown alert: nothing to close
    assert book.apply("crisis.alert", {"alert_id": 1, "ticket_display": "D001"}, start.isoformat()) == "new"
    assert book.apply("crisis.alert", {"alert_id": 1, "ticket_display": "D001"}, start.isoformat()) is None
    assert book.alerts[1].waited(book.clock()) == 7 and book.alerts[1].state == "open"
    assert book.apply("crisis.escalated", {"alert_id": 1, "waited_minutes": 5}) == "escalated"
    assert book.alerts[1].state == "escalated"
    assert book.apply("crisis.acknowledged", {"alert_id": 1}) == "acknowledged"
    assert book.alerts[1].state == "taken" and book.open_alerts() == []
    later = (start + timedelta(minutes=1)).isoformat()
    book.merge([{"id": 2, "ticket_display": None, "created_at": later, "acknowledged_at": None}])
    assert [a.id for a in book.open_alerts()] == [2]
    assert [a.id for a in book.shown()] == [2, 1]  # open first, then the taken ones
    book.taken_by_me({"id": 2, "created_at": later, "acknowledged_at": later, "acknowledged_by": "user:c1"})
    assert book.alerts[2].state == "mine" and book.alerts[2].acknowledged_by == "user:c1"
    assert [a.id for a in book.shown()] == [2, 1]  # newest taken first


def test_a_refresh_closes_alerts_taken_while_away_but_not_ones_heard_of_since_asking() -> None:
    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    book = AlertBook(clock=lambda: start + timedelta(minutes=3))
    for alert_id in (1, 2):
        book.apply("crisis.alert", {"alert_id": alert_id, "ticket_display": f"D00{alert_id}"}, start.isoformat())
    asked_while_open = {a.id for a in book.open_alerts()}
    # While the list is on its way, a new alert arrives by event; the list predates it.
    book.apply("crisis.alert", {"alert_id": 3, "ticket_display": "D003"}, start.isoformat())
    rows = [{"id": 2, "ticket_display": "D002", "created_at": start.isoformat(), "acknowledged_at": None}]
    book.merge(rows)
    book.close_missing(asked_while_open, rows)
    assert book.alerts[1].state == "taken"  # someone took it while this desk was disconnected
    assert [a.id for a in book.open_alerts()] == [2, 3]
