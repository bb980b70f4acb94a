"""多部门议事 in the case view: who was invited, what each department said and whether it signed off,
and the forms to open a 议事, invite more departments, and comment and sign off for a department.

The server's model (docs/cases.md): routing a case to several departments opens a 议事; the
departments comment (意见) and sign off (会签); the 议事结论 (lead department + conclusion, the
lifecycle panel's form) is taken once every department has signed off. So 发起议事 is a route to
two or more departments with the agenda as the route's reason (which a re-route needs anyway), and
the front desk never decides who may sign: it sends, and shows the server's answer in its words.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from suqiu_queue.client import SuqiuClient

from .case_form import CaseFormPanel

SIGNED_COLOUR = "#1b7f3b"
PENDING_COLOUR = "#a15c00"
CHECKBOX_COLUMNS = 5

FORM_TITLES = {"start": "发起议事", "invite": "邀请部门参加议事", "sign": "填写意见并签署"}


# -- reading the case (plain dicts, tested without Qt) ---------------------------------------------------


def deliberation_of(case: dict[str, Any]) -> dict[str, Any] | None:
    return case.get("deliberation") or None


def is_open(case: dict[str, Any]) -> bool:
    """A 议事 is under way: the latest one is open (older servers: the case's flag)."""
    deliberation = deliberation_of(case)
    if deliberation is not None:
        return deliberation.get("status") == "open"
    return bool(case.get("deliberation_open"))


def participants(case: dict[str, Any]) -> list[dict[str, Any]]:
    return list((deliberation_of(case) or {}).get("participants") or [])


def unsigned_departments(case: dict[str, Any]) -> list[str]:
    return [str(p.get("department", "")) for p in participants(case) if not p.get("signed_off")]


def conclusion_blocker(case: dict[str, Any]) -> str | None:
    """Why the server would refuse a 议事结论 now, in its terms; None when it would take it."""
    if "conclude_deliberation" not in (case.get("allowed_actions") or []):
        return "这件诉求没有进行中的议事"
    missing = unsigned_departments(case) if is_open(case) else []
    if missing:
        return f"还有部门未会签：{'、'.join(missing)}"
    return None


def can_start(case: dict[str, Any]) -> bool:
    """发起议事 is a route: possible when the server allows routing and no 议事 is under way."""
    return "route" in (case.get("allowed_actions") or []) and not is_open(case)


def _short_time(value: str | None) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).astimezone().strftime("%m-%d %H:%M")
    except ValueError:
        return ""


def sign_state(participant: dict[str, Any]) -> str:
    """待签, or 已签 with the time it was signed."""
    if not participant.get("signed_off"):
        return "待签"
    when = _short_time(participant.get("signed_off_at"))
    return f"已签 {when}".strip()


def summary_line(case: dict[str, Any]) -> str:
    deliberation = deliberation_of(case)
    people = participants(case)
    if deliberation is None or not people:
        return "需要几个部门共同研究时发起；各部门填写意见并会签后，形成议事结论"
    if deliberation.get("status") == "decided":
        when = _short_time(deliberation.get("decided_at"))
        return f"议事已形成结论（{when}） · 牵头部门：{deliberation.get('lead_department') or ''}"
    signed = len(people) - len(unsigned_departments(case))
    line = f"议事进行中 · 已会签 {signed}/{len(people)}"
    missing = unsigned_departments(case)
    if missing:
        return f"{line} · 待签：{'、'.join(missing)}"
    return f"{line} · 各部门均已会签，请在上方“议事结论”填写结论"


def split_departments(text: str) -> list[str]:
    """Departments typed by hand, separated by 、 ， , or spaces."""
    for sep in ("，", ",", " ", "　", ";", "；"):
        text = text.replace(sep, "、")
    return [d.strip() for d in text.split("、") if d.strip()]


# -- the panel -----------------------------------------------------------------------------------------


class DeliberationPanel(CaseFormPanel):
    """多部门议事: the participants with their 意见 and 会签 state, and the three forms."""

    def __init__(
        self,
        client: SuqiuClient,
        run: Callable[..., None],
        on_changed: Callable[[dict[str, Any]], None],
        say: Callable[[str, str], None],
        departments: list[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("多部门议事", client, run, on_changed, say, parent)
        self.setObjectName("caseDeliberation")
        self.known_departments = list(departments)
        self.prepared: str | None = None  # the form whose choices are filled in (and maybe typed into)
        self.prefilled = ""  # the saved 意见 put into the comment box, so it is not mistaken for typing

        self.summary = QLabel()
        self.summary.setObjectName("deliberationSummary")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-weight:600; color:#33475b;")

        self.table = QTableWidget(0, 3)
        self.table.setObjectName("deliberationParticipants")
        self.table.setHorizontalHeaderLabels(["参与部门", "部门意见", "会签"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setStyleSheet("QTableWidget { background: white; font-size: 15px; font-weight: 400; }")

        self.decision = QLabel()
        self.decision.setObjectName("deliberationDecision")
        self.decision.setWordWrap(True)
        self.decision.setTextFormat(Qt.TextFormat.PlainText)
        self.decision.setStyleSheet("font-weight:400; background:#eef6ee; border-radius:6px; padding:6px;")

        self.start_button = QPushButton("发起议事")
        self.start_button.setObjectName("deliberationStart")
        self.start_button.clicked.connect(lambda: self.choose("start"))
        self.invite_button = QPushButton("邀请部门")
        self.invite_button.setObjectName("deliberationInvite")
        self.invite_button.clicked.connect(lambda: self.choose("invite"))
        self.sign_button = QPushButton("填写意见并签署")
        self.sign_button.setObjectName("deliberationSign")
        self.sign_button.clicked.connect(lambda: self.choose("sign"))
        self.buttons_box = QWidget()
        buttons = QHBoxLayout(self.buttons_box)
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.setSpacing(8)
        for button in (self.start_button, self.invite_button, self.sign_button):
            buttons.addWidget(button)
        # Before any 议事, the summary is a one-line hint beside the button (the panel stays small).
        self.hint = QLabel()
        self.hint.setObjectName("deliberationHint")
        self.hint.setStyleSheet("color:#5c6b7a; font-size:14px; font-weight:400;")
        buttons.addSpacing(8)
        buttons.addWidget(self.hint)
        buttons.addStretch(1)

        self.form_box = self._build_form()
        self.form_box.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        layout.addWidget(self.decision)
        layout.addWidget(self.buttons_box)
        layout.addWidget(self.form_box)
        self.setVisible(False)

    def _build_form(self) -> QGroupBox:
        box = QGroupBox()
        box.setObjectName("deliberationForm")
        self.form = QFormLayout(box)
        # Departments: one tick box each, in a grid (the checkboxes are rebuilt when the form opens).
        self.department_grid_box = QWidget()
        self.department_grid = QGridLayout(self.department_grid_box)
        self.department_grid.setContentsMargins(0, 0, 0, 0)
        self.department_grid.setHorizontalSpacing(14)
        self.department_checks: dict[str, QCheckBox] = {}
        self.other_departments = QLineEdit()
        self.other_departments.setObjectName("deliberationOther")
        self.other_departments.setPlaceholderText("不在上面的部门，直接输入，多个用“、”分隔")
        self.responsible = QLineEdit()
        self.responsible.setObjectName("deliberationResponsible")
        self.responsible.setPlaceholderText("负责召集和跟进议事的人，例如：李主任")
        self.agenda = QPlainTextEdit()
        self.agenda.setObjectName("deliberationAgenda")
        self.agenda.setPlaceholderText("议题：需要各部门共同研究什么，希望何时前给出意见")
        self.agenda.setMaximumHeight(70)
        self.sign_department = QComboBox()
        self.sign_department.setObjectName("deliberationSignDepartment")
        self.sign_department.currentIndexChanged.connect(self._sign_department_changed)
        self.comment = QPlainTextEdit()
        self.comment.setObjectName("deliberationComment")
        self.comment.setPlaceholderText("本部门的意见：能做什么、由谁做、什么时候做到")
        self.comment.setMaximumHeight(80)

        self.submit = QPushButton("确定")
        self.submit.setObjectName("deliberationSubmit")
        self.submit.clicked.connect(self.submit_pending)
        self.save_comment = QPushButton("只保存意见，暂不签署")
        self.save_comment.setObjectName("deliberationSaveComment")
        self.save_comment.clicked.connect(self.submit_comment_only)
        submit_row = self._submit_row(self.save_comment, self.submit)

        self.rows = {
            "departments": self.department_grid_box,
            "other": self.other_departments,
            "responsible": self.responsible,
            "agenda": self.agenda,
            "sign_department": self.sign_department,
            "comment": self.comment,
        }
        labels = {
            "departments": "参与部门",
            "other": "其他部门",
            "responsible": "负责人",
            "agenda": "议题",
            "sign_department": "签署部门",
            "comment": "部门意见",
        }
        self._add_rows(labels, submit_row)
        return box

    # -- drawing -------------------------------------------------------------------------------------

    def show_case(self, case: dict[str, Any]) -> None:
        """Redraw from the server's case. An open form keeps what was typed in it; it is only hidden
        when what it is for is no longer possible (e.g. someone else concluded the 议事)."""
        self.case = case
        people = participants(case)
        starting, under_way = can_start(case), is_open(case)
        self.setVisible(bool(people) or starting)
        self.summary.setText(summary_line(case))
        self.summary.setVisible(bool(people))
        self.hint.setText("" if people else summary_line(case))
        self.hint.setVisible(not people)

        self.table.setRowCount(len(people))
        for row, participant in enumerate(people):
            comment = (participant.get("comment") or "").strip()
            cells = [
                QTableWidgetItem(str(participant.get("department", ""))),
                QTableWidgetItem(comment or "尚未填写意见"),
                QTableWidgetItem(sign_state(participant)),
            ]
            if not comment:
                cells[1].setForeground(Qt.GlobalColor.gray)
            signed = bool(participant.get("signed_off"))
            cells[2].setForeground(QColor(SIGNED_COLOUR if signed else PENDING_COLOUR))
            cells[2].setData(Qt.ItemDataRole.UserRole, signed)
            for column, item in enumerate(cells):
                item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.setVisible(bool(people))
        self.table.resizeRowsToContents()
        height = self.table.horizontalHeader().height() + sum(self.table.rowHeight(r) for r in range(len(people)))
        self.table.setFixedHeight(height + 2 * self.table.frameWidth() + 2)

        deliberation = deliberation_of(case) or {}
        decided = deliberation.get("status") == "decided"
        self.decision.setVisible(decided)
        if decided:
            self.decision.setText(f"议事结论：{deliberation.get('decision') or ''}")

        self.start_button.setVisible(starting)
        self.invite_button.setVisible(under_way)
        self.sign_button.setVisible(under_way)
        self.sign_button.setEnabled(bool(unsigned_departments(case)))
        self.sign_button.setToolTip("" if unsigned_departments(case) else "各部门均已会签")
        self.buttons_box.setVisible(starting or under_way)

        still_possible = {
            "start": starting,
            "invite": under_way,
            "sign": under_way and bool(unsigned_departments(case)),
        }
        if self.pending is not None and not still_possible.get(self.pending, False):
            self.cancel_form()
        elif self.pending == "sign":
            self._refresh_sign_choices()

    # -- the forms -----------------------------------------------------------------------------------

    def choose(self, form: str) -> None:
        if self.case is None:
            return
        if self.prepared != form:
            self._prepare(form)
            self.prepared = form
        if form == "sign":  # who is still to sign may have changed while the form was closed
            self._refresh_sign_choices()
        self.pending = form
        self.on_form_opened()
        fields = {
            "start": ["departments", "other", "responsible", "agenda"],
            "invite": ["departments", "other"],
            "sign": ["sign_department", "comment"],
        }[form]
        self._show_rows(fields)
        self.save_comment.setVisible(form == "sign")
        self.submit.setText({"start": "发起议事", "invite": "邀请", "sign": "签署"}[form])
        self.form_box.setTitle(FORM_TITLES[form])
        self.form_box.setVisible(True)
        focus = {"start": self.agenda, "invite": self.other_departments, "sign": self.comment}[form]
        focus.setFocus()

    def _prepare(self, form: str) -> None:
        """Fill a form's choices when it is opened (switching forms; re-opening keeps what was typed)."""
        case = self.case or {}
        if form == "start":
            # The departments already on the case usually take part; the officer adds the others.
            self._fill_department_checks(ticked=list(case.get("departments") or []), fixed=[])
            if not self.responsible.text().strip() and case.get("responsible"):
                self.responsible.setText(str(case["responsible"]))
        elif form == "invite":
            present = [str(p.get("department", "")) for p in participants(case)]
            self._fill_department_checks(ticked=[], fixed=present)

    def _fill_department_checks(self, *, ticked: list[str], fixed: list[str]) -> None:
        while self.department_grid.count():
            item = self.department_grid.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.department_checks = {}
        names = list(dict.fromkeys([*self.known_departments, *ticked, *fixed]))
        for index, name in enumerate(names):
            box = QCheckBox(name)
            box.setObjectName(f"deliberationDept_{index}")
            box.setStyleSheet("QCheckBox { font-weight: 400; } QCheckBox:disabled { color: #98a3ae; }")
            if name in fixed:  # already in the 议事: shown ticked, not a choice
                box.setChecked(True)
                box.setEnabled(False)
                box.setToolTip("已在议事中")
            else:
                box.setChecked(name in ticked)
            self.department_grid.addWidget(box, index // CHECKBOX_COLUMNS, index % CHECKBOX_COLUMNS)
            box.show()
            self.department_checks[name] = box

    def _refresh_sign_choices(self) -> None:
        """The departments still to sign. The one chosen stays chosen while it is still to sign; if
        someone else signed it meanwhile, nothing is chosen in its place (signing for the wrong
        department by accident would be worse than choosing again), and the officer is told."""
        current = self.sign_department.currentText()
        missing = unsigned_departments(self.case or {})
        self.sign_department.blockSignals(True)
        self.sign_department.clear()
        self.sign_department.addItems(missing)
        if current and current not in missing and self.pending == "sign":
            self.sign_department.setCurrentIndex(-1)
            self.say(f"{current}已由他人会签，请重新选择签署的部门", "warn")
        elif current in missing:
            self.sign_department.setCurrentText(current)
        self.sign_department.blockSignals(False)
        self._sign_department_changed()  # fills in a saved 意见 only when nothing is typed

    def _sign_department_changed(self) -> None:
        """A department that already wrote its 意见 (and comes back to sign): start from its words,
        unless the officer has typed something of their own here."""
        typed = self.comment.toPlainText().strip()
        if typed and typed != self.prefilled:
            return
        department = self.sign_department.currentText()
        saved = next((p.get("comment") for p in participants(self.case or {}) if p.get("department") == department), "")
        self.prefilled = str(saved or "").strip()
        self.comment.setPlainText(self.prefilled)

    def sign_department_items(self) -> list[str]:
        return [self.sign_department.itemText(i) for i in range(self.sign_department.count())]

    def chosen_departments(self) -> list[str]:
        """Ticked departments (not those already in the 议事) and the ones typed by hand, in order."""
        ticked = [name for name, box in self.department_checks.items() if box.isChecked() and box.isEnabled()]
        return list(dict.fromkeys([*ticked, *split_departments(self.other_departments.text())]))

    def _clear_inputs(self) -> None:
        for box in self.department_checks.values():
            if box.isEnabled():
                box.setChecked(False)
        self.other_departments.clear()
        self.responsible.clear()
        self.agenda.clear()
        self.comment.clear()

    def submit_pending(self) -> None:
        form = self.pending
        if self.case is None or form is None:
            return
        case_id = int(self.case["id"])
        call: Callable[[], dict[str, Any]]
        if form == "start":
            departments = self.chosen_departments()
            agenda = self.agenda.toPlainText().strip()
            responsible = self.responsible.text().strip() or None
            # A route to one department is not a 议事: it would quietly become an ordinary 分流.
            if len(departments) < 2:
                self.say("议事至少需要两个部门，请再选择参与的部门", "warn")
                return
            if not agenda:
                self.say("请写明议题", "warn")
                self.agenda.setFocus()
                return

            def call() -> dict[str, Any]:
                return self.client.route_case(case_id, departments, responsible=responsible, reason=agenda)

            doing, done_text = "正在发起议事…", f"已发起议事：{'、'.join(departments)}"
        elif form == "invite":
            departments = self.chosen_departments()
            if not departments:
                self.say("请选择要邀请的部门", "warn")
                return

            def call() -> dict[str, Any]:
                return self.client.invite_departments(case_id, departments)

            doing, done_text = "正在邀请部门…", f"已邀请{'、'.join(departments)}参加议事"
        else:
            department = self.sign_department.currentText().strip()
            comment = self.comment.toPlainText().strip() or None
            if not department:
                self.say("请选择签署的部门", "warn")
                return

            def call() -> dict[str, Any]:
                return self.client.deliberation_sign_off(case_id, department, comment)

            doing, done_text = "正在签署…", f"{department}已会签"
        self._send(doing, call, done_text)

    def submit_comment_only(self) -> None:
        """意见 without 会签: the department has not decided yet (the server wants some text)."""
        if self.case is None or self.pending != "sign":
            return
        case_id = int(self.case["id"])
        department = self.sign_department.currentText().strip()
        comment = self.comment.toPlainText()
        if not department:
            self.say("请选择部门", "warn")
            return

        def call() -> dict[str, Any]:
            return self.client.deliberation_comment(case_id, department, comment)

        self._send("正在保存意见…", call, f"{department}的意见已保存，尚未会签")

    def _send(self, doing: str, call: Callable[[], dict[str, Any]], done_text: str) -> None:
        def done(case: dict[str, Any]) -> None:
            self.prepared = None  # the next form opened fills its choices afresh
            self._sent(case, done_text)

        self.run(doing, call, done, buttons=[self.submit, self.save_comment, self.buttons_box])
