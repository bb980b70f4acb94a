"""Small building blocks shared by the screens: labels and buttons with roles, keypad, QR code."""

from __future__ import annotations

import qrcode
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QSizePolicy, QStackedWidget, QWidget


def label(text: str = "", role: str | None = None, *, wrap: bool = True, name: str | None = None) -> QLabel:
    widget = QLabel(text)
    if role:
        widget.setProperty("role", role)
    if name:
        widget.setObjectName(name)
    widget.setWordWrap(wrap)
    return widget


def button(text: str = "", role: str | None = None, *, name: str | None = None) -> QPushButton:
    widget = QPushButton(text)
    if role:
        widget.setProperty("role", role)
    if name:
        widget.setObjectName(name)
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # no keyboard on a kiosk; focus rings only distract
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return widget


class QrCode(QWidget):
    """A QR code drawn with plain rectangles: sharp at any size, no image library needed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = ""
        self.matrix: list[list[bool]] = []
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setFixedSize(260, 260)

    def set_data(self, data: str) -> None:
        self.data = data
        if data:
            code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
            code.add_data(data)
            code.make(fit=True)
            self.matrix = code.get_matrix()
        else:
            self.matrix = []
        self.update()

    def set_side(self, side: int) -> None:
        self.setFixedSize(side, side)

    def sizeHint(self) -> QSize:
        return self.size()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#FFFFFF"))
        if not self.matrix:
            return
        count = len(self.matrix)
        cell = min(self.width(), self.height()) / count
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#000000"))
        for y, row in enumerate(self.matrix):
            for x, dark in enumerate(row):
                if dark:
                    painter.drawRect(QRectF(x * cell, y * cell, cell + 0.5, cell + 0.5))


class Keypad(QStackedWidget):
    """Digits (and a page of capital letters, for 工号 like E1001) for the identify screen."""

    pressed = Signal(str)  # a digit or letter, "BACK" or "CLEAR"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keys: dict[str, QPushButton] = {}
        self.to_letters: QPushButton | None = None
        self.to_digits: QPushButton | None = None
        self.addWidget(self._page([["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"], ["ABC", "0", "⌫"]]))
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        rows = [list(letters[i : i + 6]) for i in range(0, 24, 6)] + [["Y", "Z", "123", "⌫"]]
        self.addWidget(self._page(rows))

    def _page(self, rows: list[list[str]]) -> QWidget:
        page = QWidget()
        grid = QGridLayout(page)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(12)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                key = button(text, "key-wide" if text in ("ABC", "123", "⌫") else "key")
                if text == "ABC":
                    key.clicked.connect(lambda: self.setCurrentIndex(1))
                    self.to_letters = key
                elif text == "123":
                    key.clicked.connect(lambda: self.setCurrentIndex(0))
                    self.to_digits = key
                else:
                    value = "BACK" if text == "⌫" else text
                    key.clicked.connect(lambda _=False, v=value: self.pressed.emit(v))
                    self.keys.setdefault(value, key)
                grid.addWidget(key, r, c)
        return page

    def key(self, value: str) -> QPushButton:
        return self.keys[value]
