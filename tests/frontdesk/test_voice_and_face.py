"""Voice messages and face enrolments at the front desk, against a real server and its event stream:
a 语音留言 uploaded after the ticket reaches the card and plays in the case view; a kiosk face
enrolment shows as 待确认人脸登记 on the card until the officer, having checked the badge,
confirms it — or rejects it."""

from __future__ import annotations

import math
import struct
from typing import Any

import pytest
from PySide6.QtCore import Qt

pytestmark = pytest.mark.qt

WAIT = 10_000


def spoken_like_tone(seconds: float = 1.2, rate: int = 16_000) -> bytes:
    """A WAV the server accepts as a voice message (a recording, not speech, is what is checked)."""
    from suqiu_devices.microphone import pcm

    samples = [round(6000 * math.sin(2 * math.pi * 220 * i / rate)) for i in range(int(seconds * rate))]
    return pcm.wav_bytes(struct.pack(f"<{len(samples)}h", *samples), rate)


def chips(widget: Any) -> list[str]:
    from PySide6.QtWidgets import QLabel

    return [c.text() for c in widget.findChildren(QLabel) if c.objectName() == "flagChip"]


def test_a_voice_message_reaches_the_card_and_plays_in_the_case_view(qtbot, make_desk, kiosk) -> None:  # type: ignore[no-untyped-def]
    from suqiu_devices.microphone.playback import FakeClipOutput

    desk = make_desk(counter=1, display=False)
    output = FakeClipOutput()
    desk.window.set_voice_output(output)
    ticket = kiosk.issue_ticket("T1", "policy", employee_no="E1002", note="想问问退休手续")
    qtbot.waitUntil(lambda: desk.model.card(ticket.id) is not None, timeout=WAIT)
    assert desk.model.card(ticket.id).flags["voice_messages"] == 0

    # The kiosk uploads the recording just after issuing: the card learns of it by event.
    stored = kiosk.upload_voice_message(
        ticket.id, spoken_like_tone(), transcript="想问问退休手续怎么办", transcript_status="ok",
        filename="voice.wav", content_type="audio/wav",
    )  # fmt: skip
    qtbot.waitUntil(lambda: desk.model.card(ticket.id).flags.get("voice_messages") == 1, timeout=WAIT)
    [widget] = [w for w in desk.window.cards_panel.widgets() if w.card.ticket_id == ticket.id]
    assert "语音留言" in chips(widget)

    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(desk.window.case_views) == 1, timeout=WAIT)
    view = desk.window.case_views[0]
    assert view.voice is not None
    qtbot.waitUntil(lambda: len(view.voice.players) == 1, timeout=WAIT)
    [player] = view.voice.players
    assert "想问问退休手续怎么办" in player.transcript.text()
    player.play()
    qtbot.waitUntil(lambda: player.state == "stopped" and output.plays == 1, timeout=20_000)
    assert stored["duration_s"] == pytest.approx(1.2, abs=0.05)
    view.close()


def test_a_kiosk_face_enrolment_waits_on_the_card_until_the_officer_confirms_it(  # type: ignore[no-untyped-def]
    qtbot, make_desk, kiosk, officer
) -> None:
    from support.faces import shared_models

    from suqiu_devices.registry import build

    engine = build("face", "insightface", model_dir=str(shared_models()))
    desk = make_desk(counter=3, display=False)
    ticket = kiosk.issue_ticket("T1", "legal", employee_no="E1003")
    qtbot.waitUntil(lambda: desk.model.card(ticket.id) is not None, timeout=WAIT)
    assert not desk.model.card(ticket.id).flags["face_pending"]

    # At the kiosk, after the separate consent screen: 工号 + phone digits + five frontal frames.
    version = kiosk.face_consent_text()["version"]
    base = [math.sin(i * 0.7) + 0.1 for i in range(engine.dim)]
    frames = [[v + 0.001 * k for v in base] for k in range(5)]
    kiosk.face_request_enrolment(
        employee_no="E1003", phone_last4="0003", consent_version=version, model=engine.model_id, embeddings=frames
    )
    qtbot.waitUntil(lambda: desk.model.card(ticket.id).flags.get("face_pending") is True, timeout=WAIT)
    [widget] = [w for w in desk.window.cards_panel.widgets() if w.card.ticket_id == ticket.id]
    assert "待确认人脸登记" in chips(widget)
    assert widget.face_confirm_button is not None and widget.face_reject_button is not None

    qtbot.mouseClick(widget.face_confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not desk.model.card(ticket.id).flags.get("face_pending"), timeout=WAIT)
    assert "已确认 欧阳娜娜 的人脸登记" in desk.window.status_line.text()
    status = officer.face_status("E1003")
    assert status["pending_enrolment"] is False and status["templates"] == 1
    [widget] = [w for w in desk.window.cards_panel.widgets() if w.card.ticket_id == ticket.id]
    assert widget.face_confirm_button is None and "待确认人脸登记" not in chips(widget)
    officer.face_withdraw_for("E1003")  # leave the module's server as it was
