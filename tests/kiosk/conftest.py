"""Kiosk tests: a real server process on a seeded SQLite file, the real kiosk window offscreen,
and the device fakes (printer keeps its ESC/POS bytes; speaker writes down what it said)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import functools
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from support import ServerProcess, World, login

SeededCopy = Callable[[Path], tuple[str, World]]


@pytest.fixture
def own_world(tmp_path: Path, seeded_copy: SeededCopy) -> tuple[str, World]:
    """A database of its own, for a test that stops and restarts its server."""
    return seeded_copy(tmp_path)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, seeded_copy: SeededCopy) -> Iterator[tuple[ServerProcess, World]]:
    """A server of the module's own on a freshly seeded database (a copy of the session's file).

    Not shared between modules: every kiosk window leases offline numbers under the same device
    key, so on a shared server the modules would move each other's ticket numbers and spend each
    other's daily lease limit."""
    url, world = seeded_copy(tmp_path_factory.mktemp("kiosk-server"))
    with ServerProcess(url) as server:
        yield server, world


@pytest.fixture
def quiet_microphone(tmp_path: Path) -> Any:
    """The fake microphone in a quiet room: the describe screen shows its voice button."""
    from suqiu_devices.microphone import microphone_factory, pcm

    wav = tmp_path / "quiet-room.wav"
    wav.write_bytes(pcm.wav_bytes(bytes(16_000 * 2)))
    return microphone_factory("fake", wav=[str(wav)])


@pytest.fixture
def make_kiosk(qtbot: Any, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Build a started kiosk window: make_kiosk(server_url, key, printer=..., **config).

    ``open_microphone``, ``recognizer`` and ``face`` go to the window (voice input, face login)."""
    from suqiu_devices.registry import build
    from suqiu_kiosk.app import build_service
    from suqiu_kiosk.config import KioskConfig
    from suqiu_kiosk.window import KioskWindow

    windows: list[Any] = []

    def make(
        server_url: str,
        device_key: str,
        *,
        printer: Any = None,
        speaker: Any = None,
        size: tuple[int, int] = (1080, 1920),
        listen_events: bool = False,
        data_dir: Path | None = None,
        open_microphone: Any = None,
        recognizer: Any = None,
        face: Any = None,
        **options: Any,
    ) -> Any:
        config = KioskConfig(
            server=server_url,
            device_key=device_key,
            data_dir=data_dir or tmp_path / f"kiosk{len(windows)}",
            idle_seconds=options.pop("idle_seconds", 600),
            sync_interval_seconds=options.pop("sync_interval_seconds", 600),
            print_timeout_seconds=options.pop("print_timeout_seconds", 10),
            http_timeout=(1.0, 5.0),
            **options,
        )
        window = KioskWindow(
            config,
            build_service(config),
            printer=printer if printer is not None else build("printer", "fake"),
            speaker=speaker,
            listen_events=listen_events,
            open_microphone=open_microphone,
            recognizer=recognizer,
            face=face,
        )
        qtbot.addWidget(window)
        window.resize(*size)
        window.show()
        window.start()
        qtbot.waitUntil(lambda: window.ready and window.last_sync is not None, timeout=20_000)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.shutdown()
        window.service.store.close()


# --- taps, typing and server-side checks (the ``ui`` fixture) -------------------------------------


def tap(qtbot: Any, button: QPushButton) -> None:
    assert button.isVisible() and button.isEnabled(), f"cannot tap {button.text()!r}"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_pinyin(qtbot: Any, keyboard: Any, letters: str, word: str) -> None:
    """Tap the letters on the on-screen keyboard, then the candidate ``word`` (turning pages if needed)."""
    for letter in letters:
        tap(qtbot, keyboard.key(letter))
    for _page in range(10):
        for candidate in keyboard.candidate_buttons():
            if candidate.text() == word:
                tap(qtbot, candidate)
                return
        tap(qtbot, keyboard.next_button)
    raise AssertionError(f"{word} not offered for {letters}")


def officer(server_url: str, username: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {login(server_url, username)}"
    return session


def queue_tickets(server_url: str, world: Any) -> list[dict[str, Any]]:
    response = officer(server_url, world.usernames["reception"]).get(
        f"{server_url}/api/v1/centers/{world.center}/queue", timeout=10
    )
    response.raise_for_status()
    return list(response.json()["tickets"])


def ticket(server_url: str, world: Any, ticket_id: int) -> dict[str, Any]:
    response = officer(server_url, world.usernames["reception"]).get(
        f"{server_url}/api/v1/tickets/{ticket_id}", timeout=10
    )
    response.raise_for_status()
    return dict(response.json())


def go_to_describe(qtbot: Any, window: Any, category: str) -> None:
    tap(qtbot, window.welcome.tile(category))
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    tap(qtbot, window.screens["identify"].skip_button)
    qtbot.waitUntil(lambda: window.flow.step == "describe")


def to_ticket(qtbot: Any, window: Any, category: str) -> None:
    """Skip everything optional and take a ticket (through the FAQ if the category has answers)."""
    go_to_describe(qtbot, window, category)
    tap(qtbot, window.screens["describe"].skip_button)
    qtbot.waitUntil(lambda: window.flow.step in ("faq", "ticket"), timeout=10_000)
    if window.flow.step == "faq":
        tap(qtbot, window.screens["faq"].need_person_button)
    qtbot.waitUntil(lambda: window.flow.step == "ticket", timeout=10_000)


@pytest.fixture
def ui(qtbot: Any) -> types.SimpleNamespace:
    """The helpers above, bound to this test's qtbot: ui.tap(button), ui.type_pinyin(...), ..."""
    return types.SimpleNamespace(
        tap=functools.partial(tap, qtbot),
        type_pinyin=functools.partial(type_pinyin, qtbot),
        go_to_describe=functools.partial(go_to_describe, qtbot),
        to_ticket=functools.partial(to_ticket, qtbot),
        officer=officer,
        queue_tickets=queue_tickets,
        ticket=ticket,
    )
