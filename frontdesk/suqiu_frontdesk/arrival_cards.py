"""Arrival cards (到访卡片, right): who is coming, why, their history, what to watch for.

Newest on top; the card of the ticket being served comes first and is expanded. Clicking a card
opens the case view. Psychological results never reach a card (the server never sends them); a
counselor's cards carry a 心理测评 button that opens the person's results in the counselor view,
a separate, audited read. The person's face-recognition state (and 撤回人脸授权) comes from the
server's ``face_status`` (``face_consent.py``).
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from .face_consent import FaceState, FaceStates
from .face_consent_view import FaceConsentRow
from .models import CRISIS_ROLES, ArrivalCard, FrontDeskModel
from .style import COUNSELOR_BUTTON_CSS, FLAG_COLOURS, LANE_COLOURS, chip_css

IDENTIFIED_BY = {"employee_no": "工号", "phone": "手机号", "face": "人脸", "officer": "工作人员登记"}
COLLAPSED_HISTORY = 2
EXPANDED_HISTORY = 6
CHIPS_PER_ROW = 4


def flag_chips(card: ArrivalCard) -> list[tuple[str, str, str]]:
    """(text, colour kind, tooltip) for each flag that is raised, most serious first."""
    flags = card.flags
    chips: list[tuple[str, str, str]] = []
    if flags.get("crisis_lane"):
        chips.append(("危机通道", "danger", "请立即接待，必要时联系心理关爱人员"))
    overdue = flags.get("overdue_cases") or []
    if overdue:
        text = f"诉求超期 {overdue[0]['reference']}" if len(overdue) == 1 else f"{len(overdue)} 件诉求超期"
        tip = "\n".join(
            f"{o['reference']} {o['category_name']}：已 {o['days_open']} 天，仍为“{o['status_label']}”" for o in overdue
        )
        chips.append((text, "danger", tip))
    repeats = flags.get("repeat_items") or []
    if flags.get("repeat_topic"):
        dates = "、".join(r["date"] for r in repeats)
        chips.append(("重复诉求", "warning", f"90 天内同类事项 {len(repeats)} 次：{dates}"))
    if flags.get("print_failed"):
        chips.append(("号票未打印", "warning", "取号机打印失败，请口头告知号码"))
    if flags.get("face_pending"):
        chips.append(("待确认人脸登记", "info", "本人在自助机登记了刷脸：请核对工牌后确认，确认后才能刷脸识别"))
    voice = int(flags.get("voice_messages") or 0)
    if voice:
        chips.append((f"语音留言 {voice}" if voice > 1 else "语音留言", "info", "点击卡片，在受理登记中收听和阅读"))
    if flags.get("referral"):  # counselors only, and only when the employee agreed
        chips.append(("建议转介", "info", "本人同意转介心理关爱"))
    how = IDENTIFIED_BY.get(flags.get("identified_by") or "", "")
    if how:
        chips.append((f"{how}识别", "quiet", "身份识别方式"))
    return chips


class ArrivalCardWidget(QFrame):
    clicked = Signal(int)
    assessment_requested = Signal(str)  # the employee number: open their results (counselors only)
    face_settled = Signal(int, bool)  # ticket id, True: confirm the face enrolment / False: reject it
    face_withdraw_requested = Signal(str, str)  # 工号, name: the person asks to withdraw face consent

    def __init__(
        self,
        card: ArrivalCard,
        *,
        expanded: bool,
        serving: bool,
        assessment_button: bool = False,
        face: FaceState | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.card = card
        self.expanded = expanded
        self.setObjectName("arrivalCard")
        self.setProperty("serving", serving)
        self.setProperty("crisis", bool(card.flags.get("crisis_lane")))
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("点击打开受理登记")
        ticket = card.ticket
        employee = card.employee or {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 12)
        layout.setSpacing(6)

        top = QHBoxLayout()
        number = QLabel(ticket["display"])
        number.setObjectName("cardNumber")
        top.addWidget(number)
        lane = ticket.get("lane", "normal")
        lane_chip = QLabel(ticket.get("lane_label", lane))
        lane_chip.setStyleSheet(chip_css(LANE_COLOURS.get(lane, LANE_COLOURS["normal"]), filled=lane != "normal"))
        lane_chip.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        top.addWidget(lane_chip)
        category = QLabel(ticket.get("category_name", ""))
        category.setObjectName("cardCategory")
        top.addWidget(category)
        top.addStretch(1)
        if serving:
            state = QLabel("正在办理")
            state.setObjectName("cardServing")
            top.addWidget(state)
        layout.addLayout(top)

        name = plain_label(employee.get("name", ""), "cardName")
        details = [
            f"{employee['age']}岁" if employee.get("age") is not None else "",
            f"工号 {employee.get('employee_no', '')}",
        ]
        person = QHBoxLayout()
        person.addWidget(name)
        info = QLabel(" · ".join(d for d in details if d))
        info.setObjectName("cardInfo")
        person.addWidget(info)
        person.addStretch(1)
        self.assessment_button: QPushButton | None = None
        employee_no = str(employee.get("employee_no") or "")
        if assessment_button and employee_no:
            # A deliberate click, never automatic: each look at the results is an audited read.
            self.assessment_button = QPushButton("心理测评")
            self.assessment_button.setObjectName("cardAssessment")
            self.assessment_button.setStyleSheet(COUNSELOR_BUTTON_CSS)
            self.assessment_button.setToolTip("查看本人的心理测评记录（仅心理咨询师可见，查看会记入审计）")
            self.assessment_button.setCursor(Qt.CursorShape.PointingHandCursor)
            self.assessment_button.clicked.connect(lambda: self.assessment_requested.emit(employee_no))
            person.addWidget(self.assessment_button)
        layout.addLayout(person)
        org = plain_label(card.org_path, "cardOrg")
        org.setWordWrap(True)
        layout.addWidget(org)

        chips = flag_chips(card)
        for start in range(0, len(chips), CHIPS_PER_ROW):  # a second row rather than clipped chips
            row = QHBoxLayout()
            row.setSpacing(6)
            for text, kind, tip in chips[start : start + CHIPS_PER_ROW]:
                chip = QLabel(text)
                chip.setObjectName("flagChip")
                chip.setProperty("flag", kind)
                chip.setStyleSheet(chip_css(FLAG_COLOURS[kind], filled=kind in ("danger", "warning")))
                chip.setToolTip(tip)
                chip.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
                row.addWidget(chip)
            row.addStretch(1)
            layout.addLayout(row)

        self.face_confirm_button: QPushButton | None = None
        self.face_reject_button: QPushButton | None = None
        if card.flags.get("face_pending"):
            # Only an officer who saw the badge makes a kiosk enrolment matchable.
            self.face_confirm_button = QPushButton("已核对工牌，确认人脸登记")
            self.face_confirm_button.setObjectName("faceConfirm")
            self.face_reject_button = QPushButton("不是本人，拒绝")
            self.face_reject_button.setObjectName("faceReject")
            face_row = QHBoxLayout()
            for b, confirm in ((self.face_confirm_button, True), (self.face_reject_button, False)):
                b.setStyleSheet(COUNSELOR_BUTTON_CSS)
                b.setCursor(Qt.CursorShape.PointingHandCursor)
                b.clicked.connect(lambda _=False, c=confirm: self.face_settled.emit(self.card.ticket_id, c))
                face_row.addWidget(b)
            face_row.addStretch(1)
            layout.addLayout(face_row)

        self.face_row = FaceConsentRow()
        self.face_row.show_state(face)
        name_text = str(employee.get("name") or "")
        self.face_row.withdraw_requested.connect(lambda: self.face_withdraw_requested.emit(employee_no, name_text))
        layout.addWidget(self.face_row)

        note = (ticket.get("note") or "").strip()
        if note:
            said = plain_label(f"本人留言：{note}", "cardNote")
            said.setWordWrap(True)
            layout.addWidget(said)

        layout.addWidget(self._history(card, expanded))

    def _history(self, card: ArrivalCard, expanded: bool) -> QWidget:
        items = card.history
        box = QLabel()
        box.setObjectName("cardHistory")
        box.setWordWrap(True)
        box.setTextFormat(Qt.TextFormat.RichText)
        if not items:
            box.setText("<span style='color:#6b7785'>首次来访，无历史记录</span>")
            return box
        shown = items[: EXPANDED_HISTORY if expanded else COLLAPSED_HISTORY]
        lines = [history_line(item) for item in shown]
        more = card.history_total - len(shown)
        head = f"<b>近期记录</b>（共 {card.history_total} 条）"
        tail = f"<br><span style='color:#6b7785'>另有 {more} 条，点击卡片查看</span>" if more > 0 else ""
        box.setText(head + "<br>" + "<br>".join(lines) + tail)
        return box

    @property
    def employee_no(self) -> str:
        return str((self.card.employee or {}).get("employee_no") or "")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.card.ticket_id)
        super().mouseReleaseEvent(event)


def plain_label(text: str, name: str) -> QLabel:
    """Text typed by people is never interpreted as markup."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setObjectName(name)
    return label


def history_line(item: dict[str, Any]) -> str:
    kind = "诉求" if item.get("type") == "case" else "取号"
    outcome = item.get("outcome") or ""
    parts = [
        f"<span style='color:#6b7785'>{html.escape(item.get('date', ''))}</span>",
        html.escape(item.get("category_name", "")),
        f"{kind} {html.escape(item.get('label', ''))}",
        f"<b>{html.escape(item.get('status_label', ''))}</b>",
    ]
    if outcome:
        parts.append(html.escape(outcome))
    return "&nbsp; ".join(parts)  # a breakable space: long outcomes wrap instead of being cut


class ArrivalCardsPanel(QWidget):
    card_clicked = Signal(int)
    assessment_requested = Signal(str)  # a counselor's 心理测评 on a card: the employee number
    face_settled = Signal(int, bool)  # ticket id, confirm or reject the person's face enrolment
    face_withdraw_requested = Signal(str, str)  # 工号, name: 撤回人脸授权 on a card

    def __init__(self, model: FrontDeskModel, faces: FaceStates | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cardsPanel")
        self.faces = faces
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)  # so the theme's panel box shows
        self.model = model
        self.title = QLabel()
        self.title.setObjectName("panelTitle")
        self.hint = QLabel("实名取号的职工到达后，卡片会自动出现在这里")
        self.hint.setObjectName("panelSubtitle")
        self.hint.setWordWrap(True)
        self.container = QWidget()
        self.container.setObjectName("cardsContainer")
        self.stack = QVBoxLayout(self.container)
        self.stack.setContentsMargins(0, 0, 6, 0)
        self.stack.setSpacing(10)
        self.stack.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.container)
        self.scroll = scroll

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addWidget(scroll, 1)
        model.cards_changed.connect(lambda _=None: self.render())
        if faces is not None:
            faces.changed.connect(self._face_changed)
        self.render()

    def _face_of(self, card: ArrivalCard) -> FaceState | None:
        employee_no = str((card.employee or {}).get("employee_no") or "")
        return self.faces.get(employee_no) if self.faces is not None and employee_no else None

    def _face_changed(self, employee_no: str) -> None:
        for widget in self.widgets():
            if widget.employee_no == employee_no:
                widget.face_row.show_state(self._face_of(widget.card))

    def widgets(self) -> list[ArrivalCardWidget]:
        found = []
        for i in range(self.stack.count()):
            widget = self.stack.itemAt(i).widget()
            if isinstance(widget, ArrivalCardWidget):
                found.append(widget)
        return found

    def render(self) -> None:
        for widget in self.widgets():
            self.stack.removeWidget(widget)
            widget.deleteLater()
        cards = self.model.ordered_cards()
        current_id = self.model.current.id if self.model.current else None
        self.title.setText(f"到访卡片（{len(cards)}）")
        self.hint.setVisible(not cards)
        for index, card in enumerate(cards):
            serving = card.ticket_id == current_id
            widget = ArrivalCardWidget(
                card,
                expanded=serving,
                serving=serving,
                assessment_button=self.model.session.role in CRISIS_ROLES,
                face=self._face_of(card),
            )
            widget.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
            widget.clicked.connect(self.card_clicked)
            widget.assessment_requested.connect(self.assessment_requested)
            widget.face_settled.connect(self.face_settled)
            widget.face_withdraw_requested.connect(self.face_withdraw_requested)
            self.stack.insertWidget(index, widget)
