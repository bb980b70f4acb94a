"""The live camera picture with the detected face box and one quality hint (靠近一点 / 请正对屏幕 …).

Shown mirrored, as people expect from a screen that films them. The box is green when the face
passes every gate and amber otherwise; below it, the hint says what to do, and an optional
progress bar shows how far the head-turn challenge has come.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QVBoxLayout, QWidget

from suqiu_devices.face.quality import hint_text

from .analysis import AnalysedFrame

GOOD = QColor("#2e7d32")
NOT_YET = QColor("#f9a825")


def to_qimage(image: Any, *, mirror: bool) -> QImage:
    rgb = np.ascontiguousarray(image[:, ::-1, ::-1] if mirror else image[:, :, ::-1])
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


class _FrameView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.box: tuple[float, float, float, float] | None = None
        self.ok = False
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#202124"))
        if self.image is None:
            return
        scale = min(self.width() / self.image.width(), self.height() / self.image.height())
        width, height = self.image.width() * scale, self.image.height() * scale
        left, top = (self.width() - width) / 2, (self.height() - height) / 2
        painter.drawImage(QRectF(left, top, width, height), self.image)
        if self.box is not None:
            x1, y1, x2, y2 = self.box
            pen = QPen(GOOD if self.ok else NOT_YET)
            pen.setWidth(4)
            painter.setPen(pen)
            painter.drawRoundedRect(
                QRectF(left + x1 * scale, top + y1 * scale, (x2 - x1) * scale, (y2 - y1) * scale), 12, 12
            )
        painter.end()


class FacePreview(QWidget):
    def __init__(self, parent: QWidget | None = None, *, mirror: bool = True, language: str = "zh") -> None:
        super().__init__(parent)
        self.mirror = mirror
        self.language = language
        self.view = _FrameView(self)
        self.hint = QLabel("", self)
        self.hint.setProperty("role", "hint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt = QLabel("", self)
        self.prompt.setProperty("role", "question")
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(False)
        self.progress.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.hint)
        layout.addWidget(self.prompt)
        layout.addWidget(self.progress)

    def show_frame(self, frame: AnalysedFrame) -> None:
        image = frame.image
        self.view.image = to_qimage(image, mirror=self.mirror)
        main = frame.analysis.main
        if main is not None:
            x1, y1, x2, y2 = main.bbox
            if self.mirror:
                width = image.shape[1]
                x1, x2 = width - x2, width - x1
            self.view.box = (x1, y1, x2, y2)
        else:
            self.view.box = None
        self.view.ok = frame.analysis.ok
        self.hint.setText(hint_text(frame.analysis.hint, self.language))
        self.view.update()

    def set_prompt(self, text: str, progress: float | None = None) -> None:
        self.prompt.setText(text)
        if progress is None:
            self.progress.hide()
        else:
            self.progress.setValue(round(100 * max(0.0, min(1.0, progress))))
            self.progress.show()

    def clear(self) -> None:
        self.view.image = None
        self.view.box = None
        self.hint.setText("")
        self.set_prompt("")
        self.view.update()
