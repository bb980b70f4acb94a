"""The real microphone: PortAudio through ``sounddevice``, 16 kHz mono int16.

Opening fails with ``DeviceUnavailable`` (reason ``no_microphone``) when PortAudio lists no input
device — the kiosk then hides voice input. A device that refuses 16 kHz (a raw ALSA ``hw:``
device) is opened at its own rate and resampled block by block.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from ..errors import DeviceError, DeviceUnavailable
from . import pcm

log = logging.getLogger(__name__)

NO_MICROPHONE = "没有可用的麦克风"


def _sounddevice() -> Any:
    try:
        import sounddevice
    except (ImportError, OSError) as exc:  # OSError: libportaudio2 is missing
        raise DeviceUnavailable(f"sounddevice unavailable: {exc}", NO_MICROPHONE, reason="not_installed") from exc
    return sounddevice


def input_device_info(device: int | str | None = None) -> dict[str, Any]:
    """PortAudio's description of the input device, or ``DeviceUnavailable``."""
    sd = _sounddevice()
    try:
        info = dict(sd.query_devices(device, kind="input"))
    except (ValueError, sd.PortAudioError) as exc:
        raise DeviceUnavailable(f"no audio input device: {exc}", NO_MICROPHONE, reason="no_microphone") from exc
    if int(info.get("max_input_channels", 0)) < 1:
        raise DeviceUnavailable(f"{info.get('name')} has no input channels", NO_MICROPHONE, reason="no_microphone")
    return info


class SoundDeviceSource:
    """An open input stream; ``read_block`` blocks until that many frames were captured."""

    sample_rate = pcm.SAMPLE_RATE

    def __init__(self, device: int | str | None = None) -> None:
        sd = _sounddevice()
        info = input_device_info(device)
        self.device_name = str(info.get("name", ""))
        self._sd = sd
        self._device_rate = pcm.SAMPLE_RATE
        try:
            self._stream = self._open(device, pcm.SAMPLE_RATE)
        except sd.PortAudioError as exc:
            fallback = int(info.get("default_samplerate") or 48000)
            log.info("input refused 16000 Hz (%s); recording at %d Hz and resampling", exc, fallback)
            try:
                self._stream = self._open(device, fallback)
            except sd.PortAudioError as again:
                raise DeviceUnavailable(f"cannot open {self.device_name}: {again}", NO_MICROPHONE) from again
            self._device_rate = fallback

    def _open(self, device: int | str | None, rate: int) -> Any:
        stream = self._sd.RawInputStream(samplerate=rate, channels=1, dtype="int16", device=device)
        stream.start()
        return stream

    def read_block(self, frames: int) -> bytes:
        wanted = frames if self._device_rate == pcm.SAMPLE_RATE else math.ceil(frames * self._device_rate / 16000)
        try:
            data, overflowed = self._stream.read(wanted)
        except self._sd.PortAudioError as exc:
            raise DeviceError(f"microphone read failed: {exc}", "麦克风暂时无法使用", reason="read_failed") from exc
        if overflowed:
            log.debug("microphone input overflowed (the reader fell behind)")
        block = bytes(data)
        if self._device_rate == pcm.SAMPLE_RATE:
            return block
        import numpy as np

        resampled = pcm.resample(pcm.to_float32(block), self._device_rate, pcm.SAMPLE_RATE)[:frames]
        return bytes((np.clip(resampled, -1.0, 32767 / 32768) * 32768.0).astype("<i2").tobytes())

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()
