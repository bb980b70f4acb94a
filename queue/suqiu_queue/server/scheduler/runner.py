"""Run jobs at intervals, once across every server process.

Two guards, both in the database every replica shares:

* the **single-runner lock** (``supervision.lock.single_runner``: a PostgreSQL advisory lock, a
  lease row on SQLite): never two runs of one job at the same time, however long a run takes;
* the **slot**: a ``job_leases`` row ``scheduler:<job>:next`` holding when the job is next due,
  taken inside the lock. Whoever finds the job due moves the slot on by one interval and runs it;
  the others find it not due. So four workers on three replicas run a 30-second job about every
  30 seconds, not twelve times.

Each process only *looks* every few seconds (a cheap read of the slot), with a little jitter so
replicas started together do not keep colliding. Each job has its own thread: a slow supervision
pass (it sends e-mail and webhooks) must not hold up a crisis escalation.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ..settings import Settings
from ..supervision.lock import single_runner
from ..supervision.models import JobLease

log = logging.getLogger("suqiu.scheduler")

# How often each process looks whether a job is due (at most; a shorter interval looks more often).
LOOK_SECONDS = 5.0
STOP_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class JobContext:
    """What a job gets: the database, the settings, the time of this run, and who runs it."""

    engine: Engine
    sessions: sessionmaker[Session]
    settings: Settings
    now: datetime
    holder: str


@dataclass(frozen=True)
class Job:
    name: str
    every: float  # seconds between runs, across all processes
    run: Callable[[JobContext], object]  # returns a short summary for the log


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def configure(jobs: Iterable[Job], overrides: str) -> list[Job]:
    """Apply ``SUQIU_SCHEDULER_JOBS``: ``"crisis_escalation=30,faces_expiry=off"`` (seconds, or off)."""
    by_name = {job.name: job for job in jobs}
    for part in (p.strip() for p in overrides.split(",")):
        if not part:
            continue
        name, _, value = part.partition("=")
        name, value = name.strip(), value.strip().lower()
        if name not in by_name:
            raise ValueError(f"SUQIU_SCHEDULER_JOBS: unknown job {name!r} (jobs: {', '.join(sorted(by_name))})")
        if value == "off":
            del by_name[name]
            continue
        try:
            every = float(value)
        except ValueError:
            every = 0.0
        if every <= 0:
            raise ValueError(f"SUQIU_SCHEDULER_JOBS: {name} needs seconds above 0 or off, not {value!r}")
        by_name[name] = replace(by_name[name], every=every)
    return list(by_name.values())


def _slot_name(job: Job) -> str:
    return f"scheduler:{job.name}:next"


class Scheduler:
    def __init__(
        self,
        jobs: Sequence[Job],
        *,
        engine: Engine,
        sessions: sessionmaker[Session],
        settings: Settings,
        clock: Callable[[], datetime],
        holder: str | None = None,
    ) -> None:
        self.jobs = list(jobs)
        self.engine = engine
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self.holder = holder or default_holder()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- one look --------------------------------------------------------------------------------

    def _due(self, job: Job, now: datetime) -> bool:
        with self.sessions() as session:
            slot = session.get(JobLease, _slot_name(job))
            return slot is None or slot.expires_at <= now

    def _take_slot(self, job: Job, now: datetime) -> bool:
        """Inside the lock: still due? Then the next run is one interval from now, and this one is ours."""
        with self.sessions() as session, session.begin():
            slot = session.get(JobLease, _slot_name(job))
            if slot is not None and slot.expires_at > now:
                return False  # another process ran it since we looked
            if slot is None:
                slot = JobLease(name=_slot_name(job))
                session.add(slot)
            slot.holder = self.holder
            slot.expires_at = now + timedelta(seconds=job.every)
            return True

    def run_if_due(self, job: Job) -> bool:
        """Run ``job`` now if it is due and no other process runs it; True if it ran here."""
        now = self.clock()
        if not self._due(job, now):
            return False
        with single_runner(self.engine, name=f"scheduler:{job.name}", holder=self.holder, now=now) as mine:
            if not mine or not self._take_slot(job, now):
                return False
            context = JobContext(self.engine, self.sessions, self.settings, now, self.holder)
            try:
                summary = job.run(context)
            except Exception:
                # The slot has moved on: the job is tried again at its next interval, not in a tight loop.
                log.exception("scheduled job %s failed", job.name)
                return True
            log.info("scheduled job %s: %s", job.name, summary)
            return True

    # --- the threads -----------------------------------------------------------------------------

    def _loop(self, job: Job) -> None:
        look = min(job.every, LOOK_SECONDS)
        while not self._stop.is_set():
            try:
                self.run_if_due(job)
            except Exception:  # e.g. the database restarting: look again later
                log.exception("scheduler could not check job %s", job.name)
            self._stop.wait(look * random.uniform(0.8, 1.2))

    def start(self) -> None:
        if self._threads:
            return
        for job in self.jobs:
            thread = threading.Thread(target=self._loop, args=(job,), name=f"suqiu-job-{job.name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info(
            "scheduler started (%s) as %s", ", ".join(f"{j.name} every {j.every:g}s" for j in self.jobs), self.holder
        )

    def stop(self, timeout: float = STOP_WAIT_SECONDS) -> None:
        """Ask every thread to stop and wait for a run in progress to finish (up to ``timeout``)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                log.warning("scheduled job thread %s still running at shutdown", thread.name)
        self._threads.clear()
        log.info("scheduler stopped")

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)


def from_app_state(state: Any, jobs: Sequence[Job]) -> Scheduler:
    """A scheduler on the app's engine, session factory (events reach local subscribers), settings, clock."""
    settings: Settings = state.settings
    return Scheduler(
        configure(jobs, settings.scheduler_jobs),
        engine=state.engine,
        sessions=state.sessions,
        settings=settings,
        clock=state.clock,
    )
