"""FAQ first: the best answers for the category and words; "问题已解决" ends the visit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QScrollArea, QVBoxLayout, QWidget

from ..widgets import button, label
from .base import Screen

if TYPE_CHECKING:
    from ..window import KioskWindow


class FaqScreen(Screen):
    step = "faq"

    def __init__(self, kiosk: KioskWindow) -> None:
        super().__init__(kiosk)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.hint)
        self.outer.addWidget(self.error)
        self.cards_host = QWidget()
        self.cards_host.setProperty("screen", True)
        self.cards = QVBoxLayout(self.cards_host)
        self.cards.setContentsMargins(0, 0, 0, 0)
        self.cards.setSpacing(18)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.cards_host)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.outer.addWidget(scroll, 1)
        self.resolved_buttons: list[QPushButton] = []
        nav = QHBoxLayout()
        self.back_button = button("", "quiet")
        self.need_person_button = button("", "primary")
        self.back_button.clicked.connect(self.kiosk.go_back)
        self.need_person_button.clicked.connect(self.kiosk.faq_not_resolved)
        nav.addWidget(self.back_button, 1)
        nav.addWidget(self.need_person_button, 3)
        self.outer.addLayout(nav)
        self.retranslate()

    def enter(self) -> None:
        super().enter()
        while self.cards.count():
            item = self.cards.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.resolved_buttons = []
        for entry in self.flow.visit.faq:
            self.cards.addWidget(self._card(entry))
        self.cards.addStretch(1)

    def _card(self, entry: dict[str, Any]) -> QFrame:
        card = QFrame()
        card.setProperty("role", "card")
        box = QVBoxLayout(card)
        box.setContentsMargins(28, 22, 28, 22)
        box.setSpacing(12)
        box.addWidget(label(entry["question"], "question"))
        box.addWidget(label(entry["answer"], "answer"))
        resolved = button(self.t("faq_resolved"))
        resolved.setProperty("faq_id", entry["id"])
        resolved.clicked.connect(lambda _=False, i=entry["id"]: self.kiosk.faq_resolved(int(i)))
        self.resolved_buttons.append(resolved)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(resolved, 1)
        box.addLayout(row)
        return card

    def retranslate(self) -> None:
        self.title.setText(self.t("faq_title"))
        self.hint.setText(self.t("faq_hint"))
        self.back_button.setText(self.t("back"))
        self.need_person_button.setText(self.t("faq_need_person"))
        for b in self.resolved_buttons:
            b.setText(self.t("faq_resolved"))
