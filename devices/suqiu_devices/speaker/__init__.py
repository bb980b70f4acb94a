"""One voice for the kiosk's spoken guidance and the hall announcer.

    speaker = build("speaker", "auto")        # best available, or DeviceUnavailable (stay silent)
    speaker.chime()
    speaker.say(announcement_speech("A012", 3))            # "请 A零一二 号，到 3 号窗口办理"
    speaker.say("请在屏幕上选择业务", rate=0.8)              # 长辈模式: slower

Drivers: ``fake`` (timed, records what it said), ``espeak`` (espeak-ng → WAV → sounddevice),
``pyttsx3`` (SAPI5/NSSpeech natively; on Linux synthesis only, played through sounddevice),
``auto`` (pyttsx3 first on Windows/macOS, espeak-ng first elsewhere). Every driver is a
``SpeakerQueue``: say() never blocks, utterances never overlap.
"""

from __future__ import annotations

import sys
from typing import Any

from ..errors import DeviceUnavailable
from ..registry import register
from .playback import NO_AUDIO_MESSAGE
from .queue import SpeakerQueue
from .text import announcement_speech, announcement_text, spell_ticket_number

__all__ = ["SpeakerQueue", "announcement_speech", "announcement_text", "spell_ticket_number"]


@register("speaker", "fake")
def _fake(*, speed: float = 1.0, chime: bytes | None = None) -> Any:
    from .fake import FakeSpeaker

    return FakeSpeaker(speed=speed, chime=chime)


@register("speaker", "espeak")
def _espeak(*, device: int | str | None = None, voice: str | None = None, pinyin: bool = True) -> SpeakerQueue:
    from .espeak import VOICE, espeak_voice

    return SpeakerQueue(espeak_voice(device=device, voice=voice or VOICE, pinyin=pinyin), name="espeak")


@register("speaker", "pyttsx3")
def _pyttsx3(*, device: int | str | None = None, voice: str | None = None, mode: str | None = None) -> SpeakerQueue:
    from .pyttsx3_engine import pyttsx3_voice

    return SpeakerQueue(pyttsx3_voice(device=device, voice=voice, mode=mode), name="pyttsx3")


def auto_order(platform: str = sys.platform) -> list[str]:
    """Windows/macOS have a good native Mandarin voice through pyttsx3; on Linux pyttsx3 would only
    wrap the same espeak-ng in-process (and cannot be interrupted mid-synthesis), so the subprocess wins."""
    return ["pyttsx3", "espeak"] if platform in ("win32", "darwin") else ["espeak", "pyttsx3"]


@register("speaker", "auto")
def _auto(*, device: int | str | None = None) -> SpeakerQueue:
    failures: list[DeviceUnavailable] = []
    for name in auto_order():
        factory = _espeak if name == "espeak" else _pyttsx3
        try:
            return factory(device=device)
        except DeviceUnavailable as exc:
            failures.append(exc)
    summary = "; ".join(f"{name}: {exc.message_en}" for name, exc in zip(auto_order(), failures, strict=True))
    if any(exc.reason == "no_audio_device" for exc in failures):
        # the engines are there but nothing can be heard: say that, it is what the staff can fix
        raise DeviceUnavailable(f"no speaker available ({summary})", NO_AUDIO_MESSAGE, reason="no_audio_device")
    raise DeviceUnavailable(f"no speaker available ({summary})", "语音播报不可用", reason="unavailable")
