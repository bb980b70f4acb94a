"""Bad input everywhere: every refusal has the same JSON shape and a stable code, and changes nothing.

{"error": {"code": "...", "message": "<中文>", "message_en": "...", "details": {...}}}
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from support import PASSWORD, World

from suqiu_queue.server.audit.models import AuditEntry
from suqiu_queue.server.events.models import Event
from suqiu_queue.server.tickets.models import NumberSequence, Ticket

API = "/api/v1"

# Tests where the database plays no part (validation, messages, argument handling) run on SQLite
# only; everything that depends on storage, transactions or concurrency runs on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "message_en", "details"}, error
    assert error["code"] == code, error
    assert CHINESE.search(error["message"]), f"the message a person reads must be Chinese: {error['message']}"
    assert error["message_en"]
    assert isinstance(error["details"], dict)
    return error


def kiosk(world: World) -> dict[str, str]:
    return {"X-Device-Key": world.device_keys["kiosk"]}


def officer(api: TestClient) -> dict[str, str]:
    token = api.post(f"{API}/auth/login", json={"username": "reception1", "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def snapshot(api: TestClient) -> dict[str, int]:
    """Row counts that a refused request must leave exactly as they were."""
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        return {
            "tickets": int(session.scalar(select(func.count()).select_from(Ticket)) or 0),
            "events": int(session.scalar(select(func.count()).select_from(Event)) or 0),
            "numbers": int(session.scalar(select(func.coalesce(func.sum(NumberSequence.last_value), 0))) or 0),
            "audit": int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0),
        }


def assert_nothing_changed(api: TestClient, world: World, before: dict[str, int]) -> None:
    assert snapshot(api) == before
    # The proof that no number was consumed: the next real ticket is still the first.
    issued = api.post(f"{API}/tickets", json={"center": "T1", "category": "policy"}, headers=kiosk(world))
    assert issued.status_code == 201, issued.text
    assert issued.json()["display"] == "A001"


# --- bodies ----------------------------------------------------------------------------------------


def test_bad_ticket_bodies(api: TestClient, world: World) -> None:
    before = snapshot(api)
    post = f"{API}/tickets"
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        (
            "malformed JSON",
            {"content": b'{"center": "T1", "category": ', "headers": {"content-type": "application/json"}},
            422,
            "malformed_json",
        ),
        (
            "not UTF-8",
            {"content": b'{"center": "\xff\xfe"}', "headers": {"content-type": "application/json"}},
            422,
            "malformed_json",
        ),
        ("empty body", {"content": b"", "headers": {"content-type": "application/json"}}, 422, "invalid_request"),
        ("a JSON list", {"json": [{"center": "T1", "category": "policy"}]}, 422, "invalid_request"),
        (
            "JSON null",
            {"json": None, "content": b"null", "headers": {"content-type": "application/json"}},
            422,
            "invalid_request",
        ),
        ("wrong types", {"json": {"center": 1, "category": ["policy"]}}, 422, "invalid_request"),
        ("unknown field", {"json": {"center": "T1", "category": "policy", "colour": "red"}}, 422, "invalid_request"),
        ("missing field", {"json": {"center": "T1"}}, 422, "invalid_request"),
        ("empty strings", {"json": {"center": "", "category": ""}}, 422, "invalid_request"),
        ("note too long", {"json": {"center": "T1", "category": "policy", "note": "字" * 501}}, 422, "invalid_request"),
        (
            "short idempotency key",
            {"json": {"center": "T1", "category": "policy", "idempotency_key": "k"}},
            422,
            "invalid_request",
        ),
        (
            "not JSON at all",
            {"content": b"center=T1&category=policy", "headers": {"content-type": "application/x-www-form-urlencoded"}},
            422,
            "invalid_request",
        ),
        ("unknown lane", {"json": {"center": "T1", "category": "policy", "lane": "vip"}}, 422, "invalid_lane"),
        ("unknown center", {"json": {"center": "NOPE", "category": "policy"}}, 404, "center_not_found"),
        ("unknown category", {"json": {"center": "T1", "category": "nope"}}, 404, "category_not_found"),
        (
            "unknown employee",
            {"json": {"center": "T1", "category": "policy", "employee_no": "X1"}},
            404,
            "employee_not_found",
        ),
        (
            "unknown phone",
            {"json": {"center": "T1", "category": "policy", "phone": "13900000000"}},
            404,
            "employee_not_found",
        ),
    ]
    for name, request, status, code in cases:
        kwargs = {k: v for k, v in request.items() if k != "json" or "content" not in request}
        headers = kiosk(world) | kwargs.pop("headers", {})
        response = api.post(post, headers=headers, **kwargs)
        error = assert_error(response, status, code)
        if code == "invalid_request":
            assert error["details"]["problems"], name
    assert_nothing_changed(api, world, before)


@SQLITE_ONLY
def test_validation_problems_name_the_fields(api: TestClient, world: World) -> None:
    response = api.post(f"{API}/tickets", json={"center": "T1", "category": 7, "colour": "red"}, headers=kiosk(world))
    error = assert_error(response, 422, "invalid_request")
    fields = {p["field"] for p in error["details"]["problems"]}
    assert fields == {"category", "colour"}
    assert "category" in error["message"] and "colour" in error["message"]
    assert error["message"].startswith("提交的内容有误")


@SQLITE_ONLY
def test_bad_bodies_on_officer_endpoints(api: TestClient, world: World) -> None:
    reception = officer(api)
    before = snapshot(api)  # after the login, which is audited
    counter = world.counters[1]
    for method, path, body, status, code in [
        ("post", f"{API}/counters/{counter}/pause", {"paused": "maybe"}, 422, "invalid_request"),
        ("post", f"{API}/counters/{counter}/pause", {}, 422, "invalid_request"),
        ("post", f"{API}/tickets/1/call", {"counter_id": "one"}, 422, "invalid_request"),
        ("post", f"{API}/tickets/1/transfer", {"category": "legal", "why": "x"}, 422, "invalid_request"),
        ("post", f"{API}/cases", {"center": "T1", "category": "policy", "summary": ""}, 422, "invalid_request"),
        (
            "post",
            f"{API}/cases",
            {"center": "T1", "category": "policy", "summary": "x", "channel": "fax"},
            422,
            "invalid_channel",
        ),
        ("post", f"{API}/cases", {"center": "NOPE", "category": "policy", "summary": "x"}, 404, "center_not_found"),
        ("post", f"{API}/auth/login", {"username": "reception1"}, 422, "invalid_request"),
        ("post", f"{API}/identify", {}, 422, "invalid_request"),
        ("post", f"{API}/identify", {"employee_no": "E1001; DROP TABLE employees"}, 422, "invalid_request"),
    ]:
        response = getattr(api, method)(path, json=body, headers=reception)
        assert_error(response, status, code)
    assert_nothing_changed(api, world, before)


# --- sizes ----------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_a_huge_body_is_refused_before_it_is_read(api: TestClient, world: World) -> None:
    before = snapshot(api)
    limit = api.app.state.settings.max_body_bytes  # type: ignore[attr-defined]
    huge = b'{"center": "T1", "category": "policy", "note": "' + b"x" * (limit + 10) + b'"}'
    declared = api.post(f"{API}/tickets", content=huge, headers=kiosk(world) | {"content-type": "application/json"})
    error = assert_error(declared, 413, "body_too_large")
    assert "KB" in error["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the size is only known while reading
        for start in range(0, len(huge), 64 * 1024):
            yield huge[start : start + 64 * 1024]

    chunked = api.post(f"{API}/tickets", content=chunks(), headers=kiosk(world) | {"content-type": "application/json"})
    assert_error(chunked, 413, "body_too_large")
    lying = api.post(
        f"{API}/tickets",
        content=b"{}",
        headers=kiosk(world) | {"content-type": "application/json", "content-length": "not-a-number"},
    )
    assert_error(lying, 413, "body_too_large")  # a length that is not a number is not trusted
    assert_nothing_changed(api, world, before)


@SQLITE_ONLY
def test_a_body_just_under_the_limit_is_read(api: TestClient, world: World) -> None:
    # The limit refuses what is too large, nothing else: a 900 KB body reaches validation.
    body = b'{"center": "T1", "category": "policy", "note": "' + b"x" * 900_000 + b'"}'
    response = api.post(f"{API}/tickets", content=body, headers=kiosk(world) | {"content-type": "application/json"})
    assert_error(response, 422, "invalid_request")  # the note is over 500 characters


# --- paths and methods ------------------------------------------------------------------------------


def test_bad_paths(api: TestClient, world: World) -> None:
    reception = officer(api)
    before = snapshot(api)
    assert_error(api.get(f"{API}/tickets/abc", headers=reception), 422, "invalid_request")
    assert_error(api.get(f"{API}/tickets/424242", headers=reception), 404, "ticket_not_found")
    assert_error(api.get(f"{API}/tickets/-1", headers=reception), 404, "ticket_not_found")
    assert_error(api.post(f"{API}/counters/424242/call-next", headers=reception), 404, "counter_not_found")
    assert_error(api.get(f"{API}/centers/NOPE/queue", headers=reception), 404, "center_not_found")
    assert_error(api.get(f"{API}/cases/424242", headers=reception), 404, "case_not_found")
    assert_error(api.get(f"{API}/employees/NOPE/history", headers=reception), 404, "employee_not_found")
    assert_error(api.get(f"{API}/no-such-thing"), 404, "not_found")
    nul_in_path = api.get(f"{API}/centers/T1%00/queue", headers=reception)
    if api.app.state.engine.dialect.name == "postgresql":  # type: ignore[attr-defined]
        assert_error(nul_in_path, 422, "invalid_value")  # PostgreSQL cannot even compare such text
    else:
        assert_error(nul_in_path, 404, "center_not_found")
    assert_error(api.delete(f"{API}/tickets"), 405, "method_not_allowed")
    assert_nothing_changed(api, world, before)


def test_ids_too_large_for_the_database_are_not_a_server_error(api: TestClient, world: World) -> None:
    reception = officer(api)
    issued = api.post(f"{API}/tickets", json={"center": "T1", "category": "policy"}, headers=kiosk(world)).json()
    before = snapshot(api)
    huge = 2**70
    for response in (
        api.get(f"{API}/tickets/{huge}", headers=reception),
        api.post(f"{API}/counters/{huge}/call-next", headers=reception),
        api.post(f"{API}/tickets/{huge}/cancel", headers=reception),
        api.get(f"{API}/cases/{huge}", headers=reception),
        api.post(f"{API}/tickets/{issued['id']}/call", json={"counter_id": huge}, headers=reception),
        api.post(f"{API}/tickets/{issued['id']}/transfer", json={"counter_id": -(2**70)}, headers=reception),
    ):
        assert_error(response, 422, "invalid_value")
    assert snapshot(api) == before


def test_text_the_database_cannot_store_is_never_a_server_error(api: TestClient, world: World) -> None:
    # PostgreSQL refuses NUL characters in text (SQLite keeps them). Either way a person's input
    # must not become a 500, and a refusal changes nothing.
    postgres = api.app.state.engine.dialect.name == "postgresql"  # type: ignore[attr-defined]
    for body in (
        {"center": "T1", "category": "policy", "note": "kiosk\x00note"},
        {"center": "T1\x00", "category": "policy"},
        {"center": "T1", "category": "policy", "employee_no": "E1001\x00"},
    ):
        before = snapshot(api)
        response = api.post(f"{API}/tickets", json=body, headers=kiosk(world))
        if postgres:
            assert_error(response, 422, "invalid_value")
        else:
            assert response.status_code in (201, 404), response.text
        if response.status_code != 201:
            assert snapshot(api) == before


def test_unicode_text_is_kept_as_written(api: TestClient, world: World) -> None:
    note = "宿舍暖气不热 🔥 — 3号楼"
    issued = api.post(
        f"{API}/tickets", json={"center": "T1", "category": "logistics", "note": note}, headers=officer(api)
    )
    assert issued.status_code == 201, issued.text
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        assert session.get(Ticket, issued.json()["id"]).note == note  # type: ignore[union-attr]
