"""Fixtures shared by the whole suite. See tests/support for the helpers behind them.

Which database a test runs on — the rule
-----------------------------------------
A test that uses ``db_url`` (directly or through ``migrated_engine``, ``sessions``, ``world`` or
``api``) runs twice, on SQLite and on the real PostgreSQL, when what it proves can depend on the
database: SQL semantics, migrations, transactions and concurrency, locking, constraints, JSON,
time zones and timestamps, counting and ordering queries, numbering, the audit chain, events
(LISTEN/NOTIFY). A test whose outcome cannot depend on the database — request validation and its
messages, argument handling, permission matrices, thresholds and other pure rules reached through
the API, rendering — runs on SQLite only:

    SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

Every API area keeps its main flows on both databases. When in doubt, run on both.

How the databases are made (cheaply)
------------------------------------
Migrations and the seeded world are built once per session (per xdist worker), then copied:
* SQLite: each test gets its own file, a copy of a migrated (or migrated and seeded) template.
* PostgreSQL: one migrated working database per session, reset before each test that asks for a
  migrated database: leftover connections ended, every row deleted, every sequence restarted, then
  the rows the migrations wrote (and, when the test uses ``world``, the seeded world's) written
  back. If a test changed the schema (e.g. it dropped a trigger), the working database is
  recreated from the migrated template instead. tests/server/test_database_reset.py checks that.
  Each test's URL carries its own ``application_name``, so per-process caches keyed by the database
  URL never carry one test's rows into the next.
* A test that asks for ``db_url`` alone gets an empty database (a new one on PostgreSQL).
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool
from support import PG_BASE_URL, FakeClock, World, fresh_pg_database, pg_available, seed_world

_PG_OK: bool | None = None
_PG_SKIPPED = "PostgreSQL tests SKIPPED"


def _pg_ok() -> bool:
    global _PG_OK
    if _PG_OK is None:
        _PG_OK = pg_available()
    return _PG_OK


def require_pg() -> None:
    """Skip loudly without PostgreSQL; in CI (SUQIU_REQUIRE_PG=1) fail instead."""
    if _pg_ok():
        return
    message = f"PostgreSQL is not available (set SUQIU_TEST_PG_URL or start it): {_PG_SKIPPED}"
    if os.environ.get("SUQIU_REQUIRE_PG") == "1":
        pytest.fail(message)
    pytest.skip(message)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    # Under xdist the skips happen in the workers: their reports carry the message here.
    skipped = any(_PG_SKIPPED in str(report.longrepr) for report in terminalreporter.stats.get("skipped", []))
    if _PG_OK is False or skipped:
        terminalreporter.write_sep("!", "PostgreSQL was NOT available: its tests were skipped", red=True, bold=True)


@contextlib.contextmanager
def cheap_password_hashing() -> Iterator[None]:
    """Still argon2id, with the cheapest parameters, for seeding outside a test (session fixtures)."""
    from argon2 import PasswordHasher

    from suqiu_queue.server import security

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@pytest.fixture(autouse=True)
def _cheap_argon2() -> Iterator[None]:
    """Still argon2id, with the cheapest parameters: seeding one officer per role and logging in
    would otherwise cost ~0.2 s per password, per test and per database."""
    with cheap_password_hashing():
        yield


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# --- the databases ---------------------------------------------------------------------------------

_PRESEEDED = pytest.StashKey[World]()


def _migrate(url: str) -> None:
    from suqiu_queue.server.db import make_engine
    from suqiu_queue.server.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()  # no connection may stay open on a PostgreSQL template


def _seed(url: str) -> World:
    from suqiu_queue.server.db import make_engine, make_sessionmaker

    engine = make_engine(url)
    with cheap_password_hashing(), make_sessionmaker(engine)() as session, session.begin():
        world = seed_world(session)
    engine.dispose()
    return world


def _psycopg(url: str) -> str:
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


# Everything about the schema that a test could change and TRUNCATE/DELETE would not undo.
_PG_SCHEMA_FINGERPRINT = """
SELECT md5(coalesce(string_agg(item, E'\\n' ORDER BY item), '')) FROM (
  SELECT format('rel %s.%s %s %s', n.nspname, c.relname, c.relkind, c.relrowsecurity) AS item
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_t%'
  UNION ALL
  SELECT format('col %s %s %s %s %s', a.attrelid::regclass, a.attname, format_type(a.atttypid, a.atttypmod),
                a.attnotnull, pg_get_expr(d.adbin, d.adrelid))
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT format('con %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL
  SELECT format('idx %s', pg_get_indexdef(i.indexrelid))
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL
  SELECT format('trg %s %s %s', tgrelid::regclass, tgenabled, pg_get_triggerdef(oid))
    FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL
  SELECT format('fn %s %s', p.oid::regprocedure, md5(p.prosrc))
    FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
  UNION ALL
  SELECT format('seq %s %s %s %s', schemaname, sequencename, start_value, increment_by) FROM pg_sequences
  UNION ALL
  SELECT format('rule %s %s', tablename, rulename) FROM pg_rules WHERE schemaname = 'public'
  UNION ALL
  SELECT format('policy %s %s', tablename, policyname) FROM pg_policies
  UNION ALL
  SELECT 'ext ' || extname FROM pg_extension
  UNION ALL
  SELECT 'setting ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
   WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
  UNION ALL
  SELECT 'largeobjects ' || count(*) FROM pg_largeobject_metadata
  UNION ALL
  SELECT 'alembic ' || version_num FROM alembic_version
) AS schema_items
"""


@dataclass
class _Contents:
    """Every row of every table (in foreign-key order) and the sequences that have moved."""

    rows: dict[str, list[dict[str, Any]]]
    sequences: dict[str, int]


class PostgresDatabases:
    """The PostgreSQL side: a migrated template and one working database copied from it, per session.

    ``migrated()`` hands out the working database reset to what the migrations left (or to the
    seeded world): every row deleted, every sequence restarted, the recorded rows written back,
    other connections ended. That costs a few milliseconds where CREATE DATABASE … TEMPLATE and
    DROP DATABASE cost about a second per test.
    """

    def __init__(self) -> None:
        self.prefix = f"suqiu_t_{os.getpid()}_{secrets.token_hex(3)}"
        self.template: str | None = None
        self.working: str | None = None
        self.fingerprint = ""
        self.can_replica = True  # SET session_replication_role needs a superuser (or a grant)
        self.migrated_contents = _Contents({}, {})  # rows the migrations write (e.g. face_gallery_state)
        self.seeded: tuple[_Contents, World] | None = None
        self._names = itertools.count(1)

    def url(self, database: str, *, tag: str = "") -> str:
        url = make_url(PG_BASE_URL).set(database=database)
        if tag:
            url = url.update_query_dict({"application_name": tag})
        return url.render_as_string(hide_password=False)

    def _admin(self) -> Engine:
        return create_engine(_psycopg(PG_BASE_URL), isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def _direct(self, database: str) -> Engine:
        return create_engine(_psycopg(self.url(database)), poolclass=NullPool)

    # -- the working database ----------------------------------------------------------------------

    def migrated(self, *, seeded: bool) -> tuple[str, World | None]:
        """The working database at head holding what the migrations wrote (and the seeded world
        if asked, with that world); its URL, named for this test."""
        if seeded and self.seeded is None:
            self._hand_out(self.migrated_contents)
            world = _seed(self.url(self.working))  # type: ignore[arg-type]
            self.seeded = (self._contents(self.working), world)  # type: ignore[arg-type]
        else:
            self._hand_out(self.seeded[0] if seeded and self.seeded else self.migrated_contents)
        world = copy.deepcopy(self.seeded[1]) if seeded and self.seeded else None
        return self.url(self.working, tag=f"suqiu-test-{next(self._names)}"), world  # type: ignore[arg-type]

    def _hand_out(self, contents: _Contents) -> None:
        if self.working is None:
            self._create_working()
            if contents is self.migrated_contents:
                return  # a fresh copy of the template holds exactly that
        try:
            self._reset(contents)
        except Exception:  # a lock held by a leftover transaction, a broken schema: start over
            self._recreate_working()
            if contents is not self.migrated_contents:
                self._reset(contents)

    def _create_working(self) -> None:
        admin = self._admin()
        try:
            if self.template is None:
                name = f"{self.prefix}_tmpl"
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                self.template = name
                _migrate(self.url(name))
                self.fingerprint = self._fingerprint(name)
                self.migrated_contents = self._contents(name)
            working = f"{self.prefix}_work"
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{working}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{working}" TEMPLATE "{self.template}"'))
            self.working = working
        finally:
            admin.dispose()

    def _recreate_working(self) -> None:
        self.working = None
        self._create_working()

    def _fingerprint(self, database: str) -> str:
        engine = self._direct(database)
        try:
            with engine.connect() as conn:
                return str(conn.execute(text(_PG_SCHEMA_FINGERPRINT)).scalar_one())
        finally:
            engine.dispose()

    def _contents(self, database: str) -> _Contents:
        from suqiu_queue.server import models

        engine = self._direct(database)  # closed at once: a template must have no connection
        try:
            with engine.connect() as conn:
                rows = {}
                for table in models.Base.metadata.sorted_tables:
                    found = [dict(r) for r in conn.execute(select(table).order_by(*table.primary_key)).mappings()]
                    if found:
                        rows[table.name] = found
                sequences = {
                    str(name): int(last)
                    for name, last in conn.execute(
                        text(
                            "SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences "
                            "WHERE schemaname = 'public' AND last_value IS NOT NULL"
                        )
                    )
                }
        finally:
            engine.dispose()
        return _Contents(rows, sequences)

    def _reset(self, contents: _Contents) -> None:
        from suqiu_queue.server import models

        engine = self._direct(self.working)  # type: ignore[arg-type]
        try:
            with engine.connect() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                conn.commit()
                if conn.execute(text(_PG_SCHEMA_FINGERPRINT)).scalar_one() != self.fingerprint:
                    raise RuntimeError("the schema was changed")
                conn.commit()
                conn.execute(text("SET lock_timeout = '10s'"))
                tables = [
                    str(row[0])
                    for row in conn.execute(
                        text(
                            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                            "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                        )
                    )
                ]
                restart = (
                    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
                    "FROM pg_sequences WHERE schemaname = 'public'"
                )
                self._empty(conn, tables, restart)
                for table in models.Base.metadata.sorted_tables:  # parents first
                    if table.name in contents.rows:
                        conn.execute(insert(table), contents.rows[table.name])
                for name, last in contents.sequences.items():
                    conn.execute(text("SELECT setval(CAST(:s AS regclass), :v, true)"), {"s": name, "v": last})
                conn.commit()
        finally:
            engine.dispose()

    def _empty(self, conn: Any, tables: list[str], restart: str) -> None:
        """Delete every row and restart every sequence, in the connection's open transaction."""
        if self.can_replica:
            conn.execute(text("SAVEPOINT empty"))
            try:
                # Without FK and append-only triggers firing, plain DELETEs in one round trip are
                # ~100x faster than TRUNCATE on a few dozen tiny tables.
                conn.execute(
                    text(
                        "SET LOCAL session_replication_role = replica; "
                        + "".join(f"DELETE FROM {t}; " for t in tables)
                        + restart
                        + "; SET LOCAL session_replication_role = origin"
                    )
                )
                conn.execute(text("RELEASE SAVEPOINT empty"))
                return
            except Exception as exc:
                conn.execute(text("ROLLBACK TO SAVEPOINT empty"))
                if "session_replication_role" not in str(exc):
                    raise
                self.can_replica = False  # not allowed for this role: TRUNCATE instead
        guarded = [
            str(row[0])
            for row in conn.execute(
                text(
                    "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger "
                    "WHERE NOT tgisinternal AND (tgtype & 32) <> 0"  # TRUNCATE triggers
                )
            )
        ]
        for table in guarded:
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        for table in guarded:
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        conn.execute(text(restart))

    # -- other databases -------------------------------------------------------------------------------

    def copy_of_template(self) -> str:
        """A new database of its own, migrated (a copy of the template); drop it with ``drop``."""
        if self.template is None:
            self._create_working()
        name = f"{self.prefix}_{secrets.token_hex(4)}"
        admin = self._admin()
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        finally:
            admin.dispose()
        return name

    def drop(self, *names: str) -> None:
        admin = self._admin()
        try:
            with admin.connect() as conn:
                for name in names:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()

    def close(self) -> None:
        self.drop(*[n for n in (self.working, self.template) if n])


class SqliteTemplates:
    """The SQLite side: a migrated file and a migrated-and-seeded file, made once; tests get copies."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._migrated: Path | None = None
        self._seeded: tuple[Path, World] | None = None

    def migrated(self) -> Path:
        if self._migrated is None:
            path = self.folder / "migrated.db"
            _migrate(f"sqlite:///{path}")
            self._migrated = path
        return self._migrated

    def seeded(self) -> tuple[Path, World]:
        if self._seeded is None:
            path = self.folder / "seeded.db"
            shutil.copyfile(self.migrated(), path)
            self._seeded = (path, _seed(f"sqlite:///{path}"))
        return self._seeded

    def copy_into(self, target: str | Path, *, seeded: bool) -> World | None:
        """Write a migrated (and, if asked, seeded) database file at ``target``; the world it holds."""
        if seeded:
            path, world = self.seeded()
            shutil.copyfile(path, target)
            return copy.deepcopy(world)
        shutil.copyfile(self.migrated(), target)
        return None


class Databases:
    """Both sides; PostgreSQL only once a test asks for it (skipped loudly when there is none)."""

    def __init__(self, folder: Path) -> None:
        self.sqlite = SqliteTemplates(folder)
        self._pg: PostgresDatabases | None = None

    @property
    def pg(self) -> PostgresDatabases:
        require_pg()
        if self._pg is None:
            self._pg = PostgresDatabases()
        return self._pg

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """The session's templates (and PostgreSQL working database); see the module docstring."""
    found = Databases(tmp_path_factory.mktemp("templates"))
    yield found
    found.close()


@pytest.fixture(scope="session")
def seeded_copy(databases: Databases) -> Callable[[Path], tuple[str, World]]:
    """``seeded_copy(folder)`` → ``(url, world)``: a new SQLite file ``folder/suqiu.db`` holding the
    migrated, seeded world — a copy of a file made once per session, not migrated and seeded again.
    For the real server processes the kiosk, front desk, board and client tests start."""

    def make(folder: Path) -> tuple[str, World]:
        path = Path(folder) / "suqiu.db"
        world = databases.sqlite.copy_into(path, seeded=True)
        assert world is not None
        return f"sqlite:///{path}", world

    return make


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    require_pg()
    with fresh_pg_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Each test using it runs twice: on SQLite and on the real PostgreSQL.

    Alone it is an empty database. Under ``migrated_engine`` (or ``sessions``, ``world``, ``api``)
    on PostgreSQL it is the session's working database, reset (see the module docstring)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'suqiu.db'}"  # migrated_engine fills it
        return
    pg = databases.pg
    if "migrated_engine" in request.fixturenames:
        url, preseeded = pg.migrated(seeded="world" in request.fixturenames)
        if preseeded is not None:
            request.node.stash[_PRESEEDED] = preseeded
        yield url
        return
    with fresh_pg_database() as url:
        yield url


def _empty_sqlite_file(db_url: str) -> Path | None:
    """The file of a SQLite URL with no database in it yet (missing or empty), else None."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    return path if not path.exists() or path.stat().st_size == 0 else None


@pytest.fixture(scope="session")
def _head_revision() -> str | None:
    from suqiu_queue.server.migrate import head_revision

    return head_revision()


@pytest.fixture
def migrated_engine(request: pytest.FixtureRequest, db_url: str, databases: Databases, _head_revision: str | None):  # type: ignore[no-untyped-def]
    """An engine on ``db_url`` at the migrations' head: an empty SQLite file becomes a copy of the
    session's migrated (and, for ``world``, seeded) template; a PostgreSQL database from ``db_url``
    is already migrated; any other empty database (a module's own ``db_url``) is migrated here."""
    from suqiu_queue.server.db import make_engine
    from suqiu_queue.server.migrate import current_revision, upgrade

    empty_file = _empty_sqlite_file(db_url)
    if empty_file is not None:
        preseeded = databases.sqlite.copy_into(empty_file, seeded="world" in request.fixturenames)
        if preseeded is not None:
            request.node.stash[_PRESEEDED] = preseeded
    engine = make_engine(db_url)
    if current_revision(engine) is None:
        upgrade(engine)
    # The fixture's promise does not rest on the copy alone (test_migrations upgrades for real).
    assert current_revision(engine) == _head_revision, "the test database is not at the migrations' head"
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(migrated_engine) -> sessionmaker[Session]:  # type: ignore[no-untyped-def]
    from suqiu_queue.server.db import make_sessionmaker

    return make_sessionmaker(migrated_engine)


@pytest.fixture
def world(request: pytest.FixtureRequest, sessions: sessionmaker[Session]) -> World:
    """The seeded world (``support.seed_world``): usually already in the database ``db_url`` made."""
    preseeded = request.node.stash.get(_PRESEEDED, None)
    if preseeded is not None:
        return preseeded
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
