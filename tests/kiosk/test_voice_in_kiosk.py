"""Voice input on the kiosk's describe screen, through the real window against a real server: the fake
microphone plays a real Mandarin recording at real-time pace, the real Whisper model writes it into
the text box, and the recording follows the ticket as a voice message — online at once, or offline
once the ticket itself reaches the server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from support import PASSWORD, free_port
from support.speech import REFERENCES, speech_path, whisper_model_dir

from suqiu_devices.asr import character_errors
from suqiu_devices.microphone import microphone_factory
from suqiu_devices.registry import build
from suqiu_queue.client import SuqiuClient

pytestmark = pytest.mark.qt


@pytest.fixture(scope="module")
def recognizer() -> Iterator[Any]:
    engine = build("asr", "faster_whisper", model_dir=whisper_model_dir())
    yield engine
    engine.close()


@pytest.fixture
def officer(live: Any) -> Iterator[SuqiuClient]:
    server, world = live
    client = SuqiuClient(server.url)
    client.login(world.usernames["reception"], PASSWORD)
    yield client
    client.close()


def speak(qtbot: Any, voice: Any) -> None:
    """A tap on 按住说话 / 点击说话: listen until the person stops talking."""
    assert voice.isVisible() and voice.button.isEnabled()
    qtbot.mousePress(voice.button, Qt.MouseButton.LeftButton)
    qtbot.mouseRelease(voice.button, Qt.MouseButton.LeftButton)


def test_without_a_microphone_there_is_no_voice_button(qtbot: Any, ui: Any, live: Any, make_kiosk: Any) -> None:
    server, world = live
    window = make_kiosk(server.url, world.device_keys["kiosk"])
    ui.go_to_describe(window, "health")
    voice = window.screens["describe"].voice
    assert not voice.available and not voice.isVisible()


def test_spoken_words_land_in_the_text_box_and_the_recording_follows_the_ticket(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any, recognizer: Any, officer: SuqiuClient
) -> None:
    server, world = live
    microphone = microphone_factory("fake", wav=[str(speech_path("zh.wav"))], lead_in_s=0.3)
    window = make_kiosk(server.url, world.device_keys["kiosk"], open_microphone=microphone, recognizer=recognizer)
    ui.go_to_describe(window, "health")
    describe = window.screens["describe"]
    ui.tap(describe.chip("体检安排"))
    speak(qtbot, describe.voice)
    assert not describe.next_button.isEnabled(), "no 下一步 while the words are still being heard"
    with qtbot.waitSignal(describe.voice.transcribed, timeout=90_000):
        pass
    said = describe.field.text()
    assert character_errors(said, REFERENCES["zh.wav"][0]) <= 3, said
    qtbot.waitUntil(describe.next_button.isEnabled, timeout=5_000)
    pending = describe.voice.pending
    assert pending is not None and pending.transcript_status == "ok"

    ui.tap(describe.next_button)
    qtbot.waitUntil(lambda: window.flow.step in ("faq", "ticket"), timeout=10_000)
    if window.flow.step == "faq":
        ui.tap(window.screens["faq"].need_person_button)
    qtbot.waitUntil(lambda: window.flow.step == "ticket", timeout=10_000)
    issued = window.flow.visit.ticket
    qtbot.waitUntil(lambda: window.service.pending_voice() == 0, timeout=15_000)
    [message] = officer.voice_messages(ticket_id=issued.ticket_id)
    assert message["transcript"] == pending.transcript and message["transcript_status"] == "ok"
    assert message["duration_s"] == pytest.approx(pending.duration_s, abs=0.05)
    assert officer.arrival_card(issued.ticket_id)["ticket"]["note"] == f"体检安排：{said}"  # the words, as corrected
    window.finish_visit()
    assert describe.voice.pending is None and describe.field.text() == ""


def test_offline_the_recording_waits_for_its_ticket_and_goes_with_it(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any, officer: SuqiuClient
) -> None:
    server, world = live
    microphone = microphone_factory("fake", wav=[str(speech_path("asr_example_zh.wav"))], lead_in_s=0.3)
    window = make_kiosk(server.url, world.device_keys["kiosk"], open_microphone=microphone)
    ui.go_to_describe(window, "logistics")
    describe = window.screens["describe"]
    speak(qtbot, describe.voice)
    with qtbot.waitSignal(describe.voice.failed, timeout=60_000) as failed:
        pass
    assert "工作人员" in failed.args[0]  # no engine here: the officer will listen to it instead
    assert describe.voice.pending is not None and describe.voice.pending.transcript_status == "unavailable"

    client = window.service.client
    client.base_url = f"http://127.0.0.1:{free_port()}"  # the network goes down
    ui.tap(describe.next_button)
    qtbot.waitUntil(lambda: window.flow.step == "ticket", timeout=20_000)
    issued = window.flow.visit.ticket
    assert not issued.online and issued.ticket_id is None
    assert window.service.pending_voice() == 1

    client.base_url = server.url
    offline_report = window.last_sync
    window.heartbeat()
    qtbot.waitUntil(lambda: window.last_sync is not offline_report and window.last_sync.online, timeout=20_000)
    assert window.service.pending_voice() == 0
    synced = window.service.store.ticket(issued.idempotency_key)
    assert synced is not None and synced.server_ticket_id is not None
    [message] = officer.voice_messages(ticket_id=synced.server_ticket_id)
    assert message["transcript_status"] == "unavailable" and message["transcript"] == ""
