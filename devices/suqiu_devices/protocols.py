"""The protocol of each device kind. Apps depend on these, never on a driver."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class TicketSlip:
    """What a ticket printer prints: everything the person needs, nothing private."""

    center_name: str
    number: str  # "A012"
    category_name: str
    issued_at: datetime  # local time of the center
    people_ahead: int
    estimated_wait_minutes: int
    status_url: str  # encoded as the QR code: the /t/<token> page
    privacy_line: str = "本号票不含个人信息，请妥善保管。"
    footer: str = ""


@runtime_checkable
class Printer(Protocol):
    def print_ticket(self, slip: TicketSlip) -> None:
        """Print one slip, or raise DeviceError (e.g. reason "no_paper") / DeviceUnavailable."""

    def status(self) -> str:
        """ "ok", "no_paper", "offline", ... — cheap enough to call before printing."""


@runtime_checkable
class Speaker(Protocol):
    """One voice. Utterances queue and never overlap; ``cancel`` drops what has not been said."""

    def say(self, text: str, *, rate: float = 1.0, volume: float = 1.0) -> None: ...

    def chime(self, *, volume: float = 1.0) -> None:
        """Queue the soft two-tone chime (before a hall announcement) in the same voice queue."""

    def cancel(self) -> None: ...

    def wait_idle(self, timeout: float | None = None) -> bool: ...

    def close(self) -> None: ...


@runtime_checkable
class CounterDisplay(Protocol):
    """The small LED strip above a counter (e.g. "A012 请到3号窗口")."""

    def show(self, text: str) -> None: ...

    def clear(self) -> None: ...


@dataclass(frozen=True)
class Face:
    bbox: tuple[float, float, float, float]
    score: float
    landmarks: Sequence[tuple[float, float]] = ()
    embedding: Sequence[float] | None = None
    quality: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Camera(Protocol):
    def read(self) -> Any:
        """The latest frame (BGR numpy array), or None when none has arrived yet."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class FaceAnalysis:
    """One camera frame, analysed: the faces, the one to use, and what to tell the person."""

    faces: Sequence[Face]  # every face found (no embeddings)
    main: Face | None  # the person in front of the kiosk; with an embedding when ``ok``
    hint: str  # "ok", "no_face", "too_small", "too_dark", "turn_to_screen", "blurry", ...
    ok: bool  # the main face passed every quality gate
    timings_ms: dict[str, float] = field(default_factory=dict)  # detect, align, embed
    liveness_score: float | None = None  # the RGB liveness model's score, when one is installed


@runtime_checkable
class FaceEngine(Protocol):
    model_id: str  # which recogniser made the embeddings; templates only match their own model

    def embed(self, frame: Any) -> list[Face]: ...

    def analyse(self, frame: Any, *, with_embedding: bool = True) -> FaceAnalysis: ...


@runtime_checkable
class AudioSource(Protocol):
    """16 kHz mono int16 blocks."""

    sample_rate: int

    def read_block(self, frames: int) -> bytes: ...

    def close(self) -> None: ...


@runtime_checkable
class SpeechRecognizer(Protocol):
    def transcribe(self, pcm16: bytes, sample_rate: int = 16000) -> str: ...
