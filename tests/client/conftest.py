"""A real server process on a seeded SQLite file, shared by the client tests in this folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import ServerProcess, World


@pytest.fixture(scope="module")
def seeded_sqlite(
    tmp_path_factory: pytest.TempPathFactory, seeded_copy: Callable[[Path], tuple[str, World]]
) -> tuple[str, World]:
    return seeded_copy(tmp_path_factory.mktemp("client"))


@pytest.fixture(scope="module")
def live(seeded_sqlite: tuple[str, World]) -> Iterator[tuple[ServerProcess, World]]:
    url, world = seeded_sqlite
    with ServerProcess(url) as server:
        yield server, world
