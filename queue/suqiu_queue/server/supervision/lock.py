"""Only one runner at a time, however many servers or timers start the jobs.

PostgreSQL: a session-level ``pg_try_advisory_lock`` on a dedicated connection — released when the
job ends or, if the process dies, when its connection closes. SQLite (one machine): a lease row
in ``job_leases``, taken under SQLite's write lock and expiring after ``ttl`` so a crashed runner
cannot block the jobs for ever.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from .models import JobLease

DEFAULT_TTL = timedelta(minutes=10)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (PostgreSQL advisory locks take a bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def single_runner(
    engine: Engine, *, name: str, holder: str, now: datetime, ttl: timedelta = DEFAULT_TTL
) -> Iterator[bool]:
    """``with single_runner(...) as mine:`` — ``mine`` is False when another runner holds the lock."""
    if engine.dialect.name == "postgresql":
        key = advisory_key(name)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            mine = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            try:
                yield mine
            finally:
                if mine:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        return
    mine = _take_lease(engine, name, holder, now, ttl)
    try:
        yield mine
    finally:
        if mine:
            _release_lease(engine, name, holder, now)


def _take_lease(engine: Engine, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    with Session(engine) as session, session.begin():  # BEGIN IMMEDIATE: one writer decides
        lease = session.get(JobLease, name)
        if lease is None:
            session.add(JobLease(name=name, holder=holder, expires_at=now + ttl))
            return True
        if lease.holder == holder or lease.expires_at <= now:
            lease.holder = holder
            lease.expires_at = now + ttl
            return True
        return False


def _release_lease(engine: Engine, name: str, holder: str, now: datetime) -> None:
    with Session(engine) as session, session.begin():
        lease = session.get(JobLease, name)
        if lease is not None and lease.holder == holder:
            lease.expires_at = now
