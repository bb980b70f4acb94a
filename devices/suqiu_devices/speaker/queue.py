"""One voice: a single worker thread speaks queued utterances in order, never two at once.

The kiosk's guidance and the hall announcer both talk through a ``SpeakerQueue``. ``say`` returns
at once (the UI thread never waits for speech); ``cancel`` drops everything not yet said and
stops the current utterance when the engine can (each utterance carries its own stop event, so a
cancel can never hit the next, fresh utterance by mistake).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger(__name__)

MIN_RATE, MAX_RATE = 0.5, 2.0


class SpeechEngine(Protocol):
    """A blocking voice. ``stop`` is set by cancel/close: return as soon as practical when it is."""

    def speak(self, text: str, *, rate: float, volume: float, stop: threading.Event) -> None: ...

    def play_wav(self, wav: bytes, *, volume: float, stop: threading.Event) -> None: ...

    def close(self) -> None: ...


@dataclass
class _Utterance:
    text: str  # for a sound, a label for the log
    rate: float
    volume: float
    wav: bytes | None = None  # set for a sound (the chime) instead of speech
    stop: threading.Event = field(default_factory=threading.Event)


def _chime_wav() -> bytes | None:
    try:
        from importlib.resources import files

        return (files("suqiu_assets") / "sounds" / "chime.wav").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        log.warning("chime.wav not found in suqiu_assets; announcements start without it")
        return None


class SpeakerQueue:
    """The ``Speaker`` protocol around any ``SpeechEngine``."""

    def __init__(self, engine: SpeechEngine, *, name: str = "speaker", chime: bytes | None = None) -> None:
        self.engine = engine
        self._chime = chime if chime is not None else _chime_wav()
        self._pending: deque[_Utterance] = deque()
        self._current: _Utterance | None = None
        self._closed = False
        self._changed = threading.Condition()
        self.errors = 0  # utterances the engine failed on (logged); a dead sound card shows up here
        self._worker = threading.Thread(target=self._run, name=f"suqiu-{name}", daemon=True)
        self._worker.start()

    # --- the Speaker protocol --------------------------------------------------------------------

    def say(self, text: str, *, rate: float = 1.0, volume: float = 1.0) -> None:
        """Queue ``text``. rate: 1.0 normal, 0.8 for 长辈模式; volume: 0..1."""
        text = text.strip()
        if text:
            self._enqueue(_Utterance(text, _clamp(rate, MIN_RATE, MAX_RATE), _clamp(volume, 0.0, 1.0)))

    def chime(self, *, volume: float = 1.0) -> None:
        """Queue the soft two-tone chime that precedes a hall announcement."""
        if self._chime:  # b"" or a missing asset: no chime, the call is still spoken
            self._enqueue(_Utterance("<chime>", 1.0, _clamp(volume, 0.0, 1.0), wav=self._chime))

    def cancel(self) -> None:
        with self._changed:
            for utterance in self._pending:
                utterance.stop.set()
            self._pending.clear()
            if self._current is not None:
                self._current.stop.set()
            self._changed.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once nothing is queued or being said; False if ``timeout`` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._pending and self._current is None, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop speaking, drop the queue, join the worker and release the engine."""
        with self._changed:
            if self._closed:
                return
            self._closed = True
        self.cancel()
        self._worker.join(timeout)
        if self._worker.is_alive():
            log.warning("speech worker did not stop within %.1f s", timeout)
        self.engine.close()

    @property
    def speaking(self) -> bool:
        with self._changed:
            return self._current is not None

    # --- the worker ------------------------------------------------------------------------------

    def _enqueue(self, utterance: _Utterance) -> None:
        with self._changed:
            if self._closed:
                log.info("speaker closed; dropping %r", utterance.text)
                return
            self._pending.append(utterance)
            self._changed.notify_all()

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._pending or self._closed)
                if self._closed and not self._pending:
                    return
                utterance = self._pending.popleft()
                self._current = utterance
            try:
                if utterance.stop.is_set():
                    pass  # cancelled between being taken and being said
                elif utterance.wav is not None:
                    self.engine.play_wav(utterance.wav, volume=utterance.volume, stop=utterance.stop)
                else:
                    self.engine.speak(utterance.text, rate=utterance.rate, volume=utterance.volume, stop=utterance.stop)
            except Exception:
                # One failed utterance must not silence the kiosk for the rest of the day.
                self.errors += 1
                log.exception("speech failed: %r", utterance.text)
            finally:
                with self._changed:
                    self._current = None
                    self._changed.notify_all()


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, float(value)))
