"""The case view (受理登记): open a case from a visit or a letter/call/online message, add notes,
hand it over, close the visit.

The closed loop (分流 → 办理 → 反馈 → 评价 → 归档, deadlines, pauses) and the case's 重复诉求 are the
sections of ``case_actions``, 多部门议事 is ``deliberation``; every section talks to the server only
through ``SuqiuClient`` on the runner and redraws from the server's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from suqiu_queue.client import Event, SuqiuClient

from .case_actions import LifecyclePanel, RepeatsPanel
from .controller import Runner, error_text
from .deliberation import DeliberationPanel
from .models import ArrivalCard, DeskSession, QueueTicket
from .style import LEVEL_COLOURS
from .voice import VoiceMessagesPanel

CHANNELS = [("visit", "来访"), ("letter", "来信"), ("phone", "来电"), ("online", "网上")]

# Suggestions only: officers may type any sub-topic. Until cases get a sub-topic field of their
# own (lifecycle issue), it is kept at the head of the summary as 【子类】.
SUB_TOPICS: dict[str, list[str]] = {
    "urgent": ["人身安全", "重大权益", "群体性事项", "突发困难"],
    "policy": ["五险一金", "薪酬福利", "休假", "职称评定", "退休待遇"],
    "opinion": ["企业管理", "服务质量", "工作环境", "作风建设"],
    "legal": ["劳动合同", "劳动争议", "工伤认定", "婚姻家庭", "债务纠纷"],
    "care": ["情绪疏导", "家庭关系", "工作压力", "转介咨询"],
    "health": ["医疗报销", "体检", "职业健康", "就医协助"],
    "logistics": ["宿舍", "食堂", "班车", "设施报修", "物业"],
    "proposal": ["技术革新", "降本增效", "安全生产", "管理改进"],
}

DEPARTMENTS = [
    "人力资源部",
    "社会保险中心",
    "工会",
    "法律事务部",
    "纪检监察部",
    "安全环保部",
    "物业管理部",
    "医疗保障中心",
    "心理关爱工作室",
    "财务部",
]

# Matters people rarely want shared: the box starts ticked, the officer can untick it.
CONFIDENTIAL_BY_DEFAULT = frozenset({"care", "legal"})

TIMELINE_KINDS = {"created": "受理登记", "note": "备注", "handover": "转交", "status": "状态变更"}


def compose_summary(sub_topic: str, text: str) -> str:
    sub_topic = sub_topic.strip()
    text = text.strip()
    return f"【{sub_topic}】{text}" if sub_topic else text


def timeline_line(row: dict[str, Any]) -> str:
    try:
        when = datetime.fromisoformat(row["at"]).astimezone().strftime("%m-%d %H:%M")
    except (KeyError, ValueError):
        when = ""
    kind = TIMELINE_KINDS.get(row.get("kind", "")) or row.get("kind_label") or row.get("kind", "")
    note = (row.get("note") or "").strip()
    data = row.get("data") or {}
    said = f"：{note}" if note else ""
    # 议事 rows name the departments; the agenda is the route's reason, a department's 意见 the note.
    if row.get("kind") == "route" and data.get("deliberation"):
        return f"{when}  发起议事（{'、'.join(data.get('departments') or [])}）{said}"
    if row.get("kind") == "deliberation_invite":
        return f"{when}  {kind}：{'、'.join(data.get('departments') or [])}"
    if row.get("kind") in ("deliberation_comment", "deliberation_sign_off"):
        return f"{when}  {kind}（{data.get('department', '')}）{said}"
    if row.get("kind") == "conclude_deliberation":
        return f"{when}  {kind}（牵头：{data.get('lead_department', '')}）：{data.get('conclusion', '')}"
    if row.get("kind") == "handover":
        target = data.get("department", "")
        if data.get("person"):
            target += f"（{data['person']}）"
        return f"{when}  转交 {target}" + (f"：{note}" if note else "")
    if row.get("kind") == "created":
        return f"{when}  {kind}"
    return f"{when}  {kind}" + (f"：{note}" if note else "")


class CaseView(QDialog):
    """One visit's (or one letter's) case. Non-modal: the officer keeps the queue in view."""

    def __init__(
        self,
        client: SuqiuClient,
        runner: Runner,
        session: DeskSession,
        *,
        ticket: QueueTicket | None = None,
        card: ArrivalCard | None = None,
        on_close_visit: Callable[[], None] | None = None,
        voice_output: Any = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("caseView")
        self.client = client
        self.runner = runner
        self.session = session
        self.ticket = ticket
        self.card = card
        self.on_close_visit = on_close_visit
        self.case: dict[str, Any] | None = None
        self.busy = False
        self.setWindowTitle(self._title())
        self.resize(900, 900)

        self.header = QLabel(self._header_text())
        self.header.setObjectName("caseHeader")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.PlainText)

        self.form = self._build_form()
        self.detail = self._build_detail()
        self.detail.setVisible(False)
        # 语音留言 of this visit: the transcript to read, the recording to play (each play is audited).
        self.voice: VoiceMessagesPanel | None = None
        if ticket is not None:
            self.voice = VoiceMessagesPanel(client, voice_output)
            self.voice.setObjectName("caseVoice")
            self.voice.show_for(ticket_id=ticket.id)

        self.status = QLabel("")
        self.status.setObjectName("caseStatus")
        self.status.setWordWrap(True)
        self.close_visit_button = QPushButton("结束接待（完成号票）")
        self.close_visit_button.setObjectName("closeVisit")
        self.close_visit_button.setVisible(on_close_visit is not None)
        self.close_visit_button.clicked.connect(self._close_visit)
        close = QPushButton("关闭")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.close_visit_button)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(self.header)
        if self.voice is not None:
            layout.addWidget(self.voice)
        layout.addWidget(self.form)
        # The case's sections (progress, 议事, forms, history) can outgrow the window: they scroll,
        # the header and the status line with its buttons stay in view.
        self.detail_scroll = QScrollArea()
        self.detail_scroll.setObjectName("caseDetailScroll")
        self.detail_scroll.setWidgetResizable(True)
        self.detail_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.detail_scroll.setWidget(self.detail)
        self.detail_scroll.setVisible(False)
        # With a selector: a bare declaration would reach every child (buttons, tick boxes) too.
        self.detail_scroll.viewport().setObjectName("caseDetailViewport")
        self.detail_scroll.viewport().setStyleSheet("#caseDetailViewport { background: transparent; }")
        self.detail.setStyleSheet("#caseDetail { background: transparent; }")
        layout.addWidget(self.detail_scroll, 1)
        layout.addLayout(buttons)

        if ticket is not None and ticket.case_id is not None:
            self.load_case(ticket.case_id)

    # -- text --------------------------------------------------------------------------------------

    def _title(self) -> str:
        if self.ticket is not None:
            return f"受理登记 · {self.ticket.display}"
        return "一口受理 · 来信 / 来电 / 网上"

    def _header_text(self) -> str:
        lines = []
        if self.ticket is not None:
            lines.append(f"号票 {self.ticket.display} · {self.ticket.category_name} · {self.ticket.lane_label}")
        employee = self.card.employee if self.card else None
        if employee:
            age = f" · {employee['age']}岁" if employee.get("age") is not None else ""
            lines.append(f"{employee['name']}{age} · 工号 {employee['employee_no']} · {self.card.org_path}")  # type: ignore[union-attr]
        elif self.ticket is not None:
            lines.append("未实名取号：可在下方填写工号后受理")
        else:
            lines.append("没有号票的诉求（来信、来电、网上）在这里统一受理")
        return "\n".join(lines)

    # -- the form: a new case ------------------------------------------------------------------------

    def _build_form(self) -> QGroupBox:
        box = QGroupBox("登记诉求事项")
        form = QFormLayout(box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.category = QComboBox()
        for c in self.session.categories:
            self.category.addItem(c.name, c.code)
        if self.ticket is not None:
            self.category.setCurrentIndex(max(0, self.category.findData(self.ticket.category)))
        self.channel = QComboBox()
        for code, label in CHANNELS:
            self.channel.addItem(label, code)
        if self.ticket is not None:
            self.channel.setCurrentIndex(0)
            self.channel.setEnabled(False)  # a ticket means the person came in: 来访
        else:
            self.channel.setCurrentIndex(self.channel.findData("phone"))
        self.sub_topic = QComboBox()
        self.sub_topic.setEditable(True)
        self.sub_topic.lineEdit().setPlaceholderText("可选，也可直接输入")
        self._fill_sub_topics()
        self.employee_no = QLineEdit()
        self.employee_no.setPlaceholderText("工号（可不填：匿名诉求）")
        identified = self.card is not None and self.card.employee is not None
        self.summary = QPlainTextEdit()
        self.summary.setPlaceholderText("用职工自己的话简要记录诉求：什么事、希望怎样解决")
        note = (self.card.ticket.get("note") if self.card else "") or ""
        if note:
            self.summary.setPlainText(note)
        self.summary.setMinimumHeight(120)
        self.confidential = QCheckBox("保密事项（仅经办人员可见内容）")
        self.confidential.setChecked(self.category.currentData() in CONFIDENTIAL_BY_DEFAULT)
        self.category.currentIndexChanged.connect(self._category_changed)
        self.create_button = QPushButton("受理登记")
        self.create_button.setObjectName("createCase")
        self.create_button.clicked.connect(self.create_case)

        form.addRow("业务类别", self.category)
        form.addRow("渠道", self.channel)
        form.addRow("子类", self.sub_topic)
        if not identified:
            form.addRow("工号", self.employee_no)
        form.addRow("诉求摘要", self.summary)
        form.addRow("", self.confidential)
        form.addRow("", self.create_button)
        return box

    def _fill_sub_topics(self) -> None:
        self.sub_topic.clear()
        self.sub_topic.addItem("")
        self.sub_topic.addItems(SUB_TOPICS.get(self.category.currentData(), []))

    def _category_changed(self) -> None:
        self._fill_sub_topics()
        self.confidential.setChecked(self.category.currentData() in CONFIDENTIAL_BY_DEFAULT)

    def create_case(self) -> None:
        summary = compose_summary(self.sub_topic.currentText(), self.summary.toPlainText())
        if not self.summary.toPlainText().strip():
            self.say("请先填写诉求摘要", "warn")
            self.summary.setFocus()
            return
        body = {
            "center": self.session.center,
            "category": self.category.currentData(),
            "summary": summary,
            "channel": self.channel.currentData(),
            "ticket_id": self.ticket.id if self.ticket else None,
            "employee_no": self.employee_no.text().strip() or None,
            "confidential": self.confidential.isChecked(),
        }
        self._run("正在受理登记…", lambda: self.client.open_case(**body), self._created, buttons=[self.create_button])

    def _created(self, case: dict[str, Any]) -> None:
        self.show_case(case)
        self.say(f"已受理，编号 {case['reference']}", "ok")

    # -- the detail: an existing case ------------------------------------------------------------------

    def _build_detail(self) -> QWidget:
        widget = QWidget()
        widget.setObjectName("caseDetail")
        layout = QVBoxLayout(widget)
        layout.setContentsMargins(0, 0, 8, 0)  # room for the scroll bar
        layout.setSpacing(10)
        self.case_title = QLabel()
        self.case_title.setObjectName("caseTitle")
        self.case_summary = QLabel()
        self.case_summary.setObjectName("caseSummary")
        self.case_summary.setWordWrap(True)
        self.case_summary.setTextFormat(Qt.TextFormat.PlainText)
        self.case_summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.timeline = QListWidget()
        self.timeline.setObjectName("caseTimeline")
        self.timeline.setMinimumHeight(110)  # the history stays readable when an action's form is open
        # Long rows (an agenda, a department's 意见) wrap instead of hiding behind a sideways scroll bar.
        self.timeline.setWordWrap(True)
        self.timeline.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.timeline.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        note_box = QGroupBox("添加备注")
        note_row = QHBoxLayout(note_box)
        self.note = QLineEdit()
        self.note.setPlaceholderText("例如：已告知所需材料，职工下周补交")
        self.note.returnPressed.connect(self.add_note)
        self.note_button = QPushButton("添加")
        self.note_button.clicked.connect(self.add_note)
        note_row.addWidget(self.note, 1)
        note_row.addWidget(self.note_button)

        handover_box = QGroupBox("转交办理")
        handover = QHBoxLayout(handover_box)  # one row: the lifecycle section above needs the height
        self.department = QComboBox()
        self.department.setEditable(True)
        self.department.addItem("")
        self.department.addItems(DEPARTMENTS)
        self.department.lineEdit().setPlaceholderText("部门")
        self.person = QLineEdit()
        self.person.setPlaceholderText("负责人（可不填）")
        self.handover_note = QLineEdit()
        self.handover_note.setPlaceholderText("交代事项，例如：请三个工作日内答复")
        self.handover_button = QPushButton("转交")
        self.handover_button.setObjectName("handOver")
        self.handover_button.clicked.connect(self.hand_over)
        handover.addWidget(self.department, 2)
        handover.addWidget(self.person, 2)
        handover.addWidget(self.handover_note, 4)
        handover.addWidget(self.handover_button)

        self.lifecycle = LifecyclePanel(self.client, self._run, self.show_case, self.say, DEPARTMENTS)
        self.deliberation = DeliberationPanel(self.client, self._run, self.show_case, self.say, DEPARTMENTS)
        # One form open at a time: opening one hides the other (what was typed in it stays).
        self.lifecycle.on_form_opened = self.deliberation.cancel_form
        self.deliberation.on_form_opened = self.lifecycle.cancel_form
        # Only the employee's own earlier cases open: someone else's come without text or name.
        self.repeats = RepeatsPanel(lambda case_id: self.load_case(case_id))

        layout.addWidget(self.case_title)
        layout.addWidget(self.case_summary)
        layout.addWidget(self.lifecycle)
        layout.addWidget(self.deliberation)
        layout.addWidget(self.repeats)
        layout.addWidget(QLabel("办理记录"))
        layout.addWidget(self.timeline, 1)
        layout.addWidget(note_box)
        layout.addWidget(handover_box)
        return widget

    def load_case(self, case_id: int, *, quiet: bool = False) -> None:
        if quiet:  # a refresh after someone's change: no message over the officer's last one
            self.runner.run(lambda: self.client.case(case_id), self.show_case, lambda _exc: None, owner=self)
            return

        def loaded(case: dict[str, Any]) -> None:
            self.show_case(case)
            self.say("")  # not "正在读取…" for ever

        self._run("正在读取诉求事项…", lambda: self.client.case(case_id), loaded, buttons=[])

    def show_case(self, case: dict[str, Any]) -> None:
        self.case = case
        self.form.setVisible(False)
        self.detail.setVisible(True)
        self.detail_scroll.setVisible(True)
        secret = " · 保密" if case.get("confidential") else ""
        self.case_title.setText(
            f"{case['reference']} · {case.get('category_name', '')} · {case.get('channel_label', '')}"
            f" · 当前：{case.get('status_label', '')}{secret}"
        )
        self.case_summary.setText(case.get("summary", ""))
        self.lifecycle.show_case(case)
        self.deliberation.show_case(case)
        self.repeats.show_repeats(list(case.get("repeats") or []))
        self.timeline.clear()
        for row in case.get("timeline", []):
            self.timeline.addItem(timeline_line(row))
        self.timeline.scrollToBottom()

    def add_note(self) -> None:
        text = self.note.text().strip()
        if self.case is None or not text:
            self.say("请先输入备注内容", "warn")
            return
        case_id = int(self.case["id"])

        def added(case: dict[str, Any]) -> None:
            self.note.clear()
            self.show_case(case)
            self.say("备注已保存", "ok")

        self._run("正在保存备注…", lambda: self.client.add_case_note(case_id, text), added, buttons=[self.note_button])

    def hand_over(self) -> None:
        department = self.department.currentText().strip()
        if self.case is None or not department:
            self.say("请填写要转交的部门", "warn")
            return
        case_id = int(self.case["id"])
        person = self.person.text().strip()
        note = self.handover_note.text().strip()

        def handed(case: dict[str, Any]) -> None:
            self.department.setCurrentIndex(0)
            self.person.clear()
            self.handover_note.clear()
            message = f"已转交{department}" + (f"（{person}）" if person else "")

            def show(full: dict[str, Any]) -> None:
                self.show_case(full)
                self.say(message, "ok")

            if "sla" in case:
                show(case)
                return
            # 转交 answers with the short case (no clocks, no 议事): show the whole one, so the time
            # left does not flicker from working days to calendar days and back.
            self.runner.run(lambda: self.client.case(case_id), show, lambda _exc: show(case), owner=self)

        self._run(
            "正在转交…",
            lambda: self.client.hand_over_case(case_id, department=department, person=person, note=note),
            handed,
            buttons=[self.handover_button],
        )

    def _close_visit(self) -> None:
        if self.on_close_visit is not None:
            self.on_close_visit()
        self.close()

    # -- events and plumbing --------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """Someone else changed this case: show the server's version. A new voice message of this
        visit (the kiosk uploads it just after the ticket): list it."""
        if event.kind == "voice_message.added":
            if self.voice is not None and self.ticket is not None and event.payload.get("ticket_id") == self.ticket.id:
                self.voice.show_for(ticket_id=self.ticket.id)
            return
        if self.case is None or self.busy or event.kind != "case.updated":
            return
        if event.payload.get("case_id") == self.case["id"]:
            self.load_case(int(self.case["id"]), quiet=True)

    def say(self, text: str, level: str = "info") -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color:{LEVEL_COLOURS.get(level, LEVEL_COLOURS['info'])}; font-weight:600;")

    def _run(
        self,
        doing: str,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        *,
        buttons: list[QWidget],
    ) -> None:
        if self.busy:
            return
        self.busy = True
        for button in buttons:
            button.setEnabled(False)
        self.say(doing)

        def finish() -> None:
            self.busy = False
            for button in buttons:
                button.setEnabled(True)

        def done(result: Any) -> None:
            finish()
            on_done(result)

        def failed(exc: BaseException) -> None:
            finish()
            self.say(error_text(exc), "error")

        self.runner.run(fn, done, failed, owner=self)
