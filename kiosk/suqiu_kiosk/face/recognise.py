"""Recognition at the kiosk: look, turn the head, "您好，张*，是您本人吗？", then your own history.

1. The preview runs with quality hints while the head-turn challenge waits for a real head.
2. When it passes, the most frontal good frame's embedding (never the image) goes to the server.
3. A match shows only the masked name and asks. "是" fetches the person's own tickets and cases
   (the server audits the read) and emits ``recognised(employee_no, masked_name)``; the kiosk then
   issues the ticket and calls ``link_ticket(ticket_id)`` so the arrival card says "人脸识别".
   "不是" emits ``declined()``.
4. No match, no live head, no camera, no server: ``fallback(reason)`` — the kiosk goes to the 工号
   quietly, without telling anyone what the camera thought.

After "是", one tap on "撤回刷脸授权" withdraws the consent and the server deletes the template.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QStackedWidget, QVBoxLayout, QWidget

from suqiu_devices.face.liveness import HeadTurnChallenge
from suqiu_queue.client import ApiError, ServerUnavailable, SuqiuClient

from ..workers import run_in_background
from .analysis import AnalysedFrame
from .common import CameraScreen, button, error_words, label
from .preview import FacePreview
from .texts import text

log = logging.getLogger(__name__)


class RecogniseScreen(CameraScreen):
    recognised = Signal(str, str)  # employee_no, masked name — only after the person said "是"
    declined = Signal()  # "不是": a wrong match; go to the 工号
    fallback = Signal(str)  # "no_match" | "not_live" | "camera" | "offline" | an error code
    withdrawn = Signal()
    ticket_linked = Signal(int)
    finished = Signal()  # "继续" on the history page

    def __init__(
        self,
        client: SuqiuClient,
        camera: Any,
        engine: Any,
        *,
        challenge_factory: Callable[[], HeadTurnChallenge] = HeadTurnChallenge,
        language: str = "zh",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(client, camera, engine, challenge_factory=challenge_factory, language=language, parent=parent)
        self.best: tuple[float, list[float]] | None = None  # (|u|, embedding) of the most frontal frame
        self.match_id: int | None = None
        self.token: str | None = None
        self.masked_name = ""
        self.analyser.camera_lost.connect(lambda: self._give_up("camera"))

        self.pages = QStackedWidget(self)
        self.looking_page = self._build_looking()
        self.asking_page = self._build_asking()
        self.history_page = self._build_history()
        self.withdrawn_page = self._build_withdrawn()
        for page in (self.looking_page, self.asking_page, self.history_page, self.withdrawn_page):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.addWidget(label(text("recognise_title", language), "title", self))
        layout.addWidget(self.pages, 1)

    # -- pages --------------------------------------------------------------------------------------

    def _build_looking(self) -> QWidget:
        page = QWidget(self)
        self.preview = FacePreview(page, language=self.language)
        layout = QVBoxLayout(page)
        layout.addWidget(self.preview, 1)
        return page

    def _build_asking(self) -> QWidget:
        page = QWidget(self)
        self.greeting = label("", "title", page)
        self.greeting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.yes_button = button(text("yes", self.language), "primary", page)
        self.no_button = button(text("no", self.language), "primary", page)
        self.yes_button.clicked.connect(self._yes)
        self.no_button.clicked.connect(self._no)
        row = QHBoxLayout()
        row.addWidget(self.no_button)
        row.addWidget(self.yes_button)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(self.greeting)
        layout.addLayout(row)
        layout.addStretch(1)
        return page

    def _build_history(self) -> QWidget:
        page = QWidget(self)
        self.history_title = label("", "question", page)
        self.history_rows: list[str] = []
        self.history_body = QWidget(page)
        self.history_layout = QVBoxLayout(self.history_body)
        self.history_layout.setSpacing(10)
        scroll = QScrollArea(page)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.history_body)
        self.history_error = label("", "error", page)
        self.history_error.hide()
        self.withdraw_button = button(text("withdraw", self.language), "quiet", page)
        self.withdraw_button.clicked.connect(self._withdraw)
        go_on = button(text("continue", self.language), "primary", page)
        go_on.clicked.connect(self._continue)
        row = QHBoxLayout()
        row.addWidget(self.withdraw_button)
        row.addWidget(go_on)
        layout = QVBoxLayout(page)
        layout.addWidget(self.history_title)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.history_error)
        layout.addLayout(row)
        return page

    def _build_withdrawn(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.addWidget(label(text("withdrawn", self.language), "notice", page))
        layout.addStretch(1)
        return page

    # -- flow ---------------------------------------------------------------------------------------

    def start(self) -> None:
        self.forget_person()
        self.challenge = self.challenge_factory()
        self.pages.setCurrentWidget(self.looking_page)
        self.preview.set_prompt(self.challenge.state.prompt(self.language), 0.0)
        self.analyser.start()

    def stop(self) -> None:
        self._forget()

    def _on_frame(self, frame: AnalysedFrame) -> None:
        fed = self._feed(frame)
        if fed is None:
            return
        usable, state = fed
        if usable is not None and usable.embedding is not None:
            frontal = abs(float(usable.quality.get("u", 1.0)))
            if self.best is None or frontal < self.best[0]:
                self.best = (frontal, list(usable.embedding))
        self.preview.set_prompt(state.prompt(self.language), state.progress)
        if state.status == "failed":
            self._give_up("not_live")
        elif state.status == "passed" and self.best is not None:
            self.analyser.stop()
            self.preview.set_prompt(text("matching", self.language))
            self._match(self.best[1])

    def _match(self, embedding: list[float]) -> None:
        model = self.engine.model_id
        self._task = run_in_background(
            lambda: self.client.face_match(model=model, embedding=embedding),
            on_done=self._matched,
            on_error=self._server_failed,
        )

    def _matched(self, reply: dict[str, Any]) -> None:
        self.best = None  # the probe is not kept a moment longer than needed
        if not reply.get("matched"):
            self._give_up("no_match")
            return
        self.match_id = int(reply["match_id"])
        self.token = str(reply["token"])
        self.masked_name = str(reply["masked_name"])
        self.greeting.setText(text("greeting", self.language, name=self.masked_name))
        self.pages.setCurrentWidget(self.asking_page)

    def _yes(self) -> None:
        match_id, token = self.match_id, self.token
        if match_id is None or token is None:
            return
        self.yes_button.setEnabled(False)
        self._task = run_in_background(
            lambda: self.client.face_confirm(match_id, token), on_done=self._confirmed, on_error=self._server_failed
        )

    def _confirmed(self, reply: dict[str, Any]) -> None:
        self.yes_button.setEnabled(True)
        self.history_title.setText(text("history_title", self.language, name=reply["masked_name"]))
        rows = [
            f"{item['date']}　{item['label']}　{item['category_name']}　{item['status_label']}"
            for item in reply.get("history", [])
        ]
        self._show_history(rows or [text("no_history", self.language)])
        self.pages.setCurrentWidget(self.history_page)
        self.recognised.emit(str(reply["employee_no"]), str(reply["masked_name"]))

    def _show_history(self, rows: list[str]) -> None:
        while self.history_layout.count():
            item = self.history_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.history_rows = rows
        for row in rows:
            line = label(row, "answer", self.history_body)
            line.setTextFormat(Qt.TextFormat.PlainText)
            self.history_layout.addWidget(line)
        self.history_layout.addStretch(1)

    def _no(self) -> None:
        match_id, token = self.match_id, self.token
        self._forget()
        if match_id is not None and token is not None:
            # Recorded for the audit; the person's path does not wait for it.
            run_in_background(lambda: self.client.face_decline(match_id, token), on_error=_log_only)
        self.declined.emit()

    def link_ticket(self, ticket_id: int) -> None:
        """After the kiosk issued the recognised person's ticket: mark it "人脸识别"."""
        match_id, token = self.match_id, self.token
        if match_id is None or token is None:
            return
        run_in_background(
            lambda: self.client.face_link_ticket(match_id, token, ticket_id),
            on_done=lambda _reply: self.ticket_linked.emit(ticket_id),
            on_error=_log_only,
        )

    def _withdraw(self) -> None:
        """One tap: the consent ends and the server deletes the template at once."""
        match_id, token = self.match_id, self.token
        if match_id is None or token is None:
            return
        self.withdraw_button.setEnabled(False)
        self._task = run_in_background(
            lambda: self.client.face_withdraw(match_id=match_id, token=token),
            on_done=self._withdrawn,
            on_error=self._withdraw_failed,
        )

    def _withdrawn(self, _reply: dict[str, Any]) -> None:
        self.withdraw_button.setEnabled(True)
        self.pages.setCurrentWidget(self.withdrawn_page)
        self.match_id = self.token = None
        self.withdrawn.emit()

    def _withdraw_failed(self, error: BaseException) -> None:
        self.withdraw_button.setEnabled(True)
        self.history_error.setText(error_words(error, self.language))
        self.history_error.show()

    def _continue(self) -> None:
        self.finished.emit()

    def _server_failed(self, error: BaseException) -> None:
        self.yes_button.setEnabled(True)
        reason = "offline" if isinstance(error, ServerUnavailable) else getattr(error, "code", "error")
        if isinstance(error, ApiError) and not isinstance(error, ServerUnavailable):
            log.info("face recognition refused by the server: %s", error.code)
        self._give_up(str(reason))

    def _give_up(self, reason: str) -> None:
        self._forget()
        self.fallback.emit(reason)

    def _forget(self) -> None:
        self._stop_camera_and_call()
        self.best = None
        self.preview.clear()

    def forget_person(self) -> None:
        """The visit ended (idle timeout, next person): drop the match token and the history."""
        self._forget()
        self.match_id = self.token = None
        self.masked_name = ""
        self._show_history([])
        self.greeting.setText("")

    def shutdown(self) -> None:
        self.forget_person()
        self.analyser.stop(wait_ms=5000)


def _log_only(error: BaseException) -> None:
    log.warning("face call failed: %s", error)
