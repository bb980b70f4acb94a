"""A real server process on a seeded SQLite file, shared by the client tests in this folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import ServerProcess, World, seed_world


@pytest.fixture(scope="module")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, World]:
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('client') / 'suqiu.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session, session.begin():
        world = seed_world(session)
    engine.dispose()
    return url, world


@pytest.fixture(scope="module")
def live(seeded_sqlite: tuple[str, World]) -> Iterator[tuple[ServerProcess, World]]:
    url, world = seeded_sqlite
    with ServerProcess(url) as server:
        yield server, world
