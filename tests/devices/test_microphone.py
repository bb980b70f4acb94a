"""The microphone: 16 kHz blocks from a WAV-playing fake and from the real PortAudio driver (through an
ALSA file device, as there is no sound card here), the level meter, voice-activity detection, and
the recorder's rules (end on silence, on nothing said, at the length limit, on stop or cancel)."""

from __future__ import annotations

import io
import math
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
from support import SHARED

from suqiu_devices.errors import DeviceError, DeviceUnavailable
from suqiu_devices.microphone import (
    EnergyVad,
    Recorder,
    RecorderSettings,
    SileroVad,
    StopReason,
    microphone_factory,
    pcm,
)
from suqiu_devices.microphone.fake import WavFileSource
from suqiu_devices.microphone.vad import WINDOW, silero_model_path
from suqiu_devices.protocols import AudioSource
from suqiu_devices.registry import build

SPEECH = SHARED / "fixtures" / "speech"
RATE = 16_000


def speech_file(name: str = "asr_example_zh.wav") -> Path:
    path = SPEECH / name
    if not path.is_file():
        pytest.skip(f"shared speech recordings not found at {SPEECH} (../shared is absent)")
    return path


def tone(seconds: float, dbfs: float = -12.0, freq: float = 220.0) -> bytes:
    t = np.arange(int(seconds * RATE)) / RATE
    amplitude = 10 ** (dbfs / 20) * math.sqrt(2)  # a sine's RMS is its peak / √2
    return (np.sin(2 * np.pi * freq * t) * amplitude * 32767).astype("<i2").tobytes()


def silence(seconds: float) -> bytes:
    return bytes(int(seconds * RATE) * 2)


# --- the fake microphone -------------------------------------------------------------------------------


def test_the_fake_delivers_the_file_as_16k_mono_blocks_then_the_quiet_room() -> None:
    path = speech_file()
    expected = pcm.decode_to_pcm16(str(path))
    source = WavFileSource(path, realtime=False)
    assert isinstance(source, AudioSource) and source.sample_rate == RATE
    blocks = [source.read_block(WINDOW) for _ in range(len(expected) // (2 * WINDOW) + 20)]
    assert all(len(b) == WINDOW * 2 for b in blocks)
    joined = b"".join(blocks)
    assert joined[: len(expected)] == expected
    assert set(joined[len(expected) :]) == {0}  # after the words: silence, like a room


def test_the_fake_converts_any_rate_and_channel_count(tmp_path: Path) -> None:
    t = np.arange(44_100) / 44_100
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 440 * t)], axis=1) * 0.5
    path = tmp_path / "cd.wav"
    soundfile.write(path, stereo, 44_100, subtype="PCM_16")
    source = WavFileSource(path, realtime=False, lead_in_s=0.5)
    assert source.speech_seconds == pytest.approx(1.5, abs=0.01)
    audio = b"".join(source.read_block(WINDOW) for _ in range(int(1.5 * RATE / WINDOW)))
    assert set(audio[:RATE]) == {0}  # the lead-in
    tone_part = pcm.to_float32(audio[RATE : 3 * RATE])  # bytes: the second after the half-second lead-in
    spectrum = np.abs(np.fft.rfft(tone_part))
    assert np.argmax(spectrum) * RATE / len(tone_part) == pytest.approx(440, abs=2)


def test_the_fake_keeps_real_time_a_block_never_arrives_before_it_was_spoken() -> None:
    source = WavFileSource(pcm.wav_bytes(tone(1.0)), realtime=True)
    started = time.monotonic()
    for count in range(1, 16):
        source.read_block(WINDOW)
        # A real microphone cannot hand over audio that has not happened yet.
        assert time.monotonic() - started >= count * WINDOW / RATE
    source.close()
    with pytest.raises(ValueError):
        source.read_block(WINDOW)


def test_the_registry_builds_the_fake_and_the_factory_opens_a_fresh_one_each_time() -> None:
    factory = microphone_factory("fake", wav=pcm.wav_bytes(tone(0.5)), realtime=False)
    assert factory is not None
    first, second = factory(), factory()
    assert first is not second
    assert first.read_block(WINDOW) == second.read_block(WINDOW)
    assert isinstance(build("microphone", "fake"), WavFileSource)


# --- level meter -------------------------------------------------------------------------------------------


def test_the_level_meter_follows_loudness_in_decibels() -> None:
    assert pcm.meter_fraction(silence(0.1)) == 0.0
    assert pcm.rms_dbfs(tone(0.1, -30)) == pytest.approx(-30, abs=0.2)
    assert pcm.meter_fraction(tone(0.1, -30)) == pytest.approx(0.5, abs=0.01)
    assert pcm.meter_fraction(tone(0.1, -6)) == pytest.approx(0.9, abs=0.01)
    assert pcm.meter_fraction(tone(0.1, -70)) == 0.0
    assert pcm.meter_fraction(b"") == 0.0


def test_flac_and_wav_encoding_round_trip_exactly() -> None:
    audio = tone(0.5, -10) + silence(0.2)
    for encoded, container in ((pcm.flac_bytes(audio), "FLAC"), (pcm.wav_bytes(audio), "WAV")):
        values, rate = soundfile.read(io.BytesIO(encoded), dtype="int16")
        assert soundfile.info(io.BytesIO(encoded)).format == container
        assert rate == RATE and values.tobytes() == audio


# --- voice activity ------------------------------------------------------------------------------------------


def windows(audio: bytes) -> list[bytes]:
    return [audio[i : i + WINDOW * 2] for i in range(0, len(audio) - WINDOW * 2 + 1, WINDOW * 2)]


def test_silero_hears_real_speech_and_not_the_quiet_around_it() -> None:
    if silero_model_path() is None:
        pytest.skip("faster-whisper (which ships the Silero VAD model) is not installed")
    speech = pcm.decode_to_pcm16(str(speech_file()))
    vad = SileroVad()
    probabilities = [vad.speech_probability(w) for w in windows(silence(1.0) + speech + silence(1.0))]
    lead, words, tail = probabilities[:31], probabilities[40:-40], probabilities[-25:]
    assert max(lead) < 0.2 and max(tail) < 0.2
    assert np.mean([p > 0.5 for p in words]) > 0.7  # speech has short pauses between words


def test_silero_is_not_fooled_by_a_steady_tone_and_restarts_cleanly() -> None:
    if silero_model_path() is None:
        pytest.skip("faster-whisper (which ships the Silero VAD model) is not installed")
    vad = SileroVad()
    hum = [vad.speech_probability(w) for w in windows(tone(2.0, -20, 50.0))]
    assert np.mean(hum[10:]) < 0.3  # mains hum is not a voice
    vad.reset()
    first = [vad.speech_probability(w) for w in windows(silence(0.5))]
    vad.reset()
    assert [vad.speech_probability(w) for w in windows(silence(0.5))] == first


def test_the_energy_detector_separates_voice_level_from_the_room() -> None:
    vad = EnergyVad()
    room = [vad.speech_probability(w) for w in windows(tone(1.0, -58, 3000.0))]
    loud = [vad.speech_probability(w) for w in windows(tone(0.5, -20))]
    assert max(room[5:]) < 0.2 and min(loud) > 0.9


# --- the recorder -----------------------------------------------------------------------------------------------


class LoudnessVad:
    """A detector by plain threshold, so the rules below are tested apart from any model."""

    name = "threshold"

    def reset(self) -> None:
        pass

    def speech_probability(self, window: bytes) -> float:
        return 1.0 if pcm.rms_dbfs(window) > -40 else 0.0


def record(audio: bytes, settings: RecorderSettings | None = None, **kw: object) -> tuple[object, list, list]:
    levels: list[float] = []
    ticks: list[float] = []
    recorder = Recorder(
        WavFileSource(pcm.wav_bytes(audio), realtime=False),
        LoudnessVad(),
        settings or RecorderSettings(),
        on_level=levels.append,
        on_tick=ticks.append,
    )
    return recorder.record(), levels, ticks


def test_a_message_ends_after_a_pause_and_keeps_a_short_tail() -> None:
    audio = silence(0.5) + tone(2.0) + silence(0.3) + tone(1.0) + silence(5.0)
    settings = RecorderSettings(silence_after_speech_s=1.5, keep_tail_s=0.4)
    recording, levels, ticks = record(audio, settings)
    assert recording.reason is StopReason.SILENCE and recording.has_speech
    assert recording.duration == pytest.approx(0.5 + 2.0 + 0.3 + 1.0 + 0.4, abs=0.07)
    # The 0.3 s gap is not speech; blocks straddling a tone's edge count (32 ms each, four edges).
    assert recording.speech_seconds == pytest.approx(3.0, abs=4 * WINDOW / RATE)
    assert recording.pcm16 == audio[: len(recording.pcm16)]
    # One meter reading and one tick per 32 ms block, up to where the pause was noticed.
    assert len(levels) == len(ticks) == round(ticks[-1] * RATE / WINDOW)
    assert ticks[-1] == pytest.approx(0.5 + 3.3 + 1.5, abs=0.07)
    assert max(levels) > 0.7 and levels[0] == 0.0


def test_nothing_said_ends_the_recording_without_a_message() -> None:
    recording, _levels, ticks = record(silence(20), RecorderSettings(no_speech_timeout_s=3.0))
    assert recording.reason is StopReason.NO_SPEECH and not recording.has_speech
    assert ticks[-1] == pytest.approx(3.0, abs=0.04)


def test_a_cough_is_not_speech() -> None:
    recording, _levels, _ticks = record(silence(0.5) + tone(0.1) + silence(10), RecorderSettings(no_speech_timeout_s=4))
    assert recording.reason is StopReason.NO_SPEECH and recording.speech_seconds == 0


def test_a_long_talker_is_stopped_at_the_limit() -> None:
    recording, _levels, _ticks = record(tone(20.0), RecorderSettings(max_seconds=5.0))
    assert recording.reason is StopReason.MAX_LENGTH and recording.has_speech
    assert recording.duration == pytest.approx(5.0, abs=0.04)


def test_stop_keeps_what_was_said_and_cancel_keeps_nothing() -> None:
    for method, reason, kept in (("stop", StopReason.STOPPED, True), ("cancel", StopReason.CANCELLED, False)):
        source = WavFileSource(pcm.wav_bytes(tone(30.0)), realtime=True)
        recorder = Recorder(source, LoudnessVad())
        result: list[object] = []
        worker = threading.Thread(target=lambda r=recorder, out=result: out.append(r.record()))
        worker.start()
        while source.position < RATE // 2:  # half a second of talking
            time.sleep(0.01)
        getattr(recorder, method)()
        worker.join(timeout=5)
        [recording] = result
        assert recording.reason is reason and recording.has_speech is kept
        assert 0.5 <= recording.duration < 30


def test_a_source_at_the_wrong_rate_is_refused() -> None:
    class EightKilohertz:
        sample_rate = 8000

        def read_block(self, frames: int) -> bytes:
            return bytes(frames * 2)

        def close(self) -> None:
            pass

    with pytest.raises(DeviceError):
        Recorder(EightKilohertz(), None)


# --- the real driver --------------------------------------------------------------------------------------------


def test_without_a_microphone_the_driver_says_so_and_voice_input_is_hidden(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        from suqiu_devices.errors import DeviceUnavailable
        from suqiu_devices.microphone import microphone_factory
        from suqiu_devices.registry import build
        try:
            build("microphone", "sounddevice")
        except DeviceUnavailable as exc:
            print(exc.reason, exc.message, microphone_factory("sounddevice") is None)
        else:
            print("present")
        """
    )
    # A home without an ALSA configuration on a machine without a sound card: PortAudio finds no
    # input device, as on a kiosk without a microphone.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALSA")}
    env["HOME"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    output = result.stdout.strip().splitlines()[-1]
    if output == "present":
        pytest.skip("this machine has a real capture device: the no-microphone case cannot be shown here")
    assert output == "no_microphone 没有可用的麦克风 True"


RECORD_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from suqiu_devices.microphone import Recorder, RecorderSettings, default_vad
    from suqiu_devices.registry import build

    source = build("microphone", "sounddevice")
    recording = Recorder(source, default_vad(), RecorderSettings(max_seconds=15)).record()
    source.close()
    sys.stdout.buffer.write(recording.pcm16)
    sys.stderr.write(json.dumps({"reason": recording.reason, "speech": recording.speech_seconds}))
    """
)


def test_the_real_driver_records_a_spoken_message_through_portaudio(tmp_path: Path) -> None:
    """PortAudio → ALSA "file" device whose capture side reads a raw recording of real speech."""
    speech = pcm.decode_to_pcm16(str(speech_file()))
    (tmp_path / "mic.raw").write_bytes(speech)
    (tmp_path / ".asoundrc").write_text(
        f'pcm.!default {{\n type file\n slave.pcm "null"\n file "/dev/null"\n'
        f' infile "{tmp_path / "mic.raw"}"\n format "raw"\n}}\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALSA")}
    env["HOME"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-c", RECORD_SCRIPT], env=env, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    import json

    facts = json.loads(result.stderr.decode().strip().splitlines()[-1])
    assert facts["reason"] == "silence"  # the file ran out: the room went quiet, the recorder noticed
    assert facts["speech"] > 3.0
    recorded = result.stdout
    shared = min(len(recorded), len(speech))
    assert recorded[:shared] == speech[:shared]  # byte for byte what the "microphone" heard
    # Then the quiet after the file ended (ALSA's file device repeats its last, near-silent period).
    assert np.abs(np.frombuffer(recorded[shared:], "<i2")).max(initial=0) < 100
    assert len(recorded) >= len(speech) - RATE  # at most the last second of trailing quiet trimmed


def test_opening_a_missing_named_device_is_unavailable_not_a_crash() -> None:
    with pytest.raises(DeviceUnavailable) as raised:
        build("microphone", "sounddevice", device="no such microphone 12345")
    assert raised.value.reason in ("no_microphone", "not_installed")
