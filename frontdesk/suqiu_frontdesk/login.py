"""Log in, then choose the counter (窗口). The counter is remembered per server and center."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from suqiu_queue.client import Category, LoginResult, SuqiuClient

from .controller import Runner, error_text
from .models import CategoryInfo, CounterInfo, DeskSession
from .style import LEVEL_COLOURS


def counter_key(base_url: str, center: str) -> str:
    return f"counter/{base_url.rstrip('/')}/{center}"


def remembered_counter(settings: QSettings, base_url: str, center: str) -> int | None:
    value = settings.value(counter_key(base_url, center))
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def remember_counter(settings: QSettings, base_url: str, center: str, number: int) -> None:
    settings.setValue(counter_key(base_url, center), number)
    settings.setValue("last/server", base_url.rstrip("/"))
    settings.sync()


@dataclass(frozen=True)
class _LoggedIn:
    login: LoginResult
    centers: list[dict[str, Any]]  # those the officer may choose from (one, unless HQ staff)
    categories: list[Category]


def fetch_login(client: SuqiuClient, username: str, password: str) -> _LoggedIn:
    """Runs on a worker: log in and fetch what the counter choice needs."""
    result = client.login(username, password)
    if result.center:
        centers = [client.center(result.center)]
    else:
        centers = client.centers()
    return _LoggedIn(result, centers, client.categories())


def build_session(
    client: SuqiuClient, logged_in: _LoggedIn, center: dict[str, Any], counter_number: int
) -> DeskSession:
    counters = tuple(CounterInfo.from_json(c) for c in center.get("counters", []) if c.get("open", True))
    counter = next(c for c in counters if c.number == counter_number)
    categories = tuple(CategoryInfo(c.code, c.prefix, c.name) for c in logged_in.categories if c.active)
    return DeskSession(
        base_url=client.base_url,
        username=logged_in.login.username,
        display_name=logged_in.login.display_name,
        role=logged_in.login.role,
        center=center["code"],
        center_name=center["name"],
        counter=counter,
        counters=counters,
        categories=categories,
    )


class LoginDialog(QDialog):
    """Two steps on one dialog: credentials, then the counter. ``session`` is set on accept."""

    def __init__(
        self,
        client: SuqiuClient,
        runner: Runner,
        settings: QSettings,
        *,
        counter_number: int | None = None,
        username: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("loginDialog")
        self.setWindowTitle("职工诉求服务中心 · 前台登录")
        self.client = client
        self.runner = runner
        self.settings = settings
        self.preset_counter = counter_number
        self.session: DeskSession | None = None
        self._logged_in: _LoggedIn | None = None
        self.setMinimumWidth(520)

        title = QLabel("前台工作台")
        title.setObjectName("loginTitle")
        self.pages = QStackedWidget()
        self.pages.addWidget(self._credentials_page(username))
        self.pages.addWidget(self._counter_page())
        self.message = QLabel("")
        self.message.setObjectName("loginMessage")
        self.message.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(14)
        layout.addWidget(title)
        layout.addWidget(self.pages)
        layout.addWidget(self.message)
        (self.password if self.username.text() else self.username).setFocus()

    # -- step 1 ------------------------------------------------------------------------------------

    def _credentials_page(self, username: str) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.server = QLineEdit(self.client.base_url)
        self.username = QLineEdit(username or str(self.settings.value("last/username", "")))
        self.username.setPlaceholderText("账号")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("密码")
        self.password.returnPressed.connect(self.log_in)
        self.login_button = QPushButton("登录")
        self.login_button.setObjectName("loginButton")
        self.login_button.setDefault(True)
        self.login_button.clicked.connect(self.log_in)
        form.addRow("服务器", self.server)
        form.addRow("账号", self.username)
        form.addRow("密码", self.password)
        form.addRow("", self.login_button)
        return page

    def log_in(self) -> None:
        username = self.username.text().strip()
        password = self.password.text()
        if not username or not password:
            self.say("请输入账号和密码", "warn")
            return
        self.client.base_url = self.server.text().strip().rstrip("/") or self.client.base_url
        self.login_button.setEnabled(False)
        self.say("正在登录…")

        def failed(exc: BaseException) -> None:
            self.login_button.setEnabled(True)
            self.password.selectAll()
            self.password.setFocus()
            self.say(error_text(exc), "error")

        self.runner.run(lambda: fetch_login(self.client, username, password), self._logged_in_ok, failed)

    def _logged_in_ok(self, logged_in: _LoggedIn) -> None:
        self._logged_in = logged_in
        self.login_button.setEnabled(True)
        self.settings.setValue("last/username", logged_in.login.username)
        self.center.clear()
        for center in logged_in.centers:
            self.center.addItem(center["name"], center["code"])
        self.center.setVisible(len(logged_in.centers) > 1)
        self.center_label.setVisible(len(logged_in.centers) > 1)
        self._fill_counters()
        if self.preset_counter is not None and self.counter.findData(self.preset_counter) >= 0:
            self.counter.setCurrentIndex(self.counter.findData(self.preset_counter))
            self.start()
            return
        self.say(f"{logged_in.login.display_name}，您好。请选择本机所在的窗口。", "ok")
        self.pages.setCurrentIndex(1)

    # -- step 2 -----------------------------------------------------------------------------------

    def _counter_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.center = QComboBox()
        self.center.currentIndexChanged.connect(self._fill_counters)
        self.center_label = QLabel("服务中心")
        self.counter = QComboBox()
        self.counter.setObjectName("counterChoice")
        self.start_button = QPushButton("开始工作")
        self.start_button.setObjectName("startButton")
        self.start_button.clicked.connect(self.start)
        form.addRow(self.center_label, self.center)
        form.addRow("窗口", self.counter)
        form.addRow("", self.start_button)
        return page

    def _selected_center(self) -> dict[str, Any] | None:
        if self._logged_in is None:
            return None
        code = self.center.currentData()
        return next((c for c in self._logged_in.centers if c["code"] == code), None)

    def _fill_counters(self) -> None:
        center = self._selected_center()
        self.counter.clear()
        if center is None:
            return
        for c in center.get("counters", []):
            if not c.get("open", True):
                continue
            names = "、".join(c.get("categories", []))
            label = f"{c['number']}号窗口 · {c.get('name', '')}"
            self.counter.addItem(label, c["number"])
            self.counter.setItemData(self.counter.count() - 1, names, Qt.ItemDataRole.ToolTipRole)
        remembered = remembered_counter(self.settings, self.client.base_url, center["code"])
        if remembered is not None and self.counter.findData(remembered) >= 0:
            self.counter.setCurrentIndex(self.counter.findData(remembered))

    def start(self) -> None:
        center = self._selected_center()
        if center is None or self._logged_in is None or self.counter.currentData() is None:
            self.say("这个中心还没有开放的窗口，请联系管理员", "error")
            return
        number = int(self.counter.currentData())
        remember_counter(self.settings, self.client.base_url, center["code"], number)
        self.session = build_session(self.client, self._logged_in, center, number)
        self.accept()

    def say(self, text: str, level: str = "info") -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color:{LEVEL_COLOURS.get(level, LEVEL_COLOURS['info'])};")
