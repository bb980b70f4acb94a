"""The closed loop in the case view: where the case stands (step, due time, time left), the lifecycle
buttons the server allows now, each with the small form it needs, and the case's 重复诉求.

Policy stays on the server: the buttons come from the case's ``allowed_actions`` (derived from the
status only for an older server that does not send them), every action is one ``SuqiuClient`` call
on the runner, and the panel redraws from the case the server answers with.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from suqiu_queue.client import SuqiuClient

from .case_form import CaseFormPanel
from .deliberation import conclusion_blocker

ACTION_LABELS = {
    "route": "分流 / 转办",
    "conclude_deliberation": "议事结论",
    "start": "开始办理",
    "answer": "反馈答复",
    "rate": "登记评价",
    "reopen": "重新办理",
    "escalate": "提请民事民议",
    "archive": "归档",
    "pause": "暂停计时",
    "resume": "恢复计时",
    "extend": "申请延期",
}

# docs/cases.md, "The loop": used only when the server's answer carries no ``allowed_actions``.
ACTIONS_BY_STATUS: dict[str, list[str]] = {
    "accepted": ["route", "answer"],
    "routed": ["route", "start"],
    "in_progress": ["route", "answer"],
    "answered": ["rate", "archive"],
    "rated": ["archive", "reopen", "escalate"],
    "archived": [],
}
OPEN_STATUSES = frozenset({"accepted", "routed", "in_progress"})
# Actions that need nothing typed: pressing the button does it.
IMMEDIATE = frozenset({"start", "resume"})
# Actions that always need a written reason (docs/cases.md); archive and re-route only sometimes.
REASON_ALWAYS = frozenset({"pause", "extend", "reopen", "escalate"})

OUTCOMES = [("resolved", "已解决"), ("explained", "无法解决，已解释说明")]
RATING_CHANNELS = [("phone", "电话回访"), ("counter", "窗口当面")]


def lifecycle_actions(case: dict[str, Any]) -> list[str]:
    """The buttons to show now: the lifecycle moves the server allows, plus the clock's pause/resume/extend."""
    if "allowed_actions" in case:
        actions = list(case["allowed_actions"] or [])
    else:
        actions = list(ACTIONS_BY_STATUS.get(case.get("status", ""), []))
    if case.get("status") in OPEN_STATUSES:
        actions.append("resume" if case.get("paused") else "pause")
        if not case.get("paused") and extendable_steps(case):
            actions.append("extend")
    return actions


def extendable_steps(case: dict[str, Any]) -> list[dict[str, Any]]:
    """Open clock steps whose policy allows a 延期 (e.g. 法律援助's 办结 time limit)."""
    steps = (case.get("sla") or {}).get("steps") or []
    return [s for s in steps if s.get("open") and s.get("can_extend")]


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_due(due: datetime) -> str:
    """A working-day deadline ends at local midnight: "11月25日 24:00 前" reads better than "11月26日 00:00"."""
    local = due.astimezone()
    if (local.hour, local.minute) == (0, 0):
        day = datetime.fromtimestamp(local.timestamp() - 1).astimezone()
        return f"{day.month}月{day.day}日 24:00 前"
    return f"{local.month}月{local.day}日 {local:%H:%M} 前"


def format_remaining(due: datetime, now: datetime) -> str:
    """Calendar time left (or over): whole days when a day or more, else hours."""
    seconds = (due - now).total_seconds()
    hours = abs(seconds) / 3600
    if seconds < 0:
        return f"已超期 {math.ceil(hours / 24)} 天" if hours >= 24 else f"已超期 {max(1, math.ceil(hours))} 小时"
    return f"剩余 {int(hours // 24)} 天" if hours >= 24 else f"剩余 {max(1, int(hours))} 小时"


def format_hours_left(due: datetime, now: datetime) -> str:
    """An hour-based limit (紧急重要: 48 小时) reads in hours however many are left: 剩余 30 小时."""
    seconds = (due - now).total_seconds()
    hours = abs(seconds) / 3600
    if seconds < 0:
        return f"已超期 {max(1, math.ceil(hours))} 小时"
    return f"剩余 {int(hours)} 小时" if hours >= 1 else "剩余不足 1 小时"


# The unit of a step's limit. The server sends the limit as a label ("3个工作日", "48 小时", "15 日",
# "8个工作小时", from ``domain.sla.SLA_UNIT_LABELS_ZH``); a ``unit`` field is used when it sends one.
_UNIT_BY_LABEL = (
    ("个工作日", "working_days"),
    ("个工作小时", "business_hours"),
    ("小时", "calendar_hours"),
    ("日", "calendar_days"),
)
HOUR_UNITS = frozenset({"calendar_hours", "business_hours"})

PROVISIONAL_MARK = "（暂定）"
PROVISIONAL_TIP = (
    "到期日所在年份的法定节假日和调休安排尚未公布（国务院办公厅通常在每年11月前后发布），"
    "这个时限暂按周末休息推算。安排公布并更新日历后，到期日可能前后移动。"
)


def step_unit(case: dict[str, Any]) -> str | None:
    """The unit of the current step's limit (``working_days``, ``calendar_hours``, ...), None when unknown."""
    due_step = case.get("due_step")
    for step in (case.get("sla") or {}).get("steps") or []:
        if step.get("step") != due_step:
            continue
        if step.get("unit"):
            return str(step["unit"])
        limit = str(step.get("limit") or "")
        return next((unit for label, unit in _UNIT_BY_LABEL if label in limit), None)
    return None


def time_left_text(case: dict[str, Any], due: datetime, now: datetime) -> tuple[str, str]:
    """(text, level) for the time left of the current step, counted the way its limit is counted.

    Working-day limits count working days by the center's holiday calendar, as the server reports them
    (``remaining_working_days``: whole working days left, today not counted, so 0 on the last day;
    negative when overdue, -1 from the due instant on); hour limits count
    hours; calendar-day limits (statutory periods) and anything the server does not describe count
    calendar days.
    """
    unit = step_unit(case)
    overdue = due < now
    working_days = case.get("remaining_working_days")
    if unit == "working_days" and isinstance(working_days, int) and not isinstance(working_days, bool):
        if working_days < 0:
            return (f"已超期 {-working_days} 个工作日", "error")
        if overdue:  # past due by less than a working day
            return (format_hours_left(due, now), "error")
        if working_days == 0:  # the server does not count today: 0 is the last day
            return ("今天到期", "warn")
        return (f"剩余 {working_days} 个工作日", "ok")
    if unit in HOUR_UNITS:
        return (format_hours_left(due, now), "error" if overdue else "ok")
    return (format_remaining(due, now), "error" if overdue else "ok")


def is_provisional(case: dict[str, Any]) -> bool:
    """The due time falls in a year whose official holiday notice is not out yet: it may still move."""
    return case.get("due_provisional") is True and bool(case.get("due_at")) and not case.get("paused")


def deadline_text(case: dict[str, Any], now: datetime | None = None) -> tuple[str, str]:
    """(text, level) for the deadline line: level is ok / warn / error / info, for its colour."""
    now = now or datetime.now(UTC)
    if case.get("paused"):
        pauses = (case.get("sla") or {}).get("pauses") or []
        reason = next((p.get("reason") for p in reversed(pauses) if not p.get("end_at")), "")
        return ("暂停计时" + (f"（{reason}）" if reason else ""), "warn")
    due = _parse(case.get("due_at"))
    if due is None:
        if case.get("status") in OPEN_STATUSES:
            return ("没有计时的时限", "info")
        return ("已办结，不再计时", "info")
    label = case.get("due_step_label") or "办理"
    remaining, level = time_left_text(case, due, now)
    return (f"{label}时限 {format_due(due)} · {remaining}", level)


class LifecyclePanel(CaseFormPanel):
    """办理进度: step, time limit, and the allowed actions with their forms."""

    def __init__(
        self,
        client: SuqiuClient,
        run: Callable[..., None],
        on_changed: Callable[[dict[str, Any]], None],
        say: Callable[[str, str], None],
        departments: list[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("办理进度", client, run, on_changed, say, parent)
        self.setObjectName("caseLifecycle")
        self.action_buttons: dict[str, QPushButton] = {}

        self.step_label = QLabel()
        self.step_label.setObjectName("caseStep")
        self.due_label = QLabel()
        self.due_label.setObjectName("caseDue")
        # 暂定: the holiday notice for the due year is not out yet; the tooltip says what that means.
        self.provisional_label = QLabel(PROVISIONAL_MARK)
        self.provisional_label.setObjectName("caseDueProvisional")
        self.provisional_label.setToolTip(PROVISIONAL_TIP)
        self.provisional_label.setStyleSheet("color:#a15c00; font-size:14px; text-decoration: underline dotted;")
        self.provisional_label.setCursor(Qt.CursorShape.WhatsThisCursor)
        self.provisional_label.setVisible(False)
        # The buttons are rebuilt on every redraw (a quiet reload may land mid-action), so the runner
        # disables their lasting container, never a button that may be gone by the time it answers.
        self.actions_box = QWidget()
        self.actions_box.setObjectName("caseActions")
        self.button_row = QHBoxLayout(self.actions_box)
        self.button_row.setContentsMargins(0, 0, 0, 0)
        self.button_row.setSpacing(8)

        # One form, its rows shown according to the action chosen.
        self.form_box = QGroupBox()
        self.form_box.setObjectName("caseActionForm")
        self.form = QFormLayout(self.form_box)
        self.department = QComboBox()
        self.department.setObjectName("actionDepartment")
        self.department.setEditable(True)
        self.department.addItem("")
        self.department.addItems(departments)
        self.department.lineEdit().setPlaceholderText("承办部门")
        self.person = QLineEdit()
        self.person.setObjectName("actionPerson")
        self.person.setPlaceholderText("负责人，例如：王科长")
        self.reply = QPlainTextEdit()
        self.reply.setObjectName("actionReply")
        self.reply.setPlaceholderText("答复职工的内容；无法解决时写明原因和政策依据")
        self.reply.setMaximumHeight(70)
        self.outcome = QComboBox()
        for code, label in OUTCOMES:
            self.outcome.addItem(label, code)
        self.score = QSpinBox()
        self.score.setRange(1, 5)
        self.score.setValue(5)
        self.score.setSuffix(" 分")
        self.score.setMinimumWidth(110)
        # What the numbers mean for the loop: the officer reads the employee's words into a score.
        self.score_row = QWidget()
        score_layout = QHBoxLayout(self.score_row)
        score_layout.setContentsMargins(0, 0, 0, 0)
        score_layout.addWidget(self.score)
        score_hint = QLabel("5 很满意 · 4 满意 · 3 基本满意 · 2 不满意 · 1 很不满意")
        score_hint.setStyleSheet("color:#5c6b7a; font-size:14px; font-weight:400;")
        score_layout.addWidget(score_hint, 1)
        self.rating_channel = QComboBox()
        for code, label in RATING_CHANNELS:
            self.rating_channel.addItem(label, code)
        self.rating_comment = QPlainTextEdit()
        self.rating_comment.setObjectName("actionRatingComment")
        self.rating_comment.setPlaceholderText("职工对答复的评价原话（可不填）")
        self.rating_comment.setMaximumHeight(60)
        self.conclusion = QPlainTextEdit()
        self.conclusion.setMaximumHeight(70)
        self.conclusion.setPlaceholderText("议事结论")
        self.lead = QComboBox()
        self.step = QComboBox()
        self.reason = QLineEdit()
        self.reason.setObjectName("actionReason")
        self.submit = QPushButton("确定")
        self.submit.setObjectName("actionSubmit")
        self.submit.clicked.connect(self.submit_pending)
        submit_row = self._submit_row(self.submit)
        self.rows = {
            "department": self.department,
            "person": self.person,
            "lead": self.lead,
            "conclusion": self.conclusion,
            "reply": self.reply,
            "outcome": self.outcome,
            "score": self.score_row,
            "rating_channel": self.rating_channel,
            "rating_comment": self.rating_comment,
            "step": self.step,
            "reason": self.reason,
        }
        labels = {
            "department": "承办部门",
            "person": "负责人",
            "lead": "牵头部门",
            "conclusion": "结论",
            "reply": "答复内容",
            "outcome": "办理结果",
            "score": "满意度",
            "rating_channel": "评价方式",
            "rating_comment": "评价意见",
            "step": "延期环节",
            "reason": "原因",
        }
        self._add_rows(labels, submit_row)
        self.form_box.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        # Step and time limit on lines of their own: a 议事 names several departments, and the time
        # left must never wrap in the middle of "剩余 15 个工作日".
        self.step_label.setWordWrap(True)
        due_row = QHBoxLayout()
        due_row.setSpacing(4)
        due_row.addWidget(self.due_label)
        due_row.addWidget(self.provisional_label)
        due_row.addStretch(1)
        layout.addWidget(self.step_label)
        layout.addLayout(due_row)
        layout.addWidget(self.actions_box)
        layout.addWidget(self.form_box)

    # -- drawing -------------------------------------------------------------------------------------

    def show_case(self, case: dict[str, Any], now: datetime | None = None) -> None:
        self.case = case
        step = case.get("status_label", "")
        extra = []
        if case.get("departments"):
            extra.append("、".join(case["departments"]))
        if case.get("responsible"):
            extra.append(str(case["responsible"]))
        if case.get("deliberation_open"):
            extra.append("议事中")
        self.step_label.setText(f"当前环节：{step}" + (f"（{' · '.join(extra)}）" if extra else ""))
        text, level = deadline_text(case, now)
        self.due_label.setText(text)
        colour = {"ok": "#1b7f3b", "warn": "#a15c00", "error": "#c62828"}.get(level, "#33475b")
        self.due_label.setStyleSheet(f"color:{colour}; font-weight:600;")
        self.provisional_label.setVisible(is_provisional(case))
        self._rebuild_buttons(lifecycle_actions(case))
        conclude = self.action_buttons.get("conclude_deliberation")
        if conclude is not None:
            # The lifecycle allows a conclusion while a 议事 is open; the server takes it only once every
            # department has signed off, so the button waits for that too and says what it waits for.
            blocker = conclusion_blocker(case)
            conclude.setEnabled(blocker is None)
            conclude.setToolTip(blocker or "全部部门已会签，可以填写议事结论")
            if blocker is not None and self.pending == "conclude_deliberation":
                self.cancel_form()
        if self.pending is not None and self.pending not in self.action_buttons:
            self.cancel_form()

    def _rebuild_buttons(self, actions: list[str]) -> None:
        while self.button_row.count():
            item = self.button_row.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.hide()  # deleteLater waits for the event loop; the old button must not show meanwhile
                widget.deleteLater()
        self.action_buttons = {}
        for action in actions:
            button = QPushButton(ACTION_LABELS.get(action, action))
            button.setObjectName(f"caseAction_{action}")
            button.clicked.connect(lambda _=False, a=action: self.choose(a))
            self.button_row.addWidget(button)
            button.show()  # now, not on Qt's queued show: a redraw is complete when it returns
            self.action_buttons[action] = button
        if not actions:
            self.button_row.addWidget(QLabel("本事项已归档，不再办理"))
        self.button_row.addStretch(1)
        self.button_row.activate()  # lay the new row out now, not when the event loop gets to it

    # -- the forms -----------------------------------------------------------------------------------

    def _fields(self, action: str) -> list[str]:
        case = self.case or {}
        rerouting = action == "route" and case.get("status") in ("routed", "in_progress")
        if action == "route":
            return ["department", "person"] + (["reason"] if rerouting else [])
        if action == "conclude_deliberation":
            return ["lead", "conclusion"]
        if action == "answer":
            return ["reply", "outcome"]
        if action == "rate":
            return ["score", "rating_channel", "rating_comment"]
        if action == "extend":
            return ["step", "reason"]
        if action in ("pause", "reopen", "escalate", "archive"):
            return ["reason"]
        return []

    def choose(self, action: str) -> None:
        if action in IMMEDIATE:
            self.pending = action
            self.submit_pending()
            return
        self.pending = action
        self.on_form_opened()
        self._show_rows(self._fields(action))
        placeholders = {
            "route": "转办原因（已分流后再转需写明）",
            "pause": "例如：等待职工补交材料",
            "extend": "延期理由（至少4个字）",
            "reopen": "职工不满意的原因",
            "escalate": "提请民事民议的原因",
            "archive": "未评价或不满意时归档，请写明原因",
        }
        self.reason.setPlaceholderText(placeholders.get(action, ""))
        if action == "conclude_deliberation":
            self.lead.clear()
            self.lead.addItems(list((self.case or {}).get("departments") or []))
        if action == "extend":
            self.step.clear()
            for step in extendable_steps(self.case or {}):
                self.step.addItem(f"{step.get('label', '')}（{step.get('limit', '')}）", step["step"])
        self.form_box.setTitle(ACTION_LABELS.get(action, action))
        self.form_box.setVisible(True)

    def _clear_inputs(self) -> None:
        self.department.setCurrentIndex(0)
        self.person.clear()
        self.reply.clear()
        self.reason.clear()
        self.conclusion.clear()
        self.rating_comment.clear()
        self.score.setValue(5)

    def submit_pending(self) -> None:
        action = self.pending
        if self.case is None or action is None:
            return
        case_id = int(self.case["id"])
        reason = self.reason.text().strip() or None
        if action in REASON_ALWAYS and reason is None:
            # Only "is anything typed": whether the reason is good enough is the server's to say.
            self.say(f"请写明{ACTION_LABELS[action]}的原因", "warn")
            self.reason.setFocus()
            return
        call: Callable[[], dict[str, Any]]
        if action == "route":
            department = self.department.currentText().strip()
            if not department:
                self.say("请填写承办部门", "warn")
                return
            departments = [
                d.strip() for d in department.replace("，", "、").replace(",", "、").split("、") if d.strip()
            ]
            person = self.person.text().strip() or None

            def call() -> dict[str, Any]:
                return self.client.route_case(case_id, departments, responsible=person, reason=reason)
        elif action == "start":

            def call() -> dict[str, Any]:
                return self.client.start_case(case_id)
        elif action == "answer":
            reply = self.reply.toPlainText().strip()
            if not reply:
                self.say("请填写答复内容", "warn")
                return
            outcome = str(self.outcome.currentData())

            def call() -> dict[str, Any]:
                return self.client.answer_case(case_id, reply, outcome=outcome)
        elif action == "rate":
            score, channel = self.score.value(), str(self.rating_channel.currentData())
            comment = self.rating_comment.toPlainText().strip() or None

            def call() -> dict[str, Any]:
                return self.client.rate_case(case_id, score, comment, channel=channel)
        elif action == "conclude_deliberation":
            lead, conclusion = self.lead.currentText(), self.conclusion.toPlainText().strip()

            def call() -> dict[str, Any]:
                return self.client.deliberation_decide(case_id, lead, conclusion)
        elif action == "resume":

            def call() -> dict[str, Any]:
                return self.client.resume_case(case_id)
        elif action == "extend":
            step = str(self.step.currentData() or "")

            def call() -> dict[str, Any]:
                return self.client.extend_case(case_id, step, reason or "")
        else:  # pause, reopen, escalate, archive: a reason (the server says when one is missing)
            method = {
                "pause": lambda: self.client.pause_case(case_id, reason or ""),
                "reopen": lambda: self.client.reopen_case(case_id, reason or ""),
                "escalate": lambda: self.client.escalate_case(case_id, reason or ""),
                "archive": lambda: self.client.archive_case(case_id, reason),
            }[action]

            def call() -> dict[str, Any]:
                return method()

        label = ACTION_LABELS.get(action, action)

        def done(case: dict[str, Any]) -> None:
            self._sent(case, f"{label}：已完成，当前“{case.get('status_label', '')}”")

        self.run(f"正在{label}…", call, done, buttons=[self.submit, self.actions_box])


class RepeatsPanel(QGroupBox):
    """重复诉求: earlier cases like this one. The employee's own open the case; others' show only
    reference, category and state (the server sends nothing more)."""

    def __init__(self, open_case: Callable[[int], None], parent: QWidget | None = None) -> None:
        super().__init__("重复诉求", parent)
        self.setObjectName("caseRepeats")
        self.open_case = open_case
        self.list = QListWidget()
        self.list.setObjectName("caseRepeatList")
        self.list.setMaximumHeight(110)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        self.setVisible(False)

    def show_repeats(self, repeats: list[dict[str, Any]]) -> None:
        self.list.clear()
        for row in repeats:
            own = bool(row.get("same_employee"))
            score = f"{round(float(row.get('score') or 0) * 100)}%"
            who = "本人" if own else "他人"
            date = f" · {row['date']}" if row.get("date") else ""
            text = (
                f"{row.get('reference', '')} · {row.get('category_name', '')} · {row.get('status_label', '')}"
                f" · 相似度 {score} · {who}{date}"
            )
            item = QListWidgetItem(text + ("  （点击打开）" if own else ""))
            if own:
                item.setData(Qt.ItemDataRole.UserRole, int(row["case_id"]))
            else:
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                item.setForeground(Qt.GlobalColor.gray)
            self.list.addItem(item)
        self.setTitle(f"重复诉求（{len(repeats)}）")
        self.setVisible(bool(repeats))

    def _activated(self, item: QListWidgetItem) -> None:
        case_id = item.data(Qt.ItemDataRole.UserRole)
        if case_id is not None:
            self.open_case(int(case_id))
