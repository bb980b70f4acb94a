"""The face-recognition row on an arrival card and the 撤回人脸授权 confirmation dialog.

The dialog says in plain words what will happen before anything does, and asks the officer to
confirm that the person asked for it in person: a withdrawal is the employee's decision, never
the officer's. Cancel is the default button, so a stray Enter withdraws nothing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from .face_consent import FaceState

WITHDRAW = "撤回人脸授权"
IN_PERSON = "本人已当面提出撤回"
WHAT_HAPPENS = (
    "本人的人脸模板立即删除，无法恢复，自助机不会再刷脸认出本人；",
    "下次来访请用工号（或手机号）取号识别，办理不受影响；",
    "以后如果愿意，可以在自助机重新授权、登记人脸。",
)
DIALOG_WIDTH = 640


class FaceConsentRow(QFrame):
    """人脸识别：已登记人脸 / 未登记 / 待确认, and 撤回人脸授权 while there is a consent to end."""

    withdraw_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("faceConsentRow")
        self.state_label = QLabel()
        self.state_label.setObjectName("faceState")
        self.withdraw_button = QPushButton(WITHDRAW)
        self.withdraw_button.setObjectName("faceWithdraw")
        self.withdraw_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.withdraw_button.setToolTip("本人当面要求撤回时使用：人脸模板立即删除，操作记入审计")
        self.withdraw_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.withdraw_button.clicked.connect(self.withdraw_requested.emit)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        row.addWidget(self.state_label)
        row.addWidget(self.withdraw_button)
        row.addStretch(1)
        self.show_state(None)

    def show_state(self, state: FaceState | None) -> None:
        """Nothing until the server has answered, and nothing when it would not say."""
        if state is None or not state.visible:
            self.setVisible(False)
            return
        self.state_label.setText(f"人脸识别：{state.label}")
        self.state_label.setProperty("state", state.kind)
        self.state_label.style().unpolish(self.state_label)
        self.state_label.style().polish(self.state_label)
        self.withdraw_button.setVisible(state.can_withdraw)
        self.withdraw_button.setEnabled(not state.withdrawing)
        self.withdraw_button.setText("正在撤回…" if state.withdrawing else WITHDRAW)
        self.setVisible(True)


class WithdrawFaceDialog(QDialog):
    """Asks before anything is deleted. ``accepted`` means: withdraw now."""

    def __init__(self, name: str, employee_no: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("withdrawFaceDialog")
        self.setWindowTitle(WITHDRAW)
        # A fixed width lets the wrapped lines claim the height they need (no clipped sentence).
        self.setFixedWidth(DIALOG_WIDTH)
        title = wrapped(f"为 {name}（工号 {employee_no}）撤回人脸识别授权", "faceDialogTitle")
        box = QFrame()
        box.setObjectName("faceDialogBody")
        points = QVBoxLayout(box)
        points.setContentsMargins(16, 12, 16, 12)
        points.setSpacing(6)
        points.addWidget(wrapped("撤回后：", "faceDialogLead"))
        for line in WHAT_HAPPENS:
            points.addWidget(wrapped(f"· {line}", "faceDialogPoint"))
        audit = wrapped("撤回须由本人当面提出。操作会记入审计日志，并记下您的账号。", "faceDialogNote")
        self.in_person = QCheckBox(IN_PERSON)
        self.in_person.setObjectName("faceInPerson")
        self.confirm_button = QPushButton("确认撤回")
        self.confirm_button.setObjectName("faceWithdrawConfirm")
        self.confirm_button.setEnabled(False)  # only once the officer has ticked 本人已当面提出撤回
        self.cancel_button = QPushButton("取消")
        self.cancel_button.setObjectName("faceWithdrawCancel")
        self.cancel_button.setDefault(True)
        self.in_person.toggled.connect(self.confirm_button.setEnabled)
        self.confirm_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.confirm_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(box)
        layout.addWidget(audit)
        layout.addWidget(self.in_person)
        layout.addLayout(buttons)


def wrapped(text: str, name: str) -> QLabel:
    """Plain text (names are data, never markup) that wraps instead of being cut."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    return label
