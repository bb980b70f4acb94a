"""The one voice: order, no overlap, cancel, close; the call wording; real espeak-ng / pyttsx3
synthesis; and real playback through PortAudio into an ALSA file device (no sound card here)."""

from __future__ import annotations

import io
import itertools
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import wave
from pathlib import Path

import pytest

from suqiu_devices.errors import DeviceUnavailable
from suqiu_devices.protocols import Speaker
from suqiu_devices.registry import build
from suqiu_devices.speaker import SpeakerQueue, announcement_speech, announcement_text, auto_order, spell_ticket_number
from suqiu_devices.speaker.espeak import EspeakSynthesizer, to_pinyin
from suqiu_devices.speaker.fake import FakeSpeaker, FakeVoice, speech_seconds
from suqiu_devices.speaker.playback import read_wav
from suqiu_devices.speaker.pyttsx3_engine import pick_chinese_voice

CHIME = Path(__file__).resolve().parents[2] / "assets" / "suqiu_assets" / "sounds" / "chime.wav"


def wav_facts(wav: bytes) -> tuple[int, int, float, int]:
    """(sample rate, channels, seconds, peak amplitude)."""
    with wave.open(io.BytesIO(wav), "rb") as reader:
        frames = reader.readframes(reader.getnframes())
        samples = memoryview(frames).cast("h")
        return (
            reader.getframerate(),
            reader.getnchannels(),
            reader.getnframes() / reader.getframerate(),
            max(map(abs, samples)),
        )


def wait_until_speaking(speaker: SpeakerQueue) -> None:
    ready = threading.Event()
    for _ in range(2000):
        if speaker.speaking:
            return
        ready.wait(0.005)
    pytest.fail("the speaker never started")


# --- wording --------------------------------------------------------------------------------------


def test_ticket_digits_are_read_one_by_one() -> None:
    assert spell_ticket_number("A012") == "A零一二"
    assert spell_ticket_number(" b-105 ") == "B一零五"
    assert spell_ticket_number("急001") == "急零零一"


def test_announcement_written_and_spoken() -> None:
    assert announcement_text("A012", 3) == "请 A012 号到 3 号窗口办理"
    assert announcement_speech("A012", 3) == "请 A零一二 号，到 3 号窗口办理"
    assert announcement_speech("C120", "12") == "请 C一二零 号，到 12 号窗口办理"
    with pytest.raises(ValueError):
        announcement_text("A012", " ")


def test_pinyin_fixes_the_polyphones_espeak_gets_wrong() -> None:
    pytest.importorskip("pypinyin")
    assert to_pinyin("长辈模式") == "zhang3 bei4 mo2 shi4"
    assert to_pinyin("银行") == "yin2 hang2"
    assert (
        to_pinyin(announcement_speech("A012", 3)) == "qing3 A ling2 yi1 er4 hao4 ， dao4 3 hao4 chuang1 kou3 ban4 li3"
    )
    assert to_pinyin("Please wait") == "Please wait"


def test_chinese_voice_is_picked_by_hint_order() -> None:
    class Voice:
        def __init__(self, id: str, name: str, languages: list[str]) -> None:
            self.id, self.name, self.languages = id, name, languages

    voices = [
        Voice("HKEY\\TTS_MS_EN-US_ZIRA_11.0", "Microsoft Zira Desktop", ["en-US"]),
        Voice("sit/cmn", "Chinese (Mandarin, latin as English)", ["zh"]),
        Voice("HKEY\\TTS_MS_ZH-CN_HUIHUI_11.0", "Microsoft Huihui Desktop", ["zh-CN"]),
    ]
    assert pick_chinese_voice(voices) is voices[2]
    assert pick_chinese_voice(voices[:1]) is None


def test_slower_rate_takes_longer() -> None:
    text = "请在屏幕上选择您要办理的业务"
    assert speech_seconds(text, 0.8) == pytest.approx(speech_seconds(text, 1.0) / 0.8)
    assert speech_seconds(text) == pytest.approx(14 * 0.18)


def test_auto_prefers_the_native_voice_on_windows_and_espeak_on_linux() -> None:
    assert auto_order("win32") == ["pyttsx3", "espeak"]
    assert auto_order("linux") == ["espeak", "pyttsx3"]


# --- the queue (fake voice) -----------------------------------------------------------------------


def test_fake_is_a_speaker_that_keeps_order() -> None:
    speaker = build("speaker", "fake", speed=50)
    try:
        assert isinstance(speaker, Speaker)
        for text in ("您好", "请取号", "请 A零一二 号，到 3 号窗口办理"):
            speaker.say(text)
        assert speaker.wait_idle(10)
        assert speaker.texts == ["您好", "请取号", "请 A零一二 号，到 3 号窗口办理"]
    finally:
        speaker.close()


def test_utterances_never_overlap_even_from_many_threads() -> None:
    speaker = FakeSpeaker(speed=40)
    try:
        threads = [
            threading.Thread(target=lambda n=n: [speaker.say(f"第{n}位第{i}句") for i in range(3)]) for n in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert speaker.wait_idle(10)
        spoken = sorted(speaker.spoken, key=lambda item: item.start)
        assert len(spoken) == 12
        for earlier, later in itertools.pairwise(spoken):
            assert earlier.end <= later.start
        assert speaker.voice.overlaps == 0
        for n in range(4):  # each caller's sentences keep their order
            mine = [item.text for item in spoken if item.text.startswith(f"第{n}位")]
            assert mine == [f"第{n}位第{i}句" for i in range(3)]
    finally:
        speaker.close()


def test_cancel_drops_stale_speech_and_cuts_the_current_one() -> None:
    speaker = FakeSpeaker(speed=1)  # real pace: the first sentence would take ~5 s
    try:
        speaker.say("请 A零零一 号，到 1 号窗口办理。" * 2)
        speaker.say("请 A零零二 号，到 2 号窗口办理")
        speaker.say("请 A零零三 号，到 3 号窗口办理")
        wait_until_speaking(speaker)
        assert not speaker.wait_idle(0.01)
        speaker.cancel()
        speaker.voice.speed = 50  # the fresh call at test pace, so the test stays short
        speaker.say("请 A零零四 号，到 4 号窗口办理")
        assert speaker.wait_idle(10)
        spoken = speaker.spoken
        assert [item.text for item in spoken] == [
            "请 A零零一 号，到 1 号窗口办理。" * 2,
            "请 A零零四 号，到 4 号窗口办理",
        ]
        assert spoken[0].completed is False
        assert spoken[1].completed is True
    finally:
        speaker.close()


def test_close_stops_and_joins_the_worker() -> None:
    speaker = FakeSpeaker(speed=1)
    speaker.say("这是一句很长很长的话，" * 10)
    wait_until_speaking(speaker)
    speaker.close()
    assert not speaker._worker.is_alive()
    assert speaker.spoken[0].completed is False
    speaker.say("关闭之后不再说话")  # dropped quietly: a closing app must not crash
    assert speaker.wait_idle(0)
    assert len(speaker.spoken) == 1


def test_rate_volume_and_chime_go_through_the_same_voice() -> None:
    chime = CHIME.read_bytes()
    speaker = FakeSpeaker(speed=50, chime=chime)
    try:
        speaker.chime(volume=0.5)
        speaker.say("请 A零一二 号，到 3 号窗口办理", rate=0.8, volume=3.0)
        assert speaker.wait_idle(10)
        chimed, said = speaker.spoken
        assert (chimed.text, chimed.volume) == ("<chime>", 0.5)
        assert said.rate == 0.8 and said.volume == 1.0  # volume is clamped to 0..1
        assert chimed.end <= said.start
    finally:
        speaker.close()


def test_a_failing_utterance_does_not_silence_the_voice() -> None:
    class FlakyVoice(FakeVoice):
        """A sound card that fails once, mid-morning."""

        def speak(self, text: str, *, rate: float, volume: float, stop: threading.Event) -> None:
            if text == "坏":
                raise OSError("PortAudio: device unavailable")
            super().speak(text, rate=rate, volume=volume, stop=stop)

    speaker = SpeakerQueue(FlakyVoice(speed=50), chime=b"")
    try:
        speaker.say("坏")
        speaker.say("好")
        assert speaker.wait_idle(10)
        assert speaker.errors == 1
        assert [item.text for item in speaker.engine.spoken] == ["好"]  # type: ignore[attr-defined]
    finally:
        speaker.close()


def test_chime_asset_is_a_soft_short_two_tone() -> None:
    rate, channels, seconds, peak = wav_facts(CHIME.read_bytes())
    assert (rate, channels) == (22050, 1)
    assert 1.0 <= seconds <= 2.5
    assert 5000 < peak < 16384  # audible, well below full scale


# --- real synthesis -------------------------------------------------------------------------------


def espeak_or_skip() -> EspeakSynthesizer:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng): real synthesis test SKIPPED")
    try:
        return EspeakSynthesizer()
    except DeviceUnavailable as exc:
        pytest.skip(f"espeak-ng unusable: {exc}")


def test_espeak_synthesises_a_plausible_mandarin_wav() -> None:
    synthesizer = espeak_or_skip()
    try:
        wav = synthesizer.synthesize(announcement_speech("A012", 3), rate=1.0, volume=1.0, stop=threading.Event())
        assert wav is not None
        rate, channels, seconds, peak = wav_facts(wav)
        assert channels == 1 and rate == 22050
        # 14 syllables at ~3-4 per second, plus a pause at the comma
        assert 2.0 <= seconds <= 8.0
        assert peak > 1000
        slow = synthesizer.synthesize(announcement_speech("A012", 3), rate=0.7, volume=1.0, stop=threading.Event())
        assert slow is not None and wav_facts(slow)[2] > seconds  # 长辈模式 is slower
    finally:
        synthesizer.close()


def test_espeak_cancelled_before_start_returns_nothing() -> None:
    synthesizer = espeak_or_skip()
    stop = threading.Event()
    stop.set()
    try:
        assert synthesizer.synthesize("您好", stop=stop) is None
    finally:
        synthesizer.close()


def test_espeak_is_terminated_when_cancelled_mid_synthesis() -> None:
    synthesizer = espeak_or_skip()
    stop = threading.Event()
    long_text = "请 A零一二 号，到 3 号窗口办理。" * 300  # several seconds of work for espeak-ng
    try:
        timer = threading.Timer(0.1, stop.set)
        timer.start()
        assert synthesizer.synthesize(long_text, stop=stop) is None
        timer.join()
        assert synthesizer.synthesize("您好", stop=threading.Event())  # still usable afterwards
    finally:
        synthesizer.close()


def test_pyttsx3_waits_for_the_whole_file() -> None:
    pytest.importorskip("pyttsx3")
    from suqiu_devices.speaker.pyttsx3_engine import Pyttsx3Synthesizer

    try:
        synthesizer = Pyttsx3Synthesizer()
        long_sentence = "您好，欢迎来到职工诉求服务中心。请在屏幕上选择您要办理的业务，取号后请留意大屏幕和语音叫号。"
        wav = synthesizer.synthesize(long_sentence, rate=1.0, volume=1.0, stop=threading.Event())
    except (DeviceUnavailable, RuntimeError, OSError) as exc:
        pytest.skip(f"pyttsx3 cannot synthesise here: {exc}")
    assert wav is not None
    _, _, seconds, peak = wav_facts(wav)
    assert seconds > 6.0  # ~45 syllables: a truncated file would be far shorter
    assert peak > 1000
    synthesizer.close()


# --- real playback through PortAudio, into an ALSA "file" device ----------------------------------

PLAYBACK_SCRIPT = textwrap.dedent(
    """
    import sys, threading
    from suqiu_devices.errors import DeviceUnavailable
    from suqiu_devices.registry import build
    try:
        speaker = build("speaker", sys.argv[1])
    except DeviceUnavailable as exc:
        print("UNAVAILABLE", exc.reason, exc.message)
        sys.exit(0)
    speaker.chime()
    speaker.say("请 A零一二 号，到 3 号窗口办理")
    print("IDLE" if speaker.wait_idle(30) else "BUSY", type(speaker.engine).__name__, speaker.errors)
    speaker.close()
    """
)


def run_in_audio_home(home: Path, driver: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALSA")}
    env["HOME"] = str(home)
    result = subprocess.run(
        [sys.executable, "-c", PLAYBACK_SCRIPT, driver], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def sounddevice_or_skip() -> None:
    try:
        import sounddevice  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"sounddevice/PortAudio missing ({exc}): playback test SKIPPED")


def test_espeak_speaker_plays_through_portaudio(tmp_path: Path) -> None:
    sounddevice_or_skip()
    espeak_or_skip().close()
    # ALSA's "file" device records what is played; without truncation each opened stream gets its
    # own file (speaker.raw, speaker.raw.0001, ...), which also shows chime and speech were played
    # one after the other, not mixed.
    (tmp_path / ".asoundrc").write_text(
        f'pcm.!default {{\n type file\n slave.pcm "null"\n file "{tmp_path / "speaker.raw"}"\n'
        ' format "raw"\n truncate false\n}\n'
    )
    assert run_in_audio_home(tmp_path, "auto") == "IDLE SynthesizedVoice 0"
    streams = sorted(tmp_path.glob("speaker.raw*"))
    assert [path.name for path in streams] == ["speaker.raw", "speaker.raw.0001"]
    chime = read_wav(CHIME.read_bytes())
    played_chime = streams[0].read_bytes()
    # PortAudio primes the device with a little silence, then the chime arrives sample for sample
    start = played_chime.find(chime.data)
    assert start >= 0 and not played_chime[:start].strip(b"\x00")
    speech = streams[1].read_bytes()
    assert len(speech) / (2 * 22050) > 2.0  # seconds of 22050 Hz mono 16-bit speech
    assert max(map(abs, memoryview(speech[: len(speech) // 2 * 2]).cast("h"))) > 1000


def test_no_audio_device_is_reported_at_construction(tmp_path: Path) -> None:
    sounddevice_or_skip()
    if Path("/dev/snd").exists():
        pytest.skip("this machine has a sound card; the no-device path cannot be shown here")
    for driver in ("espeak", "auto"):
        assert run_in_audio_home(tmp_path, driver) == "UNAVAILABLE no_audio_device 没有可用的扬声器"
