"""Identify (optional): 工号 or phone number on a keypad, confirmed by the masked name (张*).

Where the kiosk has a camera and a face model, a row above offers 刷脸识别 (for people who agreed
to it earlier), 登记刷脸 (the separate consent screen, then enrolment) and 撤回刷脸授权; without
them the row is not there at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QButtonGroup, QFrame, QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from ..widgets import Keypad, button, label
from .base import Screen

if TYPE_CHECKING:
    from ..window import KioskWindow

MAX_EMPLOYEE_NO = 20
PHONE_DIGITS = 11


class IdentifyScreen(Screen):
    step = "identify"

    def __init__(self, kiosk: KioskWindow) -> None:
        super().__init__(kiosk)
        self.kind = "employee_no"
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(20)
        column.addWidget(self.title)
        column.addWidget(self.hint)

        segments = QHBoxLayout()
        self.by_employee = button("", "segment")
        self.by_phone = button("", "segment")
        group = QButtonGroup(self)
        for b in (self.by_employee, self.by_phone):
            b.setCheckable(True)
            group.addButton(b)
            segments.addWidget(b)
        self.by_employee.setChecked(True)
        self.by_employee.clicked.connect(lambda: self.set_kind("employee_no"))
        self.by_phone.clicked.connect(lambda: self.set_kind("phone"))

        # First, when there is a camera: the quickest way for those who agreed to it earlier.
        self.face_row = QWidget()
        face = QHBoxLayout(self.face_row)
        face.setContentsMargins(0, 0, 0, 0)
        self.by_face = button("", "primary")
        self.enrol_face = button("", "quiet")
        self.withdraw_face = button("", "quiet")
        self.by_face.clicked.connect(lambda: self.kiosk.begin_face("recognise"))
        self.enrol_face.clicked.connect(lambda: self.kiosk.begin_face("enrol"))
        self.withdraw_face.clicked.connect(lambda: self.kiosk.begin_face("withdraw"))
        face.addWidget(self.by_face, 2)
        face.addWidget(self.enrol_face, 1)
        face.addWidget(self.withdraw_face, 1)
        self.face_row.hide()  # only with a camera and a face model (KioskWindow.set_face_support)
        column.addWidget(self.face_row)
        column.addLayout(segments)

        self.field = QLineEdit()
        self.field.setReadOnly(True)  # typed only with the keypad below
        self.field.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.field.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column.addWidget(self.field)
        column.addWidget(self.error)

        # The confirmation: only the masked name is ever shown on the kiosk.
        self.confirm_panel = QFrame()
        self.confirm_panel.setProperty("role", "card")
        panel = QVBoxLayout(self.confirm_panel)
        panel.setContentsMargins(24, 20, 24, 20)
        panel.setSpacing(24)
        panel.addStretch(1)
        self.confirm_question = label("", "question", wrap=False)  # short: a masked name and a question
        self.confirm_question.setAlignment(Qt.AlignmentFlag.AlignCenter)
        panel.addWidget(self.confirm_question)
        answers = QHBoxLayout()
        self.not_me_button = button("", "quiet")
        self.yes_button = button("", "primary")
        answers.addWidget(self.not_me_button)
        answers.addWidget(self.yes_button)
        panel.addLayout(answers)
        panel.addStretch(1)
        self.not_me_button.clicked.connect(self.not_me)
        self.yes_button.clicked.connect(self.kiosk.confirm_identity)
        self.confirm_panel.hide()
        column.addStretch(1)

        self.keypad = Keypad()
        self.keypad.pressed.connect(self.key)
        # Portrait: keypad under the field. Landscape: field on the left, keypad on the right.
        self.body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.body.setSpacing(28)
        self.body.addWidget(left, 0)
        self.body.addWidget(self.keypad, 1)
        # The question takes the keypad's place: no typing while the person decides.
        self.body.addWidget(self.confirm_panel, 1)
        self.outer.addLayout(self.body, 1)

        nav = QHBoxLayout()
        self.back_button = button("", "quiet")
        self.skip_button = button("", None)
        self.confirm_button = button("", "primary")
        nav.addWidget(self.back_button, 1)
        nav.addWidget(self.skip_button, 1)
        nav.addWidget(self.confirm_button, 2)
        self.back_button.clicked.connect(self.kiosk.go_back)
        self.skip_button.clicked.connect(self.kiosk.skip_identify)
        self.confirm_button.clicked.connect(self.submit)
        self.outer.addLayout(nav)
        self.retranslate()

    def relayout(self, portrait: bool) -> None:
        self.body.setDirection(QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight)
        self.body.setStretch(0, 0 if portrait else 1)
        self.body.setStretch(1, 1)
        self.outer.invalidate()

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        self.by_employee.setChecked(kind == "employee_no")
        self.by_phone.setChecked(kind == "phone")
        self.field.clear()
        self.keypad.setCurrentIndex(0)
        self.show_error("")
        self.retranslate()

    def key(self, value: str) -> None:
        if self.flow.busy or self.confirm_panel.isVisible():
            return
        text = self.field.text()
        if value == "BACK":
            text = text[:-1]
        elif value == "CLEAR":
            text = ""
        elif self.kind == "phone":
            if value.isdigit() and len(text) < PHONE_DIGITS:
                text += value
        elif len(text) < MAX_EMPLOYEE_NO:
            text += value
        self.field.setText(text)
        self.show_error("")

    def submit(self) -> None:
        value = self.field.text().strip()
        if not value:
            return
        if self.kind == "phone" and len(value) != PHONE_DIGITS:
            self.show_error(self.t("phone_too_short"))
            return
        self.kiosk.identify(self.kind, value)

    def not_me(self) -> None:
        self.kiosk.reject_identity()
        self.field.clear()
        self.show_identity()

    def set_face_available(self, available: bool) -> None:
        self.face_row.setVisible(available)

    def show_identity(self) -> None:
        visit = self.flow.visit
        has = bool(visit.masked_name)
        self.face_row.setEnabled(not has)
        self.confirm_panel.setVisible(has)
        self.keypad.setVisible(not has)
        self.confirm_button.setVisible(not has)
        if has:
            self.confirm_question.setText(self.t("is_this_you", masked_name=visit.masked_name))
        self.set_busy(self.flow.busy)

    def set_busy(self, busy: bool) -> None:
        self.confirm_button.setEnabled(not busy)
        self.confirm_button.setText(self.t("please_wait") if busy else self.t("confirm"))

    def enter(self) -> None:
        super().enter()
        self._hint()
        self.show_identity()

    def _hint(self) -> None:
        # Before the self-assessment, registering is what makes 实名 possible: say so.
        for_assessment = self.flow.visit.purpose == "assessment"
        self.hint.setText(self.t("identify_hint_assessment" if for_assessment else "identify_hint"))

    def retranslate(self) -> None:
        self.title.setText(self.t("identify_title"))
        self._hint()
        self.by_employee.setText(self.t("by_employee_no"))
        self.by_phone.setText(self.t("by_phone"))
        self.field.setPlaceholderText(
            self.t("identify_placeholder_phone" if self.kind == "phone" else "identify_placeholder_employee")
        )
        self.back_button.setText(self.t("back"))
        self.skip_button.setText(self.t("skip"))
        self.by_face.setText(self.t("by_face"))
        self.enrol_face.setText(self.t("enrol_face"))
        self.withdraw_face.setText(self.t("withdraw_face"))
        self.yes_button.setText(self.t("yes_its_me"))
        self.not_me_button.setText(self.t("not_me"))
        if self.keypad.to_letters is not None and self.keypad.to_digits is not None:
            self.keypad.to_letters.setText(self.t("letters"))
            self.keypad.to_digits.setText(self.t("digits"))
        self.show_identity()

    def wipe(self) -> None:
        self.set_kind("employee_no")
        self.confirm_panel.hide()
        self.keypad.show()
        self.confirm_button.show()
