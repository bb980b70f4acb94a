"""Real server processes on a fresh, migrated and seeded PostgreSQL database (one per module)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support import World, seed_world


@pytest.fixture(scope="module")
def seeded_pg(databases: Any) -> Iterator[tuple[str, World]]:
    """A database of the module's own: a copy of the session's migrated template, then seeded."""
    from argon2 import PasswordHasher

    from suqiu_queue.server import security
    from suqiu_queue.server.db import make_engine, make_sessionmaker

    pg = databases.pg  # skips loudly (or fails in CI) without PostgreSQL
    name = pg.copy_of_template()
    try:
        url = pg.url(name)
        engine = make_engine(url)
        with pytest.MonkeyPatch.context() as patch:
            # Module-scoped, so the suite's cheap-argon2 fixture does not reach here.
            patch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
            with make_sessionmaker(engine)() as session, session.begin():
                world = seed_world(session)
        engine.dispose()
        yield url, world
    finally:
        pg.drop(name)
