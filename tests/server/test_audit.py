"""The audit log: who saw or changed what; append-only in the database and hash-chained."""

from __future__ import annotations

import itertools
import json
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from support import PASSWORD, World

from suqiu_queue.cli import main as suqiu
from suqiu_queue.server.audit.models import AuditEntry
from suqiu_queue.server.audit.service import GENESIS, record, verify

API = "/api/v1"

# Tests where the database plays no part (validation, messages, argument handling) run on SQLite
# only; everything that depends on storage, transactions or concurrency runs on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def entries(factory: sessionmaker[Session]) -> list[AuditEntry]:
    with factory() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all())


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def drop_append_only_triggers(engine: Engine) -> None:
    """What an intruder with database access would do first."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_change ON audit_log")


# --- what is audited ---------------------------------------------------------------------------------


@SQLITE_ONLY
def test_logins_accounts_devices_and_history_reads_are_audited(api: TestClient, world: World) -> None:
    factory = api.app.state.sessions  # type: ignore[attr-defined]
    already = len(entries(factory))
    bad = api.post(f"{API}/auth/login", json={"username": "admin1", "password": "wrong-password"})
    assert bad.status_code == 401
    good = api.post(f"{API}/auth/login", json={"username": "admin1", "password": PASSWORD})
    admin = {"Authorization": f"Bearer {good.json()['token']}"}
    user = api.post(
        f"{API}/users",
        json={"username": "newbie", "password": "a-long-password", "role": "reception", "center": "T1"},
        headers=admin,
    )
    assert user.status_code == 201, user.text
    device = api.post(f"{API}/devices", json={"center": "T1", "kind": "board", "name": "大厅屏"}, headers=admin)
    assert device.status_code == 201, device.text
    history = api.get(f"{API}/employees/E1001/history", headers=admin)
    assert history.status_code == 200, history.text

    new = entries(factory)[already:]
    admin_id = good.json()["user"]["id"]
    assert [(e.action, e.actor, e.subject) for e in new] == [
        ("auth.login_failed", "anonymous", f"user:{admin_id}"),
        ("auth.login", f"user:{admin_id}", f"user:{admin_id}"),
        ("user.create", f"user:{admin_id}", f"user:{user.json()['id']}"),
        ("device.create", f"user:{admin_id}", f"device:{device.json()['id']}"),
        ("employee.history_read", f"user:{admin_id}", new[-1].subject),
    ]
    assert new[-1].subject.startswith("employee:")
    assert new[2].detail == {"username": "newbie", "role": "reception"}
    # Never a secret in the log: not the passwords, not the device key.
    everything = json.dumps([[e.actor, e.action, e.subject, e.detail] for e in entries(factory)], ensure_ascii=False)
    for secret in ("wrong-password", PASSWORD, "a-long-password", device.json()["key"]):
        assert secret not in everything


def test_an_intact_chain_verifies(sessions: sessionmaker[Session], world: World) -> None:
    with sessions() as session, session.begin():
        for i in range(5):
            record(session, actor="test", action="test.write", subject=f"thing:{i}", detail={"n": i, "名字": "张三"})
    with sessions() as session:
        result = verify(session)
    rows = entries(sessions)
    assert result.ok, result
    assert result.checked == len(rows) >= 5 + len(world.usernames)
    assert rows[0].prev_hash == GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(rows))


@SQLITE_ONLY
def test_an_empty_log_verifies(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        result = verify(session)
    assert (result.ok, result.checked, result.first_bad_id) == (True, 0, None)


# --- append-only --------------------------------------------------------------------------------------


def test_the_database_refuses_to_change_or_delete_audit_rows(migrated_engine: Engine, world: World) -> None:
    statements = ["UPDATE audit_log SET actor = 'someone-else'", "DELETE FROM audit_log"]
    if migrated_engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_log")
    for statement in statements:
        with pytest.raises(DBAPIError) as refused, migrated_engine.begin() as connection:
            connection.exec_driver_sql(statement)
        assert "append-only" in str(refused.value), statement
    with migrated_engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM audit_log WHERE actor = 'someone-else'")) == 0
        assert connection.scalar(text("SELECT count(*) FROM audit_log")) >= len(world.usernames)


# --- tampering ------------------------------------------------------------------------------------------


def test_a_changed_row_is_found(
    migrated_engine: Engine, sessions: sessionmaker[Session], world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = entries(sessions)
    victim = rows[2]
    assert suqiu(["--database-url", url_of(migrated_engine), "audit", "verify"]) == 0
    assert "校验通过" in capsys.readouterr().out

    drop_append_only_triggers(migrated_engine)
    with migrated_engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'cover-up' WHERE id = :id"), {"id": victim.id})
    with sessions() as session:
        result = verify(session)
    assert not result.ok
    assert result.first_bad_id == victim.id
    assert result.checked == 2
    assert "hash" in result.reason

    assert suqiu(["--database-url", url_of(migrated_engine), "audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert "篡改" in err and f"id={victim.id}" in err


def test_a_rehashed_row_breaks_the_next_link(
    migrated_engine: Engine, sessions: sessionmaker[Session], world: World
) -> None:
    from suqiu_queue.server.audit.service import _digest

    rows = entries(sessions)
    victim, following = rows[1], rows[2]
    forged_hash = _digest(victim.prev_hash, victim.at, "cover-up", victim.action, victim.subject, victim.detail)
    drop_append_only_triggers(migrated_engine)
    with migrated_engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_log SET actor = 'cover-up', hash = :h WHERE id = :id"),
            {"h": forged_hash, "id": victim.id},
        )
    with sessions() as session:
        result = verify(session)
    assert (result.ok, result.first_bad_id) == (False, following.id)
    assert "prev_hash" in result.reason


def test_a_deleted_row_is_found(migrated_engine: Engine, sessions: sessionmaker[Session], world: World) -> None:
    rows = entries(sessions)
    drop_append_only_triggers(migrated_engine)
    with migrated_engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": rows[3].id})
    with sessions() as session:
        result = verify(session)
    assert (result.ok, result.first_bad_id) == (False, rows[4].id)


# --- concurrency ---------------------------------------------------------------------------------------------


def test_concurrent_writers_keep_one_unforked_chain(sessions: sessionmaker[Session], world: World) -> None:
    """Eight request threads writing at once: every row links to exactly one predecessor."""
    before = len(entries(sessions))
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(6):
                with sessions() as session, session.begin():
                    record(session, actor=f"user:{n}", action="case.read", subject=f"case:{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    rows = entries(sessions)
    assert len(rows) == before + 48
    prev_hashes = [r.prev_hash for r in rows]
    assert len(set(prev_hashes)) == len(prev_hashes), "two rows claim the same predecessor: the chain forked"
    with sessions() as session:
        result = verify(session)
    assert result.ok, result
    assert result.checked == len(rows)
