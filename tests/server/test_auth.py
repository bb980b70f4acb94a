"""Officer login: argon2 hashes, lockout after repeated failures, who am I."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from support import PASSWORD, FakeClock, World

from suqiu_queue.server.accounts.models import ServerSecret, User
from suqiu_queue.server.security import load_signing_secret, verify_password

API = "/api/v1"

# Tests where the database plays no part (validation, messages, argument handling) run on SQLite
# only; everything that depends on storage, transactions or concurrency runs on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def user_row(api: TestClient, username: str) -> User:
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return user


def login(api: TestClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return api.post(f"{API}/auth/login", json={"username": username, "password": password})


@SQLITE_ONLY
def test_passwords_are_stored_as_argon2id_hashes(api: TestClient, world: World) -> None:
    stored = user_row(api, "reception1").password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "x")
    assert not verify_password("not a hash at all", PASSWORD)
    # Two accounts with the same password do not share a hash (salted).
    assert user_row(api, "handler1").password_hash != stored


@SQLITE_ONLY
def test_login_answers_with_a_token_and_the_officer(api: TestClient, world: World) -> None:
    response = login(api, "reception1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token"].startswith("v1.")
    assert body["expires_at"] == "2026-11-23T14:00:00+00:00"  # 12 hours after the clock's now
    assert body["user"] == {
        "id": body["user"]["id"],
        "username": "reception1",
        "display_name": "reception1",
        "role": "reception",
        "center": "T1",
        "active": True,
    }
    assert "password" not in response.text


@SQLITE_ONLY
def test_wrong_password_and_unknown_user_look_the_same(api: TestClient, world: World) -> None:
    wrong = login(api, "reception1", "not-the-password")
    unknown = login(api, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "bad_credentials"
    assert wrong.json()["error"]["message"] == "用户名或密码错误"


@SQLITE_ONLY
def test_a_disabled_account_cannot_log_in(api: TestClient, world: World) -> None:
    with api.app.state.sessions() as session, session.begin():  # type: ignore[attr-defined]
        session.scalar(select(User).where(User.username == "legal1")).active = False  # type: ignore[union-attr]
    response = login(api, "legal1")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_credentials"


def test_repeated_failures_lock_the_account_for_a_while(api: TestClient, world: World, clock: FakeClock) -> None:
    limit = api.app.state.settings.login_max_failures  # type: ignore[attr-defined]
    window = api.app.state.settings.login_window_minutes  # type: ignore[attr-defined]
    assert (limit, window) == (5, 15)

    assert login(api, "handler1", "guess-1").status_code == 401
    # The refused request still committed its failure count (it is raised after the commit).
    assert user_row(api, "handler1").failed_logins == 1
    for attempt in range(2, limit + 1):
        assert login(api, "handler1", f"guess-{attempt}").status_code == 401
    assert user_row(api, "handler1").locked_until == clock.now + timedelta(minutes=window)

    # Now even the right password is refused, with a message saying why.
    locked = login(api, "handler1")
    assert locked.status_code == 401
    error = locked.json()["error"]
    assert error["code"] == "account_locked"
    assert "稍后" in error["message"]
    assert error["details"]["locked_until"] == "2026-11-23T02:15:00+00:00"

    # Other officers are not affected.
    assert login(api, "reception1").status_code == 200

    clock.advance(minutes=window, seconds=1)
    unlocked = login(api, "handler1")
    assert unlocked.status_code == 200, unlocked.text
    row = user_row(api, "handler1")
    assert (row.failed_logins, row.locked_until) == (0, None)


@SQLITE_ONLY
def test_a_successful_login_resets_the_failure_count(api: TestClient, world: World) -> None:
    for _ in range(4):
        login(api, "counselor1", "wrong-password")
    assert user_row(api, "counselor1").failed_logins == 4
    assert login(api, "counselor1").status_code == 200
    assert user_row(api, "counselor1").failed_logins == 0
    for _ in range(4):  # four more failures do not lock: the count started again
        login(api, "counselor1", "wrong-password")
    assert login(api, "counselor1").status_code == 200


@SQLITE_ONLY
def test_me_for_officers_and_devices(api: TestClient, world: World) -> None:
    token = login(api, "reception1").json()["token"]
    me = api.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me == me | {"kind": "user", "role": "reception", "name": "reception1", "center": "T1"}
    assert me["center_name"] == "测试职工诉求服务中心"

    admin_token = login(api, "admin1").json()["token"]
    admin = api.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {admin_token}"}).json()
    assert (admin["role"], admin["center"]) == ("admin", None)  # enterprise-wide

    board = api.get(f"{API}/auth/me", headers={"X-Device-Key": world.device_keys["board"]}).json()
    assert board == board | {"kind": "device", "role": "device:board", "center": "T1"}

    # A device key also works as a bearer token, and both work as ?access_token= (EventSource
    # cannot set headers).
    by_bearer = api.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {world.device_keys['kiosk']}"})
    assert by_bearer.json()["role"] == "device:kiosk"
    assert api.get(f"{API}/auth/me", params={"access_token": token}).json()["role"] == "reception"
    assert api.get(f"{API}/auth/me", params={"access_token": world.device_keys["announcer"]}).json()["role"] == (
        "device:announcer"
    )


@SQLITE_ONLY
def test_admins_create_officers_with_checked_input(api: TestClient, world: World) -> None:
    admin = {"Authorization": f"Bearer {login(api, 'admin1').json()['token']}"}
    created = api.post(
        f"{API}/users",
        json={"username": "liu.xm", "password": "a-long-password", "role": "reception", "display_name": "刘晓梅"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert login(api, "liu.xm", "a-long-password").status_code == 200
    taken = api.post(
        f"{API}/users", json={"username": "liu.xm", "password": "another-password", "role": "handler"}, headers=admin
    )
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "username_taken"
    bad_role = api.post(
        f"{API}/users", json={"username": "x.y", "password": "a-long-password", "role": "janitor"}, headers=admin
    )
    assert bad_role.status_code == 422
    assert bad_role.json()["error"]["code"] == "invalid_role"
    short = api.post(f"{API}/users", json={"username": "x.y", "password": "short", "role": "handler"}, headers=admin)
    assert short.status_code == 422


def test_parallel_guesses_cannot_outrun_the_lockout(api: TestClient, world: World) -> None:
    """Twelve wrong passwords sent at once: no failure may be lost, so the account ends up locked."""
    import threading

    start = threading.Barrier(12)
    statuses: list[int] = []

    def guess(n: int) -> None:
        start.wait()
        statuses.append(login(api, "supervisor1", f"guess-{n}").status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [401] * 12
    assert user_row(api, "supervisor1").locked_until is not None
    assert login(api, "supervisor1").json()["error"]["code"] == "account_locked"


def test_workers_starting_together_share_one_signing_secret(sessions) -> None:  # type: ignore[no-untyped-def]
    """Worker processes on a fresh database race to create the token secret: the one that loses
    (its look-up found nothing, then the other's insert landed) must read the winner's, not fail."""
    with sessions() as first, first.begin():
        winner = load_signing_secret(first)
    with sessions() as late, late.begin():
        late.get = lambda *_args, **_kwargs: None  # its look-up ran before the winner's commit
        assert load_signing_secret(late) == winner
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ServerSecret)) == 1
