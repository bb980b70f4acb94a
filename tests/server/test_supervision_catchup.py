"""督办 catch-up: after days without a runner, a case that passed several rungs is told once, at
the highest; the skipped rungs are named in that one timeline row; re-running sends nothing.
Runs on SQLite and PostgreSQL (the ``api`` fixture).

A 政策咨询 case received Monday 2026-11-23 10:00 is due by the end of Thursday 11-26; its rungs
fall on Wednesday 12:00 (50 %), Thursday 09:36 (80 %), Friday 00:00 (100 %) and Monday 30th
12:00 (150 %).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from support import PASSWORD, FakeClock, World

from suqiu_queue.server.cases.config import LoopConfig
from suqiu_queue.server.cases.models import Case, CaseTimeline
from suqiu_queue.server.events.models import Event
from suqiu_queue.server.supervision.models import SupervisionNotification
from suqiu_queue.server.supervision.service import run_jobs, sweep

API = "/api/v1"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    month = 11 if day > 15 else 12
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


def login(api: TestClient, username: str) -> dict[str, str]:
    token = api.post(f"{API}/auth/login", json={"username": username, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def open_and_route(api: TestClient, headers: dict[str, str], summary: str) -> dict[str, Any]:
    body = {"center": "T1", "category": "policy", "summary": summary}
    case = api.post(f"{API}/cases", json=body, headers=headers).json()
    routed = api.post(
        f"{API}/cases/{case['id']}/route", json={"departments": ["人力资源部"], "assignee": "handler1"}, headers=headers
    )
    assert routed.status_code == 200, routed.text
    return routed.json()


def counts(api: TestClient) -> tuple[int, int, int]:
    """(notifications, supervision timeline rows, reminder events) in the whole database."""
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        return (
            session.scalar(select(func.count()).select_from(SupervisionNotification)) or 0,
            session.scalar(select(func.count()).where(CaseTimeline.kind == "supervision")) or 0,
            session.scalar(select(func.count()).where(Event.kind == "supervision.reminder")) or 0,
        )


def test_a_case_that_skipped_rungs_gets_one_reminder_at_the_highest(
    api: TestClient, world: World, clock: FakeClock
) -> None:
    api.app.state.loop_config = LoopConfig()  # type: ignore[attr-defined]
    state = api.app.state  # type: ignore[attr-defined]
    case = open_and_route(api, login(api, "reception1"), "咨询工龄认定")
    clock.now = local(1, 10)  # Tuesday 1 December: 50 %, 80 %, due and 150 % have all passed unseen

    result = run_jobs(state.engine, state.sessions, now=clock(), config=state.loop_config, holder="a")
    assert (result.sweep.fired, result.sweep.caught_up, result.sweep.skipped_rungs) == (1, 1, 3)
    assert result.sweep.levels == {"escalate": 1}
    with state.sessions() as session:
        sent = session.scalars(select(SupervisionNotification).where(SupervisionNotification.case_id == case["id"]))
        assert {(n.rung, n.level, n.channel) for n in sent} == {(4, "escalate", "inapp")}
        stored = session.get(Case, case["id"])
        assert stored is not None
        # The ladder is at its top; the breach is dated from the due time, not from the late pass.
        assert (stored.alert_fired, stored.next_alert_at) == (4, None)
        assert stored.breached_at == local(27, 0)
        reminder = session.scalars(select(Event).where(Event.kind == "supervision.reminder")).one()
        assert reminder.payload["rung"] == 4 and reminder.payload["skipped_rungs"] == [1, 2, 3]
    timeline = api.get(f"{API}/cases/{case['id']}", headers=login(api, "supervisor1")).json()["timeline"]
    [row] = [t for t in timeline if t["kind"] == "supervision"]
    assert row["data"]["skipped_rungs"] == [1, 2, 3] and "补发" in row["note"]

    before = counts(api)
    again = run_jobs(state.engine, state.sessions, now=clock(), config=state.loop_config, holder="b")
    assert (again.ran, again.sweep.checked, again.sweep.fired) == (True, 0, 0)
    assert counts(api) == before  # nothing is sent twice


def test_a_catch_up_over_several_batches_sends_each_case_once(api: TestClient, world: World, clock: FakeClock) -> None:
    """Cases at different heights of the ladder, swept in batches of two (each its own transaction)."""
    state = api.app.state  # type: ignore[attr-defined]
    reception = login(api, "reception1")
    first = open_and_route(api, reception, "咨询探亲假")  # Monday 10:00
    clock.now = local(24, 10)
    reception = login(api, "reception1")
    second = open_and_route(api, reception, "咨询婚假")  # Tuesday 10:00: due end of Friday
    clock.now = local(25, 10)
    reception = login(api, "reception1")
    third = [open_and_route(api, reception, f"咨询产假第{i}件") for i in range(3)]  # Wednesday 10:00

    clock.now = local(27, 13)  # Friday 13:00, the first pass in days
    result = sweep(state.sessions, now=clock(), config=LoopConfig(), batch=2)
    # first: due (rung 3, skipping 1-2); second: 80 % (rung 2, skipping 1); the three: 50 % (rung 1).
    assert (result.checked, result.fired, result.caught_up, result.skipped_rungs) == (5, 5, 2, 3)
    assert result.levels == {"breach": 1, "remind": 4}
    with state.sessions() as session:
        rungs = {
            case_id: sorted(session.scalars(select(SupervisionNotification.rung).where(
                SupervisionNotification.case_id == case_id, SupervisionNotification.channel == "inapp"
            )).all())
            for case_id in (first["id"], second["id"], *(c["id"] for c in third))
        }  # fmt: skip
    # The breach tells the responsible person and the center's supervisor: two in-app rows, one rung.
    assert rungs == {first["id"]: [3, 3], second["id"]: [2], **{c["id"]: [1] for c in third}}

    before = counts(api)
    assert sweep(state.sessions, now=clock(), config=LoopConfig(), batch=2).fired == 0
    assert counts(api) == before
