"""A voice that takes as long as a real one and writes down what it said, and when.

``FakeVoice`` is the engine (about 0.18 s per Chinese character at normal rate, like a calm
announcer; slower for 长辈模式); ``FakeSpeaker`` is the real ``SpeakerQueue`` around it, so tests
of the kiosk and the announcer exercise the same ordering and cancelling as production.
"""

from __future__ import annotations

import threading
import time
import unicodedata
from dataclasses import dataclass

from .playback import read_wav
from .queue import SpeakerQueue

SECONDS_PER_SYLLABLE = 0.18


@dataclass(frozen=True)
class Spoken:
    text: str  # "<chime>" for the chime
    rate: float
    volume: float
    start: float  # time.monotonic()
    end: float
    completed: bool  # False when cancelled part-way


def speech_seconds(text: str, rate: float = 1.0) -> float:
    """How long ``text`` takes to say: one beat per Hanzi, letter or digit, a short pause per punctuation mark."""
    beats = 0.0
    for char in text:
        if char.isalnum():  # Hanzi count as alphanumeric too
            beats += 1
        elif unicodedata.category(char).startswith("P"):
            beats += 0.5
    return beats * SECONDS_PER_SYLLABLE / rate


class FakeVoice:
    def __init__(self, *, speed: float = 1.0) -> None:
        """speed: 10.0 makes everything ten times faster (for tests); 1.0 is real time."""
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.spoken: list[Spoken] = []
        self._lock = threading.Lock()
        self._busy = False
        self.overlaps = 0  # a second utterance started while one was running: must stay 0

    def _hold(self, label: str, seconds: float, rate: float, volume: float, stop: threading.Event) -> None:
        with self._lock:
            if self._busy:
                self.overlaps += 1
            self._busy = True
        start = time.monotonic()
        interrupted = stop.wait(seconds / self.speed)
        end = time.monotonic()
        with self._lock:
            self._busy = False
            self.spoken.append(Spoken(label, rate, volume, start, end, completed=not interrupted))

    def speak(self, text: str, *, rate: float, volume: float, stop: threading.Event) -> None:
        self._hold(text, speech_seconds(text, rate), rate, volume, stop)

    def play_wav(self, wav: bytes, *, volume: float, stop: threading.Event) -> None:
        self._hold("<chime>", read_wav(wav).duration, 1.0, volume, stop)

    def close(self) -> None:
        pass


class FakeSpeaker(SpeakerQueue):
    def __init__(self, *, speed: float = 1.0, chime: bytes | None = None) -> None:
        super().__init__(FakeVoice(speed=speed), name="fake-speaker", chime=chime)

    @property
    def voice(self) -> FakeVoice:
        assert isinstance(self.engine, FakeVoice)
        return self.engine

    @property
    def spoken(self) -> list[Spoken]:
        return list(self.voice.spoken)

    @property
    def texts(self) -> list[str]:
        """What was said to the end, in order."""
        return [item.text for item in self.voice.spoken if item.completed]
