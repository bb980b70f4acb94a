"""The front desk's voice-message player, offscreen, with a sound card fake that takes samples in real time.

Checked: what comes out of the "speaker" is exactly the recording (also across pause/resume and
seeking), each play from the start fetches the audio again (the server audits each fetch as one
playback), no output device and refused fetches are said plainly, and the panel lists a real
ticket's messages from a running server.
"""

from __future__ import annotations

import io
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any

import numpy as np
import pytest
import soundfile
from sqlalchemy import create_engine, select
from support import ServerProcess, World

from suqiu_devices.microphone.playback import FakeClipOutput, decode_clip
from suqiu_frontdesk.voice import VoiceMessagePlayer, VoiceMessagesPanel, default_output
from suqiu_frontdesk.voice.player import NO_OUTPUT, TRANSCRIPT_NOTES
from suqiu_queue.client import ApiError, SuqiuClient

pytestmark = pytest.mark.qt

RATE = 16_000


def recording(seconds: float = 1.5, seed: int = 3) -> bytes:
    t = np.arange(int(seconds * RATE)) / RATE
    voice = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 5)) * (np.sin(2 * np.pi * 2.5 * t) > 0)
    noise = np.random.default_rng(seed).normal(0, 0.01, len(t))
    buffer = io.BytesIO()
    soundfile.write(buffer, np.clip(0.3 * voice + noise, -1, 1), RATE, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()


class Server:
    """Hands out the audio like the API does, counting fetches (each is one audited playback)."""

    def __init__(self, audio: bytes) -> None:
        self.audio = audio
        self.fetches = 0

    def fetch(self) -> bytes:
        self.fetches += 1
        return self.audio


def message(seconds: float, transcript: str = "宿舍的热水器坏了，想报修。", status: str = "ok") -> dict[str, Any]:
    return {"id": 1, "duration_s": seconds, "transcript": transcript, "transcript_status": status}


def make_player(qtbot: Any, audio: bytes, **fields: Any) -> tuple[VoiceMessagePlayer, FakeClipOutput, Server]:
    output = FakeClipOutput()
    player = VoiceMessagePlayer(output)
    qtbot.addWidget(player)
    server = Server(audio)
    player.set_message(message(decode_clip(audio).duration, **fields), server.fetch)
    player.show()
    return player, output, server


def heard(output: FakeClipOutput) -> np.ndarray:
    return np.concatenate(output.played) if output.played else np.zeros(0, np.float32)


def test_play_to_the_end_gives_exactly_the_recording_and_the_transcript_is_shown(qtbot: Any) -> None:
    audio = recording(1.5)
    player, output, server = make_player(qtbot, audio)
    assert player.transcript.text() == "文字：宿舍的热水器坏了，想报修。"
    assert player.time_label.text() == "0:00 / 0:02" and player.play_button.text() == "播放"
    assert server.fetches == 0  # nothing fetched (nor audited) until someone presses play
    fractions: list[float] = []
    player._timer.timeout.connect(lambda: fractions.append(player.waveform.fraction))
    player.play_button.click()
    qtbot.waitUntil(lambda: player.state == "playing", timeout=5_000)
    assert player.play_button.text() == "暂停"
    qtbot.waitUntil(lambda: player.state == "stopped", timeout=10_000)
    assert np.array_equal(heard(output), decode_clip(audio).samples)
    assert server.fetches == 1 and len(player.waveform.peaks) == 120 and max(player.waveform.peaks) == 1.0
    assert fractions and fractions == sorted(fractions) and 0 < fractions[len(fractions) // 2] < 1  # the bar filled
    assert player.play_button.text() == "播放" and player.position == 0


def test_pause_and_resume_continue_where_it_stopped(qtbot: Any) -> None:
    audio = recording(2.0)
    player, output, server = make_player(qtbot, audio)
    player.play()
    qtbot.waitUntil(lambda: player.position > RATE // 2, timeout=10_000)
    player.toggle()
    assert player.state == "paused"
    qtbot.waitUntil(lambda: player.play_button.text() == "继续", timeout=5_000)
    paused_at = player.position
    qtbot.wait(300)
    assert player.position == paused_at and 0 < paused_at < 2 * RATE
    assert len(heard(output)) == paused_at  # nothing played while paused
    player.toggle()
    qtbot.waitUntil(lambda: player.state == "stopped", timeout=10_000)
    assert np.array_equal(heard(output), decode_clip(audio).samples)  # no gap, nothing twice
    assert server.fetches == 1 and output.plays == 2


def test_each_listen_from_the_start_fetches_again_so_the_server_audits_it(qtbot: Any) -> None:
    player, output, server = make_player(qtbot, recording(0.5))
    for listens in (1, 2):
        player.play()
        qtbot.waitUntil(lambda: player.state == "stopped" and output.plays == listens, timeout=10_000)  # noqa: B023
    assert server.fetches == 2


def test_seeking_while_paused_plays_the_rest_from_there(qtbot: Any) -> None:
    audio = recording(2.0)
    player, output, _server = make_player(qtbot, audio)
    player.play()
    qtbot.waitUntil(lambda: player.position > RATE // 4, timeout=10_000)
    player.pause()
    qtbot.waitUntil(lambda: player.play_button.text() == "继续", timeout=5_000)
    before = len(heard(output))
    player.seek(0.75)
    assert player.waveform.fraction == pytest.approx(0.75, abs=0.01)
    player.play()
    qtbot.waitUntil(lambda: player.state == "stopped", timeout=10_000)
    samples = decode_clip(audio).samples
    assert np.array_equal(heard(output)[before:], samples[int(0.75 * len(samples)) :])


def test_without_an_output_device_it_says_so_and_the_transcript_remains(qtbot: Any) -> None:
    output = default_output()  # this machine has no sound card
    if output is not None:
        pytest.skip("this machine has an audio output")
    player = VoiceMessagePlayer(output)
    qtbot.addWidget(player)
    server = Server(recording(0.5))
    player.set_message(message(0.5), server.fetch)
    assert not player.play_button.isEnabled() and player.status.text() == NO_OUTPUT
    player.play()
    assert player.state == "stopped" and server.fetches == 0
    assert "热水器" in player.transcript.text()


def test_a_refused_fetch_is_shown_and_nothing_plays(qtbot: Any) -> None:
    output = FakeClipOutput()
    player = VoiceMessagePlayer(output)
    qtbot.addWidget(player)

    def refuse() -> bytes:
        raise ApiError(403, "forbidden", "您没有执行此操作的权限", "You are not allowed to do this")

    player.set_message(message(1.0), refuse)
    with qtbot.waitSignal(player.error, timeout=5_000) as error:
        player.play()
    assert error.args == ["您没有执行此操作的权限"] and player.status.text() == "您没有执行此操作的权限"
    assert player.state == "stopped" and output.plays == 0 and player.play_button.isEnabled()


@pytest.mark.parametrize("status", ["empty", "failed", "unavailable"])
def test_a_message_without_words_says_why(qtbot: Any, status: str) -> None:
    player, _output, _server = make_player(qtbot, recording(0.5), transcript="", status=status)
    assert player.transcript.text() == TRANSCRIPT_NOTES[status]


def test_the_panel_lists_a_tickets_messages_from_the_server_and_plays_one(
    qtbot: Any, live: tuple[ServerProcess, World], kiosk: SuqiuClient, officer: SuqiuClient
) -> None:
    server, world = live
    ticket = kiosk.issue_ticket(world.center, "policy")
    first = kiosk.upload_voice_message(ticket.id, recording(1.0, seed=1), transcript="第一段。")
    second = kiosk.upload_voice_message(ticket.id, recording(0.8, seed=2), transcript_status="unavailable")
    output = FakeClipOutput()
    panel = VoiceMessagesPanel(officer, output)
    qtbot.addWidget(panel)
    panel.show()
    panel.show_for(ticket_id=ticket.id)
    qtbot.waitUntil(lambda: len(panel.players) == 2, timeout=10_000)
    assert not panel.empty.isVisible()
    assert [p.message["id"] for p in panel.players] == [first["id"], second["id"]]
    assert panel.players[1].transcript.text() == TRANSCRIPT_NOTES["unavailable"]
    player = panel.players[0]
    player.play()
    qtbot.waitUntil(lambda: player.state == "stopped" and output.plays == 1, timeout=10_000)
    assert np.array_equal(heard(output), decode_clip(recording(1.0, seed=1)).samples)

    engine = create_engine(server.database_url)
    try:
        from suqiu_queue.server.audit.models import AuditEntry

        with engine.connect() as connection:
            actions = connection.execute(
                select(AuditEntry.action, AuditEntry.subject).where(AuditEntry.action.like("voice.%"))
            ).all()
    finally:
        engine.dispose()
    assert ("voice.list", f"ticket:{ticket.id}") in actions
    assert ("voice.play", f"voice_message:{first['id']}") in actions
    assert ("voice.play", f"voice_message:{second['id']}") not in actions  # listed, never played
