"""Microphones: 16 kHz mono int16 capture, a level meter, voice-activity detection, recording rules.

    source = build("microphone", "sounddevice")             # DeviceUnavailable: no microphone here
    source = build("microphone", "fake", wav="hello.wav")   # plays the file at real-time pace
    recording = Recorder(source, default_vad()).record()    # on a worker thread

``microphone_factory(name, **options)`` probes once and returns a callable that opens a fresh
source per recording (so the device is not held open all day), or ``None`` when there is no
microphone — the kiosk then hides voice input. See docs/voice.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..errors import DeviceUnavailable
from ..protocols import AudioSource
from ..registry import build, register
from .recorder import Recorder, RecorderSettings, Recording, StopReason
from .vad import EnergyVad, SileroVad, default_vad

__all__ = [
    "EnergyVad",
    "Recorder",
    "RecorderSettings",
    "Recording",
    "SileroVad",
    "StopReason",
    "default_vad",
    "microphone_factory",
]

log = logging.getLogger(__name__)


@register("microphone", "sounddevice")
def _sounddevice(*, device: int | str | None = None) -> AudioSource:
    from .sounddevice_source import SoundDeviceSource

    return SoundDeviceSource(device=device)


@register("microphone", "fake")
def _fake(**options: Any) -> AudioSource:
    from .fake import WavFileSource

    return WavFileSource(**options)


def microphone_factory(name: str, **options: Any) -> Callable[[], AudioSource] | None:
    """A source opener when a microphone is there (probed by opening it once), else ``None``."""
    try:
        probe = build("microphone", name, **options)
    except DeviceUnavailable as exc:
        log.info("no microphone (%s): voice input hidden", exc.message_en)
        return None
    probe.close()
    return lambda: build("microphone", name, **options)
