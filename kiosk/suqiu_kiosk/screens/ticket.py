"""The ticket: the number huge, category, people ahead, wait, QR code, and how printing went."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QFrame, QHBoxLayout, QSizePolicy, QVBoxLayout

from ..flow import PrintState
from ..widgets import QrCode, button, label
from .base import Screen

if TYPE_CHECKING:
    from ..window import KioskWindow

QR_SIDE = 280


class TicketScreen(Screen):
    step = "ticket"

    def __init__(self, kiosk: KioskWindow) -> None:
        super().__init__(kiosk)
        self.card = QFrame()
        self.card.setObjectName("TicketCard")
        self.card_layout = QBoxLayout(QBoxLayout.Direction.TopToBottom, self.card)
        self.card_layout.setContentsMargins(36, 30, 36, 30)
        self.card_layout.setSpacing(28)

        number_box = QVBoxLayout()
        number_box.setSpacing(10)
        number_box.addStretch(1)
        self.your_number = label("", "ticket-line")
        self.number = label("", None, wrap=False, name="TicketNumber")
        self.category = label("", None, name="TicketCategory")
        self.ahead = label("", "ticket-line")
        self.wait = label("", "ticket-line")
        for widget in (self.your_number, self.number, self.category, self.ahead, self.wait):
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
            widget.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            number_box.addWidget(widget)
        number_box.addStretch(1)

        qr_box = QVBoxLayout()
        qr_box.setSpacing(8)
        self.qr = QrCode()
        self.qr_caption = label("", None, name="QrCaption")
        self.qr_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        qr_box.addStretch(1)
        qr_box.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignHCenter)
        qr_box.addWidget(self.qr_caption)
        qr_box.addStretch(1)
        self.card_layout.addLayout(number_box, 3)
        self.card_layout.addLayout(qr_box, 2)

        self.print_status = label("", "notice")
        self.print_status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.offline_note = label("", "hint")
        self.offline_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # A ticket taken from the self-assessment's crisis screen: what happens next, and the hotline.
        self.care_note = label("", "notice")
        self.care_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.care_note.hide()
        actions = QHBoxLayout()
        self.reprint_button = button("", None)
        self.done_button = button("", "primary")
        self.reprint_button.clicked.connect(self.kiosk.reprint)
        self.done_button.clicked.connect(self.kiosk.finish_visit)
        actions.addWidget(self.reprint_button, 1)
        actions.addWidget(self.done_button, 1)

        self.offline_note.hide()
        self.reprint_button.hide()
        self.outer.addWidget(self.card, 1)
        self.outer.addWidget(self.care_note)
        self.outer.addWidget(self.offline_note)
        self.outer.addWidget(self.print_status)
        self.outer.addLayout(actions)
        self.relayout(True)

    def relayout(self, portrait: bool) -> None:
        self.card_layout.setDirection(
            QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight
        )
        # Qt caches the card's old minimum size; without this a landscape window keeps the
        # height of the portrait layout.
        self.card_layout.invalidate()
        self.card.updateGeometry()
        self.outer.invalidate()

    def rescale(self, scale: float) -> None:
        # The code is for a phone camera, not for reading: it keeps its size in 长辈模式 too.
        self.qr.set_side(QR_SIDE)

    def enter(self) -> None:
        super().enter()
        self.refresh()

    def refresh(self) -> None:
        visit = self.flow.visit
        ticket = visit.ticket
        if ticket is None:
            return
        self.your_number.setText(self.t("your_number"))
        self.number.setText(ticket.display)
        lane_key = {"priority": "priority_lane", "crisis": "care_first_lane"}.get(ticket.lane)
        lane = f"  ·  {self.t(lane_key)}" if lane_key else ""
        self.category.setText(f"{ticket.category_name}{lane}")
        hotline = self.kiosk.config.assessment.national_hotline
        self.care_note.setText(self.t("care_first_note", hotline=hotline))
        self.care_note.setVisible(ticket.lane == "crisis")
        if ticket.people_ahead <= 0:
            self.ahead.setText(self.t("nobody_ahead"))
            self.wait.setText("")
            self.wait.hide()
        else:
            self.ahead.setText(self.t("people_ahead", people=ticket.people_ahead))
            self.wait.setText(self.t("estimated_wait", minutes=max(1, ticket.estimated_wait_minutes)))
            self.wait.show()
        self.qr.set_data(ticket.status_url)
        self.qr_caption.setText(self.t("scan_for_status"))
        self.offline_note.setText(self.t("offline_ticket"))
        self.offline_note.setVisible(not ticket.online)
        state = visit.print_state
        failed = state == PrintState.FAILED
        if state == PrintState.PRINTED:
            text = self.t("printed")
        elif failed:
            key = "print_failed" if ticket.online else "print_failed_offline"
            text = self.t(key, reason=visit.print_message.rstrip("。"))
        else:
            text = self.t("printing")
        self.print_status.setText(text)
        self.print_status.setProperty("role", "error" if failed else "notice")
        self.print_status.style().unpolish(self.print_status)
        self.print_status.style().polish(self.print_status)
        self.reprint_button.setVisible(failed)
        self.reprint_button.setEnabled(failed and not self.flow.busy)
        self.reprint_button.setText(self.t("reprint"))
        self.done_button.setText(self.t("done"))

    def retranslate(self) -> None:
        self.refresh()
