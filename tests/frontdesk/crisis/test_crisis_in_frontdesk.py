"""The crisis tools inside the real front-desk window, against a real server process: the counselor's
危机预警 tab and pop-up fed by the desk's own event stream, taking an alert once however it is
tapped, and the 心理测评记录 window opened from a card, an alert, or a search by 工号. Reception and
supervisors get none of the counselor's tools."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from support import PASSWORD

from suqiu_queue.client import Event, SuqiuClient

pytestmark = pytest.mark.qt

WAIT = 10_000


@pytest.fixture
def make_desk(qtbot: Any, crisis_server: Any) -> Iterator[Callable[..., Any]]:
    """A logged-in front desk (window, event stream) at a counter of the crisis test server."""
    from suqiu_frontdesk.app import FrontDesk
    from suqiu_frontdesk.login import build_session, fetch_login
    from suqiu_frontdesk.workers import Runner

    server, _world = crisis_server
    desks: list[Any] = []

    def make(username: str, counter: int = 4) -> Any:
        client = SuqiuClient(server.url)
        logged_in = fetch_login(client, username, PASSWORD)
        session = build_session(client, logged_in, logged_in.centers[0], counter)
        desk = FrontDesk(client, Runner(), session)
        qtbot.addWidget(desk.window)
        desk.window.resize(1920, 1080)
        desk.window.show()
        desk.start()
        desks.append(desk)
        qtbot.waitUntil(lambda: desk.model.connected, timeout=WAIT)
        return desk

    yield make
    for desk in desks:
        desk.window.close()
        desk.shutdown()
        desk.client.close()


def _take_everything(desk: Any, qtbot: Any) -> None:
    """Leave the module's server without open alerts for the next test."""
    panel = desk.window.crisis_panel
    for alert in panel.book.open_alerts():
        panel.acknowledge(alert.id)
    qtbot.waitUntil(lambda: not panel.book.open_alerts(), timeout=WAIT)


def test_an_alert_is_taken_once_however_it_is_tapped_and_closes_on_the_other_desk(
    qtbot: Any, make_desk: Any, kiosk: SuqiuClient, crisis_points: list[int]
) -> None:
    first, second = make_desk("counselor1"), make_desk("counselor2", counter=1)
    ticket = kiosk.issue_ticket("T1", "care", employee_no="E1001")
    assert kiosk.submit_assessment("phq9", crisis_points, employee_no="E1001", ticket_id=ticket.id)["crisis"]

    panel_a, panel_b = first.window.crisis_panel, second.window.crisis_panel
    for panel in (panel_a, panel_b):
        qtbot.waitUntil(lambda p=panel: p.popup.isVisible(), timeout=WAIT)
    alert_id = panel_a.popup.alert_id
    row = panel_a.rows[alert_id]
    assert row.ack_button.isVisibleTo(panel_a)

    # The pop-up and the list both offer 我来接手; pressing both at once is still one request.
    qtbot.mouseClick(panel_a.popup.take_button, Qt.MouseButton.LeftButton)
    assert not row.ack_button.isEnabled() and row.ack_button.text() == "正在接手……"
    row.ack_button.click()  # disabled: nothing happens
    panel_a.acknowledge(alert_id)  # and a programmatic second try is refused by the same guard
    qtbot.waitUntil(lambda: panel_a.book.alerts[alert_id].state == "mine", timeout=WAIT)
    assert not panel_a.error.isVisible() and not panel_a.popup.isVisible()
    assert row.state.text() == "由您接手" and "已接手危机预警" in first.window.status_line.text()

    qtbot.waitUntil(lambda: not panel_b.popup.isVisible(), timeout=WAIT)
    assert panel_b.rows[alert_id].state.text() == "已有其他老师接手"
    assert not panel_b.rows[alert_id].ack_button.isVisibleTo(panel_b)
    [stored] = [a for a in first.client.crisis_alerts(only_open=False) if a["id"] == alert_id]
    assert stored["acknowledged_at"] is not None


def test_the_counselor_view_opens_from_a_card_an_alert_and_a_search_for_counselors_only(
    qtbot: Any, make_desk: Any, kiosk: SuqiuClient, crisis_points: list[int]
) -> None:
    counselor = make_desk("counselor1")
    reception = make_desk("reception1")
    ticket = kiosk.issue_ticket("T1", "care", employee_no="E1003")
    kiosk.submit_assessment("gad7", [1, 1, 1, 1, 1, 1, 1], employee_no="E1003", ticket_id=ticket.id)
    stored = counselor.client.assessments(employee_no="E1003")["results"]

    qtbot.waitUntil(lambda: counselor.model.card(ticket.id) is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: reception.model.card(ticket.id) is not None, timeout=WAIT)
    [reception_card] = [w for w in reception.window.cards_panel.widgets() if w.card.ticket_id == ticket.id]
    assert reception_card.assessment_button is None, "reception never gets a way to the results"
    assert reception.window.counselor_view is None and reception.window.open_counselor_view() is None

    [card] = [w for w in counselor.window.cards_panel.widgets() if w.card.ticket_id == ticket.id]
    assert card.assessment_button is not None and card.assessment_button.text() == "心理测评"
    qtbot.mouseClick(card.assessment_button, Qt.MouseButton.LeftButton)
    view = counselor.window.counselor_view
    assert view is not None and view.isVisible() and view.isWindow()
    qtbot.waitUntil(lambda: view.status.text().startswith("工号 E1003"), timeout=WAIT)
    assert view.results_table.rowCount() == len(stored)
    assert counselor.window.case_views == [], "the button does not also open the case view"

    # A search by 工号 from the header (Ctrl+F): the same window, another person.
    qtbot.mouseClick(counselor.window.assessments_button, Qt.MouseButton.LeftButton)
    assert counselor.window.counselor_view is view and view.isVisible()
    view.employee_input.setText("E1002")
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        qtbot.keyClick(view.employee_input, Qt.Key.Key_Return)
    assert view.results == counselor.client.assessments(employee_no="E1002")["results"]

    # From an alert this counselor took: 查看测评 shows what was handed in with that ticket.
    assert kiosk.submit_assessment("phq9", crisis_points, employee_no="E1003", ticket_id=ticket.id)["crisis"]
    panel = counselor.window.crisis_panel
    qtbot.waitUntil(lambda: panel.popup.isVisible(), timeout=WAIT)
    alert_id = panel.popup.alert_id
    qtbot.mouseClick(panel.popup.take_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.book.alerts[alert_id].state == "mine", timeout=WAIT)
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        qtbot.mouseClick(panel.rows[alert_id].view_button, Qt.MouseButton.LeftButton)
    assert {r["ticket_display"] for r in view.results} == {ticket.display}
    assert any(r["crisis"] for r in view.results)

    counselor.window.close()
    assert view.results == [], "closing the desk forgets the results shown"


def test_alerts_raised_before_the_desk_connected_load_and_a_supervisor_sees_escalations_only(
    qtbot: Any, make_desk: Any, kiosk: SuqiuClient, crisis_points: list[int]
) -> None:
    assert kiosk.submit_assessment("phq9", crisis_points)["crisis"]  # anonymous, before anyone logged in
    counselor = make_desk("counselor2")
    panel = counselor.window.crisis_panel
    qtbot.waitUntil(lambda: bool(panel.book.open_alerts()) and panel.popup.isVisible(), timeout=WAIT)
    assert "未关联号票" in panel.popup.ticket.text()

    supervisor = make_desk("supervisor1", counter=1)
    watch = supervisor.window.crisis_panel
    assert watch is not None and watch.role == "supervisor" and not watch.can_take
    assert supervisor.window.assessments_button is None and supervisor.window.open_counselor_view() is None
    assert not watch.popup.isVisible() and not watch.rows, "not escalated: not the supervisor's yet"
    # The escalation pass (``suqiu assess escalate``) emits this; here it comes through the desk's own
    # event path, as the event stream delivers it.
    [alert] = panel.book.open_alerts()[:1]
    escalated = {"alert_id": alert.id, "ticket_display": None, "waited_minutes": 7}
    supervisor.controller.on_event(Event(0, "crisis.escalated", None, escalated, ""))
    qtbot.waitUntil(lambda: alert.id in watch.rows, timeout=WAIT)
    assert "已上报主管" in watch.rows[alert.id].state.text()
    assert not watch.rows[alert.id].ack_button.isVisibleTo(watch)
    tabs = supervisor.window.right_tabs
    assert tabs.tabText(tabs.indexOf(watch)) == "危机预警（1）"
    _take_everything(counselor, qtbot)
