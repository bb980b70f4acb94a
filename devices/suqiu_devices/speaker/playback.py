"""Playback kept apart from synthesis: a synthesizer makes WAV bytes, a player sends them to the sound card.

That split is the Linux path (espeak-ng or pyttsx3 write a WAV, ``sounddevice`` plays it): each
half is testable alone, the WAV can be checked without a sound card, and playback can be stopped
mid-sentence. ``SoundDevicePlayer`` raises ``DeviceUnavailable`` at construction when there is no
output device, so the apps know at start-up that they must stay silent.
"""

from __future__ import annotations

import io
import logging
import threading
import wave
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import DeviceUnavailable

log = logging.getLogger(__name__)

NO_AUDIO_MESSAGE = "没有可用的扬声器"


@dataclass(frozen=True)
class Pcm:
    """16-bit PCM audio: interleaved little-endian int16 samples."""

    data: bytes
    sample_rate: int
    channels: int

    @property
    def frames(self) -> int:
        return len(self.data) // (2 * self.channels)

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


def read_wav(wav: bytes) -> Pcm:
    with wave.open(io.BytesIO(wav), "rb") as reader:
        if reader.getsampwidth() != 2:
            raise ValueError("only 16-bit PCM WAV is supported")
        return Pcm(reader.readframes(reader.getnframes()), reader.getframerate(), reader.getnchannels())


class Synthesizer(Protocol):
    """Text to WAV bytes; returns None when ``stop`` was set before it finished."""

    def synthesize(self, text: str, *, rate: float, volume: float, stop: threading.Event) -> bytes | None: ...


class Player(Protocol):
    def play(self, wav: bytes, *, volume: float, stop: threading.Event) -> None: ...


class SoundDevicePlayer:
    """Plays WAV bytes on an output device through PortAudio (``sounddevice``)."""

    def __init__(self, device: int | str | None = None) -> None:
        try:
            import sounddevice
        except (ImportError, OSError) as exc:  # OSError: the PortAudio library (libportaudio2) is missing
            raise DeviceUnavailable(
                f"sounddevice unavailable: {exc}", NO_AUDIO_MESSAGE, reason="not_installed"
            ) from exc
        self._sd: Any = sounddevice
        try:
            info = sounddevice.query_devices(device, kind="output")
        except (ValueError, sounddevice.PortAudioError) as exc:
            raise DeviceUnavailable(
                f"no audio output device: {exc}", NO_AUDIO_MESSAGE, reason="no_audio_device"
            ) from exc
        if int(info.get("max_output_channels", 0)) < 1:
            raise DeviceUnavailable(
                f"{info.get('name')} has no output channels", NO_AUDIO_MESSAGE, reason="no_audio_device"
            )
        self.device = device
        self.device_name = str(info.get("name", ""))
        self.default_sample_rate = int(info.get("default_samplerate") or 48000)

    def play(self, wav: bytes, *, volume: float, stop: threading.Event) -> None:
        import numpy as np

        pcm = read_wav(wav)
        samples = np.frombuffer(pcm.data, dtype="<i2").reshape(-1, pcm.channels)
        if volume < 1.0:
            samples = (samples.astype(np.float32) * volume).astype(np.int16)
        try:
            self._play(samples, pcm.sample_rate, stop)
        except self._sd.PortAudioError as exc:
            # A hardware device (no ALSA "plug" layer) may refuse espeak's 22050 Hz: resample once.
            if pcm.sample_rate == self.default_sample_rate:
                raise
            log.info("output refused %d Hz (%s); resampling to %d Hz", pcm.sample_rate, exc, self.default_sample_rate)
            self._play(_resample(samples, pcm.sample_rate, self.default_sample_rate), self.default_sample_rate, stop)

    def _play(self, samples: Any, sample_rate: int, stop: threading.Event) -> None:
        sd = self._sd
        finished = threading.Event()
        position = 0

        def fill(outdata: Any, frames: int, _time: Any, _status: Any) -> None:
            nonlocal position
            if stop.is_set():
                raise sd.CallbackAbort
            chunk = samples[position : position + frames]
            outdata[: len(chunk)] = chunk
            outdata[len(chunk) :] = 0
            position += frames
            if position >= len(samples):
                raise sd.CallbackStop

        with sd.OutputStream(
            samplerate=sample_rate,
            channels=samples.shape[1],
            dtype="int16",
            device=self.device,
            callback=fill,
            finished_callback=finished.set,
        ):
            while not finished.wait(0.05):
                if stop.is_set():
                    break


def _resample(samples: Any, source_rate: int, target_rate: int) -> Any:
    """Linear interpolation: plenty for a voice prompt."""
    import numpy as np

    frames = len(samples)
    target_frames = max(1, round(frames * target_rate / source_rate))
    positions = np.linspace(0, frames - 1, target_frames)
    columns = [np.interp(positions, np.arange(frames), samples[:, c]) for c in range(samples.shape[1])]
    return np.stack(columns, axis=1).astype(np.int16)


class SynthesizedVoice:
    """A ``SpeechEngine`` made of a synthesizer and a player."""

    def __init__(self, synthesizer: Synthesizer, player: Player) -> None:
        self.synthesizer = synthesizer
        self.player = player

    def speak(self, text: str, *, rate: float, volume: float, stop: threading.Event) -> None:
        wav = self.synthesizer.synthesize(text, rate=rate, volume=volume, stop=stop)
        if wav is not None and not stop.is_set():
            self.player.play(wav, volume=1.0, stop=stop)  # volume already applied by the synthesizer

    def play_wav(self, wav: bytes, *, volume: float, stop: threading.Event) -> None:
        self.player.play(wav, volume=volume, stop=stop)

    def close(self) -> None:
        close = getattr(self.synthesizer, "close", None)
        if callable(close):
            close()
