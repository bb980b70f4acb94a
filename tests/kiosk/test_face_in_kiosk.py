"""刷脸识别 in the kiosk window, against a real server: the fake camera plays a head turn made from
the shared photos, the real face engine runs on the shared models. 张三 (E1001) sets it up through
the separate consent screen and the enrolment (typing on the kiosk's keypad), an officer confirms,
and on the next visit the kiosk recognises him, asks, shows his history, and links his ticket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from support import PASSWORD
from support.faces import FaceScenes, shared_models, write_video

from suqiu_queue.client import SuqiuClient

pytestmark = pytest.mark.qt

WAIT_MS = 90_000  # deadlines on a shared 2-core machine, not measurements
CAMERA_FPS = 8.0


@pytest.fixture(scope="module")
def engine() -> Any:
    from suqiu_devices.registry import build

    return build("face", "insightface", model_dir=str(shared_models()))


@pytest.fixture(scope="module")
def head_turn(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenes = FaceScenes(engine)
    folder = tmp_path_factory.mktemp("kiosk-face")
    return write_video(folder / "turn.avi", scenes.head_turn("obama.jpg", "obama2.jpg", hold=8, steps=24), CAMERA_FPS)


@pytest.fixture
def face(engine: Any, head_turn: Path) -> Iterator[Any]:
    from suqiu_devices.camera.fake import FakeCamera
    from suqiu_kiosk.face import FaceSupport

    support = FaceSupport(FakeCamera(head_turn, fps=CAMERA_FPS, size=(640, 480)), engine)
    yield support
    support.close()


@pytest.fixture
def officer(live: Any) -> Iterator[SuqiuClient]:
    server, world = live
    client = SuqiuClient(server.url)
    client.login(world.usernames["reception"], PASSWORD)
    yield client
    client.close()


def patient(screen: Any) -> None:
    """A slower head-turn deadline than a kiosk's 10 s: the machine is shared."""
    from suqiu_devices.face.liveness import HeadTurnChallenge

    screen.challenge_factory = lambda: HeadTurnChallenge(timeout_s=40.0)


def type_on_keypad(ui: Any, keypad: Any, text: str) -> None:
    for char in text:
        if char.isalpha():
            ui.tap(keypad.to_letters)
            ui.tap(keypad.key(char))
            ui.tap(keypad.to_digits)
        else:
            ui.tap(keypad.key(char))


def test_without_a_camera_and_model_there_is_no_face_login(qtbot: Any, ui: Any, live: Any, make_kiosk: Any) -> None:
    server, world = live
    window = make_kiosk(server.url, world.device_keys["kiosk"])
    ui.tap(window.welcome.tile("policy"))
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    assert window.face_screen is None and not window.screens["identify"].face_row.isVisible()


def test_consent_enrol_confirm_then_recognise_and_link_the_ticket(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any, face: Any, officer: SuqiuClient
) -> None:
    server, world = live
    window = make_kiosk(server.url, world.device_keys["kiosk"], face=face)
    screen = window.face_screen
    patient(screen.recognise)
    patient(screen.enrol)
    identify = window.screens["identify"]

    # 登记刷脸: the separate consent screen first, then 工号 + phone digits on the keypad, then the camera.
    ui.tap(window.welcome.tile("policy"))
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    assert identify.face_row.isVisible() and identify.by_face.text() == "刷脸识别"
    ui.tap(identify.enrol_face)
    assert window.flow.step == "face" and screen.pages.currentWidget() is screen.consent
    qtbot.waitUntil(screen.consent.accept_button.isEnabled, timeout=WAIT_MS)
    assert not screen.keypad.isVisible(), "the consent screen shows the consent, nothing else"
    ui.tap(screen.consent.accept_button)
    assert screen.pages.currentWidget() is screen.enrol and screen.keypad.isVisible()
    type_on_keypad(ui, screen.keypad, "E1001")
    qtbot.mouseClick(screen.enrol.phone_last4, Qt.MouseButton.LeftButton)  # the digits box next
    type_on_keypad(ui, screen.keypad, "0001")
    assert (screen.enrol.employee_no.text(), screen.enrol.phone_last4.text()) == ("E1001", "0001")
    with qtbot.waitSignal(screen.enrol.submitted, timeout=WAIT_MS) as submitted:
        ui.tap(screen.enrol.next_button)
    enrolment_id, masked = submitted.args
    assert masked == "张*" and not screen.keypad.isVisible()
    [done] = [b for b in screen.enrol.done_page.findChildren(QPushButton) if b.text() == "完成"]
    ui.tap(done)  # back to the 工号: this visit goes on as usual
    assert window.flow.step == "identify"
    officer.face_confirm_enrolment(enrolment_id)  # the officer saw the badge
    window.finish_visit()

    # The next visit: 刷脸识别 → "您好，张*，是您本人吗？" → 是 → his history → 继续 → ticket.
    ui.tap(window.welcome.tile("policy"))
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    ui.tap(identify.by_face)
    recognise = screen.recognise
    qtbot.waitUntil(lambda: recognise.pages.currentWidget() is recognise.asking_page, timeout=WAIT_MS)
    assert recognise.greeting.text() == "您好，张*，是您本人吗？"
    ui.tap(recognise.yes_button)
    qtbot.waitUntil(lambda: recognise.pages.currentWidget() is recognise.history_page, timeout=WAIT_MS)
    assert window.flow.visit.employee_no == "E1001" and window.flow.visit.identified_by == "face"
    ui.tap(screen.continue_button)
    qtbot.waitUntil(lambda: window.flow.step == "describe")
    assert not recognise.analyser.running, "the camera is off once the face screen is left"
    ui.tap(window.screens["describe"].skip_button)
    qtbot.waitUntil(lambda: window.flow.step in ("faq", "ticket"), timeout=10_000)
    if window.flow.step == "faq":
        ui.tap(window.screens["faq"].need_person_button)
    qtbot.waitUntil(lambda: window.flow.step == "ticket", timeout=10_000)
    issued = window.flow.visit.ticket
    qtbot.waitUntil(lambda: ui.ticket(server.url, world, issued.ticket_id)["identified_by"] == "face", timeout=WAIT_MS)
    card = officer.arrival_card(issued.ticket_id)
    assert card["employee"]["employee_no"] == "E1001" and card["flags"]["identified_by"] == "face"

    # "不是": straight back to the keypad, nothing identified.
    window.finish_visit()
    ui.tap(window.welcome.tile("policy"))
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    ui.tap(identify.by_face)
    qtbot.waitUntil(lambda: recognise.pages.currentWidget() is recognise.asking_page, timeout=WAIT_MS)
    ui.tap(recognise.no_button)
    assert window.flow.step == "identify" and not window.flow.visit.identified
    officer.face_withdraw_for("E1001")  # leave the module's server as it was
