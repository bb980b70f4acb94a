"""The queue panel (left): waiting tickets per category, lanes marked, waited minutes ticking."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from .models import FrontDeskModel, QueueTicket
from .style import LANE_COLOURS, badge_icon, scaled_font

COLUMNS = ["号码", "通道", "已等候", "标记"]
TICKET_ROLE = Qt.ItemDataRole.UserRole + 1
REFRESH_WAITED_MS = 20_000  # waited minutes tick without any server round trip


class QueuePanel(QWidget):
    ticket_activated = Signal(int)  # double-click: 指定叫号 this ticket

    def __init__(self, model: FrontDeskModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queuePanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)  # so the theme's panel box shows
        self.model = model
        self.title = QLabel("等候队列")
        self.title.setObjectName("panelTitle")
        self.summary = QLabel()
        self.summary.setObjectName("panelSubtitle")
        self.tree = QTreeWidget()
        self.tree.setObjectName("queueTree")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(8)
        self.tree.setUniformRowHeights(False)
        self.tree.setIconSize(QSize(22, 22))
        self.tree.setAlternatingRowColors(False)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemDoubleClicked.connect(self._double_clicked)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)

        self._identified_icon = badge_icon("实", "#1b7f3b")
        self._print_failed_icon = badge_icon("!", "#c62828")
        self._targeted_icon = badge_icon("指", "#1f5fbf")

        model.queue_changed.connect(lambda _=None: self.render())
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_WAITED_MS)
        self.timer.timeout.connect(self.render)
        self.timer.start()
        self.render()

    # -- reading it --------------------------------------------------------------------------------

    def selected_ticket_id(self) -> int | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        value = item.data(0, TICKET_ROLE)
        return int(value) if value is not None else None

    def ticket_item(self, ticket_id: int) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            for j in range(group.childCount()):
                child = group.child(j)
                if child.data(0, TICKET_ROLE) == ticket_id:
                    return child
        return None

    # -- drawing it ------------------------------------------------------------------------------------

    def render(self) -> None:
        selected = self.selected_ticket_id()
        scroll = self.tree.verticalScrollBar().value()
        now = self.model.clock()
        self.tree.clear()
        groups = self.model.groups()
        total = sum(len(g.tickets) for g in groups)
        mine = sum(len(g.tickets) for g in groups if g.mine) + sum(
            1 for g in groups if not g.mine for t in g.tickets if t.target_counter_id == self.model.counter.id
        )
        self.summary.setText(f"大厅共 {total} 人等候 · 本窗口可叫 {mine} 人")
        header_font = scaled_font(self.tree.font(), 1.0, bold=True)
        number_font = scaled_font(self.tree.font(), 1.3, bold=True)
        for group in groups:
            head = QTreeWidgetItem(self.tree)
            tag = "本窗口 · " if group.mine else ""
            longest = f" · 最长 {group.longest_wait(now)} 分钟" if group.tickets else ""
            head.setText(0, f"{tag}{group.name}（{group.prefix}）{len(group.tickets)} 人{longest}")
            head.setFirstColumnSpanned(True)
            head.setFont(0, header_font)
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            head.setForeground(0, QBrush(QColor("#1f3a5f" if group.mine else "#6b7785")))
            head.setBackground(0, QBrush(QColor("#e7eef8" if group.mine else "#f0f2f5")))
            for ticket in group.tickets:
                self._ticket_row(head, ticket, number_font, group.mine)
            head.setExpanded(True)
        if selected is not None and (item := self.ticket_item(selected)) is not None:
            self.tree.setCurrentItem(item)
        self.tree.verticalScrollBar().setValue(scroll)

    def _ticket_row(self, parent: QTreeWidgetItem, ticket: QueueTicket, font: QFont, mine: bool) -> None:
        now = self.model.clock()
        item = QTreeWidgetItem(parent)
        item.setData(0, TICKET_ROLE, ticket.id)
        item.setText(0, ticket.display)
        item.setFont(0, font)
        callable_here = mine or ticket.target_counter_id == self.model.counter.id
        if not callable_here:
            item.setForeground(0, QBrush(QColor("#8a94a0")))
        lane_colour = QColor(LANE_COLOURS.get(ticket.lane, LANE_COLOURS["normal"]))
        item.setText(1, ticket.lane_label)
        item.setForeground(1, QBrush(lane_colour))
        lane_font = QFont(self.tree.font())
        lane_font.setBold(ticket.lane != "normal")
        item.setFont(1, lane_font)
        if ticket.lane != "normal":
            item.setBackground(1, QBrush(lane_colour.lighter(185)))
        minutes = ticket.waited_minutes(now)
        item.setText(2, f"{minutes} 分钟")
        item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if minutes >= 30:
            item.setForeground(2, QBrush(QColor("#b35c00")))
        marks = []
        tips = []
        if ticket.identified:
            marks.append("实名")
            tips.append("已识别身份：右侧有到访卡片")
        if ticket.print_failed:
            marks.append("未出票")
            tips.append("号票打印失败：请口头告知号码")
            item.setIcon(3, self._print_failed_icon)
        elif ticket.target_counter_id is not None:
            item.setIcon(3, self._targeted_icon)
        elif ticket.identified:
            item.setIcon(3, self._identified_icon)
        if ticket.target_counter_id is not None:
            number = next(
                (c.number for c in self.model.session.counters if c.id == ticket.target_counter_id),
                None,
            )
            marks.append(f"转{number}号窗" if number is not None else "指定窗口")
            tips.append("已转给指定窗口")
        item.setText(3, " ".join(marks))
        if ticket.print_failed:
            item.setForeground(3, QBrush(QColor("#c62828")))
        item.setToolTip(3, "\n".join(tips))
        item.setSizeHint(0, QSize(0, 38))

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        value = item.data(0, TICKET_ROLE)
        if value is not None:
            self.ticket_activated.emit(int(value))
