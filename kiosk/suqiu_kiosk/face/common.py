"""Small pieces the face screens share: labelled widgets in the kiosk theme, error words."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from suqiu_queue.client import ApiError, ServerUnavailable

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
