"""The centre of the window: the ticket at this counter, big, and the actions with their keys."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from suqiu_queue.domain.enums import TicketState
from suqiu_queue.domain.queueing import STATE_LABELS_ZH

from .models import FrontDeskModel, QueueTicket
from .style import LANE_COLOURS, chip_css


@dataclass(frozen=True)
class Action:
    key: str  # also the button's objectName suffix
    label: str
    shortcut: str
    tip: str


# One key per action, shown on its button. F1–F6 in the order of a visit, F8 the case, F9 pause.
ACTIONS = [
    Action("call_next", "叫号", "F1", "叫下一位（按通道和等候时间自动选择）"),
    Action("recall", "重呼", "F2", "再次呼叫当前号码"),
    Action("no_show", "过号", "F3", "呼叫后未到，标记过号"),
    Action("done", "完成", "F4", "办理完成，结束本次接待"),
    Action("transfer", "转移", "F5", "转到其他业务类别或窗口，保留原取号时间"),
    Action("call", "指定叫号", "F6", "叫左侧选中的号，或输入号码"),
    Action("case", "受理登记", "F8", "为当前来访登记诉求事项、备注、转交"),
    Action("pause", "暂停", "F9", "暂停本窗口（不再叫到新号）/ 恢复服务"),
]
ACTION_BY_KEY = {a.key: a for a in ACTIONS}
UPCOMING = 4


class CurrentTicketPanel(QWidget):
    action_triggered = Signal(str)

    def __init__(self, model: FrontDeskModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("currentPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)  # so the theme's panel box shows
        self.model = model

        self.heading = QLabel("当前号码")
        self.heading.setObjectName("panelTitle")
        self.number = QLabel()
        self.number.setObjectName("currentNumber")
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.lane = QLabel()
        self.category = QLabel()
        self.category.setObjectName("currentCategory")
        self.person = QLabel()
        self.person.setObjectName("currentPerson")
        self.person.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.person.setTextFormat(Qt.TextFormat.PlainText)
        self.state = QLabel()
        self.state.setObjectName("currentState")
        self.state.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.upcoming = QLabel()
        self.upcoming.setObjectName("upcoming")
        self.upcoming.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.upcoming.setWordWrap(True)
        self.paused_banner = QLabel("本窗口已暂停服务 · 按 F9 恢复")
        self.paused_banner.setObjectName("pausedBanner")
        self.paused_banner.setAlignment(Qt.AlignmentFlag.AlignCenter)

        tags = QHBoxLayout()
        tags.addStretch(1)
        tags.addWidget(self.category)
        tags.addWidget(self.lane)
        tags.addStretch(1)

        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        grid.setSpacing(12)
        for index, action in enumerate(ACTIONS):
            button = QPushButton(f"{action.label}\n{action.shortcut}")
            button.setObjectName(f"action_{action.key}")
            button.setToolTip(f"{action.tip}（{action.shortcut}）")
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            button.setMinimumHeight(96)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the shortcuts
            button.clicked.connect(lambda _checked=False, key=action.key: self.action_triggered.emit(key))
            grid.addWidget(button, index // 4, index % 4)
            self.buttons[action.key] = button

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 12, 24, 18)
        layout.setSpacing(8)
        layout.addWidget(self.heading)
        layout.addWidget(self.paused_banner)
        layout.addStretch(1)
        layout.addWidget(self.number)
        layout.addLayout(tags)
        layout.addWidget(self.person)
        layout.addWidget(self.state)
        layout.addStretch(1)
        layout.addWidget(self.upcoming)
        layout.addSpacing(8)
        layout.addLayout(grid)

        model.current_changed.connect(lambda _=None: self.render())
        model.busy_changed.connect(lambda _=None: self.update_buttons())
        model.paused_changed.connect(lambda _=None: self.render())
        model.queue_changed.connect(lambda _=None: self.render_upcoming())
        model.cards_changed.connect(lambda _=None: self.render_person())
        self.timer = QTimer(self)
        self.timer.setInterval(20_000)
        self.timer.timeout.connect(self.render)
        self.timer.start()
        self.render()

    def render(self) -> None:
        ticket = self.model.current
        self.paused_banner.setVisible(self.model.paused)
        if ticket is None:
            self.number.setText("空闲")
            self.number.setProperty("idle", True)
            self.category.setText("")
            self.lane.setText("")
            self.lane.setStyleSheet("")
            self.state.setText("暂停中" if self.model.paused else "按 F1 叫下一位")
        else:
            self.number.setText(ticket.display)
            self.number.setProperty("idle", False)
            self.category.setText(ticket.category_name)
            colour = LANE_COLOURS.get(ticket.lane, LANE_COLOURS["normal"])
            self.lane.setText(ticket.lane_label)
            self.lane.setStyleSheet(chip_css(colour, filled=ticket.lane != "normal") + "font-size:18px;")
            self.state.setText(self.state_text(ticket))
        self.number.style().unpolish(self.number)
        self.number.style().polish(self.number)
        self.render_person()
        self.render_upcoming()
        self.update_buttons()

    def render_person(self) -> None:
        """The name to greet the person by (from their arrival card), when they identified."""
        ticket = self.model.current
        card = self.model.card(ticket.id) if ticket is not None else None
        employee = card.employee if card is not None else None
        if not employee:
            self.person.setText("未实名取号" if ticket is not None and not ticket.identified else "")
            return
        age = f" · {employee['age']}岁" if employee.get("age") is not None else ""
        self.person.setText(f"{employee['name']}{age} · 工号 {employee['employee_no']}")

    def render_upcoming(self) -> None:
        """Who F1 would call next, in the server's order: the officer can prepare for them."""
        upcoming = self.model.callable_waiting()[:UPCOMING]
        if not upcoming:
            self.upcoming.setText("本窗口暂无等候")
            return
        names = "　".join(f"{t.display}（{t.lane_label}）" if t.lane != "normal" else t.display for t in upcoming)
        self.upcoming.setText(f"接下来：{names}")

    def state_text(self, ticket: QueueTicket) -> str:
        try:
            label = STATE_LABELS_ZH[TicketState(ticket.state)]
        except ValueError:
            label = ticket.state
        parts = [label]
        if ticket.recall_count:
            parts.append(f"已重呼 {ticket.recall_count} 次")
        parts.append(f"取号后等候 {ticket.waited_minutes(ticket.called_at or self.model.clock())} 分钟")
        if ticket.print_failed:
            parts.append("号票未打印")
        return " · ".join(parts)

    def update_buttons(self) -> None:
        busy = self.model.busy is not None
        current = self.model.current
        called = current is not None and current.state == "called"
        free = current is None and not self.model.paused
        enabled = {
            "call_next": free,
            "call": free,
            "recall": called,
            "no_show": called,
            "done": current is not None,
            "transfer": current is not None,
            "case": current is not None,
            "pause": True,
        }
        for key, button in self.buttons.items():
            button.setEnabled(enabled[key] and not busy)
        pause = ACTION_BY_KEY["pause"]
        self.buttons["pause"].setText(f"{'恢复服务' if self.model.paused else pause.label}\n{pause.shortcut}")
