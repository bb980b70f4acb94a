"""pyttsx3: the operating system's own voice — SAPI5 on Windows (e.g. Microsoft Huihui), NSSpeech on
macOS, and on Linux libespeak-ng loaded in-process.

Two ways to use it, chosen per platform:
- ``native`` (Windows, macOS): ``say`` + ``runAndWait``; the OS plays the sound. Cancelling stops
  the voice from the ``started-word`` callback, on the engine's own thread.
- ``wav`` (Linux): pyttsx3's Linux ``say`` writes a temp file and shells out to ``aplay`` (absent
  here, silent failure, cannot be stopped), so we only let it synthesise (``save_to_file``) and
  play the WAV through ``SoundDevicePlayer``. ``runAndWait`` can return before ``save_to_file`` has
  written a long sentence, so we wait for the ``finished-utterance`` callback and a complete file.

The pyttsx3 engine is created lazily on the speaking thread: SAPI5 is a COM object and must live
on the thread that uses it.
"""

from __future__ import annotations

import io
import logging
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path
from typing import Any

from ..errors import DeviceUnavailable
from .espeak import to_pinyin
from .playback import SoundDevicePlayer, SynthesizedVoice

log = logging.getLogger(__name__)

# Voice ids or names that speak Mandarin, best first, across SAPI5, NSSpeech and espeak-ng.
CHINESE_VOICE_HINTS = (
    "huihui",
    "yaoyao",
    "kangkang",
    "xiaoxiao",
    "tingting",
    "cmn-latn-pinyin",
    "zh-cn",
    "zh_cn",
    "chinese",
)
FINISH_TIMEOUT = 30.0


def _pyttsx3() -> Any:
    try:
        import pyttsx3
    except ImportError as exc:
        raise DeviceUnavailable("pyttsx3 is not installed", "语音合成未安装", reason="not_installed") from exc
    return pyttsx3


def pick_chinese_voice(voices: list[Any]) -> Any | None:
    """The first voice whose id, name or languages match a Mandarin hint, in hint order."""

    def describe(voice: Any) -> str:
        languages = " ".join(str(x) for x in (getattr(voice, "languages", None) or []))
        return f"{voice.id} {getattr(voice, 'name', '')} {languages}".lower()

    for hint in CHINESE_VOICE_HINTS:
        for voice in voices:
            if hint in describe(voice):
                return voice
    return None


class _Pyttsx3:
    """The pyttsx3 engine, made on first use on the calling (speaking) thread."""

    def __init__(self, voice: str | None) -> None:
        self._voice = voice
        self._engine: Any = None
        self.base_rate = 175
        self.driver_name = ""

    def get(self) -> Any:
        if self._engine is None:
            if sys.platform == "win32":
                try:  # COM must be initialised on each thread that uses it
                    import comtypes

                    comtypes.CoInitialize()
                except Exception:
                    log.debug("CoInitialize failed", exc_info=True)
            engine = _pyttsx3().init()
            voice_id = self._voice
            if voice_id is None:
                chosen = pick_chinese_voice(list(engine.getProperty("voices")))
                if chosen is None:
                    raise DeviceUnavailable("pyttsx3 has no Chinese voice", "没有中文语音", reason="no_voice")
                voice_id = chosen.id
            engine.setProperty("voice", voice_id)
            self.base_rate = int(engine.getProperty("rate") or 175)
            self.driver_name = getattr(engine, "driver_name", "")
            self._engine = engine
        return self._engine

    def configure(self, *, rate: float, volume: float) -> Any:
        engine = self.get()
        engine.setProperty("rate", round(self.base_rate * rate))
        engine.setProperty("volume", volume)
        return engine

    def text_for(self, text: str) -> str:
        # On Linux pyttsx3 drives espeak-ng: give it pinyin for the same reasons as espeak.py.
        return to_pinyin(text) if self.driver_name == "espeak" else text


class Pyttsx3Synthesizer:
    """pyttsx3 as a synthesizer: text to WAV bytes via ``save_to_file``."""

    def __init__(self, *, voice: str | None = None) -> None:
        _pyttsx3()
        self._tts = _Pyttsx3(voice)
        self._workdir = tempfile.TemporaryDirectory(prefix="suqiu-pyttsx3-")

    def synthesize(
        self, text: str, *, rate: float = 1.0, volume: float = 1.0, stop: threading.Event | None = None
    ) -> bytes | None:
        stop = stop or threading.Event()
        engine = self._tts.configure(rate=rate, volume=volume)
        path = Path(self._workdir.name) / "utterance.wav"
        path.unlink(missing_ok=True)
        finished = threading.Event()
        token = engine.connect("finished-utterance", lambda name=None, completed=True: finished.set())
        try:
            engine.save_to_file(self._tts.text_for(text), str(path))
            engine.runAndWait()
            deadline = time.monotonic() + FINISH_TIMEOUT
            while not (finished.is_set() and _complete_wav(path)):
                if stop.is_set():
                    return None
                if time.monotonic() > deadline:
                    raise RuntimeError("pyttsx3 did not finish writing the utterance")
                finished.wait(0.02)
        finally:
            engine.disconnect(token)
        return None if stop.is_set() else path.read_bytes()

    def close(self) -> None:
        self._workdir.cleanup()


def _complete_wav(path: Path) -> bool:
    try:
        data = path.read_bytes()
        with wave.open(io.BytesIO(data), "rb") as reader:
            return reader.getnframes() > 0
    except (OSError, EOFError, wave.Error):
        return False


class Pyttsx3NativeVoice:
    """pyttsx3 speaking through the OS (Windows/macOS)."""

    def __init__(self, *, voice: str | None = None, player: SoundDevicePlayer | None = None) -> None:
        _pyttsx3()
        self._tts = _Pyttsx3(voice)
        self._player = player  # only for the chime; the OS plays the speech
        self._stop: threading.Event | None = None

    def speak(self, text: str, *, rate: float, volume: float, stop: threading.Event) -> None:
        engine = self._tts.configure(rate=rate, volume=volume)
        self._stop = stop

        def on_word(name: Any = None, location: Any = None, length: Any = None) -> None:
            if stop.is_set():
                engine.stop()  # from the engine's own callback: the one safe place to stop it

        token = engine.connect("started-word", on_word)
        try:
            if not stop.is_set():
                engine.say(self._tts.text_for(text))
                engine.runAndWait()
        finally:
            engine.disconnect(token)
            self._stop = None

    def play_wav(self, wav: bytes, *, volume: float, stop: threading.Event) -> None:
        if self._player is not None:
            self._player.play(wav, volume=volume, stop=stop)
        elif sys.platform == "win32":
            import winsound

            winsound.PlaySound(wav, winsound.SND_MEMORY)
        else:
            log.info("no player for the chime; skipped")

    def close(self) -> None:
        pass


def pyttsx3_voice(*, device: int | str | None = None, voice: str | None = None, mode: str | None = None) -> Any:
    """The pyttsx3 engine for this platform (``mode``: "native" or "wav"); DeviceUnavailable without audio."""
    mode = mode or ("native" if sys.platform in ("win32", "darwin") else "wav")
    _pyttsx3()
    if mode == "wav":
        return SynthesizedVoice(Pyttsx3Synthesizer(voice=voice), SoundDevicePlayer(device))
    if mode != "native":
        raise ValueError(f"unknown pyttsx3 mode {mode!r}")
    chime_player: SoundDevicePlayer | None = None
    try:
        chime_player = SoundDevicePlayer(device)
    except DeviceUnavailable as exc:
        if exc.reason != "not_installed":
            raise  # PortAudio looked and found no output device: the OS voice would be silent too
        # without sounddevice we cannot look; trust the OS to have a speaker (the chime uses winsound)
    return Pyttsx3NativeVoice(voice=voice, player=chime_player)
