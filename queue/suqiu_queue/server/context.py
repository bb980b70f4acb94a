"""What an endpoint needs: a transaction, the clock, the settings, the caller."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
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

    def read(self) -> Session:
        return self.sessions()

    def now(self) -> datetime:
        return self.clock()


def get_ctx(request: Request) -> Ctx:
    state = request.app.state
    return Ctx(state.sessions, state.settings, state.clock, request)
