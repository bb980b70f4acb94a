"""The kiosk's voice input, offscreen, with the fake microphone playing real Mandarin at real-time pace.

The last test is the whole path: speak at the kiosk → the words land in the text box → the ticket
is issued and carries the voice message → an officer's front desk plays it back (every playback
audited by the server).
"""

from __future__ import annotations

import io
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget
from sqlalchemy import create_engine, select
from support import PASSWORD, ServerProcess, World
from support.speech import REFERENCES, speech_path, whisper_model_dir

from suqiu_devices.asr import character_errors
from suqiu_devices.asr.models import REQUIRED_FILES
from suqiu_devices.microphone import RecorderSettings, microphone_factory, pcm
from suqiu_devices.microphone.playback import FakeClipOutput, decode_clip
from suqiu_devices.registry import build
from suqiu_frontdesk.voice import VoiceMessagePlayer
from suqiu_kiosk.voice import VoiceInputWidget, upload_voice_message
from suqiu_kiosk.voice.widget import TEXTS
from suqiu_queue.client import SuqiuClient

pytestmark = pytest.mark.qt

EXAMPLE = "asr_example_zh.wav"


@pytest.fixture(scope="module")
def recognizer():  # type: ignore[no-untyped-def]
    engine = build("asr", "faster_whisper", model_dir=whisper_model_dir())
    yield engine
    engine.close()


def fake_microphone(*wavs: Any, lead_in_s: float = 0.3) -> Any:
    factory = microphone_factory("fake", wav=list(wavs), lead_in_s=lead_in_s)
    assert factory is not None
    return factory


def silent_wav(seconds: float) -> bytes:
    return pcm.wav_bytes(bytes(int(seconds * 16_000) * 2))


_WINDOWS: list[QWidget] = []  # Python must keep each window alive: it owns the widget under test


@pytest.fixture(autouse=True)
def _close_windows() -> Any:
    yield
    while _WINDOWS:
        _WINDOWS.pop().close()


def on_screen(widget: QWidget, qtbot: Any) -> QWidget:
    """The widget inside a window beside a text box, shown, like on the describe screen."""
    window = QWidget()
    _WINDOWS.append(window)
    box = QLineEdit()
    box.setObjectName("DescribeField")
    layout = QVBoxLayout(window)
    layout.addWidget(box)
    layout.addWidget(widget)
    widget.transcribed.connect(box.setText)
    qtbot.addWidget(window)
    window.show()
    return window


def tap(qtbot: Any, widget: VoiceInputWidget) -> None:
    qtbot.mousePress(widget.button, Qt.MouseButton.LeftButton)
    qtbot.mouseRelease(widget.button, Qt.MouseButton.LeftButton)


# --- no microphone -------------------------------------------------------------------------------------


def test_without_a_microphone_the_voice_button_never_shows(qtbot: Any) -> None:
    factory = microphone_factory("sounddevice")  # this machine has no sound card
    if factory is not None:
        pytest.skip("this machine has a microphone")
    widget = VoiceInputWidget(factory, None)
    window = on_screen(widget, qtbot)
    widget.show()  # a layout showing its children must not bring it back
    assert window.isVisible() and not widget.isVisible() and not widget.available
    tap(qtbot, widget)
    assert widget.state == "idle"


# --- recording rules in the widget -------------------------------------------------------------------------


def test_tap_talk_and_the_words_land_in_the_text_box(qtbot: Any, recognizer: Any) -> None:
    widget = VoiceInputWidget(fake_microphone(speech_path(EXAMPLE)), recognizer)
    window = on_screen(widget, qtbot)
    levels: list[int] = []
    widget.meter.valueChanged.connect(levels.append)
    recorded: list[tuple[bytes, float]] = []
    widget.recorded.connect(lambda flac, seconds: recorded.append((flac, seconds)))
    assert widget.button.text() == "按住说话 / 点击说话"
    with qtbot.waitSignal(widget.transcribed, timeout=90_000) as transcribed:
        tap(qtbot, widget)
        assert widget.state == "recording" and widget.button.text() == TEXTS["zh"]["tap"]
        qtbot.waitUntil(lambda: widget.timer.text().startswith("0:02"), timeout=10_000)
    text = transcribed.args[0]
    assert window.findChild(QLineEdit, "DescribeField").text() == text
    assert character_errors(text, REFERENCES[EXAMPLE][0]) <= 2, text
    assert widget.status.text() == TEXTS["zh"]["transcribed"]
    assert max(levels) > 40  # the meter moved with the voice
    [(flac, seconds)] = recorded
    speech = pcm.decode_to_pcm16(str(speech_path(EXAMPLE)))
    assert 5.5 < seconds < 5.5 + 0.3 + 1.0  # the words plus the lead-in, the pause trimmed to a short tail
    values, rate = soundfile.read(io.BytesIO(flac), dtype="int16")
    assert rate == 16_000 and values.tobytes()[6_000 * 2 : 6_000 * 2 + len(speech) // 2] in speech
    assert widget.pending is not None and widget.pending.transcript == text
    assert widget.pending.transcript_status == "ok" and widget.state == "idle"


def test_hold_to_talk_ends_on_release_and_without_an_engine_the_message_still_goes(qtbot: Any) -> None:
    widget = VoiceInputWidget(fake_microphone(speech_path("0478_00017.wav")), None)
    on_screen(widget, qtbot)
    failures: list[str] = []
    widget.failed.connect(failures.append)
    with qtbot.waitSignal(widget.recorded, timeout=20_000) as recorded:
        qtbot.mousePress(widget.button, Qt.MouseButton.LeftButton)
        assert widget.button.text() == TEXTS["zh"]["hold"]
        qtbot.wait(2_000)
        qtbot.mouseRelease(widget.button, Qt.MouseButton.LeftButton)
    flac, seconds = recorded.args
    assert 1.5 < seconds < 3.5  # what was said while the button was held
    assert decode_clip(flac).duration == pytest.approx(seconds, abs=0.01)
    qtbot.waitUntil(lambda: bool(failures), timeout=5_000)
    assert failures == [TEXTS["zh"]["no_engine"]]
    assert "转给工作人员" in widget.status.text()
    assert widget.pending is not None and widget.pending.transcript_status == "unavailable"


def test_nothing_heard_asks_again_and_keeps_nothing(qtbot: Any) -> None:
    widget = VoiceInputWidget(
        fake_microphone(silent_wav(5.0)), None, settings=RecorderSettings(no_speech_timeout_s=1.0)
    )
    on_screen(widget, qtbot)
    recorded: list[Any] = []
    widget.recorded.connect(lambda *args: recorded.append(args))
    with qtbot.waitSignal(widget.failed, timeout=10_000) as failed:
        tap(qtbot, widget)
    assert failed.args == [TEXTS["zh"]["no_speech"]]
    assert recorded == [] and widget.pending is None and widget.state == "idle"


def test_a_broken_speech_model_still_sends_the_recording(qtbot: Any, tmp_path: Path) -> None:
    source = whisper_model_dir()
    for name in REQUIRED_FILES:
        if name != "model.bin":
            shutil.copy(source / name, tmp_path / name)
    (tmp_path / "model.bin").write_bytes(b"corrupt" * 100)
    broken = build("asr", "faster_whisper", model_dir=tmp_path)
    widget = VoiceInputWidget(fake_microphone(speech_path("zh.wav")), broken)
    on_screen(widget, qtbot)
    with qtbot.waitSignal(widget.failed, timeout=30_000) as failed:
        tap(qtbot, widget)
    assert failed.args == [TEXTS["zh"]["not_written"]]
    assert widget.pending is not None and widget.pending.transcript_status == "failed"
    assert decode_clip(widget.pending.flac).duration > 4.0


def test_leaving_the_screen_mid_sentence_drops_the_recording(qtbot: Any) -> None:
    widget = VoiceInputWidget(fake_microphone(speech_path("0478_00017.wav")), None)
    on_screen(widget, qtbot)
    signals: list[Any] = []
    widget.recorded.connect(lambda *a: signals.append(a))
    widget.failed.connect(signals.append)
    tap(qtbot, widget)
    qtbot.waitUntil(lambda: widget.meter.value() > 0, timeout=5_000)
    widget.cancel()
    assert widget.state == "idle" and widget.button.text() == TEXTS["zh"]["idle"]
    assert widget.wait_idle(5.0)
    qtbot.wait(100)  # any stray result would arrive now
    assert signals == [] and widget.pending is None


def test_a_screen_change_while_recording_closes_the_microphone(qtbot: Any) -> None:
    widget = VoiceInputWidget(fake_microphone(speech_path("0478_00017.wav")), None)
    window = on_screen(widget, qtbot)
    tap(qtbot, widget)
    qtbot.waitUntil(lambda: widget.meter.value() > 0, timeout=5_000)
    window.hide()
    assert widget.state == "idle" and widget.wait_idle(5.0)


def test_english_texts(qtbot: Any) -> None:
    widget = VoiceInputWidget(fake_microphone(silent_wav(1.0)), None, language="en")
    assert widget.button.text() == "Hold to talk / Tap to talk"
    widget.set_language("zh")
    assert widget.button.text() == "按住说话 / 点击说话"
    assert set(TEXTS["zh"]) == set(TEXTS["en"])


# --- the whole path ---------------------------------------------------------------------------------------------


def test_spoken_words_reach_the_ticket_and_the_front_desk_plays_them(
    qtbot: Any, recognizer: Any, live: tuple[ServerProcess, World]
) -> None:
    server, world = live
    widget = VoiceInputWidget(fake_microphone(speech_path("zh.wav")), recognizer)
    window = on_screen(widget, qtbot)
    with qtbot.waitSignal(widget.transcribed, timeout=90_000):
        tap(qtbot, widget)
    box = window.findChild(QLineEdit, "DescribeField")
    assert character_errors(box.text(), REFERENCES["zh.wav"][0]) <= 3, box.text()
    box.setText(box.text() + "我想问问体检的安排。")  # the person adds a line by hand
    pending = widget.pending
    assert pending is not None

    kiosk = SuqiuClient(server.url, device_key=world.device_keys["kiosk"])
    officer = SuqiuClient(server.url)
    try:
        ticket = kiosk.issue_ticket(world.center, "health", note=box.text())
        stored = upload_voice_message(kiosk, ticket.id, pending)
        again = upload_voice_message(kiosk, ticket.id, pending)  # a retry after a lost answer
        assert stored["created"] and not again["created"] and again["id"] == stored["id"]
        assert stored["transcript"] == pending.transcript and stored["transcript_status"] == "ok"

        officer.login(world.usernames["reception"], PASSWORD)
        [message] = officer.voice_messages(ticket_id=ticket.id)
        assert message["id"] == stored["id"] and message["duration_s"] == pytest.approx(pending.duration_s, abs=0.01)

        output = FakeClipOutput()
        player = VoiceMessagePlayer(output)
        qtbot.addWidget(player)
        player.set_client_message(officer, message)
        assert pending.transcript in player.transcript.text()
        player.play()
        qtbot.waitUntil(lambda: player.state == "stopped" and output.plays == 1, timeout=20_000)
        played = np.concatenate(output.played)
        kept = decode_clip(pending.flac).samples
        assert np.array_equal(played, kept)  # the officer heard exactly what the kiosk recorded
    finally:
        kiosk.close()
        officer.close()

    engine = create_engine(server.database_url)
    try:
        from suqiu_queue.server.audit.models import AuditEntry

        with engine.connect() as connection:
            plays = connection.execute(
                select(AuditEntry.actor).where(
                    AuditEntry.action == "voice.play", AuditEntry.subject == f"voice_message:{stored['id']}"
                )
            ).all()
        assert len(plays) == 1 and plays[0][0].startswith("user:")
    finally:
        engine.dispose()
