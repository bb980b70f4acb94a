"""``suqiu frontdesk``: log in, choose the counter, and run the officer's window.

``FrontDesk`` puts the pieces together (model, controller, window, event stream, counter strip)
so the app and the tests assemble them the same way.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QDialog

from suqiu_devices.protocols import CounterDisplay
from suqiu_queue.client import SuqiuClient

from .controller import FrontDeskController
from .counter_display import CounterDisplayOutput, build_display
from .events import EventPump
from .login import LoginDialog
from .main_window import MainWindow
from .models import DeskSession, FrontDeskModel, utc_now
from .style import apply_app_font, load_theme
from .workers import Runner

log = logging.getLogger(__name__)


class FrontDesk:
    def __init__(
        self,
        client: SuqiuClient,
        runner: Runner,
        session: DeskSession,
        *,
        display: CounterDisplay | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.client = client
        self.runner = runner
        self.model = FrontDeskModel(session, clock=clock)
        self.display: CounterDisplayOutput | None = None
        if display is not None:
            self.display = CounterDisplayOutput(
                display,
                session.counter.number,
                on_error=lambda message: runner.call_soon(lambda: self.model.say(message, "warn")),
            )
        self.controller = FrontDeskController(self.model, client, runner, display=self.display)
        self.window = MainWindow(self.model, self.controller, client, runner)
        self.pump = EventPump(client, session.center, self.window)
        self.pump.received.connect(self.controller.on_event)
        self.pump.connection_changed.connect(self.controller.on_connection)
        self.pump.failed.connect(self.controller.on_stream_failed)

    def start(self) -> None:
        self.pump.start()
        self.controller.start()

    def shutdown(self) -> None:
        self.pump.stop()
        self.runner.close()
        if self.display is not None:
            self.display.close()


def binding_problem() -> str | None:
    """PySide6 6.12.0 on Python < 3.12 over-releases ``None`` on every void call and aborts a
    long-running window ("none_dealloc"); say so instead of crashing mid-shift."""
    import PySide6

    if PySide6.__version__ == "6.12.0" and sys.version_info < (3, 12):
        return "PySide6 6.12.0 crashes long-running apps on Python 3.11: pip install 'PySide6-Essentials==6.11.3'"
    return None


def run(
    server: str,
    *,
    counter: int | None = None,
    display: str = "none",
    username: str = "",
    settings: QSettings | None = None,
) -> int:
    problem = binding_problem()
    if problem:
        log.error(problem)
        print(problem, file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("suqiu-frontdesk")
    apply_app_font(app)
    load_theme(app)
    settings = settings or QSettings("Suqiu", "frontdesk")
    client = SuqiuClient(server)
    runner = Runner(app)
    login = LoginDialog(client, runner, settings, counter_number=counter, username=username)
    if login.exec() != QDialog.DialogCode.Accepted or login.session is None:
        return 1
    session = login.session
    try:
        driver = build_display(display, counter_number=session.counter.number)
    except Exception as exc:  # no strip is no reason to keep the officer from working
        log.warning("counter display not available: %s", exc)
        driver = None
    desk = FrontDesk(client, runner, session, display=driver)
    if display not in ("", "none", "off") and driver is None:
        desk.model.say("窗口屏未连接：叫号只在大屏和语音中提示", "warn")
    desk.window.resize(1920, 1080)
    desk.window.showMaximized()
    desk.start()
    try:
        return app.exec()
    finally:
        desk.shutdown()
        client.close()
