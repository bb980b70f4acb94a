"""One voice message from an ``AudioSource``: until the person stops talking, presses stop, or time runs out.

``Recorder.record()`` blocks and belongs on a worker thread; ``stop()`` and ``cancel()`` may be
called from any thread (the UI's button). Progress goes out through two callbacks, called on the
recording thread: ``on_level(fraction)`` per block for the meter and ``on_tick(seconds)``.

The rules, in the order a person meets them:

* nothing said within ``no_speech_timeout_s`` → ends with ``NO_SPEECH`` (the kiosk asks again);
* after speech, ``silence_after_speech_s`` of quiet → ``SILENCE`` (the normal end);
* ``max_seconds`` → ``MAX_LENGTH`` (the server refuses longer messages anyway);
* ``stop()`` → ``STOPPED`` (released the hold button or tapped again), ``cancel()`` → ``CANCELLED``.

Trailing quiet beyond ``keep_tail_s`` is trimmed: the officer need not listen to the room.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from ..errors import DeviceError
from ..protocols import AudioSource
from . import pcm
from .vad import WINDOW, VoiceActivityDetector


class StopReason(StrEnum):
    SILENCE = "silence"
    MAX_LENGTH = "max_length"
    STOPPED = "stopped"
    NO_SPEECH = "no_speech"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class RecorderSettings:
    max_seconds: float = 60.0
    silence_after_speech_s: float = 1.5
    no_speech_timeout_s: float = 8.0
    speech_threshold: float = 0.5
    # Shorter bursts (a cough, a click) do not count as having spoken.
    min_speech_s: float = 0.25
    keep_tail_s: float = 0.4


@dataclass(frozen=True)
class Recording:
    pcm16: bytes
    sample_rate: int
    reason: StopReason
    speech_seconds: float

    @property
    def duration(self) -> float:
        return pcm.seconds_of(self.pcm16, self.sample_rate)

    @property
    def has_speech(self) -> bool:
        return self.speech_seconds > 0 and self.reason is not StopReason.CANCELLED


class Recorder:
    def __init__(
        self,
        source: AudioSource,
        vad: VoiceActivityDetector | None,
        settings: RecorderSettings | None = None,
        *,
        on_level: Callable[[float], None] | None = None,
        on_tick: Callable[[float], None] | None = None,
    ) -> None:
        if source.sample_rate != pcm.SAMPLE_RATE:
            raise DeviceError(f"audio source gives {source.sample_rate} Hz, 16000 Hz needed", reason="bad_format")
        self.source = source
        self.vad = vad
        self.settings = settings or RecorderSettings()
        self.on_level = on_level
        self.on_tick = on_tick
        self._stop = threading.Event()
        self._cancel = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def cancel(self) -> None:
        self._cancel.set()
        self._stop.set()

    def record(self) -> Recording:
        s = self.settings
        rate = self.source.sample_rate
        window_s = WINDOW / rate
        if self.vad is not None:
            self.vad.reset()
        blocks: list[bytes] = []
        speech_run = 0.0  # seconds of speech in the current unbroken stretch
        speech_total = 0.0
        quiet_run = 0.0
        spoke = False
        last_speech_end = 0  # blocks
        reason = StopReason.MAX_LENGTH
        max_blocks = int(s.max_seconds / window_s)
        while len(blocks) < max_blocks:
            if self._stop.is_set():
                reason = StopReason.CANCELLED if self._cancel.is_set() else StopReason.STOPPED
                break
            block = self.source.read_block(WINDOW)
            blocks.append(block)
            if self.on_level is not None:
                self.on_level(pcm.meter_fraction(block))
            if self.on_tick is not None:
                self.on_tick(len(blocks) * window_s)
            probability = self.vad.speech_probability(block) if self.vad is not None else 1.0
            if probability >= s.speech_threshold:
                speech_run += window_s
                quiet_run = 0.0
                if speech_run >= s.min_speech_s:
                    # The block that makes a stretch count brings the whole stretch with it.
                    just_counted = speech_run - window_s < s.min_speech_s
                    speech_total += speech_run if just_counted else window_s
                    spoke = True
                    last_speech_end = len(blocks)
            else:
                speech_run = 0.0
                quiet_run += window_s
                if spoke and quiet_run >= s.silence_after_speech_s:
                    reason = StopReason.SILENCE
                    break
                if not spoke and len(blocks) * window_s >= s.no_speech_timeout_s:
                    reason = StopReason.NO_SPEECH
                    break
        if spoke and reason is not StopReason.CANCELLED:
            keep = min(len(blocks), last_speech_end + int(s.keep_tail_s / window_s))
            blocks = blocks[:keep]
        audio = b"".join(blocks)
        return Recording(audio, rate, reason, round(speech_total, 3) if spoke else 0.0)
