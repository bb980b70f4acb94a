"""Role × endpoint matrix: every route declares who may call it, and the declaration is enforced.

The matrix walks the application's routes, so an endpoint added tomorrow is checked tomorrow
without touching this file. Who may call what is decided by ``access(...)`` on each endpoint;
this test only checks that the answer matches the declaration (401 without credentials, 403
for the wrong principal, and neither for an allowed one). Authorization does not depend on the
database, so the module runs on SQLite only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from support import PASSWORD, FakeClock, World

from suqiu_queue.domain.enums import DeviceKind, Role
from suqiu_queue.server.accounts.models import Device
from suqiu_queue.server.security import PUBLIC

API = "/api/v1"


@pytest.fixture
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """SQLite only here (overrides the two-database fixture): authorization is not storage."""
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'suqiu.db'}"


@pytest.fixture
def client(migrated_engine, world: World, clock: FakeClock, tmp_path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """Like the ``api`` fixture, but a server error is an answer (500), not a raised exception:
    the matrix only cares whether the door was opened."""
    from suqiu_queue.server.app import create_app
    from suqiu_queue.server.settings import Settings

    settings = Settings.load(database_url=migrated_engine.url.render_as_string(hide_password=False), data_dir=tmp_path)
    app = create_app(settings, engine=migrated_engine, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


# --- walking the routes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    route: APIRoute
    allowed: frozenset[str]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _declared_access(dependant: Any) -> frozenset[str] | None:
    """The set given to ``access(...)``: the dependency whose callable carries ``.allowed``."""
    for dependency in dependant.dependencies:
        allowed = getattr(dependency.call, "allowed", None)
        if allowed is not None:
            return frozenset(str(x) for x in allowed)
        nested = _declared_access(dependency)
        if nested is not None:
            return nested
    return None


def _api_routes(app: FastAPI) -> list[tuple[str, set[str], APIRoute]]:
    """(full path, methods, route) for every APIRoute, including routers included in routers."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI >= 0.120 includes routers lazily
    except ImportError:  # pragma: no cover - older FastAPI flattens included routers itself
        return [(r.path, set(r.methods), r) for r in app.routes if isinstance(r, APIRoute)]
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            found.append((str(context.path), set(context.methods or route.methods), route))
    return found


def endpoints(app: FastAPI) -> tuple[list[Endpoint], list[str]]:
    """All endpoints with their declaration, and the routes that declare nothing."""
    found, undeclared = [], []
    for path, methods, route in _api_routes(app):
        allowed = _declared_access(route.dependant)
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            if allowed is None:
                undeclared.append(f"{method} {path}")
            else:
                found.append(Endpoint(method, path, route, allowed))
    return found, undeclared


def test_every_endpoint_declares_who_may_call_it(client: TestClient) -> None:
    found, undeclared = endpoints(client.app)  # type: ignore[arg-type]
    assert not undeclared, "routes without access(...): " + ", ".join(undeclared)
    assert len(found) >= 30
    paths = {str(e) for e in found}
    # The matrix really sees the areas' routers (a walk that misses included routers sees nothing).
    assert {"POST /api/v1/tickets", "GET /api/v1/events", "POST /api/v1/auth/login", "GET /healthz"} <= paths


def test_access_rejects_unknown_principals() -> None:
    from suqiu_queue.server.security import access

    with pytest.raises(ValueError):
        access("janitor")
    with pytest.raises(ValueError):
        access("device:toaster")


# --- the principals -----------------------------------------------------------------------------------


def principals(client: TestClient, world: World) -> dict[str, dict[str, str]]:
    """Name → headers: nobody, each officer role (logged in), each device kind (its key)."""
    found: dict[str, dict[str, str]] = {"nobody": {}}
    for role in Role:
        response = client.post(
            f"{API}/auth/login", json={"username": world.usernames[role.value], "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        found[role.value] = {"Authorization": f"Bearer {response.json()['token']}"}
    for kind in DeviceKind:
        found[f"device:{kind.value}"] = {"X-Device-Key": world.device_keys[kind.value]}
    return found


def plausible_path(endpoint: Endpoint, values: dict[str, str]) -> str:
    path = endpoint.path
    for param in endpoint.route.dependant.path_params:
        # Unknown parameters get a number: a 404 or 422 is still "neither 401 nor 403".
        path = path.replace("{" + param.name + "}", values.get(param.name, "999999"))
        path = path.replace("{" + param.name + ":path}", values.get(param.name, "999999"))
    return path


def known_path_values(client: TestClient, world: World, officer: dict[str, str]) -> dict[str, str]:
    """Real resources of center T1, so an allowed principal is judged on the door, not on a 404."""
    kiosk = {"X-Device-Key": world.device_keys["kiosk"]}
    ticket = client.post(f"{API}/tickets", json={"center": "T1", "category": "policy"}, headers=kiosk)
    assert ticket.status_code == 201, ticket.text
    case = client.post(
        f"{API}/cases",
        json={"center": "T1", "category": "policy", "channel": "phone", "summary": "来电咨询公积金"},
        headers=officer,
    )
    assert case.status_code == 201, case.text
    return {
        "ticket_id": str(ticket.json()["id"]),
        "counter_id": str(world.counters[1]),
        "center_code": world.center,
        "case_id": str(case.json()["id"]),
        "employee_no": world.employees[0],
        "code": "policy",
        "token": ticket.json()["status_token"],
        # Never a real device: an admin's DELETE would revoke the kiosk the rest of the matrix uses.
        "device_id": "999999",
    }


def call(client: TestClient, endpoint: Endpoint, path: str, headers: dict[str, str]) -> int:
    """Only the status matters; the body is never read, so an event stream is simply closed."""
    body = {} if endpoint.method in ("POST", "PUT", "PATCH") else None
    with client.stream(endpoint.method, path, headers=headers, json=body) as response:
        return response.status_code


def test_the_role_endpoint_matrix(client: TestClient, world: World) -> None:
    found, _undeclared = endpoints(client.app)  # type: ignore[arg-type]
    who = principals(client, world)
    values = known_path_values(client, world, who["reception"])
    wrong: list[str] = []
    checked = 0
    for endpoint in found:
        path = plausible_path(endpoint, values)
        for name, headers in who.items():
            status = call(client, endpoint, path, headers)
            checked += 1
            if name == "nobody":
                expected_ok = PUBLIC in endpoint.allowed
            else:
                expected_ok = name in endpoint.allowed or PUBLIC in endpoint.allowed
            if name == "nobody" and not expected_ok and status != 401:
                wrong.append(f"{endpoint} without credentials: {status}, expected 401")
            elif name != "nobody" and not expected_ok and status != 403:
                wrong.append(f"{endpoint} as {name}: {status}, expected 403")
            elif expected_ok and status in (401, 403):
                wrong.append(f"{endpoint} as {name}: {status}, but {name} is allowed")
    assert not wrong, f"{len(wrong)} of {checked} calls disagree with the declarations:\n" + "\n".join(wrong)


def test_refusals_use_the_error_shape(client: TestClient, world: World) -> None:
    anonymous = client.get(f"{API}/users")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    assert anonymous.json()["error"]["message"] == "请先登录"
    assert anonymous.headers["www-authenticate"] == "Bearer"
    kiosk = client.get(f"{API}/users", headers={"X-Device-Key": world.device_keys["kiosk"]})
    assert kiosk.status_code == 403
    assert kiosk.json()["error"]["code"] == "forbidden"
    assert "权限" in kiosk.json()["error"]["message"]


# --- bad credentials --------------------------------------------------------------------------------------


def _login(client: TestClient, username: str) -> str:
    response = client.post(f"{API}/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature
        lambda t: t.replace(t.split(".")[1], t.split(".")[1][:-2] + "xx"),  # claims
        lambda t: "v2" + t[2:],  # version
        lambda t: t + ".extra",
        lambda t: "not-a-token",
        lambda t: "",
        lambda t: t[:-1] + "é",  # a header may carry any Latin-1 character
    ],
    ids=["signature", "claims", "version", "extra-part", "garbage", "empty", "non-ascii"],
)
def test_a_tampered_token_is_refused(client: TestClient, world: World, tamper: Callable[[str], str]) -> None:
    token = _login(client, world.usernames["admin"])
    header = f"Bearer {tamper(token)}".encode("latin-1")  # bytes: HTTP headers are not only ASCII
    response = client.get(f"{API}/users", headers={"Authorization": header})  # type: ignore[dict-item]
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] in ("invalid_token", "not_authenticated")


def test_a_token_with_an_admin_role_written_into_it_is_refused(client: TestClient, world: World) -> None:
    import base64
    import json

    token = _login(client, world.usernames["reception"])
    version, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = client.get(f"{API}/users", headers={"Authorization": f"Bearer {version}.{forged}.{signature}"})
    assert response.status_code == 401


def test_a_token_expires(client: TestClient, world: World, clock: FakeClock) -> None:
    token = _login(client, world.usernames["reception"])
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/auth/me", headers=headers).status_code == 200
    clock.advance(hours=11, minutes=59)
    assert client.get(f"{API}/auth/me", headers=headers).status_code == 200
    clock.advance(minutes=2)  # the default lifetime is 12 hours
    expired = client.get(f"{API}/auth/me", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "token_expired"
    assert "过期" in expired.json()["error"]["message"]


def test_a_malformed_authorization_header_is_refused(client: TestClient) -> None:
    for header in ("Basic YWRtaW46eA==", "Bearer", "Token abc"):
        response = client.get(f"{API}/auth/me", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_an_unknown_device_key_is_refused(client: TestClient) -> None:
    response = client.get(f"{API}/auth/me", headers={"X-Device-Key": "sqk_made-up"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_device_key"


def test_a_revoked_device_key_stops_working(client: TestClient, world: World) -> None:
    admin = {"Authorization": f"Bearer {_login(client, world.usernames['admin'])}"}
    board = {"X-Device-Key": world.device_keys["board"]}
    assert client.get(f"{API}/auth/me", headers=board).status_code == 200
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        board_id = next(d["id"] for d in client.get(f"{API}/devices", headers=admin).json() if d["kind"] == "board")
        assert session.get(Device, board_id) is not None
    # Revoked through the API: the server forgets its cached principals at once.
    assert client.delete(f"{API}/devices/{board_id}", headers=admin).json() == {"id": board_id, "revoked": True}
    refused = client.get(f"{API}/auth/me", headers=board)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_device_key"


def test_a_key_revoked_behind_the_servers_back_stops_working_after_the_cache(client: TestClient, world: World) -> None:
    kiosk = {"X-Device-Key": world.device_keys["kiosk"]}
    assert client.get(f"{API}/auth/me", headers=kiosk).status_code == 200
    with client.app.state.sessions() as session, session.begin():  # type: ignore[attr-defined]
        # e.g. another server replica revoked it; this one still has the key cached (≤ 10 s).
        session.execute(update(Device).where(Device.kind == "kiosk").values(revoked_at=FakeClock().now))
        assert session.scalar(select(Device.revoked_at).where(Device.kind == "kiosk").limit(1)) is not None
    client.app.state.principals.clear()  # type: ignore[attr-defined]  # the cache's TTL has passed
    assert client.get(f"{API}/auth/me", headers=kiosk).status_code == 401


def test_a_deactivated_officer_is_refused(client: TestClient, world: World) -> None:
    from suqiu_queue.server.accounts.models import User

    token = _login(client, world.usernames["handler"])
    with client.app.state.sessions() as session, session.begin():  # type: ignore[attr-defined]
        session.execute(update(User).where(User.username == world.usernames["handler"]).values(active=False))
    client.app.state.principals.clear()  # type: ignore[attr-defined]
    response = client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "account_disabled"


def test_a_center_bound_officer_cannot_act_on_another_center(client: TestClient, world: World) -> None:
    reception = {"Authorization": f"Bearer {_login(client, world.usernames['reception'])}"}
    other_kiosk = {"X-Device-Key": world.other_kiosk_key}
    issued = client.post(f"{API}/tickets", json={"center": "T2", "category": "policy"}, headers=other_kiosk)
    assert issued.status_code == 201, issued.text
    for response in (
        client.post(f"{API}/tickets/{issued.json()['id']}/cancel", headers=reception),
        client.get(f"{API}/centers/T2/queue", headers=reception),
        client.get(f"{API}/tickets/{issued.json()['id']}", headers=reception),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "other_center"
    admin = {"Authorization": f"Bearer {_login(client, world.usernames['admin'])}"}
    assert client.get(f"{API}/centers/T2/queue", headers=admin).status_code == 200  # admins work anywhere
