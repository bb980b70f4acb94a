"""Make the board screenshots in docs/screenshots/ from the demo data (not a test).

    .venv/bin/python tests/board/screenshots.py [OUTDIR]

Seeds the demo enterprise (``seed_demo``) into a temporary SQLite file. The demo's past cases are
tidied the way a real center's would be by now (the old ones closed and some rated), and the
last fortnight's cases are added at their stages. A real server then takes a morning's tickets
from the kiosk and the counters call some of them; Debian's Chromium opens the board at
1920×1080 and at 3840×1080, a last call is made so its number is highlighted, and each layout is
saved as ``board-1080p.png`` / ``board-wide.png`` (and the second page of cases at 1080p as
``board-1080p-cases-page-2.png``).
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for support and board.pages

import requests
from board.pages import chromium, open_board, wait_for_number
from support import REPO, ServerProcess

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots"

# The last two weeks at the center: (days ago, category, channel, status, summary). Summaries
# never reach the board; they are here so the front desk shows the same cases sensibly.
RECENT_CASES = [
    (13, "legal", "visit", "in_progress", "劳务派遣转正后工龄如何连续计算"),
    (11, "opinion", "online", "in_progress", "建议厂区增设电动车充电棚"),
    (9, "logistics", "visit", "answered", "二号宿舍楼电梯经常停运"),
    (8, "policy", "phone", "routed", "子女教育补贴申请条件"),
    (7, "proposal", "visit", "in_progress", "建议检修班组配备便携式气体检测仪"),
    (6, "health", "visit", "routed", "职业病体检结果何时反馈"),
    (5, "legal", "letter", "accepted", "工伤复查鉴定流程咨询"),
    (4, "urgent", "phone", "in_progress", "夜班通勤车司机疲劳驾驶"),
    (3, "opinion", "online", "routed", "希望延长职工书屋开放时间"),
    (2, "logistics", "visit", "accepted", "食堂一楼下水道堵塞"),
    (1, "policy", "visit", "accepted", "产假期间绩效工资如何发放"),
    (0, "health", "visit", "accepted", "异地就医备案办理"),
]
# Tickets taken this morning (category per ticket) and the calls made so far (counter numbers).
MORNING = ["policy", "logistics", "policy", "legal", "opinion", "health", "policy", "urgent", "care",
           "proposal", "policy", "logistics", "health", "policy", "opinion", "legal", "policy", "logistics",
           "care", "policy", "health", "opinion", "policy", "logistics"]  # fmt: skip
CALLS = [1, 2, 3, 5, 4, 2, 1, 5]


def seed(url: str) -> dict[str, str]:
    from sqlalchemy import select

    from suqiu_queue.server.cases.models import Case, CaseTimeline
    from suqiu_queue.server.cases.service import add_timeline, open_case
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade
    from suqiu_queue.server.org.models import Category, Center
    from suqiu_queue.server.people.models import Employee
    from suqiu_queue.server.seed import seed_demo

    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    rng = random.Random(20261123)
    with make_sessionmaker(engine)() as session, session.begin():
        keys = seed_demo(session).device_keys
        center = session.scalar(select(Center))
        categories = {c.code: c for c in session.scalars(select(Category)).all()}
        people = session.scalars(select(Employee).order_by(Employee.id)).all()
        assert center is not None

        # The demo's past cases older than a week have been closed by now, most within their
        # deadline, and the employees rated most of them (the lifecycle's "rated" rows).
        for case in session.scalars(select(Case).where(Case.created_at < now - timedelta(days=7))).all():
            if case.status in ("rated", "archived"):
                continue
            closed_at = case.created_at + timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 6))
            closed_at = min(closed_at, now - timedelta(days=1))
            rated = rng.random() < 0.7
            score = rng.choice([5, 5, 5, 4, 4, 4, 3, 2]) if rated else None
            session.add(
                CaseTimeline(
                    case_id=case.id, at=closed_at, actor="user:3", kind="status", from_status=case.status,
                    to_status="rated" if rated else "archived", note="演示数据",
                    data={"score": score, "satisfied": score > 2} if score is not None else {},
                )
            )  # fmt: skip
            case.status = "rated" if rated else "archived"
            case.outcome = "已答复并解决"

        for index, (days, category, channel, status, summary) in enumerate(RECENT_CASES):
            at = now - timedelta(days=days, hours=rng.randint(1, 5))
            case = open_case(
                session, now=at, center=center, category=categories[category], channel=channel,
                summary=summary, actor="user:2", employee=people[60 + index * 7],
            )  # fmt: skip
            if status != "accepted":
                add_timeline(
                    session, case, now=at + timedelta(hours=20), actor="user:3", kind="status",
                    from_status="accepted", to_status=status, note="演示数据",
                )  # fmt: skip
                case.status = status
    engine.dispose()
    return keys


def morning(server: ServerProcess, keys: dict[str, str]) -> tuple[dict[str, str], dict[int, int]]:
    """Tickets from the kiosk, and the calls the counters have made so far."""
    from suqiu_queue.server.seed import DEMO_PASSWORD

    kiosk = {"X-Device-Key": keys["kiosk"]}
    token = requests.post(
        f"{server.url}/api/v1/auth/login", json={"username": "reception", "password": DEMO_PASSWORD}, timeout=10
    ).json()["token"]
    officer = {"Authorization": f"Bearer {token}"}
    for category in MORNING:
        requests.post(
            f"{server.url}/api/v1/tickets", json={"center": "HQ", "category": category}, headers=kiosk, timeout=10
        ).raise_for_status()
    counters = {
        c["number"]: c["id"] for c in requests.get(f"{server.url}/api/v1/centers/HQ", timeout=10).json()["counters"]
    }
    for number in CALLS:
        response = requests.post(
            f"{server.url}/api/v1/counters/{counters[number]}/call-next", headers=officer, timeout=10
        )
        response.raise_for_status()
        ticket = response.json()["ticket"]
        if ticket is not None:
            requests.post(f"{server.url}/api/v1/tickets/{ticket['id']}/start", headers=officer, timeout=10)
    return officer, counters


def call_one(server: ServerProcess, officer: dict[str, str], counter_id: int) -> str:
    response = requests.post(f"{server.url}/api/v1/counters/{counter_id}/call-next", headers=officer, timeout=10)
    response.raise_for_status()
    return str(response.json()["ticket"]["display"])


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="suqiu-board-shots-"))
    url = f"sqlite:///{workdir / 'demo.db'}"
    keys = seed(url)
    OUT.mkdir(parents=True, exist_ok=True)
    with ServerProcess(url) as server:
        officer, counters = morning(server, keys)
        with chromium() as browser:
            for layout, name, counter in (("standard", "board-1080p.png", 3), ("wide", "board-wide.png", 2)):
                suffix = "&layout=wide" if layout == "wide" else ""
                page = open_board(browser, f"{server.url}/board?center=HQ&key={keys['board']}{suffix}", layout)
                page.wait_for_function("document.getElementById('connection').hidden", timeout=15_000)
                page.wait_for_function("document.querySelectorAll('#case-rows tr').length > 0", timeout=15_000)
                display = call_one(server, officer, counters[counter])
                wait_for_number(page, display)
                time.sleep(1.5)  # into the highlight, and the snapshot has caught up
                page.screenshot(path=str(OUT / name))
                print(f"wrote {OUT / name}")
                if layout == "standard":
                    # The second page of cases: the later deadlines, some counted on 2027's
                    # provisional holidays (暂定).
                    page.wait_for_function(
                        "document.getElementById('cases-page').textContent.startsWith('第 2')", timeout=30_000
                    )
                    page.screenshot(path=str(OUT / "board-1080p-cases-page-2.png"))
                    print(f"wrote {OUT / 'board-1080p-cases-page-2.png'}")
                page.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
