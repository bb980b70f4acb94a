"""The visit ended at the FAQ: a short thank-you, then home by itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from ..widgets import button, label
from .base import Screen

if TYPE_CHECKING:
    from ..window import KioskWindow


class ResolvedScreen(Screen):
    step = "resolved"

    def __init__(self, kiosk: KioskWindow) -> None:
        super().__init__(kiosk)
        self.body = label("", "hint")
        for widget in (self.title, self.body):
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.outer.addStretch(2)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.body)
        self.outer.addStretch(1)
        self.home_button = button("", "primary")
        self.home_button.clicked.connect(self.kiosk.finish_visit)
        self.outer.addWidget(self.home_button)
        self.outer.addStretch(2)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.t("resolved_title"))
        self.body.setText(self.t("resolved_body"))
        self.home_button.setText(self.t("home"))
