"""The front desk against a real server process on a seeded SQLite file (one per module).

Tests share the server, so an autouse fixture empties the queue and resumes every counter
before each test; each test then builds its own front desk (window, event stream, strip).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import PASSWORD, ServerProcess, World

from suqiu_queue.client import SuqiuClient


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, seeded_copy: Callable[[Path], tuple[str, World]]
) -> Iterator[tuple[ServerProcess, World]]:
    url, world = seeded_copy(tmp_path_factory.mktemp("frontdesk"))  # a copy of the session's seeded file
    with ServerProcess(url) as server:
        yield server, world


@pytest.fixture
def officer(live: tuple[ServerProcess, World]) -> Iterator[SuqiuClient]:
    """A second officer (the supervisor) acting through the API, as another PC would."""
    server, _world = live
    client = SuqiuClient(server.url)
    client.login("supervisor1", PASSWORD)
    yield client
    client.close()


@pytest.fixture
def kiosk(live: tuple[ServerProcess, World]) -> Iterator[SuqiuClient]:
    server, world = live
    client = SuqiuClient(server.url, device_key=world.device_keys["kiosk"])
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _empty_queue(request: pytest.FixtureRequest) -> None:
    if "live" not in request.fixturenames:
        return
    server, world = request.getfixturevalue("live")
    admin = SuqiuClient(server.url)
    admin.login("admin1", PASSWORD)
    try:
        for row in admin.queue("T1")["tickets"]:
            if row["state"] in ("waiting", "called", "parked"):
                admin.cancel(row["id"])
            elif row["state"] == "serving":
                admin.done(row["id"])
        for counter_id in world.counters.values():
            admin.pause_counter(counter_id, False)
    finally:
        admin.close()


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "frontdesk.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def strip_text() -> Callable[[object], str]:
    """What the counter's (fake) LED strip shows now, as its controller decoded the frames."""
    return lambda strip: str(strip.text)  # type: ignore[attr-defined]


@pytest.fixture
def make_desk(qtbot, live: tuple[ServerProcess, World]) -> Iterator[Callable[..., object]]:  # type: ignore[no-untyped-def]
    """Build a logged-in front desk at a counter, started against the live server."""
    from suqiu_frontdesk.app import FrontDesk
    from suqiu_frontdesk.counter_display import build_display
    from suqiu_frontdesk.login import build_session, fetch_login
    from suqiu_frontdesk.workers import Runner

    server, _world = live
    desks: list[FrontDesk] = []

    def make(counter: int = 1, username: str = "reception1", *, display: bool = True) -> FrontDesk:
        client = SuqiuClient(server.url)
        logged_in = fetch_login(client, username, PASSWORD)
        session = build_session(client, logged_in, logged_in.centers[0], counter)
        strip = build_display("fake", counter_number=counter) if display else None
        desk = FrontDesk(client, Runner(), session, display=strip)
        desk.strip = desk.display.driver if desk.display else None  # type: ignore[attr-defined]
        qtbot.addWidget(desk.window)
        desk.window.resize(1920, 1080)
        desk.window.show()
        desk.start()
        desks.append(desk)
        qtbot.waitUntil(lambda: desk.model.connected, timeout=10_000)
        return desk

    yield make
    for desk in desks:
        desk.shutdown()
        desk.client.close()
