"""Crisis alerts and the counselor view against a real server process (one per module).

Two counselors (two desks), a reception officer and a supervisor log in through ``SuqiuClient``;
the kiosk hands in assessments through its device key. Each desk reads the real event stream on
its own thread and forwards every event to ``CrisisAlertPanel.on_event``, as the front desk does.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import PASSWORD, ServerProcess, World

from suqiu_queue.client import Event, SuqiuClient


@pytest.fixture(scope="module")
def crisis_server(
    tmp_path_factory: pytest.TempPathFactory, seeded_copy: Callable[[Path], tuple[str, World]]
) -> Iterator[tuple[ServerProcess, World]]:
    from argon2 import PasswordHasher

    from suqiu_queue.server import security
    from suqiu_queue.server.accounts.service import create_user
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.org.models import Center

    url, world = seeded_copy(tmp_path_factory.mktemp("crisis"))
    engine = make_engine(url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        with make_sessionmaker(engine)() as session, session.begin():
            center = session.query(Center).filter_by(code=world.center).one()
            create_user(
                session,
                username="counselor2",
                password=PASSWORD,
                role="counselor",
                display_name="counselor2",
                center=center,
                actor="test",
            )
    engine.dispose()
    with ServerProcess(url) as server:
        yield server, world


@pytest.fixture
def kiosk(crisis_server: tuple[ServerProcess, World]) -> Iterator[SuqiuClient]:
    server, world = crisis_server
    client = SuqiuClient(server.url, device_key=world.device_keys["kiosk"])
    yield client
    client.close()


class Desk:
    """One officer's desk: a logged-in client and the event stream read on its own thread."""

    def __init__(self, base_url: str, username: str) -> None:
        self.client = SuqiuClient(base_url)
        self.login = self.client.login(username, PASSWORD)
        self.events: list[Event] = []
        self.listeners: list[Callable[[Event], None]] = []
        self._stream_client = SuqiuClient(base_url, token=self.client.token)
        self.stream = self._stream_client.events(center="T1")
        self.thread = threading.Thread(target=self._read, name=f"events-{username}", daemon=True)
        self.thread.start()
        if not self.stream.connected.wait(10):
            raise RuntimeError(f"{username}: event stream did not connect")

    def _read(self) -> None:
        for event in self.stream:
            self.events.append(event)
            for listener in list(self.listeners):
                listener(event)  # on this thread, as the front desk's event thread would

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    def close(self) -> None:
        self.stream.stop()
        self.thread.join(5)
        self._stream_client.close()
        self.client.close()


@pytest.fixture
def desk(crisis_server: tuple[ServerProcess, World]) -> Iterator[Callable[[str], Desk]]:
    server, _world = crisis_server
    desks: list[Desk] = []

    def make(username: str) -> Desk:
        d = Desk(server.url, username)
        desks.append(d)
        return d

    yield make
    for d in desks:
        d.close()


@pytest.fixture
def crisis_points() -> list[int]:
    """PHQ-9 with a total of 1: the lowest band, and item 9 answered 好几天 — a crisis."""
    return [0, 0, 0, 0, 0, 0, 0, 0, 1]


@pytest.fixture
def all_text() -> Callable[..., str]:
    return _all_text


def _all_text(*widgets: Any) -> str:
    """Every label and button text inside the widgets, shown or not."""
    from PySide6.QtWidgets import QLabel, QPushButton

    return "\n".join(c.text() for w in widgets for c in [*w.findChildren(QLabel), *w.findChildren(QPushButton)])
