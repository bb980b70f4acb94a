"""心理测评 for counselors: one person's results over time (a chart per scale) and, for the result
selected, every item as answered.

Only counselors may open it: the server answers everyone else with 403, and records every read in
the audit log (``assessment.read``), which the view says up front. Look-ups run on the runner's
worker threads; the view draws what comes back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from suqiu_queue.client import SuqiuClient

from ..workers import Runner
from .chart import ChartBand, ChartPoint, TrendChart

log = logging.getLogger(__name__)

SOURCES = {"kiosk": "自助机", "paper": "纸质录入"}

STYLE = """
QWidget#counselorView { background: #F3F5F8; }
QLabel#cvTitle { font-size: 20px; font-weight: 700; color: #1F3A5F; }
QLabel#cvPrivacy { font-size: 14px; color: #5C6B7A; }
QLabel#cvStatus { font-size: 15px; color: #33475B; }
QLabel#cvStatus[level="error"] { color: #8A1C1C; }
QLabel#cvFlags { font-size: 15px; font-weight: 700; color: #8A1C1C; }
QLabel#cvDetailTitle { font-size: 16px; font-weight: 700; color: #1F2A37; }
QTableWidget { background: white; font-size: 15px; gridline-color: #E3E8EE; }
"""


def _when(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def chart_value(result: Mapping[str, Any], scale: Mapping[str, Any] | None) -> int:
    """The number the bands are drawn on: the standard score where the scale bands on it (SDS, SAS)."""
    if scale is not None and scale.get("bands_on") == "standard" and result.get("standard") is not None:
        return int(result["standard"])
    return int(result["raw"])


def _item(text: str, *, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class CounselorView(QWidget):
    loaded = Signal(object)  # the results shown (list of dicts)
    failed = Signal(object)  # the error

    def __init__(self, client: SuqiuClient, *, runner: Runner | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("counselorView")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        self.client = client
        self.runner = runner or Runner(self)
        self.results: list[dict[str, Any]] = []
        self.scales: dict[str, dict[str, Any]] = {}
        self.selected_id: int | None = None

        title = QLabel("心理测评记录")
        title.setObjectName("cvTitle")
        privacy = QLabel("心理测评属于敏感个人信息，仅限心理咨询师查看；每次查询都会记入审计日志。")
        privacy.setObjectName("cvPrivacy")
        privacy.setWordWrap(True)
        self.employee_input = QLineEdit()
        self.employee_input.setPlaceholderText("输入工号，例如 E1001")
        self.employee_input.returnPressed.connect(self._search)
        self.search_button = QPushButton("查询")
        self.search_button.clicked.connect(self._search)
        self.status = QLabel("")
        self.status.setObjectName("cvStatus")
        self.status.setWordWrap(True)
        self.employee_input.setMaximumWidth(320)
        search = QHBoxLayout()
        search.addWidget(self.employee_input)
        search.addWidget(self.search_button)
        search.addStretch(1)

        self.scale_picker = QComboBox()
        self.scale_picker.currentIndexChanged.connect(lambda _i: self._draw_chart())
        self.chart = TrendChart()
        self.chart.point_clicked.connect(self.select_result)

        self.results_table = QTableWidget(0, 5)
        self.results_table.setHorizontalHeaderLabels(["日期", "量表", "得分", "结果", "来源"])
        self.results_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results_table.verticalHeader().hide()
        self.results_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.results_table.horizontalHeader().setStretchLastSection(True)
        self.results_table.itemSelectionChanged.connect(self._row_selected)

        self.detail_title = QLabel("选择一条记录，查看逐题作答")
        self.detail_title.setObjectName("cvDetailTitle")
        self.detail_title.setWordWrap(True)
        self.flags_label = QLabel("")
        self.flags_label.setObjectName("cvFlags")
        self.flags_label.setWordWrap(True)
        self.items_table = QTableWidget(0, 4)
        self.items_table.setHorizontalHeaderLabels(["题号", "题目", "作答", "计分"])
        self.items_table.verticalHeader().hide()
        self.items_table.setWordWrap(True)
        header = self.items_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        picker_row = QHBoxLayout()
        picker_row.addWidget(QLabel("量表："))
        picker_row.addWidget(self.scale_picker, 1)
        left_layout.addLayout(picker_row)
        left_layout.addWidget(self.chart, 3)
        left_layout.addWidget(self.results_table, 2)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.detail_title)
        right_layout.addWidget(self.flags_label)
        right_layout.addWidget(self.items_table, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 11)
        self.splitter.setStretchFactor(1, 9)
        self._split_done = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(privacy)
        layout.addLayout(search)
        layout.addWidget(self.status)
        layout.addWidget(self.splitter, 1)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._split_done:
            # Room for the question text on the right: the splitter would size by hints alone.
            self._split_done = True
            total = max(self.splitter.width(), 800)
            self.splitter.setSizes([total * 11 // 20, total * 9 // 20])

    # --- loading ----------------------------------------------------------------------------------------

    def show_employee(self, employee_no: str) -> None:
        employee_no = employee_no.strip().upper()
        if not employee_no:
            return
        self.employee_input.setText(employee_no)
        self._load(lambda: self.client.assessments(employee_no=employee_no), f"工号 {employee_no}")

    def show_ticket(self, ticket_id: int, ticket_display: str = "") -> None:
        """The results handed in with a ticket (e.g. from a crisis alert the counselor took)."""
        self._load(lambda: self.client.assessments(ticket_id=ticket_id), f"号票 {ticket_display or ticket_id}")

    def _search(self) -> None:
        self.show_employee(self.employee_input.text())

    def _load(self, fetch: Any, who: str) -> None:
        self._say(f"正在查询 {who} 的测评记录……")
        self.search_button.setEnabled(False)
        need_scales = not self.scales

        def work() -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
            data = fetch()
            scales = None
            if need_scales:
                try:
                    scales = self.client.assessment_scales()
                except Exception as exc:  # the chart then has no band shading; the results still show
                    log.warning("scales not loaded: %s", exc)
            return data, scales

        def done(answer: tuple[dict[str, Any], list[dict[str, Any]] | None]) -> None:
            data, scales = answer
            self.search_button.setEnabled(True)
            self.set_results(list(data.get("results", [])), scales)
            count = len(self.results)
            self._say(f"{who}：共 {count} 条测评记录" if count else f"{who}：没有测评记录")
            self.loaded.emit(self.results)

        def failed(error: BaseException) -> None:
            self.search_button.setEnabled(True)
            self._say(getattr(error, "message", "") or "暂时连不上服务器，请稍后再试", error=True)
            self.failed.emit(error)

        self.runner.run(work, done, failed, owner=self)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("level", "error" if error else "info")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    # --- showing ------------------------------------------------------------------------------------------

    def set_results(self, results: Sequence[dict[str, Any]], scales: Sequence[dict[str, Any]] | None = None) -> None:
        """Show results as ``GET /assessments`` returns them (newest first); ``scales`` for band shading."""
        if scales is not None:
            self.scales = {s["id"]: s for s in scales}
        self.results = sorted(results, key=lambda r: (_when(r["created_at"]), r["id"]), reverse=True)
        counts: dict[str, int] = {}
        names: dict[str, str] = {}
        for r in self.results:
            counts[r["scale"]] = counts.get(r["scale"], 0) + 1
            names[r["scale"]] = r.get("scale_name") or r["scale"]
        self.scale_picker.blockSignals(True)
        self.scale_picker.clear()
        for scale_id in sorted(counts, key=lambda s: (-counts[s], s)):  # the most taken first
            self.scale_picker.addItem(f"{names[scale_id]}（{counts[scale_id]} 次）", scale_id)
        self.scale_picker.blockSignals(False)
        self._fill_results()
        self._draw_chart()
        self.select_result(self.results[0]["id"] if self.results else None)

    def _fill_results(self) -> None:
        table = self.results_table
        table.blockSignals(True)
        table.setRowCount(len(self.results))
        for row, r in enumerate(self.results):
            scale = self.scales.get(r["scale"])
            value = chart_value(r, scale)
            band = r.get("band_label") or r.get("band", "")
            cells = [
                _item(_when(r["created_at"]).astimezone().strftime("%Y-%m-%d %H:%M")),
                _item(r.get("scale_name") or r["scale"]),
                _item(str(value), align_right=True),
                _item(f"{band}  ⚠ 危机" if r.get("crisis") else band),
                _item(SOURCES.get(r.get("source", ""), r.get("source", ""))),
            ]
            cells[0].setData(Qt.ItemDataRole.UserRole, r["id"])
            for column, cell in enumerate(cells):
                table.setItem(row, column, cell)
        table.blockSignals(False)

    def _draw_chart(self) -> None:
        scale_id = self.scale_picker.currentData()
        if scale_id is None:
            self.chart.set_series([], title="")
            return
        scale = self.scales.get(scale_id)
        points = [
            ChartPoint(
                result_id=r["id"],
                when=_when(r["created_at"]),
                value=chart_value(r, scale),
                band_label=r.get("band_label") or r.get("band", ""),
                crisis=bool(r.get("crisis")),
            )
            for r in self.results
            if r["scale"] == scale_id
        ]
        bands = [ChartBand(b["min"], b["max"], b["label"]) for b in scale.get("bands", [])] if scale else []
        value_range = tuple(scale["range"]) if scale and scale.get("range") else None
        kind = "标准分" if scale and scale.get("bands_on") == "standard" else "总分"
        self.chart.set_series(
            points,
            bands=bands,
            value_range=value_range,  # type: ignore[arg-type]
            title=f"{self.scale_picker.currentText().split('（')[0]} · {kind}变化",
        )
        self.chart.select(self.selected_id)

    def select_result(self, result_id: int | None) -> None:
        self.selected_id = result_id
        self.chart.select(result_id)
        result = next((r for r in self.results if r["id"] == result_id), None)
        self._fill_items(result)
        table = self.results_table
        table.blockSignals(True)
        for row in range(table.rowCount()):
            if table.item(row, 0).data(Qt.ItemDataRole.UserRole) == result_id:
                table.selectRow(row)
                break
        else:
            table.clearSelection()
        table.blockSignals(False)
        if result is not None and self.scale_picker.currentData() != result["scale"]:
            index = self.scale_picker.findData(result["scale"])
            if index >= 0:
                self.scale_picker.setCurrentIndex(index)

    def _row_selected(self) -> None:
        rows = self.results_table.selectionModel().selectedRows()
        if rows:
            self.select_result(self.results_table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole))

    def _fill_items(self, result: Mapping[str, Any] | None) -> None:
        table = self.items_table
        if result is None:
            table.setRowCount(0)
            self.detail_title.setText("选择一条记录，查看逐题作答")
            self.flags_label.setText("")
            return
        when = _when(result["created_at"]).astimezone().strftime("%Y-%m-%d %H:%M")
        where = f" · 号票 {result['ticket_display']}" if result.get("ticket_display") else ""
        self.detail_title.setText(
            f"{result.get('scale_name') or result['scale']} · {when}{where}\n"
            f"总分 {result['raw']}"
            + (f"，标准分 {result['standard']}" if result.get("standard") is not None else "")
            + f" · {result.get('band_label') or result.get('band', '')}"
        )
        flags = result.get("flags") or []
        self.flags_label.setText(
            "；".join(
                (f"第 {f['item']} 题：" if f.get("item") else "")
                + f.get("label", "")
                + ("（危机）" if f.get("level") == "crisis" else "（关注）")
                for f in flags
            )
        )
        items = result.get("items") or []
        table.setRowCount(len(items))
        for row, item in enumerate(items):
            answer = item.get("answer")
            points = item.get("points")
            if points is None:
                answered = "未作答"
            else:
                answered = f"{answer}（{points}）" if answer else str(points)
            scored = item.get("scored_points")
            if item.get("scored") is False:
                scored_text = "不计分"
            else:
                scored_text = "" if scored is None else str(scored) + ("（反向）" if item.get("reverse") else "")
            cells = [
                _item(str(item["number"]), align_right=True),
                _item(item.get("text") or "（题目版本已更新，仅显示分值）"),
                _item(answered),
                _item(scored_text, align_right=True),
            ]
            for column, cell in enumerate(cells):
                table.setItem(row, column, cell)
        table.resizeRowsToContents()

    def clear(self) -> None:
        """Forget what is shown (the counselor logs out or closes the person)."""
        self.results = []
        self.selected_id = None
        self.employee_input.clear()
        self.set_results([])
        self._say("")
