"""Make docs/screenshots/assessment-counselor-*.png: the counselor's crisis pop-up, alert list and
trend view on a real server (not a test).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/frontdesk/crisis/screenshots.py [OUTDIR]

A person's PHQ-9 and GAD-7 results over four months are stored directly (so the chart has real
dates); then a kiosk hands in a crisis answer and a counselor's desk receives it over the event
stream.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SUQIU_DATA_KEY", secrets.token_hex(32))  # shared with the server process
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, for support

from support import PASSWORD, REPO, ServerProcess, World, seed_world

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots"

# (days ago, scale, points as ticked)
HISTORY = [
    (120, "phq9", [2, 2, 2, 2, 1, 2, 1, 1, 0, 2]),
    (90, "phq9", [2, 1, 2, 1, 1, 1, 1, 0, 0, 1]),
    (90, "gad7", [2, 2, 1, 2, 1, 1, 1]),
    (60, "phq9", [1, 1, 1, 1, 1, 1, 0, 0, 0, 1]),
    (30, "phq9", [1, 1, 0, 1, 0, 1, 0, 0, 0, 1]),
    (30, "gad7", [1, 1, 1, 1, 0, 1, 0]),
    (2, "phq9", [1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
]


def seed(url: str, data_dir: Path) -> World:
    from suqiu_queue.domain.assessment import score
    from suqiu_queue.server.assessments import service
    from suqiu_queue.server.assessments.sealing import data_key
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade
    from suqiu_queue.server.org.models import Center
    from suqiu_queue.server.people.models import Employee

    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with make_sessionmaker(engine)() as session, session.begin():
        world = seed_world(session)
        center = session.query(Center).filter_by(code=world.center).one()
        person = session.query(Employee).filter_by(employee_no="E1001").one()
        for days, scale_id, points in HISTORY:
            scale = service.catalog().get(scale_id)
            service.store(
                session,
                now=now - timedelta(days=days, hours=3),
                scale=scale,
                result=score(scale, points),
                key=data_key(data_dir),
                source="kiosk",
                actor="device:seed",
                center=center,
                employee=person,
            )
    engine.dispose()
    return world


def main() -> None:
    from PySide6.QtWidgets import QApplication

    from suqiu_frontdesk.crisis import CounselorView, CrisisAlertPanel
    from suqiu_queue.client import SuqiuClient

    app = QApplication.instance() or QApplication([])
    directory = Path(tempfile.mkdtemp(prefix="suqiu-crisis-shots-"))
    url = f"sqlite:///{directory / 'suqiu.db'}"
    world = seed(url, directory)
    OUT.mkdir(parents=True, exist_ok=True)

    def wait(condition: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the screen did not come up")
            app.processEvents()
            time.sleep(0.02)

    def save(widget: object, name: str) -> None:
        for _ in range(5):
            app.processEvents()
        path = OUT / f"assessment-counselor-{name}.png"
        widget.grab().save(str(path))  # type: ignore[attr-defined]
        print(path)

    with ServerProcess(url, env={"SUQIU_DATA_DIR": str(directory)}) as server:
        counselor = SuqiuClient(server.url)
        counselor.login("counselor1", PASSWORD)

        view = CounselorView(counselor)
        view.resize(1500, 860)
        view.show()
        view.show_employee("E1001")
        wait(lambda: len(view.results) == len(HISTORY))
        view.scale_picker.setCurrentIndex(view.scale_picker.findData("phq9"))
        oldest = min((r for r in view.results if r["scale"] == "phq9"), key=lambda r: r["created_at"])
        view.select_result(oldest["id"])
        save(view, "trend")

        panel = CrisisAlertPanel(counselor)
        panel.resize(520, 420)
        panel.show()
        stream_client = SuqiuClient(server.url, token=counselor.token)
        stream = stream_client.events(center="T1")

        def read() -> None:
            for event in stream:
                panel.on_event(event)

        threading.Thread(target=read, daemon=True).start()
        stream.connected.wait(10)
        kiosk = SuqiuClient(server.url, device_key=world.device_keys["kiosk"])
        ticket = kiosk.issue_ticket("T1", "care", employee_no="E1002")
        kiosk.submit_assessment("phq9", [0, 0, 1, 0, 0, 0, 0, 0, 1], employee_no="E1002", ticket_id=ticket.id)
        wait(lambda: panel.popup is not None and panel.popup.isVisible())
        save(panel.popup, "alert-popup")
        save(panel, "alert-list")
        stream.stop()
        kiosk.close()
        counselor.close()
        stream_client.close()


if __name__ == "__main__":
    main()
