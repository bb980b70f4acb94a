"""Fixtures shared by the whole suite. See tests/support for the helpers behind them."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker
from support import FakeClock, World, fresh_pg_database, pg_available, seed_world

_PG_OK: bool | None = None


def _pg_ok() -> bool:
    global _PG_OK
    if _PG_OK is None:
        _PG_OK = pg_available()
    return _PG_OK


def require_pg() -> None:
    """Skip loudly without PostgreSQL; in CI (SUQIU_REQUIRE_PG=1) fail instead."""
    if _pg_ok():
        return
    message = "PostgreSQL is not available (set SUQIU_TEST_PG_URL or start it): PostgreSQL tests SKIPPED"
    if os.environ.get("SUQIU_REQUIRE_PG") == "1":
        pytest.fail(message)
    pytest.skip(message)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    if _PG_OK is False:
        terminalreporter.write_sep("!", "PostgreSQL was NOT available: its tests were skipped", red=True, bold=True)


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    require_pg()
    with fresh_pg_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Each test using it runs twice: on SQLite and on the real PostgreSQL (fresh database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'suqiu.db'}"
    else:
        require_pg()
        with fresh_pg_database() as url:
            yield url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def migrated_engine(db_url: str):  # type: ignore[no-untyped-def]
    from suqiu_queue.server.db import make_engine
    from suqiu_queue.server.migrate import upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(migrated_engine) -> sessionmaker[Session]:  # type: ignore[no-untyped-def]
    from suqiu_queue.server.db import make_sessionmaker

    return make_sessionmaker(migrated_engine)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    with sessions() as session, session.begin():
        return seed_world(session)


@pytest.fixture
def api(migrated_engine, world: World, clock: FakeClock, tmp_path):  # type: ignore[no-untyped-def]
    """An in-process TestClient on the migrated, seeded database, with a settable clock."""
    from fastapi.testclient import TestClient

    from suqiu_queue.server.app import create_app
    from suqiu_queue.server.settings import Settings

    settings = Settings.load(database_url=migrated_engine.url.render_as_string(hide_password=False), data_dir=tmp_path)
    app = create_app(settings, engine=migrated_engine, clock=clock)
    with TestClient(app) as client:
        yield client
