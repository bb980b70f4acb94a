"""Withdrawal without the camera: 工号 + the last four digits of the phone on file.

For people who are not recognised any more (or do not want to be filmed again). The server checks
the digits, ends the consent and deletes the templates at once.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from suqiu_queue.client import SuqiuClient

from ..workers import Task, run_in_background
from .common import button, error_words, label
from .texts import text


class WithdrawScreen(QWidget):
    withdrawn = Signal()
    cancelled = Signal()

    def __init__(self, client: SuqiuClient, *, language: str = "zh", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.language = language
        self._task: Task | None = None
        t = language
        self.employee_no = QLineEdit(self)
        self.employee_no.setPlaceholderText(text("employee_no", t))
        self.phone_last4 = QLineEdit(self)
        self.phone_last4.setPlaceholderText(text("phone_last4", t))
        self.phone_last4.setMaxLength(4)
        self.phone_last4.setEchoMode(QLineEdit.EchoMode.Password)
        self.phone_last4.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        self.message = label("", "error", self)
        self.message.hide()
        self.confirm_button = button(text("withdraw_confirm", t), "primary", self)
        self.confirm_button.clicked.connect(self._submit)
        cancel = button(text("cancel", t), "quiet", self)
        cancel.clicked.connect(self.cancelled.emit)
        row = QHBoxLayout()
        row.addWidget(cancel)
        row.addWidget(self.confirm_button)
        layout = QVBoxLayout(self)
        layout.addWidget(label(text("withdraw_title", t), "title", self))
        layout.addWidget(label(text("withdraw_hint", t), "hint", self))
        layout.addWidget(self.employee_no)
        layout.addWidget(self.phone_last4)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addLayout(row)

    def reset(self) -> None:
        self.employee_no.clear()
        self.phone_last4.clear()
        self.message.hide()
        self.message.setProperty("role", "error")
        self.confirm_button.setEnabled(True)

    def _submit(self) -> None:
        number = self.employee_no.text().strip()
        digits = self.phone_last4.text().strip()
        if not number or len(digits) != 4 or not digits.isdigit():
            self._say(text("check_input", self.language))
            return
        self.confirm_button.setEnabled(False)
        self._task = run_in_background(
            lambda: self.client.face_withdraw(employee_no=number, phone_last4=digits),
            on_done=self._done,
            on_error=self._failed,
        )

    def _done(self, _reply: dict[str, Any]) -> None:
        self.phone_last4.clear()
        self.confirm_button.setEnabled(True)
        self._say(text("withdrawn", self.language), role="notice")
        self.withdrawn.emit()

    def _failed(self, error: BaseException) -> None:
        self.confirm_button.setEnabled(True)
        self._say(error_words(error, self.language))

    def _say(self, words: str, role: str = "error") -> None:
        self.message.setProperty("role", role)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(words)
        self.message.show()
