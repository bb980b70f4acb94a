"""Enrolment at the kiosk, after the separate consent screen: 工号 + phone digits, then the camera.

Steps: identity → capture (live preview, quality hints, the head-turn challenge, several good
frontal frames) → submitted. Only embeddings leave the kiosk, and only after the challenge has
passed. The server keeps the enrolment *pending* until an officer confirms the person at the
counter, which the last page tells them plainly. Wrong digits send the person back to the first
step without filming them again. Everything captured is dropped when the screen is left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QStackedWidget, QVBoxLayout, QWidget

from suqiu_devices.face.liveness import ChallengeState, HeadTurnChallenge
from suqiu_queue.client import ApiError, ServerUnavailable, SuqiuClient

from ..workers import run_in_background
from .analysis import AnalysedFrame
from .common import CameraScreen, button, error_words, label
from .preview import FacePreview
from .texts import text

log = logging.getLogger(__name__)

# Frames for the template come from a face looking at the screen, not from the turn.
FRONTAL_U = 0.12


class EnrolScreen(CameraScreen):
    submitted = Signal(int, str)  # enrolment id, masked name (张*)
    finished = Signal()  # "完成" tapped on the last page
    cancelled = Signal()

    def __init__(
        self,
        client: SuqiuClient,
        camera: Any,
        engine: Any,
        *,
        frames_needed: int = 5,
        challenge_factory: Callable[[], HeadTurnChallenge] = HeadTurnChallenge,
        language: str = "zh",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(client, camera, engine, challenge_factory=challenge_factory, language=language, parent=parent)
        self.frames_needed = frames_needed
        self.consent_version = ""
        self.frontal: list[list[float]] = []
        self._resets_seen = 0
        self._frames_after_pass = 0
        self.analyser.camera_lost.connect(self._on_camera_lost)

        self.pages = QStackedWidget(self)
        self.identity_page = self._build_identity()
        self.capture_page = self._build_capture()
        self.done_page = self._build_done()
        for page in (self.identity_page, self.capture_page, self.done_page):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.addWidget(label(text("enrol_title", language), "title", self))
        layout.addWidget(self.pages, 1)

    # -- pages --------------------------------------------------------------------------------------

    def _build_identity(self) -> QWidget:
        page = QWidget(self)
        t = self.language
        self.employee_no = QLineEdit(page)
        self.employee_no.setPlaceholderText(text("employee_no", t))
        self.employee_no.setMaxLength(32)
        self.phone_last4 = QLineEdit(page)
        self.phone_last4.setPlaceholderText(text("phone_last4", t))
        self.phone_last4.setMaxLength(4)
        self.phone_last4.setEchoMode(QLineEdit.EchoMode.Password)  # the hall can see the screen
        self.phone_last4.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        self.identity_error = label("", "error", page)
        self.identity_error.hide()
        self.next_button = button(text("next", t), "primary", page)
        self.next_button.clicked.connect(self._identity_entered)
        cancel = button(text("cancel", t), "quiet", page)
        cancel.clicked.connect(self.cancel)
        row = QHBoxLayout()
        row.addWidget(cancel)
        row.addWidget(self.next_button)
        layout = QVBoxLayout(page)
        layout.addWidget(label(text("identity_hint", t), "hint", page))
        layout.addWidget(self.employee_no)
        layout.addWidget(self.phone_last4)
        layout.addWidget(self.identity_error)
        layout.addStretch(1)
        layout.addLayout(row)
        return page

    def _build_capture(self) -> QWidget:
        page = QWidget(self)
        self.preview = FacePreview(page, language=self.language)
        self.capture_error = label("", "error", page)
        self.capture_error.hide()
        self.retry_button = button(text("retry", self.language), "primary", page)
        self.retry_button.hide()
        self.retry_button.clicked.connect(self._start_capture)
        cancel = button(text("cancel", self.language), "quiet", page)
        cancel.clicked.connect(self.cancel)
        row = QHBoxLayout()
        row.addWidget(cancel)
        row.addWidget(self.retry_button)
        layout = QVBoxLayout(page)
        layout.addWidget(label(text("capture_hint", self.language), "hint", page))
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.capture_error)
        layout.addLayout(row)
        return page

    def _build_done(self) -> QWidget:
        page = QWidget(self)
        self.done_message = label("", "notice", page)
        finish = button(text("done", self.language), "primary", page)
        finish.clicked.connect(self._finish)
        layout = QVBoxLayout(page)
        layout.addWidget(self.done_message)
        layout.addStretch(1)
        layout.addWidget(finish)
        return page

    # -- flow ---------------------------------------------------------------------------------------

    def begin(self, consent_version: str) -> None:
        """Called with the version from ``ConsentScreen.accepted``."""
        self._forget()
        self.consent_version = consent_version
        self.employee_no.clear()
        self.phone_last4.clear()
        self.identity_error.hide()
        self.pages.setCurrentWidget(self.identity_page)

    def cancel(self) -> None:
        self._forget()
        self.cancelled.emit()

    def _finish(self) -> None:
        self._forget()
        self.finished.emit()

    def _identity_entered(self) -> None:
        number = self.employee_no.text().strip()
        digits = self.phone_last4.text().strip()
        if not number or len(digits) != 4 or not digits.isdigit():
            self.identity_error.setText(text("check_input", self.language))
            self.identity_error.show()
            return
        self.identity_error.hide()
        if len(self.frontal) >= self.frames_needed:
            self._submit()  # back here after wrong digits: no need to film again
        else:
            self.pages.setCurrentWidget(self.capture_page)
            self._start_capture()

    def _start_capture(self) -> None:
        self.challenge = self.challenge_factory()
        self.frontal = []
        self._resets_seen = 0
        self._frames_after_pass = 0
        self.capture_error.hide()
        self.retry_button.hide()
        self.preview.set_prompt(self.challenge.state.prompt(self.language), 0.0)
        self.analyser.start()

    def _on_frame(self, frame: AnalysedFrame) -> None:
        fed = self._feed(frame)
        if fed is None:
            return
        usable, state = fed
        if state.resets != self._resets_seen:  # continuity broke: someone or something else now
            self._resets_seen = state.resets
            self.frontal = []
        if usable is not None and usable.embedding is not None and abs(usable.quality.get("u", 1.0)) <= FRONTAL_U:
            self.frontal.append(list(usable.embedding))
            self.frontal = self.frontal[-self.frames_needed :]
        self.preview.set_prompt(state.prompt(self.language), state.progress)
        self._decide(state)

    def _decide(self, state: ChallengeState) -> None:
        if state.status == "passed":
            self._frames_after_pass += 1
        # Turned, but never looked back at the screen long enough: start again rather than wait.
        gave_up = self._frames_after_pass > 60
        if state.status == "failed" or gave_up:
            self.analyser.stop()
            self.frontal = []
            self.capture_error.setText(text("capture_failed", self.language))
            self.capture_error.show()
            self.retry_button.show()
        elif state.status == "passed" and len(self.frontal) >= self.frames_needed:
            self.analyser.stop()
            self._submit()

    def _on_camera_lost(self) -> None:
        self.analyser.stop()
        self.capture_error.setText(text("camera_lost", self.language))
        self.capture_error.show()

    def _submit(self) -> None:
        self.preview.set_prompt(text("submitting", self.language))
        number = self.employee_no.text().strip()
        digits = self.phone_last4.text().strip()
        embeddings = list(self.frontal)

        def send() -> dict[str, Any]:
            return self.client.face_request_enrolment(
                employee_no=number,
                phone_last4=digits,
                consent_version=self.consent_version,
                model=self.engine.model_id,
                embeddings=embeddings,
            )

        self._task = run_in_background(send, on_done=self._submitted, on_error=self._refused)

    def _submitted(self, reply: dict[str, Any]) -> None:
        self.frontal = []
        self.phone_last4.clear()
        masked = str(reply.get("masked_name", ""))
        self.done_message.setText(text("submitted", self.language))
        self.pages.setCurrentWidget(self.done_page)
        self.submitted.emit(int(reply["enrolment_id"]), masked)

    def _refused(self, error: BaseException) -> None:
        words = error_words(error, self.language)
        code = error.code if isinstance(error, ApiError) and not isinstance(error, ServerUnavailable) else ""
        log.info("face enrolment refused: %s", code or error)
        if code in ("identity_mismatch", "employee_not_found", "no_phone_on_file", "verify_locked"):
            self.identity_error.setText(words)
            self.identity_error.show()
            self.pages.setCurrentWidget(self.identity_page)
            if code != "identity_mismatch":
                self.frontal = []
            return
        self.frontal = []
        self.capture_error.setText(words)
        self.capture_error.show()
        self.retry_button.show()

    def _forget(self) -> None:
        """Leave nothing behind: no frames, no embeddings, no digits."""
        self._stop_camera_and_call()
        self.frontal = []
        self.phone_last4.clear()
        self.preview.clear()

    def shutdown(self) -> None:
        self._forget()
        self.analyser.stop(wait_ms=5000)
