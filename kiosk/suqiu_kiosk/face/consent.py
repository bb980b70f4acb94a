"""The separate consent screen (授权同意): nothing else on it, plain Chinese, two equal buttons.

The text comes from the server with its version (policy lives in the server); ``accepted(version)``
carries that version on to the enrolment, which the server records with the consent. Declining
costs nothing: the person takes a ticket as everyone does.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from suqiu_queue.client import SuqiuClient

from ..workers import Task, run_in_background
from .common import button, error_words, label
from .texts import text

log = logging.getLogger(__name__)


class ConsentScreen(QWidget):
    accepted = Signal(str)  # the consent text version the person agreed to
    declined = Signal()
    failed = Signal(str)  # the text could not be loaded (the reason, for the log)

    def __init__(self, client: SuqiuClient, *, language: str = "zh", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.language = language
        self.version = ""
        self._task: Task | None = None
        self.title = label(text("loading", language), "title", self)
        self.body = QWidget(self)
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setSpacing(14)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.version_label = label("", "hint", self)
        self.error = label("", "error", self)
        self.error.hide()
        self.accept_button = button("我同意", "primary", self)
        self.decline_button = button("不同意", "primary", self)  # the same weight: a free choice
        self.accept_button.setEnabled(False)
        self.accept_button.clicked.connect(self._accept)
        self.decline_button.clicked.connect(self.declined.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.decline_button)
        buttons.addWidget(self.accept_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.version_label)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

    def load(self) -> None:
        """Fetch the current text (off the UI thread) and show it."""
        self.accept_button.setEnabled(False)
        self.error.hide()
        self._task = run_in_background(self.client.face_consent_text, on_done=self._show, on_error=self._failed)

    def _show(self, consent: dict[str, Any]) -> None:
        self.version = str(consent["version"])
        english = self.language == "en"
        self.title.setText(consent["title_en"] if english else consent["title"])
        while self.body_layout.count():
            item = self.body_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for section in consent["sections_en"] if english else consent["sections"]:
            heading = label(section["heading"], "question", self.body)
            heading.setTextFormat(Qt.TextFormat.PlainText)
            body = label(section["body"], "answer", self.body)
            body.setTextFormat(Qt.TextFormat.PlainText)
            self.body_layout.addWidget(heading)
            self.body_layout.addWidget(body)
        self.body_layout.addStretch(1)
        self.version_label.setText(text("version", self.language, version=self.version))
        if not english:
            self.accept_button.setText(consent["accept"])
            self.decline_button.setText(consent["decline"])
        self.accept_button.setEnabled(True)

    def _failed(self, error: BaseException) -> None:
        log.warning("consent text not loaded: %s", error)
        self.error.setText(error_words(error, self.language))
        self.error.show()
        self.failed.emit(str(error))

    def _accept(self) -> None:
        if self.version:
            self.accepted.emit(self.version)

    def discard(self) -> None:
        if self._task is not None:
            self._task.discard()
