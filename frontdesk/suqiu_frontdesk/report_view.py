"""月度报告 for supervisors: the server's monthly report page, shown as it is rendered on the server.

The page is fetched on the runner (it can take a while for a busy month) and shown in a
``QTextBrowser``, which draws HTML without running scripts or fetching anything else.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QComboBox, QDialog, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from suqiu_queue.client import SuqiuClient

from .controller import Runner, error_text
from .style import LEVEL_COLOURS


def recent_months(today: date, count: int = 12) -> list[str]:
    """This month first, then the ones before it: "2026-11", "2026-10", …"""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


class ReportWindow(QDialog):
    def __init__(self, client: SuqiuClient, runner: Runner, center: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportWindow")
        self.setWindowTitle("月度报告")
        self.resize(1000, 860)
        self.client = client
        self.runner = runner
        self.center = center
        self.busy = False

        self.month = QComboBox()
        self.month.setObjectName("reportMonth")
        for month in recent_months(date.today()):
            year, number = month.split("-")
            self.month.addItem(f"{year}年{int(number)}月", month)
        self.month.currentIndexChanged.connect(self.load)
        self.status = QLabel("")
        self.status.setObjectName("reportStatus")
        self.browser = QTextBrowser()
        self.browser.setObjectName("reportBrowser")
        self.browser.setOpenLinks(False)  # a page of figures: nothing to follow away from it
        close = QPushButton("关闭")
        close.clicked.connect(self.close)

        top = QHBoxLayout()
        top.addWidget(QLabel("月份"))
        top.addWidget(self.month)
        top.addWidget(self.status, 1)
        top.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.browser, 1)
        self.load()

    def load(self) -> None:
        if self.busy:
            return
        self.busy = True
        month = str(self.month.currentData())
        self._say("正在生成报告…", "info")

        def done(html: str) -> None:
            self.busy = False
            self.browser.setHtml(html)
            self._say("", "info")

        def failed(exc: BaseException) -> None:
            self.busy = False
            self._say(error_text(exc), "error")

        self.runner.run(lambda: self.client.report_html(self.center, month), done, failed, owner=self)

    def _say(self, text: str, level: str) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color:{LEVEL_COLOURS[level]}; font-weight:600;")
