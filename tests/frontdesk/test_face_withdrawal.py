"""撤回人脸授权 at the front desk, against a real server and its event stream.

An employee with a face template comes to the counter and asks to withdraw: the card shows
人脸识别：已登记人脸, the officer opens the dialog, ticks 本人已当面提出撤回 and confirms; the server
deletes the template at once and its audit row names the officer. Cancelling changes nothing,
failures (refused, already withdrawn, no server) change nothing but the status line, and a caller
the server will not tell sees neither the state nor the button.

Templates are made through the API (an officer's enrolment at the desk) from synthetic unit
vectors labelled with the calibrated test recogniser, as tests/server/test_faces_api.py does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from sqlalchemy import func, select
from support import ServerProcess, World, free_port

from suqiu_queue.client import SuqiuClient

pytestmark = pytest.mark.qt

WAIT = 10_000
MODEL = "mobilefacenet_128:f055d9c9a4d826d1"  # the calibrated test recogniser
DIM = 128


def frames(seed: int, count: int = 4) -> list[list[float]]:
    """A few camera frames of one made-up face: one direction, each frame a little off."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal(DIM)
    out = []
    for _ in range(count):
        v = base / np.linalg.norm(base) + 0.02 * rng.standard_normal(DIM)
        out.append((v / np.linalg.norm(v)).tolist())
    return out


def enrol(officer: SuqiuClient, employee_no: str, seed: int) -> None:
    version = officer.face_consent_text()["version"]
    officer.face_enrol_at_desk(employee_no=employee_no, consent_version=version, model=MODEL, embeddings=frames(seed))
    assert officer.face_status(employee_no)["templates"] == 1


@pytest.fixture
def database(live: tuple[ServerProcess, World]) -> Iterator[Any]:
    """A session on the live server's own SQLite file, to look behind the API."""
    from suqiu_queue.server.db import make_engine, make_sessionmaker

    engine = make_engine(live[0].database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def templates_of(database: Any, employee_no: str) -> int:
    from suqiu_queue.server.faces.models import FaceTemplate
    from suqiu_queue.server.people.models import Employee

    with database() as session:
        employee = session.scalars(select(Employee).where(Employee.employee_no == employee_no)).one()
        count = select(func.count()).select_from(FaceTemplate).where(FaceTemplate.employee_id == employee.id)
        return int(session.scalar(count) or 0)


def withdraw_audits(database: Any, employee_no: str) -> list[Any]:
    from suqiu_queue.server.audit.models import AuditEntry
    from suqiu_queue.server.people.models import Employee

    with database() as session:
        employee = session.scalars(select(Employee).where(Employee.employee_no == employee_no)).one()
        rows = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "face.withdraw", AuditEntry.subject == f"employee:{employee.id}"
            )
        ).all()
        return [(row.actor, dict(row.detail)) for row in rows]


def user_actor(database: Any, username: str) -> str:
    from suqiu_queue.server.accounts.models import User

    with database() as session:
        return f"user:{session.scalars(select(User).where(User.username == username)).one().id}"


def card_of(desk: Any, ticket_id: int) -> Any:
    [widget] = [w for w in desk.window.cards_panel.widgets() if w.card.ticket_id == ticket_id]
    return widget


def face_label(desk: Any, ticket_id: int) -> str:
    row = card_of(desk, ticket_id).face_row
    return "" if row.isHidden() else str(row.state_label.text())


def arrive(qtbot: Any, desk: Any, kiosk: SuqiuClient, employee_no: str) -> int:
    """The person takes a ticket at the kiosk; their card and its face state reach the desk."""
    ticket = kiosk.issue_ticket("T1", "policy", employee_no=employee_no)
    qtbot.waitUntil(lambda: desk.model.card(ticket.id) is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: face_label(desk, ticket.id) == "人脸识别：已登记人脸", timeout=WAIT)
    return ticket.id


# -- the rule: what the server's answer shows ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "label", "button"),
    [
        ({"consent": {"status": "active"}, "pending_enrolment": False, "templates": 1}, "已登记人脸", True),
        ({"consent": {"status": "pending"}, "pending_enrolment": True, "templates": 1}, "待确认", True),
        ({"consent": None, "pending_enrolment": False, "templates": 0}, "未登记", False),
    ],
)
def test_the_state_shown_is_what_face_status_answers(status: dict[str, Any], label: str, button: bool) -> None:
    from suqiu_frontdesk.face_consent import FaceState

    state = FaceState.from_status("E1001", status)
    assert (state.label, state.can_withdraw, state.visible) == (label, button, True)
    assert not FaceState("E1001", "hidden").visible and not FaceState("E1001", "hidden").can_withdraw


def test_the_card_line_shows_the_state_and_offers_withdrawal_only_with_a_consent(qtbot) -> None:  # type: ignore[no-untyped-def]
    from suqiu_frontdesk.face_consent import FaceState
    from suqiu_frontdesk.face_consent_view import FaceConsentRow

    row = FaceConsentRow()
    qtbot.addWidget(row)
    assert row.isHidden()  # nothing until the server has answered
    row.show_state(FaceState("E1001", "enrolled", 1))
    assert not row.isHidden() and row.state_label.text() == "人脸识别：已登记人脸"
    assert not row.withdraw_button.isHidden() and row.withdraw_button.isEnabled()
    row.show_state(FaceState("E1001", "enrolled", 1, withdrawing=True))
    assert not row.withdraw_button.isEnabled() and row.withdraw_button.text() == "正在撤回…"
    row.show_state(FaceState("E1001", "none"))
    assert row.state_label.text() == "人脸识别：未登记" and row.withdraw_button.isHidden()
    row.show_state(FaceState("E1001", "hidden"))
    assert row.isHidden()


# -- at the desk -------------------------------------------------------------------------------------------


def test_the_officer_withdraws_at_the_desk_and_the_template_is_gone(  # type: ignore[no-untyped-def]
    qtbot, make_desk, kiosk, officer, database
) -> None:
    enrol(officer, "E1002", seed=2)
    earlier = len(withdraw_audits(database, "E1002"))
    desk = make_desk(counter=1, display=False)
    ticket_id = arrive(qtbot, desk, kiosk, "E1002")
    card = card_of(desk, ticket_id)
    assert card.face_row.withdraw_button.isVisibleTo(card)

    qtbot.mouseClick(card.face_row.withdraw_button, Qt.MouseButton.LeftButton)
    dialog = desk.window.face_dialog
    assert dialog is not None and dialog.isVisible()
    assert "李四（工号 E1002）" in dialog.findChild(QLabel, "faceDialogTitle").text()
    words = "".join(label.text() for label in dialog.findChildren(QLabel))
    assert "立即删除" in words and "工号" in words and "重新授权" in words
    assert not dialog.confirm_button.isEnabled()  # not before 本人已当面提出撤回 is ticked
    dialog.in_person.setChecked(True)
    assert dialog.confirm_button.isEnabled()
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: face_label(desk, ticket_id) == "人脸识别：未登记", timeout=WAIT)
    assert "已撤回 李四 的人脸授权" in desk.window.status_line.text()
    card = card_of(desk, ticket_id)
    assert not card.face_row.withdraw_button.isVisibleTo(card)
    assert desk.window.face_dialog is None

    # Behind the screen: no template, no live consent, and the audit row names this officer.
    status = officer.face_status("E1002")
    assert status["templates"] == 0 and status["consent"] is None
    assert templates_of(database, "E1002") == 0
    [(actor, detail)] = withdraw_audits(database, "E1002")[earlier:]
    assert actor == user_actor(database, "reception1") != user_actor(database, "supervisor1")
    assert detail["via"] == "frontdesk" and detail["templates_deleted"] == 1


def test_cancelling_the_dialog_changes_nothing(qtbot, make_desk, kiosk, officer, database) -> None:  # type: ignore[no-untyped-def]
    enrol(officer, "E1001", seed=1)
    try:
        desk = make_desk(counter=1, display=False)
        ticket_id = arrive(qtbot, desk, kiosk, "E1001")
        status_before = desk.window.status_line.text()
        audits_before = withdraw_audits(database, "E1001")

        qtbot.mouseClick(card_of(desk, ticket_id).face_row.withdraw_button, Qt.MouseButton.LeftButton)
        dialog = desk.window.face_dialog
        assert dialog is not None
        dialog.in_person.setChecked(True)  # ticked, and still cancelled
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: desk.window.face_dialog is None, timeout=WAIT)

        desk.runner.wait()
        qtbot.wait(50)  # anything a stray request would bring back has arrived by now
        assert face_label(desk, ticket_id) == "人脸识别：已登记人脸"
        card = card_of(desk, ticket_id)
        assert card.face_row.withdraw_button.isVisibleTo(card) and card.face_row.withdraw_button.isEnabled()
        assert desk.window.status_line.text() == status_before
        assert officer.face_status("E1001")["templates"] == 1 and templates_of(database, "E1001") == 1
        assert withdraw_audits(database, "E1001") == audits_before
    finally:
        officer.face_withdraw_for("E1001")  # leave the module's server as it was


@pytest.mark.parametrize("failure", ["refused", "already_withdrawn", "server_down"])
def test_a_failed_withdrawal_says_why_and_changes_nothing_on_screen(  # type: ignore[no-untyped-def]
    qtbot, make_desk, kiosk, officer, database, live, failure
) -> None:
    enrol(officer, "E1003", seed=3)
    other: SuqiuClient | None = None  # the client the desk's face actions use instead, if any
    try:
        desk = make_desk(counter=1, display=False)
        ticket_id = arrive(qtbot, desk, kiosk, "E1003")
        audits_before = withdraw_audits(database, "E1003")
        faces = desk.controller.faces
        if failure == "refused":  # a caller the server does not let withdraw: a kiosk's key
            other = SuqiuClient(live[0].url, device_key=live[1].device_keys["kiosk"])
            faces.client = other
            expected = "您没有执行此操作的权限"
        elif failure == "already_withdrawn":  # at a kiosk meanwhile, and this desk missed the event
            desk.controller.event_listeners.remove(faces.on_event)
            officer.face_withdraw_for("E1003")
            expected = "欧阳娜娜 目前没有人脸授权，无需撤回"
        else:
            other = SuqiuClient(f"http://127.0.0.1:{free_port()}", retries=0)  # nobody listens there
            faces.client = other
            expected = "暂时连不上服务器"

        qtbot.mouseClick(card_of(desk, ticket_id).face_row.withdraw_button, Qt.MouseButton.LeftButton)
        dialog = desk.window.face_dialog
        dialog.in_person.setChecked(True)
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)

        qtbot.waitUntil(lambda: "人脸授权没有撤回" in desk.window.status_line.text(), timeout=WAIT)
        assert expected in desk.window.status_line.text()
        assert desk.model.status.level == "error"
        assert face_label(desk, ticket_id) == "人脸识别：已登记人脸"
        button = card_of(desk, ticket_id).face_row.withdraw_button
        assert button.isEnabled() and button.text() == "撤回人脸授权"
        if failure != "already_withdrawn":
            assert templates_of(database, "E1003") == 1 and withdraw_audits(database, "E1003") == audits_before
    finally:
        if other is not None:
            other.close()
        if officer.face_status("E1003")["consent"] is not None:
            officer.face_withdraw_for("E1003")


def test_a_caller_the_server_refuses_sees_neither_the_state_nor_the_button(  # type: ignore[no-untyped-def]
    qtbot, make_desk, kiosk, officer, live
) -> None:
    # Every officer role may read the state today (faces/views.py: ALL_OFFICERS); what the desk
    # shows follows the server's answer, so a caller it refuses (here a kiosk's key) sees nothing.
    enrol(officer, "E1001", seed=1)
    refused = SuqiuClient(live[0].url, device_key=live[1].device_keys["kiosk"])
    try:
        desk = make_desk(counter=1, display=False)
        desk.controller.faces.client = refused
        ticket = kiosk.issue_ticket("T1", "policy", employee_no="E1001")
        qtbot.waitUntil(lambda: desk.model.card(ticket.id) is not None, timeout=WAIT)
        qtbot.waitUntil(lambda: desk.controller.faces.states.get("E1001") is not None, timeout=WAIT)
        assert desk.controller.faces.states.get("E1001").kind == "hidden"
        row = card_of(desk, ticket.id).face_row
        assert row.isHidden() and face_label(desk, ticket.id) == ""
        assert not desk.controller.faces.withdraw("E1001", "张三")  # nothing to press, nothing sent
        assert officer.face_status("E1001")["templates"] == 1
    finally:
        refused.close()
        officer.face_withdraw_for("E1001")
