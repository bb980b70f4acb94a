"""16 kHz mono int16 PCM: levels for the meter, conversion to float, FLAC/WAV encoding, file loading.

Everything the voice path passes around is plain ``bytes`` of little-endian int16 samples at 16 kHz
(what Whisper and Silero expect), so a recording can cross threads and processes without a copy
of numpy's type. numpy and soundfile are imported inside the functions that need them.
"""

from __future__ import annotations

import io
import math
from typing import Any

SAMPLE_RATE = 16_000
SAMPLE_WIDTH = 2  # bytes per int16 sample
# The quietest level the meter shows; anything below is an empty bar (a quiet room is ~-60 dBFS).
METER_FLOOR_DB = -60.0


def frames_in(pcm16: bytes) -> int:
    return len(pcm16) // SAMPLE_WIDTH


def seconds_of(pcm16: bytes, sample_rate: int = SAMPLE_RATE) -> float:
    return frames_in(pcm16) / sample_rate


def samples(pcm16: bytes) -> Any:
    """int16 numpy view (no copy)."""
    import numpy as np

    return np.frombuffer(pcm16[: frames_in(pcm16) * SAMPLE_WIDTH], dtype="<i2")


def to_float32(pcm16: bytes) -> Any:
    """[-1, 1) float32, the input format of Whisper and Silero."""
    import numpy as np

    return samples(pcm16).astype(np.float32) / 32768.0


def rms_dbfs(pcm16: bytes) -> float:
    """Loudness of a block in dB relative to full scale (0 = loudest possible, -inf = digital silence)."""
    import numpy as np

    values = samples(pcm16)
    if values.size == 0:
        return -math.inf
    rms = float(np.sqrt(np.mean(np.square(values.astype(np.float64))))) / 32768.0
    return 20 * math.log10(rms) if rms > 0 else -math.inf


def meter_fraction(pcm16: bytes) -> float:
    """0..1 for a level bar: dBFS mapped linearly from ``METER_FLOOR_DB`` to 0, which follows what ears hear."""
    level = rms_dbfs(pcm16)
    if level == -math.inf:
        return 0.0
    return min(1.0, max(0.0, (level - METER_FLOOR_DB) / -METER_FLOOR_DB))


def encode(pcm16: bytes, sample_rate: int = SAMPLE_RATE, *, format: str = "FLAC") -> bytes:
    """Mono int16 PCM as a FLAC (default) or WAV file in memory."""
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, samples(pcm16), sample_rate, format=format, subtype="PCM_16")
    return buffer.getvalue()


def flac_bytes(pcm16: bytes, sample_rate: int = SAMPLE_RATE) -> bytes:
    return encode(pcm16, sample_rate, format="FLAC")


def wav_bytes(pcm16: bytes, sample_rate: int = SAMPLE_RATE) -> bytes:
    return encode(pcm16, sample_rate, format="WAV")


def resample(values: Any, source_rate: int, target_rate: int) -> Any:
    """Linear interpolation of a float mono signal; enough for speech going into a 16 kHz model."""
    import numpy as np

    if source_rate == target_rate or len(values) == 0:
        return values
    target_frames = max(1, round(len(values) * target_rate / source_rate))
    positions = np.linspace(0, len(values) - 1, target_frames)
    return np.interp(positions, np.arange(len(values)), values).astype(np.float32)


def decode_to_pcm16(data: bytes | str, target_rate: int = SAMPLE_RATE) -> bytes:
    """Any file libsndfile reads (WAV, FLAC, Ogg/Opus), given as bytes or a path → 16 kHz mono int16."""
    import numpy as np
    import soundfile

    source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    values, rate = soundfile.read(source, dtype="float32", always_2d=True)
    mono = values.mean(axis=1)
    mono = resample(mono, int(rate), target_rate)
    return bytes((np.clip(mono, -1.0, 32767 / 32768) * 32768.0).astype("<i2").tobytes())
