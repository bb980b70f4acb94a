"""The in-server scheduler: each job once per interval across processes, never two at a time, and
crisis alerts escalating to the supervisors inside real server processes (SQLite, and two
PostgreSQL replicas that escalate an alert exactly once)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select
from support import FakeClock, ServerProcess, World, fresh_pg_database, login, pg_available, seed_world

from suqiu_queue.server.assessments.models import CrisisAlert
from suqiu_queue.server.events.models import Event
from suqiu_queue.server.scheduler.jobs import JOBS
from suqiu_queue.server.scheduler.runner import Job, JobContext, Scheduler, configure
from suqiu_queue.server.settings import Settings
from suqiu_queue.server.supervision.lock import single_runner
from suqiu_queue.server.supervision.models import JobLease

PHQ9_CRISIS = [0, 0, 0, 0, 0, 0, 0, 0, 1]
# Real servers: escalate after about a second, look every second; the other jobs keep their pace.
FAST = {
    "SUQIU_SCHEDULER": "1",
    "SUQIU_CRISIS_ESCALATION_MINUTES": "0.02",
    "SUQIU_SCHEDULER_JOBS": "crisis_escalation=1",
}


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.runs: list[JobContext] = []
        self.fail = fail

    def __call__(self, context: JobContext) -> str:
        self.runs.append(context)
        if self.fail:
            raise RuntimeError("the job broke")
        return "done"


def scheduler(engine: Any, sessions: Any, clock: FakeClock, holder: str, job: Job) -> Scheduler:
    return Scheduler([job], engine=engine, sessions=sessions, settings=Settings(), clock=clock, holder=holder)


def test_a_job_runs_once_per_interval_whichever_process_looks(migrated_engine, sessions, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    job = Job("probe", 30.0, Recorder())
    first = scheduler(migrated_engine, sessions, clock, "host-a:1", job)
    second = scheduler(migrated_engine, sessions, clock, "host-b:2", job)

    assert first.run_if_due(job) is True
    assert second.run_if_due(job) is False  # the slot for this interval is taken
    assert first.run_if_due(job) is False
    clock.advance(seconds=29)
    assert second.run_if_due(job) is False
    clock.advance(seconds=1)
    assert second.run_if_due(job) is True
    assert first.run_if_due(job) is False
    assert [c.holder for c in job.run.runs] == ["host-a:1", "host-b:2"]  # type: ignore[attr-defined]
    with sessions() as session:
        slot = session.get(JobLease, "scheduler:probe:next")
        assert slot.holder == "host-b:2" and slot.expires_at == clock.now + timedelta(seconds=30)


def test_a_job_never_runs_twice_at_once_and_keeps_its_turn(migrated_engine, sessions, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    job = Job("probe", 30.0, Recorder())
    runner = scheduler(migrated_engine, sessions, clock, "host-a:1", job)
    with single_runner(migrated_engine, name="scheduler:probe", holder="host-b:2", now=clock.now) as mine:
        assert mine  # another process is running the job right now
        assert runner.run_if_due(job) is False
    assert job.run.runs == []  # type: ignore[attr-defined]
    assert runner.run_if_due(job) is True  # its turn was not used up by the failed attempt


def test_a_failing_job_waits_for_its_next_interval(migrated_engine, sessions, clock: FakeClock, caplog) -> None:  # type: ignore[no-untyped-def]
    job = Job("probe", 60.0, Recorder(fail=True))
    runner = scheduler(migrated_engine, sessions, clock, "host-a:1", job)
    assert runner.run_if_due(job) is True
    assert "scheduled job probe failed" in caplog.text
    assert runner.run_if_due(job) is False  # no tight retry loop
    clock.advance(minutes=1)
    assert runner.run_if_due(job) is True
    assert len(job.run.runs) == 2  # type: ignore[attr-defined]


def test_the_crisis_escalation_job_escalates_with_the_configured_minutes(
    api, world: World, sessions, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    reply = api.post(
        "/api/v1/assessments",
        json={"scale": "phq9", "points": PHQ9_CRISIS},
        headers={"X-Device-Key": world.device_keys["kiosk"]},
    )
    assert reply.json()["crisis"] is True
    [escalation] = [j for j in JOBS if j.name == "crisis_escalation"]
    settings = Settings(crisis_escalation_minutes=10)
    runner = Scheduler([escalation], engine=sessions.kw["bind"], sessions=sessions, settings=settings, clock=clock)
    clock.advance(minutes=9)
    assert runner.run_if_due(escalation) is True
    with sessions() as session:
        assert session.scalars(select(CrisisAlert)).one().escalated_at is None
    clock.advance(minutes=1)
    assert runner.run_if_due(escalation) is True
    with sessions() as session:
        assert session.scalars(select(CrisisAlert)).one().escalated_at == clock.now


def test_threads_run_the_jobs_and_stop_cleanly(migrated_engine, sessions) -> None:  # type: ignore[no-untyped-def]
    from suqiu_queue.server.db import utcnow

    job = Job("probe", 0.05, Recorder())
    runner = Scheduler([job], engine=migrated_engine, sessions=sessions, settings=Settings(), clock=utcnow)
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while len(job.run.runs) < 2 and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.02)
        assert len(job.run.runs) >= 2 and runner.running  # type: ignore[attr-defined]
    finally:
        runner.stop()
    assert not runner.running


def test_job_intervals_can_be_changed_or_turned_off() -> None:
    jobs = configure(JOBS, " crisis_escalation = 10 , faces_expiry=off")
    assert {j.name: j.every for j in jobs} == {"crisis_escalation": 10.0, "supervision": 60.0}
    assert {j.name: j.every for j in configure(JOBS, "")} == {
        "crisis_escalation": 30.0,
        "supervision": 60.0,
        "faces_expiry": 86400.0,
    }
    with pytest.raises(ValueError, match="unknown job"):
        configure(JOBS, "escalation=10")
    with pytest.raises(ValueError, match="seconds above 0"):
        configure(JOBS, "supervision=0")


def test_settings_read_the_scheduler_switch_and_the_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUQIU_SCHEDULER", raising=False)
    monkeypatch.delenv("SUQIU_CRISIS_ESCALATION_MINUTES", raising=False)
    assert Settings.load().scheduler is True and Settings.load().crisis_escalation_minutes == 5.0
    monkeypatch.setenv("SUQIU_SCHEDULER", "off")
    monkeypatch.setenv("SUQIU_CRISIS_ESCALATION_MINUTES", "2.5")
    loaded = Settings.load()
    assert loaded.scheduler is False and loaded.crisis_escalation_minutes == 2.5
    monkeypatch.setenv("SUQIU_SCHEDULER", "perhaps")
    with pytest.raises(ValueError):
        Settings.load()


# --- real server processes ------------------------------------------------------------------------------------


def seeded(url: str) -> World:
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session, session.begin():
        world = seed_world(session)
    engine.dispose()
    return world


def events(base_url: str, token: str) -> Iterator[dict[str, Any]]:
    """The caller's live event stream, one event at a time (the read timeout bounds each wait)."""
    response = requests.get(
        f"{base_url}/api/v1/events", params={"center": "T1", "access_token": token}, stream=True, timeout=15
    )
    assert response.status_code == 200, response.text
    try:
        for line in response.iter_lines(decode_unicode=True):
            if line.startswith("data: "):
                yield json.loads(line[len("data: ") :])
            elif line.startswith("retry:"):
                yield {"kind": "_subscribed"}
    finally:
        response.close()


def first(
    stream: Iterator[dict[str, Any]], wanted: Callable[[dict[str, Any]], bool], limit: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    for event in stream:
        if wanted(event):
            return event
        assert time.monotonic() < deadline, "the event did not come"
    raise AssertionError("the stream ended")


def raise_crisis(base_url: str, world: World) -> None:
    reply = requests.post(
        f"{base_url}/api/v1/assessments",
        json={"scale": "phq9", "points": PHQ9_CRISIS},
        headers={"X-Device-Key": world.device_keys["kiosk"]},
        timeout=10,
    )
    assert reply.status_code == 201 and reply.json()["crisis"] is True


@pytest.mark.slow
def test_an_unacknowledged_alert_reaches_the_supervisor_from_the_server_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'suqiu.db'}"
    world = seeded(url)
    server = ServerProcess(url, env={**FAST, "SUQIU_DATA_DIR": str(tmp_path / "data")}).start()
    try:
        stream = events(server.url, login(server.url, world.usernames["supervisor"]))
        first(stream, lambda e: e["kind"] == "_subscribed")
        raise_crisis(server.url, world)
        escalated = first(stream, lambda e: e["kind"] == "crisis.escalated")
        assert escalated["payload"]["center"] == "T1" and escalated["payload"]["waited_minutes"] == 0
        stream.close()
    finally:
        server.stop()
    # Stopped by SIGTERM within the wait (uvicorn exits by re-raising it), not killed; the job threads
    # ended with the lifespan (the scheduler warns about any still running).
    assert server.proc is not None and server.proc.returncode in (0, -15), server.log()
    assert "Traceback" not in server.log() and "still running at shutdown" not in server.log()

    from suqiu_queue.server.db import make_engine, make_sessionmaker

    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        slots = {s.name for s in session.scalars(select(JobLease)).all()}
    engine.dispose()
    # All three jobs ran in the server at start-up (the supervision pass and the face expiry too).
    assert {"scheduler:crisis_escalation:next", "scheduler:supervision:next", "scheduler:faces_expiry:next"} <= slots


@pytest.mark.slow
def test_two_replicas_on_postgresql_escalate_an_alert_exactly_once() -> None:
    if not pg_available():
        pytest.skip("PostgreSQL is not available")
    from suqiu_queue.server.db import make_engine, make_sessionmaker

    with fresh_pg_database() as url:
        world = seeded(url)
        replicas = [ServerProcess(url, env=FAST).start()]
        try:
            replicas.append(ServerProcess(url, env=FAST).start())
            stream = events(replicas[0].url, login(replicas[0].url, world.usernames["supervisor"]))
            first(stream, lambda e: e["kind"] == "_subscribed")
            raise_crisis(replicas[1].url, world)
            first(stream, lambda e: e["kind"] == "crisis.escalated")

            # Both replicas keep looking: wait until each has run the escalation job after that, then count.
            engine = make_engine(url)
            sessions = make_sessionmaker(engine)
            holders: set[str] = set()
            deadline = time.monotonic() + 60
            while len(holders) < 2 and time.monotonic() < deadline:
                with sessions() as session:
                    holders.add(session.get(JobLease, "scheduler:crisis_escalation:next").holder)
                time.sleep(0.2)
            with sessions() as session:
                escalations = session.scalar(
                    select(func.count()).select_from(Event).where(Event.kind == "crisis.escalated")
                )
                alert = session.scalars(select(CrisisAlert)).one()
            engine.dispose()
            assert len(holders) == 2, holders
            assert escalations == 1 and alert.escalated_at is not None
        finally:
            for replica in replicas:
                replica.stop()
