"""Make docs/screenshots/assessment-*.png: the self-assessment at the kiosk, 1080×1920 portrait (not a test).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/kiosk/assessment/screenshots.py [OUTDIR]

Seeds a small world into a temporary SQLite file, starts a real server, and walks the widget with
the fake speaker: the scale list, the 匿名/实名 choice, a question, a result, and the crisis screen.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, for support

from support import REPO, ServerProcess, seed_world

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots"
SIZE = (1080, 1920)


def main() -> None:
    from PySide6.QtWidgets import QApplication

    from suqiu_devices.registry import build
    from suqiu_kiosk.assessment import AssessmentConfig, AssessmentFlowWidget
    from suqiu_queue.client import SuqiuClient
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade

    app = QApplication.instance() or QApplication([])
    directory = Path(tempfile.mkdtemp(prefix="suqiu-shots-"))
    url = f"sqlite:///{directory / 'suqiu.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session, session.begin():
        world = seed_world(session)
    engine.dispose()
    OUT.mkdir(parents=True, exist_ok=True)

    def wait(condition: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the screen did not come up")
            app.processEvents()
            time.sleep(0.02)

    def shot(widget: AssessmentFlowWidget, name: str) -> None:
        for _ in range(5):
            app.processEvents()
        widget.grab().save(str(OUT / f"assessment-{name}.png"))
        print(OUT / f"assessment-{name}.png")

    with ServerProcess(url) as server:
        client = SuqiuClient(server.url, device_key=world.device_keys["kiosk"])
        speaker = build("speaker", "fake", speed=50.0)
        config = AssessmentConfig(
            center="T1",
            counselor_on_duty="王老师",
            care_place="4 号窗口（心理关爱工作室）",
            local_hotline="0571-85029595",
            local_hotline_name="本市心理援助热线",
        )
        widget = AssessmentFlowWidget(client, speaker, config)
        widget.resize(*SIZE)
        widget.show()
        ticket = client.issue_ticket("T1", "care", employee_no="E1001")

        widget.start(employee_no="E1001", ticket_id=ticket.id)
        wait(lambda: widget.flow.step == "pick")
        shot(widget, "pick")
        widget.flow.choose_default()
        shot(widget, "consent")
        widget.flow.choose_mode(linked=True)
        for points in (1, 2):
            widget.flow.answer(points)
        widget.flow.answer(1)
        widget.flow.back()  # question 3, its answer shown
        shot(widget, "item")
        for points in (1, 1, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 2, 0, 1):
            widget.flow.answer(points) if widget.flow.step == "item" else None
        wait(lambda: widget.flow.step == "result")
        shot(widget, "result")
        widget.finish()

        widget.start(employee_no="E1001", ticket_id=ticket.id)
        wait(lambda: widget.flow.step == "pick")
        widget.flow.choose_default()
        widget.flow.choose_mode(linked=True)
        for points in (0, 0, 1, 0, 0, 0, 0, 0, 1):
            widget.flow.answer(points)
        wait(lambda: widget.flow.step == "crisis")
        shot(widget, "crisis")
        widget.request_crisis_ticket()
        wait(lambda: widget.crisis_ticket_state == "done")
        shot(widget, "crisis-ticket")
        widget.shutdown()
        speaker.close()
        client.close()


if __name__ == "__main__":
    main()
