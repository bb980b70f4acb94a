"""Real server processes on a fresh, migrated and seeded PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import require_pg
from support import World, fresh_pg_database, seed_world


@pytest.fixture(scope="module")
def seeded_pg() -> Iterator[tuple[str, World]]:
    require_pg()
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade

    with fresh_pg_database() as url:
        engine = make_engine(url)
        upgrade(engine)
        with make_sessionmaker(engine)() as session, session.begin():
            world = seed_world(session)
        engine.dispose()
        yield url, world
