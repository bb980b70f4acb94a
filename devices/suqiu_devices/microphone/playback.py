"""Playing a recorded voice message back (the front desk): decode, waveform, play/pause with a position.

Kept beside the microphone because it is the other end of the same recording; the speaker package
plays synthesized prompts start-to-end, whereas an officer needs pause, resume and a progress bar.

``ClipOutput.play`` blocks (run it on a worker) until the clip ends or ``stop`` is set, reporting
the frame it reached as it goes; pausing is "stop, remember the frame, play again from there".
"""

from __future__ import annotations

import io
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import DeviceUnavailable

NO_OUTPUT = "本机没有可用的扬声器或耳机"


@dataclass(frozen=True)
class Clip:
    samples: Any  # float32 mono numpy array in [-1, 1)
    sample_rate: int

    @property
    def frames(self) -> int:
        return len(self.samples)

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


def decode_clip(data: bytes) -> Clip:
    """FLAC, Ogg/Opus or WAV bytes → a mono clip. Raises ``ValueError`` for anything else."""
    import soundfile

    try:
        values, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as exc:
        raise ValueError(f"not a playable audio file: {exc}") from exc
    return Clip(values.mean(axis=1), int(rate))


def waveform_peaks(clip: Clip, buckets: int) -> list[float]:
    """The loudest absolute sample in each of ``buckets`` equal slices: what a waveform bar shows."""
    import numpy as np

    if clip.frames == 0 or buckets <= 0:
        return [0.0] * max(buckets, 0)
    edges = np.linspace(0, clip.frames, buckets + 1).astype(int)
    magnitude = np.abs(clip.samples)
    return [float(magnitude[a:b].max()) if b > a else 0.0 for a, b in itertools.pairwise(edges)]


class ClipOutput(Protocol):
    def play(
        self, clip: Clip, start_frame: int, stop: threading.Event, on_position: Callable[[int], None] | None = None
    ) -> int:
        """Play from ``start_frame`` until the end or ``stop``; returns the frame reached."""


class SoundDeviceClipOutput:
    """Through PortAudio; ``DeviceUnavailable`` at construction when there is no output device."""

    def __init__(self, device: int | str | None = None) -> None:
        try:
            import sounddevice
        except (ImportError, OSError) as exc:
            raise DeviceUnavailable(f"sounddevice unavailable: {exc}", NO_OUTPUT, reason="not_installed") from exc
        try:
            info = sounddevice.query_devices(device, kind="output")
        except (ValueError, sounddevice.PortAudioError) as exc:
            raise DeviceUnavailable(f"no audio output device: {exc}", NO_OUTPUT, reason="no_audio_device") from exc
        if int(info.get("max_output_channels", 0)) < 1:
            raise DeviceUnavailable(f"{info.get('name')} has no outputs", NO_OUTPUT, reason="no_audio_device")
        self._sd: Any = sounddevice
        self.device = device
        self.device_name = str(info.get("name", ""))

    def play(
        self, clip: Clip, start_frame: int, stop: threading.Event, on_position: Callable[[int], None] | None = None
    ) -> int:
        sd = self._sd
        finished = threading.Event()
        position = start_frame

        def fill(outdata: Any, frames: int, _time: Any, _status: Any) -> None:
            nonlocal position
            if stop.is_set():
                raise sd.CallbackAbort
            chunk = clip.samples[position : position + frames]
            outdata[: len(chunk), 0] = chunk
            outdata[len(chunk) :, 0] = 0
            position += len(chunk)
            if position >= clip.frames:
                raise sd.CallbackStop

        with sd.OutputStream(
            samplerate=clip.sample_rate,
            channels=1,
            dtype="float32",
            device=self.device,
            callback=fill,
            finished_callback=finished.set,
        ):
            while not finished.wait(0.05):
                if on_position is not None:
                    on_position(position)
                if stop.is_set():
                    break
        if on_position is not None:
            on_position(position)
        return position


class FakeClipOutput:
    """A sound card that takes 20 ms blocks at real-time pace and keeps what it was given."""

    block_seconds = 0.02

    def __init__(self) -> None:
        self.played: list[Any] = []  # the sample blocks, in order, as a device would have received them
        self.plays = 0

    @property
    def played_frames(self) -> int:
        return sum(len(block) for block in self.played)

    def play(
        self, clip: Clip, start_frame: int, stop: threading.Event, on_position: Callable[[int], None] | None = None
    ) -> int:
        self.plays += 1
        block = max(1, int(clip.sample_rate * self.block_seconds))
        position = start_frame
        started = time.monotonic()
        while position < clip.frames and not stop.is_set():
            chunk = clip.samples[position : position + block]
            self.played.append(chunk.copy())
            position += len(chunk)
            if on_position is not None:
                on_position(position)
            due = started + (position - start_frame) / clip.sample_rate
            stop.wait(max(0.0, due - time.monotonic()))
        return position


def open_output(name: str = "sounddevice", **options: Any) -> ClipOutput:
    if name == "fake":
        return FakeClipOutput()
    if name == "sounddevice":
        return SoundDeviceClipOutput(**options)
    raise DeviceUnavailable(f"no voice playback driver named {name!r} (known: fake, sounddevice)")
