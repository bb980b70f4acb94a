"""The kiosk's face screens, offscreen, against a real server process, with the fake camera
playing videos made from the shared photos and the real engine on the shared models.

The seeded world's 张三 (E1001) enrols with Obama's face (the photos are MIT-licensed test images);
John stands in for a stranger.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from support import ServerProcess, World, login
from support.faces import FaceScenes, shared_models, write_video

from suqiu_devices.camera.fake import FakeCamera
from suqiu_devices.face.liveness import HeadTurnChallenge
from suqiu_devices.registry import build
from suqiu_queue.client import SuqiuClient

pytestmark = pytest.mark.qt

SIGNAL_WAIT_MS = 90_000  # deadlines on a shared 2-core machine, not measurements
CAMERA_FPS = 8.0  # a slow camera keeps every analysed step of the turn small, even under load


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    return build("face", "insightface", model_dir=str(shared_models()))


@pytest.fixture(scope="module")
def videos(engine, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    scenes = FaceScenes(engine)
    folder = tmp_path_factory.mktemp("face-videos")
    return {
        # 张三 enrols: a real pose pair (frontal obama, turned obama2), blended slowly.
        "enrol": write_video(
            folder / "enrol.avi", scenes.head_turn("obama.jpg", "obama2.jpg", hold=8, steps=24), CAMERA_FPS
        ),
        # ...and comes back another day: a different photo as the frontal pose.
        "visit": write_video(
            folder / "visit.avi", scenes.head_turn("obama3.jpg", "obama2.jpg", hold=8, steps=24), CAMERA_FPS
        ),
        "stranger": write_video(
            folder / "stranger.avi", scenes.head_turn("john1.jpeg", "john2.jpeg", hold=8, steps=24), CAMERA_FPS
        ),
        "photo": write_video(folder / "photo.avi", scenes.still("obama.jpg", 40), CAMERA_FPS),
    }


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, seeded_copy: Any) -> Iterator[tuple[ServerProcess, World, str]]:
    folder = tmp_path_factory.mktemp("face-server")
    url, world = seeded_copy(folder)
    with ServerProcess(url) as server:
        yield server, world, str(folder / "suqiu.db")


@pytest.fixture
def kiosk(live: tuple[ServerProcess, World, str]) -> Iterator[SuqiuClient]:
    server, world, _ = live
    client = SuqiuClient(server.url, device_key=world.device_keys["kiosk"])
    yield client
    client.close()


@pytest.fixture
def officer(live: tuple[ServerProcess, World, str]) -> Iterator[SuqiuClient]:
    server, _, _ = live
    client = SuqiuClient(server.url, token=login(server.url, "reception1"))
    yield client
    client.close()


@pytest.fixture
def camera() -> Iterator[Callable[[Path], FakeCamera]]:
    cameras: list[FakeCamera] = []

    def make(video: Path) -> FakeCamera:
        cameras.append(FakeCamera(video, fps=CAMERA_FPS, size=(640, 480)))
        return cameras[-1]

    yield make
    for cam in cameras:
        cam.close()


def audit_count(db_path: str, action: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute("SELECT count(*) FROM audit_log WHERE action = ?", (action,)).fetchone()[0])


def challenge(timeout_s: float = 40.0, **options: float) -> Callable[[], HeadTurnChallenge]:
    return lambda: HeadTurnChallenge(timeout_s=timeout_s, **options)


def enrol_zhang_san(
    qtbot: Any, kiosk: SuqiuClient, officer: SuqiuClient, engine: Any, camera: Any, videos: dict[str, Path]
) -> int:  # type: ignore[no-untyped-def]
    from suqiu_kiosk.face import ConsentScreen, EnrolScreen

    consent = ConsentScreen(kiosk)
    qtbot.addWidget(consent)
    consent.load()
    qtbot.waitUntil(consent.accept_button.isEnabled, timeout=SIGNAL_WAIT_MS)
    with qtbot.waitSignal(consent.accepted, timeout=5000) as accepted:
        qtbot.mouseClick(consent.accept_button, Qt.MouseButton.LeftButton)
    version = accepted.args[0]

    screen = EnrolScreen(kiosk, camera(videos["enrol"]), engine, challenge_factory=challenge())
    qtbot.addWidget(screen)
    screen.begin(version)
    screen.employee_no.setText("E1001")
    screen.phone_last4.setText("0001")
    with qtbot.waitSignal(screen.submitted, timeout=SIGNAL_WAIT_MS) as submitted:
        qtbot.mouseClick(screen.next_button, Qt.MouseButton.LeftButton)
    enrolment_id, masked = submitted.args
    assert masked == "张*"
    assert screen.pages.currentWidget() is screen.done_page
    assert "工作人员" in screen.done_message.text()
    assert screen.frontal == [] and screen.phone_last4.text() == ""  # nothing kept at the kiosk
    screen.shutdown()

    # The front desk: the person shows their badge; the officer confirms.
    status = officer.face_status("E1001")
    assert status["pending_enrolment"] is True and status["consent"]["text_version"] == version
    assert [p["id"] for p in officer.face_pending_enrolments()] == [enrolment_id]
    officer.face_confirm_enrolment(enrolment_id)
    assert officer.face_status("E1001")["pending_enrolment"] is False
    return int(enrolment_id)


def recognise(qtbot: Any, kiosk: SuqiuClient, engine: Any, camera: Any, video: Path, **options: Any) -> Any:  # type: ignore[no-untyped-def]
    from suqiu_kiosk.face import RecogniseScreen

    screen = RecogniseScreen(kiosk, camera(video), engine, challenge_factory=options.pop("factory", challenge()))
    qtbot.addWidget(screen)
    return screen


def test_consent_enrol_confirm_recognise_confirm_history(qtbot, kiosk, officer, engine, camera, videos, live) -> None:  # type: ignore[no-untyped-def]
    _server, world, db_path = live
    enrol_zhang_san(qtbot, kiosk, officer, engine, camera, videos)

    screen = recognise(qtbot, kiosk, engine, camera, videos["visit"])
    screen.start()
    qtbot.waitUntil(lambda: screen.pages.currentWidget() is screen.asking_page, timeout=SIGNAL_WAIT_MS)
    assert screen.greeting.text() == "您好，张*，是您本人吗？"
    assert audit_count(db_path, "employee.history_read") == 0  # nothing read before "是"

    with qtbot.waitSignal(screen.recognised, timeout=SIGNAL_WAIT_MS) as recognised:
        qtbot.mouseClick(screen.yes_button, Qt.MouseButton.LeftButton)
    assert recognised.args == ["E1001", "张*"]
    assert screen.pages.currentWidget() is screen.history_page
    assert audit_count(db_path, "employee.history_read") == 1

    # The kiosk issues the ticket for the recognised person and links it: "人脸识别" on the card.
    ticket = kiosk.issue_ticket(world.center, "policy", employee_no="E1001")
    with qtbot.waitSignal(screen.ticket_linked, timeout=SIGNAL_WAIT_MS):
        screen.link_ticket(ticket.id)
    card = officer.arrival_card(ticket.id)
    assert card["flags"]["identified_by"] == "face" and card["employee"]["name"] == "张三"

    # The next visit's history shows that ticket with its status.
    screen.forget_person()
    screen.start()
    qtbot.waitUntil(lambda: screen.pages.currentWidget() is screen.asking_page, timeout=SIGNAL_WAIT_MS)
    with qtbot.waitSignal(screen.recognised, timeout=SIGNAL_WAIT_MS):
        qtbot.mouseClick(screen.yes_button, Qt.MouseButton.LeftButton)
    rows = screen.history_rows
    assert any(ticket.display in row and "等候中" in row for row in rows), rows
    screen.shutdown()

    # "不是": declined, audited, nothing shown.
    screen = recognise(qtbot, kiosk, engine, camera, videos["visit"])
    screen.start()
    qtbot.waitUntil(lambda: screen.pages.currentWidget() is screen.asking_page, timeout=SIGNAL_WAIT_MS)
    with qtbot.waitSignal(screen.declined, timeout=5000):
        qtbot.mouseClick(screen.no_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: audit_count(db_path, "face.match_declined") == 1, timeout=SIGNAL_WAIT_MS)
    assert screen.match_id is None or screen.pages.currentWidget() is not screen.history_page
    screen.shutdown()

    # A stranger is not recognised: the kiosk falls back to the 工号, quietly. (John's two photos
    # differ by a smaller turn than the default challenge asks for; this case is about the match.)
    screen = recognise(qtbot, kiosk, engine, camera, videos["stranger"], factory=challenge(min_swing=0.10))
    with qtbot.waitSignal(screen.fallback, timeout=SIGNAL_WAIT_MS) as fell_back:
        screen.start()
    assert fell_back.args == ["no_match"]
    assert screen.greeting.text() == ""
    screen.shutdown()

    # One tap withdraws after recognition; then the face is a stranger's.
    screen = recognise(qtbot, kiosk, engine, camera, videos["visit"])
    screen.start()
    qtbot.waitUntil(lambda: screen.pages.currentWidget() is screen.asking_page, timeout=SIGNAL_WAIT_MS)
    with qtbot.waitSignal(screen.recognised, timeout=SIGNAL_WAIT_MS):
        qtbot.mouseClick(screen.yes_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(screen.withdrawn, timeout=SIGNAL_WAIT_MS):
        qtbot.mouseClick(screen.withdraw_button, Qt.MouseButton.LeftButton)
    status = officer.face_status("E1001")
    assert status["templates"] == 0 and status["consent"] is None
    with qtbot.waitSignal(screen.fallback, timeout=SIGNAL_WAIT_MS) as fell_back:
        screen.start()
    assert fell_back.args == ["no_match"]
    screen.shutdown()


def test_a_photo_held_to_the_camera_never_reaches_the_server(qtbot, kiosk, engine, camera, videos, live) -> None:  # type: ignore[no-untyped-def]
    _, _, db_path = live
    matches_before = audit_count(db_path, "face.match")
    screen = recognise(qtbot, kiosk, engine, camera, videos["photo"], factory=challenge(timeout_s=4.0))
    with qtbot.waitSignal(screen.fallback, timeout=SIGNAL_WAIT_MS) as fell_back:
        screen.start()
    assert fell_back.args == ["not_live"]
    assert audit_count(db_path, "face.match") == matches_before
    screen.shutdown()


def test_declining_consent_sends_nothing(qtbot, kiosk, live) -> None:  # type: ignore[no-untyped-def]
    from suqiu_kiosk.face import ConsentScreen

    _, _, db_path = live
    requests_before = audit_count(db_path, "face.enrol_requested")
    consent = ConsentScreen(kiosk)
    qtbot.addWidget(consent)
    consent.load()
    qtbot.waitUntil(consent.accept_button.isEnabled, timeout=SIGNAL_WAIT_MS)
    texts = " ".join(w.text() for w in consent.body.findChildren(type(consent.title)))
    assert "不保存您的照片" in texts and "立即删除" in texts
    assert consent.decline_button.text() == "不同意" and consent.accept_button.text() == "我同意"
    with qtbot.waitSignal(consent.declined, timeout=5000):
        qtbot.mouseClick(consent.decline_button, Qt.MouseButton.LeftButton)
    assert audit_count(db_path, "face.enrol_requested") == requests_before


def test_wrong_digits_go_back_to_the_first_step_without_filming_again(
    qtbot, kiosk, engine, camera, videos, live
) -> None:  # type: ignore[no-untyped-def]
    from suqiu_kiosk.face import EnrolScreen

    factory = challenge(min_swing=0.10)  # John's photos: a smaller turn (see above)
    screen = EnrolScreen(kiosk, camera(videos["stranger"]), engine, challenge_factory=factory)
    qtbot.addWidget(screen)
    screen.begin(kiosk.face_consent_text()["version"])
    screen.employee_no.setText("E1003")
    screen.phone_last4.setText("9999")
    qtbot.mouseClick(screen.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: not screen.identity_error.isHidden() and screen.pages.currentWidget() is screen.identity_page,
        timeout=SIGNAL_WAIT_MS,
    )
    assert "不一致" in screen.identity_error.text()
    assert len(screen.frontal) == screen.frames_needed  # kept for the retry, not re-filmed
    with qtbot.waitSignal(screen.submitted, timeout=SIGNAL_WAIT_MS) as submitted:
        screen.phone_last4.setText("0003")
        qtbot.mouseClick(screen.next_button, Qt.MouseButton.LeftButton)
    assert submitted.args[1] == "欧阳**"
    screen.cancel()
    assert screen.frontal == []
    screen.shutdown()


def test_withdrawal_with_staff_number_and_digits(qtbot, kiosk, officer, live) -> None:  # type: ignore[no-untyped-def]
    from suqiu_kiosk.face import WithdrawScreen

    screen = WithdrawScreen(kiosk)
    qtbot.addWidget(screen)
    screen.employee_no.setText("E1002")
    screen.phone_last4.setText("0002")
    qtbot.mouseClick(screen.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not screen.message.isHidden(), timeout=SIGNAL_WAIT_MS)
    assert screen.message.text() == "您没有登记人脸，无需撤回"


def test_preview_draws_the_box_and_the_hint(qtbot, engine, videos) -> None:  # type: ignore[no-untyped-def]
    import cv2

    from suqiu_kiosk.face import FacePreview
    from suqiu_kiosk.face.analysis import AnalysedFrame

    preview = FacePreview()
    qtbot.addWidget(preview)
    preview.resize(640, 600)
    capture = cv2.VideoCapture(str(videos["enrol"]))
    ok, frame = capture.read()
    capture.release()
    assert ok
    far = cv2.resize(frame, (200, 150))  # the person stands three times as far away
    far = cv2.copyMakeBorder(far, 165, 165, 220, 220, cv2.BORDER_CONSTANT)
    preview.show_frame(AnalysedFrame(far, engine.analyse(far)))
    assert preview.hint.text() == "靠近一点" and preview.view.box is not None and not preview.view.ok
    preview.show_frame(AnalysedFrame(frame, engine.analyse(frame)))
    assert preview.hint.text() == "很好，请保持" and preview.view.ok
    x1, _, x2, _ = preview.view.box
    face = engine.analyse(frame).main
    assert (x1, x2) == pytest.approx((640 - face.bbox[2], 640 - face.bbox[0]))  # mirrored like a mirror
    assert not preview.grab().isNull()


def test_no_model_or_no_camera_hides_face_login_and_says_why(tmp_path: Path, caplog, videos) -> None:  # type: ignore[no-untyped-def]
    from suqiu_kiosk.face import load_face_support

    caplog.set_level(logging.INFO, logger="suqiu_kiosk.face.support")
    assert load_face_support({"driver": "fake", "source": str(videos["photo"])}, {"model_dir": str(tmp_path)}) is None
    assert "face login hidden" in caplog.text and "no face detector" in caplog.text
    caplog.clear()
    assert load_face_support({"driver": "fake", "source": str(videos["photo"])}, None) is None
    assert "no face model folder configured" in caplog.text
    caplog.clear()
    models = {"model_dir": str(shared_models())}
    assert load_face_support({"driver": "fake", "source": str(tmp_path / "none.avi")}, models) is None
    assert "does not exist" in caplog.text
    support = load_face_support({"driver": "fake", "source": str(videos["photo"])}, models)
    assert support is not None and support.engine.model_id.startswith("mobilefacenet_128:")
    support.close()
