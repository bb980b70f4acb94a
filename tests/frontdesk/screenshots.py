"""Make the front desk screenshots in docs/screenshots/ from the demo data (not a test).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/frontdesk/screenshots.py [OUTDIR]

Seeds the demo enterprise (``seed_demo``) into a temporary SQLite file, adds a morning's worth
of tickets (some from the last half hour, with lanes, notes, a failed print) and a few past
visits and cases, starts a real server, logs in as the demo reception officer at counter 1 and
grabs the window at 1920×1080.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for support

from support import REPO, ServerProcess

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots"

# (minutes ago, category, lane or None, employee index or None, note, print failed)
TODAY = [
    (38, "policy", None, 11, "想问退休前补缴公积金怎么办理", False),
    (35, "logistics", None, None, "", False),
    (31, "opinion", None, 27, "食堂晚班没有热饭，夜班工人吃不上", False),
    (27, "policy", "priority", 4, "", False),
    (24, "health", None, None, "", True),
    (22, "legal", None, 63, "劳动合同到期不续签，想咨询补偿", False),
    (19, "proposal", None, 88, "", False),
    (16, "policy", None, None, "", False),
    (14, "urgent", None, 42, "上次反映的宿舍漏电问题还没人来修，很危险", False),
    (12, "care", "crisis", None, "", False),
    (9, "logistics", None, 120, "班车改线后到厂区要多走四十分钟", True),
    (7, "policy", None, None, "", False),
    (5, "opinion", None, None, "", False),
    (3, "policy", None, 150, "职称评审材料提交截止时间", False),
    (1, "logistics", None, None, "", False),
]


def seed(url: str) -> dict[str, str]:
    from sqlalchemy import select

    from suqiu_queue.server.cases.service import add_timeline, open_case
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade
    from suqiu_queue.server.org.models import Category, Center
    from suqiu_queue.server.people.models import Employee
    from suqiu_queue.server.seed import seed_demo
    from suqiu_queue.server.tickets import service as tickets

    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with make_sessionmaker(engine)() as session, session.begin():
        keys = seed_demo(session).device_keys
        people = session.scalars(select(Employee).order_by(Employee.id)).all()
        center = session.scalar(select(Center))
        categories = {c.code: c for c in session.scalars(select(Category)).all()}
        assert center is not None

        def past_visit(days: int, category: str, who: Employee, summary: str, status: str, outcome: str) -> None:
            at = now - timedelta(days=days, hours=3)
            ticket, _ = tickets.issue(
                session, now=at, center_code=center.code, category_code=category, source="demo",
                employee_no=who.employee_no,
            )  # fmt: skip
            ticket.state = "done"
            ticket.finished_at = at + timedelta(minutes=12)
            case = open_case(
                session, now=at + timedelta(minutes=5), center=center, category=categories[category],
                channel="visit", summary=summary, actor="user:2", ticket=ticket,
            )  # fmt: skip
            if status != "accepted":
                add_timeline(
                    session, case, now=at + timedelta(days=1), actor="user:3", kind="handover",
                    note="请按时限办理", data={"department": "物业管理部", "person": "周科长"},
                )  # fmt: skip
            case.status = status
            case.outcome = outcome

        urgent_person = people[42]
        past_visit(20, "urgent", urgent_person, "宿舍楼三层线路老化，插座冒火花", "in_progress", "")
        past_visit(60, "logistics", urgent_person, "宿舍热水器损坏", "archived", "已更换热水器，职工满意")
        past_visit(45, "policy", people[11], "公积金缴存基数核对", "archived", "已答复：按上年度月平均工资核定")
        past_visit(9, "opinion", people[27], "食堂菜价上涨", "answered", "已转后勤中心，三日内公示菜价")

        for minutes, category, lane, who, note, print_failed in TODAY:
            ticket, _ = tickets.issue(
                session, now=now - timedelta(minutes=minutes), center_code=center.code, category_code=category,
                source="demo", lane=lane, employee_no=people[who].employee_no if who is not None else None,
                note=note,
            )  # fmt: skip
            ticket.print_failed = print_failed
    engine.dispose()
    return keys


@dataclass
class Demo:
    app: Any  # the QApplication
    server: ServerProcess
    url: str
    workdir: Path
    keys: dict[str, str]  # the demo devices' keys (``seed``)


@contextmanager
def demo(prefix: str) -> Iterator[Demo]:
    """The demo morning (``seed``) in a fresh SQLite file, the Qt application in the front desk's
    font and theme, and a real server on the file."""
    from PySide6.QtWidgets import QApplication

    from suqiu_frontdesk.style import apply_app_font, load_theme

    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    url = f"sqlite:///{workdir / 'demo.db'}"
    keys = seed(url)
    app = QApplication([])
    apply_app_font(app)
    load_theme(app)
    with ServerProcess(url) as server:
        yield Demo(app, server, url, workdir, keys)


def open_desk(client, logged_in, counter: int = 1, runner=None):  # type: ignore[no-untyped-def]
    """The started front desk of ``logged_in`` (``fetch_login``) at ``counter`` of their first center,
    its window shown at 1920×1080."""
    from suqiu_frontdesk.app import FrontDesk
    from suqiu_frontdesk.login import build_session
    from suqiu_frontdesk.workers import Runner

    session = build_session(client, logged_in, logged_in.centers[0], counter)
    desk = FrontDesk(client, runner or Runner(), session)
    desk.window.resize(1920, 1080)
    desk.window.show()
    desk.start()
    return desk


def grab(widget, name: str) -> Path:  # type: ignore[no-untyped-def]
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    widget.grab().save(str(path))
    print(f"wrote {path}")
    return path


def grab_with_popup(window, popup, name: str) -> Path:  # type: ignore[no-untyped-def]
    """The window with the pop-up drawn where a desktop puts a parented dialog: centred on it."""
    from PySide6.QtGui import QPainter

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    picture = window.grab()
    dialog = popup.grab()
    painter = QPainter(picture)
    painter.drawPixmap((picture.width() - dialog.width()) // 2, (picture.height() - dialog.height()) // 3, dialog)
    painter.end()
    picture.save(str(path))
    print(f"wrote {path}")
    return path


def pause(app, seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Let the event loop run (layouts settle, queued results arrive)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)


def wait(app, condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if condition():
            return
        time.sleep(0.01)
    raise RuntimeError("timed out waiting for the front desk")


def main() -> int:
    from PySide6.QtCore import QSettings

    from suqiu_frontdesk.login import LoginDialog, fetch_login
    from suqiu_frontdesk.workers import Runner
    from suqiu_queue.client import SuqiuClient
    from suqiu_queue.server.seed import DEMO_PASSWORD

    with demo("suqiu-shots-") as shots:
        app, server, keys = shots.app, shots.server, shots.keys
        settings = QSettings(str(shots.workdir / "frontdesk.ini"), QSettings.Format.IniFormat)
        runner = Runner()
        login = LoginDialog(SuqiuClient(server.url), runner, settings, username="reception")
        login.resize(560, 330)
        login.show()
        pause(app, 0.2)
        grab(login, "frontdesk-login.png")
        login.close()

        client = SuqiuClient(server.url)
        desk = open_desk(client, fetch_login(client, "reception", DEMO_PASSWORD), runner=runner)
        wait(app, lambda: desk.model.connected and len(desk.model.cards) >= 7)
        pause(app, 0.5)
        grab(desk.window, "frontdesk-queue.png")

        desk.controller.call_next()
        wait(app, lambda: desk.model.current is not None and desk.model.busy is None)
        pause(app, 0.5)
        grab(desk.window, "frontdesk-serving.png")

        view = desk.window.open_case_for_current()
        assert view is not None
        view.sub_topic.setCurrentText("宿舍")
        pause(app, 0.3)
        grab(view, "frontdesk-case-new.png")
        view.create_case()
        wait(app, lambda: view.case is not None and not view.busy)
        view.note.setText("职工再次反映，情绪较急，已安抚并承诺今天下班前回复")
        view.add_note()
        wait(app, lambda: not view.busy and view.timeline.count() == 2)
        view.department.setCurrentText("物业管理部")
        view.person.setText("周科长")
        view.handover_note.setText("涉及用电安全，请今天内上门排查")
        view.hand_over()
        wait(app, lambda: not view.busy and view.timeline.count() == 3)
        grab(view, "frontdesk-case.png")
        # The closed loop: 开始办理, then the 反馈答复 form filled in, before sending it.
        view.lifecycle.choose("start")
        wait(app, lambda: not view.busy and view.case is not None and view.case["status"] == "in_progress")
        view.lifecycle.choose("answer")
        view.lifecycle.reply.setPlainText("物业已于今天下午更换三层线路和插座，经检测用电安全，请放心使用")
        pause(app, 0.3)
        grab(view, "frontdesk-case-lifecycle.png")
        view.close()

        intake = desk.window.open_intake()
        intake.category.setCurrentIndex(intake.category.findData("opinion"))
        intake.employee_no.setText("100077")
        intake.summary.setPlainText("来电反映：二车间倒班表调整后连续上夜班超过七天，希望恢复原排班")
        pause(app, 0.3)
        grab(intake, "frontdesk-intake.png")
        intake.close()
        desk.shutdown()
        desk.window.close()
        client.close()

        # A counselor at 4号窗口 when a self-assessment at the kiosk raises a crisis alert.
        counselor_client = SuqiuClient(server.url)
        counselor = open_desk(counselor_client, fetch_login(counselor_client, "counselor", DEMO_PASSWORD), counter=4)
        wait(app, lambda: counselor.model.connected)
        kiosk = SuqiuClient(server.url, device_key=keys["kiosk"])
        ticket = kiosk.issue_ticket("HQ", "care", employee_no=f"{100001 + 160}", note="最近总是睡不着")
        kiosk.post(
            "/api/v1/assessments", {"scale": "phq9", "points": [1, 2, 1, 2, 1, 1, 0, 0, 1, 1], "ticket_id": ticket.id}
        )
        panel = counselor.window.crisis_panel
        assert panel is not None and panel.popup is not None
        wait(app, lambda: panel.popup.isVisible() and counselor.model.card(ticket.id) is not None)
        pause(app, 0.5)
        grab_with_popup(counselor.window, panel.popup, "frontdesk-counselor-crisis.png")

        # 我来接手, then the 危机预警 tab: the alert is the counselor's, with 查看测评.
        panel.popup.take_button.click()
        wait(app, lambda: any(a.state == "mine" for a in panel.book.alerts.values()))
        tabs = counselor.window.right_tabs
        assert tabs is not None
        tabs.setCurrentWidget(panel)
        pause(app, 0.5)
        grab(counselor.window, "frontdesk-counselor-alerts.png")

        counselor.window.close()
        counselor.shutdown()
        counselor_client.close()
        kiosk.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
