"""Voice-activity detection: is this 32 ms block speech?

``SileroVad`` runs the Silero VAD v6 ONNX model that ships inside the ``faster-whisper`` wheel
(``faster_whisper/assets/silero_vad_v6.onnx``; MIT), with onnxruntime on one thread. It is fed one
512-sample window at a time with the previous window's last 64 samples as context and the LSTM
state carried over — exactly what faster-whisper's own batch call computes, one step at a time.
The PyPI ``silero-vad`` package would bring PyTorch (hundreds of MB) for the same model.

``EnergyVad`` is the fallback when onnxruntime or the model is missing: loudness above an adaptive
noise floor. It is worse in noise (a slammed door is "speech") but never stops a recording early
on a quiet talker, because the recorder also has a maximum length and a stop button.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any, Protocol

from ..errors import DeviceUnavailable
from . import pcm

WINDOW = 512  # samples per decision at 16 kHz (32 ms): Silero's native window
CONTEXT = 64


class VoiceActivityDetector(Protocol):
    name: str

    def speech_probability(self, window: bytes) -> float:
        """Probability (0..1) that a ``WINDOW``-sample int16 block is speech; state carries over."""

    def reset(self) -> None:
        """Forget the state before a new recording."""


def silero_model_path() -> Path | None:
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "assets" / "silero_vad_v6.onnx"
        if candidate.is_file():
            return candidate
    return None


class SileroVad:
    name = "silero"

    def __init__(self, model_path: str | Path | None = None) -> None:
        path = Path(model_path) if model_path else silero_model_path()
        if path is None or not path.is_file():
            raise DeviceUnavailable("Silero VAD model not found (install faster-whisper)", reason="not_installed")
        try:
            import numpy as np
            import onnxruntime
        except ImportError as exc:
            raise DeviceUnavailable(f"onnxruntime unavailable: {exc}", reason="not_installed") from exc
        options = onnxruntime.SessionOptions()
        # One 32 ms window costs ~0.1 ms: more threads would only fight the recogniser for the 2 cores.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._np: Any = np
        self.reset()

    def reset(self) -> None:
        np = self._np
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)

    def speech_probability(self, window: bytes) -> float:
        np = self._np
        values = pcm.to_float32(window)
        if len(values) != WINDOW:
            values = np.pad(values[:WINDOW], (0, max(0, WINDOW - len(values))))
        features = np.concatenate([self._context, values])[None, :]
        probability, self._h, self._c = self._session.run(None, {"input": features, "h": self._h, "c": self._c})
        self._context = values[-CONTEXT:]
        return float(np.asarray(probability).ravel()[0])


class EnergyVad:
    """Speech = louder than the room by ``margin_db``. The floor follows the quietest recent blocks."""

    name = "energy"

    def __init__(self, margin_db: float = 12.0, floor_db: float = -55.0) -> None:
        self.margin_db = margin_db
        self.initial_floor_db = floor_db
        self.reset()

    def reset(self) -> None:
        self.floor_db = self.initial_floor_db

    def speech_probability(self, window: bytes) -> float:
        level = pcm.rms_dbfs(window)
        if level == -math.inf:
            return 0.0
        # The floor drops at once to a quieter room and rises at most ~1.5 dB/s, so a long
        # sentence never becomes "the room".
        if level < self.floor_db:
            self.floor_db = max(level, -90.0)
        else:
            self.floor_db += min(0.05, (level - self.floor_db) * 0.01)
        above = level - (self.floor_db + self.margin_db)
        return 1.0 / (1.0 + math.exp(-above / 2.0))


def default_vad() -> VoiceActivityDetector:
    """Silero when it can be loaded, else the energy detector."""
    try:
        return SileroVad()
    except DeviceUnavailable:
        return EnergyVad()
