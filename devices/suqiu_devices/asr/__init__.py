"""Speech to text, offline. ``faster_whisper`` is the real engine; ``fake`` answers a fixed sentence.

    recognizer = build("asr", "faster_whisper")                       # model from default_model_dir()
    recognizer = build("asr", "faster_whisper", model_dir="/opt/suqiu/models/whisper-small")
    text = recognizer.transcribe(pcm16)                               # on a worker thread

Building returns at once (the model loads in the background) or raises ``DeviceUnavailable``
when faster-whisper or the model pack is not installed — the kiosk then keeps the voice message
without a transcript. ``recognizer_or_none`` does that check for the apps. Model packs:
``suqiu models install asr`` (see models.py and docs/voice.md).
"""

from __future__ import annotations

import logging
from typing import Any

from ..errors import DeviceUnavailable
from ..protocols import SpeechRecognizer
from ..registry import build, register
from .models import DEFAULT_MODEL, default_model_dir
from .text import character_error_rate, character_errors, tidy_transcript

__all__ = [
    "DEFAULT_MODEL",
    "character_error_rate",
    "character_errors",
    "default_model_dir",
    "recognizer_or_none",
    "tidy_transcript",
]

log = logging.getLogger(__name__)


@register("asr", "faster_whisper")
def _faster_whisper(**options: Any) -> SpeechRecognizer:
    from .whisper import FasterWhisperRecognizer

    return FasterWhisperRecognizer(**options)


@register("asr", "fake")
def _fake(**options: Any) -> SpeechRecognizer:
    from .fake import FakeRecognizer

    return FakeRecognizer(**options)


def recognizer_or_none(name: str = "faster_whisper", **options: Any) -> SpeechRecognizer | None:
    try:
        return build("asr", name, **options)
    except DeviceUnavailable as exc:
        log.info("no speech recognition (%s): voice messages go without a transcript", exc.message_en)
        return None
