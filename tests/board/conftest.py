"""Fixtures for the board in real headless Chromium against a real ``suqiu server`` process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from board.pages import BoardWorld, BrowserMissing, chromium, open_cases
from support import ServerProcess, World


@pytest.fixture(scope="module")
def playwright_browser() -> Iterator[Any]:
    try:
        with chromium() as browser:
            yield browser
    except BrowserMissing as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def board_world(
    tmp_path_factory: pytest.TempPathFactory, seeded_copy: Callable[[Path], tuple[str, World]]
) -> BoardWorld:
    url, world = seeded_copy(tmp_path_factory.mktemp("board"))
    return BoardWorld(url, world)


@pytest.fixture(scope="module")
def board_server(board_world: BoardWorld) -> Iterator[ServerProcess]:
    with ServerProcess(board_world.url) as server:
        board_world.cases = open_cases(server.url)
        yield server
