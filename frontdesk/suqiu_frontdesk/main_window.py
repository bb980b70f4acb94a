"""One window at 1920×1080: queue (left), the ticket at this counter (centre), arrival cards (right).

Counselors and supervisors get a second tab beside the cards, 危机预警 (``crisis.CrisisAlertPanel``
with its pop-up); counselors also get the ``crisis.CounselorView`` window (心理测评记录), opened from
a card's 心理测评 button, an alert they took, or a search by 工号 (Ctrl+F). Nobody else gets either.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from suqiu_queue.client import Event, SuqiuClient

from .arrival_cards import ArrivalCardsPanel
from .case_view import CaseView
from .controller import FrontDeskController
from .crisis import Alert, CounselorView, CrisisAlertPanel
from .current_panel import ACTIONS, CurrentTicketPanel
from .face_consent_view import WithdrawFaceDialog
from .models import CRISIS_ROLES, ESCALATION_ROLES, FrontDeskModel, StatusLine
from .queue_panel import QueuePanel
from .report_view import ReportWindow
from .style import COUNSELOR_BUTTON_CSS, LANE_COLOURS
from .workers import Runner

CRISIS_TAB = "危机预警"


class TransferDialog(QDialog):
    """转移: to another category (any counter serving it) or to one counter."""

    def __init__(self, model: FrontDeskModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("转移号票")
        current = model.current
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"把 {current.display if current else ''} 转到（保留原取号时间）："))
        self.group = QButtonGroup(self)
        categories = QGroupBox("业务类别（任一可办理的窗口叫号）")
        grid = QGridLayout(categories)
        self.targets: dict[int, tuple[str | None, int | None]] = {}
        for i, c in enumerate(model.session.categories):
            if current is not None and c.code == current.category:
                continue
            self._add(grid, i, f"{c.name}（{c.prefix}）", (c.code, None))
        counters = QGroupBox("指定窗口（只有该窗口能叫）")
        grid2 = QGridLayout(counters)
        for i, c in enumerate(model.session.counters):
            if c.id == model.counter.id:
                continue
            self._add(grid2, i, f"{c.label} · {c.name}", (None, c.id))
        layout.addWidget(categories)
        layout.addWidget(counters)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("转移")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _add(self, grid: QGridLayout, index: int, text: str, target: tuple[str | None, int | None]) -> None:
        button = QRadioButton(text)
        button_id = len(self.targets)
        self.group.addButton(button, button_id)
        self.targets[button_id] = target
        grid.addWidget(button, index // 2, index % 2)

    def target(self) -> tuple[str | None, int | None] | None:
        checked = self.group.checkedId()
        return self.targets.get(checked) if checked >= 0 else None


class MainWindow(QMainWindow):
    def __init__(
        self,
        model: FrontDeskModel,
        controller: FrontDeskController,
        client: SuqiuClient,
        runner: Runner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.controller = controller
        self.client = client
        self.runner = runner
        self.case_views: list[CaseView] = []
        self.report_window: ReportWindow | None = None
        session = model.session
        self.setObjectName("frontDesk")
        self.setWindowTitle(f"{session.center_name} · {session.counter.label} · 前台工作台")

        self.queue_panel = QueuePanel(model)
        self.current_panel = CurrentTicketPanel(model)
        self.cards_panel = ArrivalCardsPanel(model, faces=controller.faces.states)
        self.queue_panel.ticket_activated.connect(self.call_ticket)
        self.current_panel.action_triggered.connect(self.trigger)
        self.cards_panel.card_clicked.connect(self.open_case_for_ticket)
        self.cards_panel.face_settled.connect(
            lambda ticket_id, confirm: controller.settle_face_enrolment(ticket_id, confirm=confirm)
        )
        self.cards_panel.face_withdraw_requested.connect(self.ask_withdraw_face)
        self.face_dialog: WithdrawFaceDialog | None = None
        self._voice_output: Any = None
        self._voice_output_known = False

        # Crisis alerts: one panel (with its pop-up) is the only place an alert is shown or taken.
        self.crisis_panel: CrisisAlertPanel | None = None
        self.right_tabs: QTabWidget | None = None
        self.counselor_view: CounselorView | None = None
        right: QWidget = self.cards_panel
        if session.role in CRISIS_ROLES | ESCALATION_ROLES:
            self.crisis_panel = CrisisAlertPanel(client, runner=runner, role=session.role)
            self.crisis_panel.open_count_changed.connect(self._crisis_count)
            self.crisis_panel.alert_arrived.connect(self._crisis_arrived)
            self.crisis_panel.alert_taken.connect(self._crisis_taken)
            self.crisis_panel.view_requested.connect(self._view_alert)
            controller.event_listeners.append(self.crisis_panel.on_event)
            # After logging in and after every reconnection: the open alerts, none missed while away.
            model.connection_changed.connect(self._reload_alerts)
            self.right_tabs = QTabWidget()
            self.right_tabs.setObjectName("rightTabs")
            self.right_tabs.addTab(self.cards_panel, "到访卡片")
            self.right_tabs.addTab(self.crisis_panel, CRISIS_TAB)
            right = self.right_tabs
        if session.role in CRISIS_ROLES:
            self.cards_panel.assessment_requested.connect(lambda no: self.open_counselor_view(employee_no=no))

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("mainSplitter")
        splitter.setChildrenCollapsible(False)
        for panel in (self.queue_panel, self.current_panel, right):
            splitter.addWidget(panel)
        splitter.setSizes([560, 760, 600])
        splitter.setStretchFactor(1, 1)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(8)
        layout.addWidget(self._header())
        layout.addWidget(splitter, 1)
        self.status_line = QLabel("")
        self.status_line.setObjectName("statusLine")
        layout.addWidget(self.status_line)
        self.setCentralWidget(central)

        self.shortcuts: dict[str, QShortcut] = {}
        for action in ACTIONS:
            shortcut = QShortcut(QKeySequence(action.shortcut), self)
            shortcut.activated.connect(lambda key=action.key: self.trigger(key))
            self.shortcuts[action.key] = shortcut
        intake = QShortcut(QKeySequence("Ctrl+N"), self)
        intake.activated.connect(self.open_intake)
        self.shortcuts["intake"] = intake
        if session.role in CRISIS_ROLES:
            search = QShortcut(QKeySequence("Ctrl+F"), self)
            search.activated.connect(lambda: self.open_counselor_view())
            self.shortcuts["assessments"] = search

        model.status_changed.connect(self.show_status)
        model.connection_changed.connect(lambda _=None: self._update_header())
        model.paused_changed.connect(lambda _=None: self._update_header())
        controller.event_listeners.append(self._forward_to_case_views)
        self._clock = QTimer(self)
        self._clock.setInterval(15_000)
        self._clock.timeout.connect(self._update_header)
        self._clock.start()
        self._update_header()

    # -- header and status line ------------------------------------------------------------------------

    def _header(self) -> QWidget:
        bar = QFrame()
        bar.setObjectName("headerBar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(16, 8, 16, 8)
        session = self.model.session
        center = QLabel(session.center_name)
        center.setObjectName("headerCenter")
        self.header_counter = QLabel()
        self.header_counter.setObjectName("headerCounter")
        self.connection = QLabel()
        self.connection.setObjectName("headerConnection")
        intake = QLabel("Ctrl+N 一口受理（来信 / 来电 / 网上）")
        intake.setObjectName("headerHint")
        row.addWidget(center)
        row.addSpacing(24)
        row.addWidget(self.header_counter)
        row.addStretch(1)
        row.addWidget(intake)
        self.assessments_button: QPushButton | None = None
        if session.role in CRISIS_ROLES:
            self.assessments_button = QPushButton("心理测评记录（Ctrl+F）")
            self.assessments_button.setObjectName("headerAssessments")
            self.assessments_button.setStyleSheet(COUNSELOR_BUTTON_CSS)
            self.assessments_button.setToolTip("按工号查询心理测评记录（仅心理咨询师，查询会记入审计）")
            self.assessments_button.clicked.connect(lambda: self.open_counselor_view())
            row.addSpacing(16)
            row.addWidget(self.assessments_button)
        if session.role in ESCALATION_ROLES:  # supervisors: the server answers the report to them only
            report = QPushButton("月度报告")
            report.setObjectName("headerReport")
            report.setToolTip("本中心的月度报告：诉求办理、时限、排队、满意度")
            report.clicked.connect(self.open_report)
            row.addSpacing(16)
            row.addWidget(report)
        row.addSpacing(24)
        row.addWidget(self.connection)
        return bar

    def _update_header(self) -> None:
        session = self.model.session
        paused = " · 暂停中" if self.model.paused else ""
        self.header_counter.setText(
            f"{session.counter.label}（{session.counter.name}）· {session.display_name}（{session.role_label}）{paused}"
        )
        if self.model.connected:
            self.connection.setText("● 实时连接")
            self.connection.setStyleSheet("color:#8ff0b4;")  # light on the dark header bar
        else:
            self.connection.setText("○ 正在连接服务器…")
            self.connection.setStyleSheet("color:#ffd27a;")

    def show_status(self, status: StatusLine) -> None:
        when = status.at.astimezone().strftime("%H:%M:%S")
        self.status_line.setText(f"{when}  {status.text}" if status.text else "")
        self.status_line.setProperty("level", status.level)
        self.status_line.style().unpolish(self.status_line)
        self.status_line.style().polish(self.status_line)

    # -- actions -------------------------------------------------------------------------------------

    def trigger(self, key: str) -> None:
        if key == "call_next":
            self.controller.call_next()
        elif key == "recall":
            self.controller.recall()
        elif key == "no_show":
            self.controller.no_show()
        elif key == "done":
            self.controller.done()
        elif key == "transfer":
            self.ask_transfer()
        elif key == "call":
            self.ask_call()
        elif key == "case":
            self.open_case_for_current()
        elif key == "pause":
            self.controller.toggle_pause()

    def call_ticket(self, ticket_id: int) -> None:
        self.controller.call_ticket(ticket_id)

    def ask_call(self) -> None:
        """指定叫号: the ticket selected on the left, or a number typed in."""
        if not self.controller.can_call():
            return
        selected = self.queue_panel.selected_ticket_id()
        if selected is not None:
            self.controller.call_ticket(selected)
            return
        text, ok = QInputDialog.getText(self, "指定叫号", "请输入要叫的号码（例如 A012）：")
        if not ok or not text.strip():
            return
        ticket = self.model.find_waiting(text)
        if ticket is None:
            self.model.say(f"等候队列中没有 {text.strip().upper()}", "warn")
            return
        self.controller.call_ticket(ticket.id)

    def ask_transfer(self) -> None:
        if self.model.current is None:
            self.controller.transfer()  # explains
            return
        dialog = TransferDialog(self.model, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        target = dialog.target()
        if target is None:
            self.model.say("没有选择转移目标，号票未转移", "warn")
            return
        category, counter_id = target
        self.controller.transfer(category=category, counter_id=counter_id)

    def ask_withdraw_face(self, employee_no: str, name: str) -> WithdrawFaceDialog:
        """撤回人脸授权: explain, have the officer confirm the person asked in person, then withdraw."""
        if self.face_dialog is not None:
            self.face_dialog.close()
        dialog = WithdrawFaceDialog(name, employee_no, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.controller.faces.withdraw(employee_no, name))
        dialog.finished.connect(lambda _=0, d=dialog: self._face_dialog_closed(d))
        self.face_dialog = dialog
        dialog.open()  # window-modal, without blocking the event loop (events and the queue keep coming)
        return dialog

    def _face_dialog_closed(self, dialog: WithdrawFaceDialog) -> None:
        if self.face_dialog is dialog:
            self.face_dialog = None

    # -- the case view -----------------------------------------------------------------------------------

    def open_case_for_current(self) -> CaseView | None:
        current = self.model.current
        if current is None:
            self.model.say("当前没有正在办理的号", "warn")
            return None
        return self.open_case_for_ticket(current.id)

    def open_case_for_ticket(self, ticket_id: int) -> CaseView | None:
        ticket = self.model.current if self.model.current and self.model.current.id == ticket_id else None
        ticket = ticket or self.model.ticket(ticket_id)
        if ticket is None:
            self.model.say("这张号票已不在今天的队列中", "warn")
            return None
        is_current = self.model.current is not None and self.model.current.id == ticket_id
        view = CaseView(
            self.client,
            self.runner,
            self.model.session,
            ticket=ticket,
            card=self.model.card(ticket_id),
            on_close_visit=self.controller.done if is_current else None,
            voice_output=self.voice_output(),
            parent=self,
        )
        self._show_case_view(view)
        return view

    def voice_output(self) -> Any:
        """This PC's sound output for voice messages, found once (None: the player says it cannot play)."""
        if not self._voice_output_known:
            from .voice import default_output

            self._voice_output = default_output()
            self._voice_output_known = True
        return self._voice_output

    def set_voice_output(self, output: Any) -> None:
        """Use this output for voice messages (e.g. a headset chosen in the settings, or a test's fake)."""
        self._voice_output, self._voice_output_known = output, True

    def open_intake(self) -> CaseView:
        """一口受理: a letter, a call or an online message, without a ticket."""
        view = CaseView(self.client, self.runner, self.model.session, parent=self)
        self._show_case_view(view)
        return view

    def _show_case_view(self, view: CaseView) -> None:
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        view.destroyed.connect(lambda _=None, v=view: self.case_views.remove(v) if v in self.case_views else None)
        self.case_views.append(view)
        view.show()
        view.raise_()

    def _forward_to_case_views(self, event: Event) -> None:
        for view in list(self.case_views):
            view.on_event(event)

    # -- crisis alerts and the counselor view (counselors; supervisors see escalations) ----------------------

    def _reload_alerts(self, connected: Any) -> None:
        if connected and self.crisis_panel is not None:
            self.crisis_panel.refresh()

    def _crisis_count(self, open_alerts: int) -> None:
        if self.right_tabs is None or self.crisis_panel is None:
            return
        index = self.right_tabs.indexOf(self.crisis_panel)
        self.right_tabs.setTabText(index, f"{CRISIS_TAB}（{open_alerts}）" if open_alerts else CRISIS_TAB)
        self.right_tabs.tabBar().setTabTextColor(index, QColor(LANE_COLOURS["crisis"] if open_alerts else "#1f2a37"))

    def _crisis_arrived(self, alert: Alert) -> None:
        # The pop-up is already on top; also flash the taskbar for a desk whose window is behind others.
        QApplication.alert(self)
        number = f" {alert.ticket_display}" if alert.ticket_display else "（匿名测评）"
        self.model.say(f"危机预警{number}：请心理咨询师立即接待", "warn")

    def _crisis_taken(self, alert: Alert) -> None:
        number = f" {alert.ticket_display}" if alert.ticket_display else ""
        self.model.say(f"已接手危机预警{number}，请立即前往接待", "ok")

    def _view_alert(self, alert: Alert) -> None:
        if alert.ticket_id is not None:
            self.open_counselor_view(ticket=(alert.ticket_id, alert.ticket_display or ""))

    def open_report(self) -> ReportWindow:
        """月度报告 (supervisors): one window, raised again when it is already open."""
        if self.report_window is None:
            self.report_window = ReportWindow(self.client, self.runner, self.model.session.center, parent=self)
            self.report_window.finished.connect(self._report_closed)
        self.report_window.show()
        self.report_window.raise_()
        return self.report_window

    def _report_closed(self) -> None:
        if self.report_window is not None:
            self.report_window.deleteLater()
            self.report_window = None

    def open_counselor_view(
        self, *, employee_no: str | None = None, ticket: tuple[int, str] | None = None
    ) -> CounselorView | None:
        """心理测评记录: one window, reused. Counselors only (the server answers others with 403)."""
        if self.model.session.role not in CRISIS_ROLES:
            return None
        if self.counselor_view is None:
            view = CounselorView(self.client, runner=self.runner)
            view.setParent(self, Qt.WindowType.Window)  # its own window, closed with the desk
            view.setWindowTitle("心理测评记录 · 仅心理咨询师可见")
            view.resize(1400, 860)
            self.counselor_view = view
        view = self.counselor_view
        view.show()
        view.raise_()
        view.activateWindow()
        if employee_no:
            view.show_employee(employee_no)
        elif ticket is not None:
            view.show_ticket(*ticket)
        else:
            view.employee_input.setFocus()
            view.employee_input.selectAll()
        return view

    def closeEvent(self, event: QCloseEvent) -> None:
        for view in list(self.case_views):
            view.close()
        if self.counselor_view is not None:
            self.counselor_view.clear()  # nothing of a person's results stays on screen
            self.counselor_view.close()
        if self.crisis_panel is not None:
            self.crisis_panel.shutdown()
        super().closeEvent(event)
