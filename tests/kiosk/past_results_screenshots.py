"""Make docs/screenshots/kiosk-assess-*.png: 查看我以前的自测结果 in the kiosk window (not a test).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/kiosk/past_results_screenshots.py [OUTDIR]

Seeds a small world into a temporary SQLite file with three earlier 实名 results of E1001 (moved
back in time so the dates differ), starts a real server, identifies E1001 by 工号 and takes the
first page with its 查看我以前的自测结果, the privacy screen (two digits typed) and the list —
portrait and landscape, normal and 长辈模式.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for support

from support import REPO, ServerProcess, seed_world

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots"
EARLIER = [  # scale, points as ticked, days ago
    ("who5", [3, 3, 2, 3, 3], 12),
    ("gad7", [2, 2, 1, 1, 2, 1, 1], 40),
    ("phq9", [1, 1, 1, 0, 1, 1, 0, 1, 0, 0], 95),
]


def seed(directory: Path) -> tuple[str, str]:
    from sqlalchemy import select

    from suqiu_queue.server.assessments.models import AssessmentResult
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade

    url = f"sqlite:///{directory / 'suqiu.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as session, session.begin():
        world = seed_world(session)
    key = world.device_keys["kiosk"]
    with ServerProcess(url, env={"SUQIU_DATA_DIR": str(directory / "data")}) as server:
        from suqiu_queue.client import SuqiuClient

        client = SuqiuClient(server.url, device_key=key)
        for scale, points, _days in EARLIER:
            client.submit_assessment(scale, list(points), employee_no="E1001")
        client.close()
    with sessions() as session, session.begin():
        for row, (_scale, _points, days) in zip(
            session.scalars(select(AssessmentResult).order_by(AssessmentResult.id)).all(), EARLIER, strict=True
        ):
            row.created_at = row.created_at - timedelta(days=days)
    engine.dispose()
    return url, key


def main() -> None:
    from suqiu_devices.registry import build
    from suqiu_kiosk.screenshots import ORIENTATIONS, _app, _wait, _window

    app = _app()
    directory = Path(tempfile.mkdtemp(prefix="suqiu-past-shots-"))
    url, key = seed(directory)
    OUT.mkdir(parents=True, exist_ok=True)
    with ServerProcess(url, env={"SUQIU_DATA_DIR": str(directory / "data")}) as server:
        for orientation, size in ORIENTATIONS.items():
            for elderly in (False, True):
                name = f"kiosk-assess-{orientation}{'-elderly' if elderly else ''}"
                window = _window(server.url, key, directory / name, size, build("printer", "fake"))
                try:
                    _wait(app, lambda w=window: w.ready)
                    window.set_elderly(elderly)
                    window.start_assessment()
                    identify = window.screens["identify"]
                    for char in "E1001":
                        identify.key(char)
                    identify.submit()
                    _wait(app, lambda w=window: bool(w.flow.visit.masked_name))
                    window.confirm_identity()
                    widget = window.assessment.widget
                    _wait(app, lambda w=widget: w.flow.step == "pick")
                    window.grab().save(str(OUT / f"{name}-pick.png"))
                    widget.pick_page.mine_button.click()
                    for digit in "00":
                        widget.mine_privacy_page.pad.keys[digit].click()
                    _wait(app, lambda: True)
                    window.grab().save(str(OUT / f"{name}-privacy.png"))
                    for digit in "01":
                        widget.mine_privacy_page.pad.keys[digit].click()
                    widget.mine_privacy_page.continue_button.click()
                    _wait(app, lambda w=widget: w.flow.step == "mine")
                    window.grab().save(str(OUT / f"{name}-list.png"))
                    print(OUT / f"{name}-privacy.png", OUT / f"{name}-list.png")
                finally:
                    window.shutdown()
                    window.close()
                    window.service.store.close()


if __name__ == "__main__":
    main()
