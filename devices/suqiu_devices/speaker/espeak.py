"""Mandarin from espeak-ng, run as a subprocess that writes a WAV (``-w``), then played by the player.

Voice: ``cmn-latn-pinyin``. The plain ``cmn`` voice turns Hanzi into pinyin and then reads the
tone digits as English ("qing three"); ``cmn-latn-pinyin`` reads Hanzi as Mandarin but its own
dictionary gets common polyphones wrong (长辈 → chang2, 银行 → xing2, 了解 → le). So Hanzi are
first turned into tone-numbered pinyin by ``pypinyin`` (phrase-aware: zhang3 bei4, yin2 hang2,
liao3 jie3), which that voice reads correctly, tone sandhi included. Without pypinyin the Hanzi
go to espeak-ng as they are: still Mandarin, with the occasional wrong reading.

Text goes in on stdin (never through a shell or argv, so nothing in it can become an option), and
the process is terminated when the utterance is cancelled.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DeviceUnavailable

if TYPE_CHECKING:
    from .playback import SynthesizedVoice

log = logging.getLogger(__name__)

VOICE = "cmn-latn-pinyin"
BASE_WORDS_PER_MINUTE = 175  # espeak-ng's default; one pinyin syllable counts as a word
_HANZI = re.compile(r"[\u3400-\u9fff]")


def to_pinyin(text: str) -> str:
    """ "请 A零一二 号，到 3 号窗口办理" -> "qing3 A ling2 yi1 er4 hao4 ， dao4 3 hao4 chuang1 kou3 ban4 li3"."""
    if not _HANZI.search(text):
        return text
    try:
        from pypinyin import Style, lazy_pinyin
    except ImportError:
        return text
    # Non-Hanzi runs ("A", "3", punctuation) come back as they were; espeak-ng reads them itself.
    syllables = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True)
    return " ".join(" ".join(syllables).split())


def espeak_binary() -> str | None:
    return shutil.which("espeak-ng")


class EspeakSynthesizer:
    def __init__(self, *, voice: str = VOICE, binary: str | None = None, pinyin: bool = True) -> None:
        found = binary or espeak_binary()
        if not found:
            raise DeviceUnavailable("espeak-ng is not installed", "语音合成未安装", reason="not_installed")
        self.binary = found
        listing = subprocess.run([found, "--voices"], capture_output=True, text=True, timeout=10).stdout
        if voice not in listing.split():
            raise DeviceUnavailable(f"espeak-ng has no voice {voice!r}", "语音合成缺少中文语音", reason="not_installed")
        self.voice = voice
        self.pinyin = pinyin
        self._workdir = tempfile.TemporaryDirectory(prefix="suqiu-tts-")
        self._lock = threading.Lock()  # one synthesis at a time (the queue guarantees it; the file name relies on it)

    def command(self, wav_path: Path, *, rate: float, volume: float) -> list[str]:
        words_per_minute = round(BASE_WORDS_PER_MINUTE * rate)
        amplitude = round(100 * volume)  # espeak-ng: 0..200, 100 is normal
        return [self.binary, "-v", self.voice, "-s", str(words_per_minute), "-a", str(amplitude), "-w", str(wav_path)]

    def synthesize(
        self, text: str, *, rate: float = 1.0, volume: float = 1.0, stop: threading.Event | None = None
    ) -> bytes | None:
        stop = stop or threading.Event()
        spoken = to_pinyin(text) if self.pinyin else text
        with self._lock:
            wav_path = Path(self._workdir.name) / "utterance.wav"
            wav_path.unlink(missing_ok=True)
            process = subprocess.Popen(
                self.command(wav_path, rate=rate, volume=volume),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            try:
                _, errors = process.communicate(spoken.encode("utf-8"), timeout=0.05)
            except subprocess.TimeoutExpired:
                errors = self._wait(process, stop)
            if stop.is_set():
                return None
            if process.returncode != 0 or not wav_path.exists():
                raise RuntimeError(f"espeak-ng failed ({process.returncode}): {errors.decode(errors='replace')[:200]}")
            return wav_path.read_bytes()

    @staticmethod
    def _wait(process: subprocess.Popen[bytes], stop: threading.Event) -> bytes:
        """Wait for espeak-ng, terminating it as soon as the utterance is cancelled."""
        while True:
            if stop.is_set():
                process.terminate()
                try:
                    process.communicate(timeout=2)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.communicate()
                return b""
            try:
                return process.communicate(timeout=0.05)[1]
            except subprocess.TimeoutExpired:
                continue

    def close(self) -> None:
        self._workdir.cleanup()


def espeak_voice(*, device: int | str | None = None, voice: str = VOICE, pinyin: bool = True) -> SynthesizedVoice:
    """espeak-ng synthesis played through ``sounddevice``; DeviceUnavailable without either."""
    from .playback import SoundDevicePlayer, SynthesizedVoice

    synthesizer = EspeakSynthesizer(voice=voice, pinyin=pinyin)
    try:
        player = SoundDevicePlayer(device)
    except DeviceUnavailable:
        synthesizer.close()
        raise
    return SynthesizedVoice(synthesizer, player)
