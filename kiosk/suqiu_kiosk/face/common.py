"""Small pieces the face screens share: labelled widgets in the kiosk theme, error words, and the
camera part of the enrolment and recognition screens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from suqiu_devices.face.liveness import ChallengeState, HeadTurnChallenge
from suqiu_devices.protocols import Face
from suqiu_queue.client import ApiError, ServerUnavailable, SuqiuClient

from ..workers import Task
from .analysis import AnalysedFrame, FaceAnalyser
from .preview import FacePreview
from .texts import text


def label(content: str = "", role: str | None = None, parent: QWidget | None = None) -> QLabel:
    widget = QLabel(content, parent)
    widget.setWordWrap(True)
    if role:
        widget.setProperty("role", role)
    return widget


def button(content: str, role: str | None = "primary", parent: QWidget | None = None) -> QPushButton:
    widget = QPushButton(content, parent)
    widget.setCursor(Qt.CursorShape.PointingHandCursor)
    widget.setMinimumHeight(64)  # a touch target, whatever the theme says
    if role:
        widget.setProperty("role", role)
    return widget


def error_words(error: BaseException, language: str = "zh") -> str:
    """What to tell the person: the server's own Chinese message, or a calm offline line."""
    if isinstance(error, ApiError) and not isinstance(error, ServerUnavailable):
        return error.message if language != "en" else (error.message_en or error.message)
    return text("offline", language)


class CameraScreen(QWidget):
    """The camera part of the enrolment and recognition screens: the analyser feeding frames to
    the head-turn challenge, the preview that shows them, and the one server call in flight.

    A subclass builds ``self.preview`` with its pages and handles each frame in ``_on_frame``,
    starting with ``_feed``.
    """

    preview: FacePreview

    def __init__(
        self,
        client: SuqiuClient,
        camera: Any,
        engine: Any,
        *,
        challenge_factory: Callable[[], HeadTurnChallenge],
        language: str,
        parent: QWidget | None,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.engine = engine
        self.challenge_factory = challenge_factory
        self.language = language
        self.challenge = challenge_factory()
        self._task: Task | None = None
        self.analyser = FaceAnalyser(camera, engine, parent=self)
        self.analyser.analysed.connect(self._on_frame)

    def _on_frame(self, frame: AnalysedFrame) -> None:
        raise NotImplementedError

    def _feed(self, frame: AnalysedFrame) -> tuple[Face | None, ChallengeState] | None:
        """Show the frame and feed its face (when good enough) to the challenge: the face and the
        challenge's new state, or None for a frame that arrives after the camera was stopped."""
        if not self.analyser.running:
            return None
        self.preview.show_frame(frame)
        analysis = frame.analysis
        usable = analysis.main if analysis.ok else None
        return usable, self.challenge.feed(usable, live_score=analysis.liveness_score)

    def _stop_camera_and_call(self) -> None:
        self.analyser.stop()
        if self._task is not None:
            self._task.discard()
            self._task = None
