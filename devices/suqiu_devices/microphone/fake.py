"""A microphone that plays WAV files: the same 16 kHz int16 blocks, at the same pace as a real one.

``read_block`` returns when the block "has been captured": with ``realtime=True`` (the default)
a 32 ms block takes 32 ms of wall time, measured from the first read, so the meter, the timer and
the silence detection see what they would see in front of a person. Any format libsndfile reads
is converted to 16 kHz mono once, at construction.

After the last file the fake keeps "recording" the quiet room (digital silence, or a little noise
with ``room_noise_dbfs``) like a real microphone whose speaker has stopped talking.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

from . import pcm


class WavFileSource:
    sample_rate = pcm.SAMPLE_RATE

    def __init__(
        self,
        wav: str | Path | bytes | Sequence[str | Path | bytes] | None = None,
        *,
        realtime: bool = True,
        lead_in_s: float = 0.0,
        room_noise_dbfs: float | None = None,
    ) -> None:
        items = [] if wav is None else [wav] if isinstance(wav, str | Path | bytes) else list(wav)
        audio = bytearray(bytes(pcm.SAMPLE_WIDTH * round(lead_in_s * pcm.SAMPLE_RATE)))
        for item in items:
            audio += pcm.decode_to_pcm16(item if isinstance(item, bytes) else str(item))
        self.audio = bytes(audio)
        self.realtime = realtime
        self.room_noise_dbfs = room_noise_dbfs
        self.position = 0  # frames delivered so far
        self.closed = False
        self._started: float | None = None
        self._lock = threading.Lock()

    @property
    def speech_seconds(self) -> float:
        """How long the files (with lead-in) last; after that the room is quiet."""
        return pcm.seconds_of(self.audio)

    def _room(self, frames: int) -> bytes:
        if self.room_noise_dbfs is None:
            return bytes(frames * pcm.SAMPLE_WIDTH)
        import numpy as np

        amplitude = 32768 * 10 ** (self.room_noise_dbfs / 20) * np.sqrt(3)  # uniform noise of that RMS
        rng = np.random.default_rng(self.position)
        return bytes(rng.uniform(-amplitude, amplitude, frames).astype("<i2").tobytes())

    def read_block(self, frames: int) -> bytes:
        with self._lock:
            if self.closed:
                raise ValueError("read from a closed microphone")
            if self._started is None:
                self._started = time.monotonic()
            start = self.position * pcm.SAMPLE_WIDTH
            block = self.audio[start : start + frames * pcm.SAMPLE_WIDTH]
            if len(block) < frames * pcm.SAMPLE_WIDTH:
                block += self._room(frames - len(block) // pcm.SAMPLE_WIDTH)
            self.position += frames
            due = self._started + self.position / self.sample_rate
        if self.realtime:
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        return block

    def close(self) -> None:
        self.closed = True
