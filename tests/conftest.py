"""Fixtures shared by the whole suite. See tests/support for the helpers behind them."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from support import PG_BASE_URL, FakeClock, World, fresh_pg_database, pg_available, seed_world

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


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Still argon2id, with the cheapest parameters: seeding one officer per role and logging in
    would otherwise cost ~0.2 s per password, per test and per database."""
    from argon2 import PasswordHasher

    from suqiu_queue.server import security

    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class MigratedTemplates:
    """One database per backend, migrated once per test session. Each test's database starts as a
    copy of it (a file copy for SQLite, CREATE DATABASE … TEMPLATE for PostgreSQL): much cheaper
    than running every migration again for every test, and the result is the same schema."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pg_template: str | None = None
        self.sqlite_template: Path | None = None

    def copy_into(self, db_url: str) -> None:
        import shutil

        from sqlalchemy.engine import make_url

        url = make_url(db_url)
        if url.get_backend_name() == "sqlite":
            if self.sqlite_template is None:
                self.sqlite_template = self.folder / "template.db"
                self._migrate(f"sqlite:///{self.sqlite_template}")
            shutil.copyfile(self.sqlite_template, str(url.database))
            return
        admin = self._pg_admin()
        try:
            if self.pg_template is None:
                name = f"suqiu_tmpl_{os.getpid()}_{secrets.token_hex(4)}"
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                self._migrate(url.set(database=name).render_as_string(hide_password=False))
                self.pg_template = name
            with admin.connect() as conn:  # the test's database is empty: replace it by a copy
                conn.execute(text(f'DROP DATABASE "{url.database}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{url.database}" TEMPLATE "{self.pg_template}"'))
        finally:
            admin.dispose()

    def drop(self) -> None:
        if self.pg_template is not None:
            admin = self._pg_admin()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_template}" WITH (FORCE)'))
            admin.dispose()

    @staticmethod
    def _migrate(url: str) -> None:
        from suqiu_queue.server.db import make_engine
        from suqiu_queue.server.migrate import upgrade

        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()  # no connection may stay open on a PostgreSQL template

    @staticmethod
    def _pg_admin():  # type: ignore[no-untyped-def]
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        return create_engine(
            make_url(PG_BASE_URL).set(drivername="postgresql+psycopg").render_as_string(hide_password=False),
            isolation_level="AUTOCOMMIT",
        )


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("templates"))
    yield templates
    templates.drop()


@pytest.fixture
def migrated_engine(db_url: str, migrated_templates: MigratedTemplates):  # type: ignore[no-untyped-def]
    from suqiu_queue.server.db import make_engine
    from suqiu_queue.server.migrate import upgrade

    migrated_templates.copy_into(db_url)
    engine = make_engine(db_url)
    upgrade(engine)  # a no-op on the copy; the fixture's promise does not rest on the copy alone
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
