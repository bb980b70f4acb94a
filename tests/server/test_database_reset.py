"""The suite's own PostgreSQL fixture: what one test leaves behind never reaches the next.

tests/conftest.py hands every PostgreSQL test the same migrated working database, emptied in
between (rows deleted, sequences restarted, other connections ended) instead of a new database
per test. Here a test's worth of real traffic (tickets, a case, logins, events, the audit chain,
number sequences) goes into it, and what the next test gets is compared with a fresh copy of
the migrated template.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from support import PASSWORD, FakeClock, World

pytestmark = pytest.mark.postgres


def _engine(url: str):  # type: ignore[no-untyped-def]
    return create_engine(make_url(url).set(drivername="postgresql+psycopg"), poolclass=NullPool)


def _state(url: str) -> dict[str, Any]:
    """Every row of every table, every sequence's position, and the triggers."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
            rows = {t: sorted(map(repr, conn.exec_driver_sql(f'SELECT * FROM "{t}"').all())) for t in sorted(tables)}
            sequences = dict(
                conn.execute(
                    text("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
                ).all()
            )
            triggers = sorted(
                conn.execute(
                    text("SELECT tgname || ':' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal")
                ).scalars()
            )
        return {"rows": rows, "sequences": sequences, "triggers": triggers}
    finally:
        engine.dispose()


def _busy_day(url: str, world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Tickets, a call, a case, logins: rows in most tables, sequences moved, events and audit rows."""
    from suqiu_queue.server.app import create_app
    from suqiu_queue.server.db import make_engine
    from suqiu_queue.server.settings import Settings

    engine = make_engine(url)
    app = create_app(Settings.load(database_url=url, data_dir=tmp_path), engine=engine, clock=FakeClock())
    with TestClient(app) as api:
        kiosk = {"X-Device-Key": world.device_keys["kiosk"]}
        for category in ("policy", "policy", "health"):
            issued = api.post("/api/v1/tickets", json={"center": "T1", "category": category}, headers=kiosk)
            assert issued.status_code == 201, issued.text
        token = api.post("/api/v1/auth/login", json={"username": "reception1", "password": PASSWORD}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert api.post(f"/api/v1/counters/{world.counters[1]}/call-next", headers=headers).status_code == 200
        case = api.post(
            "/api/v1/cases",
            json={"center": "T1", "category": "policy", "channel": "visit", "summary": "咨询", "employee_no": "E1001"},
            headers=headers,
        )
        assert case.status_code == 201, case.text
    with engine.begin() as conn:
        counts = {
            t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()
            for t in ("tickets", "cases", "events", "audit_log", "number_sequences")
        }
        # A leftover connection in the middle of a transaction must not keep the next test waiting.
        leftover = engine.connect()
        leftover.exec_driver_sql("SELECT 1 FROM tickets FOR UPDATE")
    assert all(counts.values()), counts


def test_the_next_test_gets_a_database_like_a_fresh_copy(databases, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pg = databases.pg
    fresh = pg.copy_of_template()
    try:
        expected = _state(pg.url(fresh))
        url, world = pg.migrated(seeded=True)
        assert world is not None
        _busy_day(url, world, tmp_path)
        url, nothing = pg.migrated(seeded=False)
        assert nothing is None
        assert _state(url) == expected
    finally:
        pg.drop(fresh)


def test_the_seeded_world_comes_back_exactly(databases, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pg = databases.pg
    url, world = pg.migrated(seeded=True)
    seeded = _state(url)
    assert seeded["rows"]["users"] and seeded["rows"]["audit_log"]  # one officer per role, each audited
    _busy_day(url, world, tmp_path)
    url, again = pg.migrated(seeded=True)
    assert again == world
    assert _state(url) == seeded


def test_a_changed_schema_is_rebuilt_from_the_template(databases) -> None:  # type: ignore[no-untyped-def]
    pg = databases.pg
    url, _world = pg.migrated(seeded=False)
    before = _state(url)
    engine = _engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_change ON audit_log")
        conn.exec_driver_sql("CREATE TABLE stray (id integer)")
    engine.dispose()
    url, _world = pg.migrated(seeded=False)
    assert _state(url) == before
