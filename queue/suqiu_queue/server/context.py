"""What an endpoint needs: a transaction, the clock, the settings, the caller."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .settings import Settings


@dataclass
class Ctx:
    sessions: sessionmaker[Session]
    settings: Settings
    clock: Callable[[], datetime]
    request: Request

    @contextlib.contextmanager
    def tx(self) -> Iterator[Session]:
        """One transaction; events and audit rows written inside it commit with the change."""
        with self.sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def statements(self) -> Iterator[Session]:
        """For work whose every statement is atomic on its own (ticket issue on PostgreSQL): no
        BEGIN/COMMIT round trips. SQLite keeps its transaction (BEGIN IMMEDIATE queues writers)."""
        engine = self.sessions.kw["bind"]
        if engine.dialect.name != "postgresql":
            with self.tx() as session:
                yield session
            return
        with self.sessions(bind=_autocommit(engine)) as session:
            yield session

    def read(self) -> Session:
        return self.sessions()

    def now(self) -> datetime:
        return self.clock()


@functools.cache
def _autocommit(engine: Engine) -> Engine:
    # One shallow copy per engine (it shares the pool): built once, not per request.
    return engine.execution_options(isolation_level="AUTOCOMMIT")


async def get_ctx(request: Request) -> Ctx:
    # A coroutine so FastAPI does not send it to the thread pool (a hop per request for nothing).
    state = request.app.state
    return Ctx(state.sessions, state.settings, state.clock, request)
