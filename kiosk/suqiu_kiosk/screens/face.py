"""刷脸识别 and its companions, as one kiosk screen.

The face screens (``suqiu_kiosk.face``) do the work: ``RecogniseScreen`` (look, turn the head,
"您好，张*，是您本人吗？", the person's own history), the separate ``ConsentScreen`` and the
``EnrolScreen`` (登记刷脸), and ``WithdrawScreen`` (撤回刷脸授权 with 工号 + phone digits). This
screen shows the one the person asked for, gives their text boxes the kiosk's keypad (there is no
keyboard on a kiosk), and passes what happened to ``KioskWindow``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLineEdit, QStackedWidget, QWidget

from ..face import ConsentScreen, EnrolScreen, FaceSupport, RecogniseScreen, WithdrawScreen
from ..widgets import Keypad, button
from .base import Screen

if TYPE_CHECKING:
    from ..window import KioskWindow


class FaceScreen(Screen):
    step = "face"

    def __init__(self, kiosk: KioskWindow, face: FaceSupport) -> None:
        super().__init__(kiosk)
        client = kiosk.service.client
        language = kiosk.flow.language
        self.recognise = RecogniseScreen(client, face.camera, face.engine, language=language)
        self.consent = ConsentScreen(client, language=language)
        self.enrol = EnrolScreen(client, face.camera, face.engine, language=language)
        self.withdraw = WithdrawScreen(client, language=language)
        self.pages = QStackedWidget()
        for page in (self.recognise, self.consent, self.enrol, self.withdraw):
            self.pages.addWidget(page)
        self.pages.currentChanged.connect(lambda _index: self._show_keypad())
        self.enrol.pages.currentChanged.connect(lambda _index: self._show_keypad())

        self.keypad = Keypad()
        self.keypad.pressed.connect(self.key)
        self.keypad.hide()  # shown for the pages with text boxes
        self.back_button = button("", "quiet")
        self.back_button.clicked.connect(lambda: self.kiosk.face_back())
        self.continue_button = button("", "primary")
        self.continue_button.clicked.connect(lambda: self.kiosk.face_done())
        nav = QWidget()
        row = QHBoxLayout(nav)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.back_button, 1)
        row.addWidget(self.continue_button, 2)
        # Portrait: the keypad under the page. Landscape: beside it (the screen is not high enough).
        self.body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.body.setSpacing(20)
        self.body.addWidget(self.pages, 1)
        self.body.addWidget(self.keypad, 0)
        self.outer.addLayout(self.body, 1)
        self.outer.addWidget(self.error)
        self.outer.addWidget(nav)
        self._last_field: QLineEdit | None = None
        for field in (
            self.enrol.employee_no,
            self.enrol.phone_last4,
            self.withdraw.employee_no,
            self.withdraw.phone_last4,
        ):
            field.installEventFilter(self)  # the box the person touches is the one the keypad types into
        self.retranslate()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        touched = event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.FocusIn)
        if touched and isinstance(watched, QLineEdit):
            self._last_field = watched
        return False

    # --- showing --------------------------------------------------------------------------------------

    def enter(self) -> None:
        super().enter()
        mode = self.flow.visit.face_mode
        if mode == "enrol":
            self.pages.setCurrentWidget(self.consent)
            self.consent.load()  # the separate consent screen comes first, always
        elif mode == "withdraw":
            self.withdraw.reset()
            self.pages.setCurrentWidget(self.withdraw)
        elif mode == "recognise":
            self.pages.setCurrentWidget(self.recognise)
            self.recognise.start()
        self.continue_button.hide()
        self._show_keypad()

    def relayout(self, portrait: bool) -> None:
        self.body.setDirection(QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight)
        self.body.setStretch(1, 0 if portrait else 1)
        self.outer.invalidate()

    def recognised(self) -> None:
        """After "是": the history page shows; 继续 goes on with this person."""
        self.continue_button.show()

    def _show_keypad(self) -> None:
        fields = self._fields()
        self.keypad.setVisible(bool(fields))
        self._last_field = fields[0] if fields else None

    def _fields(self) -> list[QLineEdit]:
        page = self.pages.currentWidget()
        if page is self.enrol and self.enrol.pages.currentWidget() is self.enrol.identity_page:
            return [self.enrol.employee_no, self.enrol.phone_last4]
        if page is self.withdraw:
            return [self.withdraw.employee_no, self.withdraw.phone_last4]
        return []

    def key(self, value: str) -> None:
        """The keypad types into the box the person tapped last (the 工号 box to begin with)."""
        fields = self._fields()
        field = self._last_field if self._last_field in fields else (fields[0] if fields else None)
        if field is None:
            return
        text = field.text()
        if value == "BACK":
            field.setText(text[:-1])
        elif value == "CLEAR":
            field.clear()
        elif len(text) < field.maxLength():
            field.setText(text + value)
        self.kiosk.touched()

    def retranslate(self) -> None:
        self.back_button.setText(self.t("back"))
        self.continue_button.setText(self.t("next"))
        if self.keypad.to_letters is not None and self.keypad.to_digits is not None:
            self.keypad.to_letters.setText(self.t("letters"))
            self.keypad.to_digits.setText(self.t("digits"))

    # --- leaving --------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Camera off, nothing of the person kept (a confirmed match stays until the ticket is linked)."""
        self.recognise.stop()
        self.consent.discard()
        self.enrol.blockSignals(True)  # leaving is the kiosk's doing: no "cancelled" back to it
        self.enrol.cancel()
        self.enrol.blockSignals(False)
        self.withdraw.reset()

    def wipe(self) -> None:
        self.stop()
        self.recognise.forget_person()
        self.continue_button.hide()

    def shutdown(self) -> None:
        self.recognise.shutdown()
        self.enrol.shutdown()
