"""The kiosk's ticket press is answered ahead of the framework (tickets/fast.py): every answer
must be the one the route gives. The same requests go to an app with the fast path and to one
without it, on the same database, and the answers are compared."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support import PASSWORD, FakeClock, World

from suqiu_queue.server.app import create_app
from suqiu_queue.server.settings import Settings
from suqiu_queue.server.tickets import fast

API = "/api/v1"
# Differ between any two tickets, whichever app issued them (the second is one more in the queue).
PER_TICKET = {
    "id", "number", "display", "status_token", "status_url", "issued_at", "created", "people_ahead",
    "estimated_wait_minutes",
}  # fmt: skip


@pytest.fixture
def framework(migrated_engine, clock: FakeClock, tmp_path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = Settings.load(
        database_url=migrated_engine.url.render_as_string(hide_password=False),
        data_dir=tmp_path,
        ticket_fast_path=False,
    )
    with TestClient(create_app(settings, engine=migrated_engine, clock=clock)) as client:
        yield client


@pytest.fixture
def fast_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The requests the fast path answered itself (the route calls its own binding)."""
    calls: list[str] = []
    issue = fast.issue_and_view

    def counting(ctx: Any, body: Any, principal: Any, key: str | None) -> dict[str, Any]:
        calls.append(body.category)
        return issue(ctx, body, principal, key)

    monkeypatch.setattr(fast, "issue_and_view", counting)
    return calls


def _officer(client: TestClient, role: str) -> dict[str, str]:
    response = client.post(f"{API}/auth/login", json={"username": f"{role}1", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _comparable(response: Any) -> tuple[int, Any]:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in PER_TICKET}
    return response.status_code, body


def test_every_answer_is_the_one_the_route_gives(
    api: TestClient, framework: TestClient, world: World, fast_calls: list[str]
) -> None:
    kiosk = {"X-Device-Key": world.device_keys["kiosk"]}
    board = {"X-Device-Key": world.device_keys["board"]}
    ticket = {"center": "T1", "category": "policy"}
    cases: list[tuple[str, dict[str, Any], bool]] = [
        # (what, request, answered by the fast path)
        ("plain", {"json": ticket, "headers": kiosk}, True),
        ("identified", {"json": {**ticket, "employee_no": "E1001", "note": " 问社保 "}, "headers": kiosk}, True),
        ("lane", {"json": {**ticket, "category": "legal", "lane": "priority"}, "headers": kiosk}, True),
        ("officer", {"json": {**ticket, "category": "opinion"}, "headers": _officer(api, "reception")}, True),
        ("unknown category", {"json": {**ticket, "category": "nope"}, "headers": kiosk}, True),
        ("unknown center", {"json": {**ticket, "center": "ZZ"}, "headers": kiosk}, True),
        ("unknown employee", {"json": {**ticket, "employee_no": "E9999"}, "headers": kiosk}, True),
        ("another center", {"json": {**ticket, "center": "T2"}, "headers": kiosk}, True),
        ("no credentials", {"json": ticket}, False),
        ("a board", {"json": ticket, "headers": board}, False),
        ("revoked-looking key", {"json": ticket, "headers": {"X-Device-Key": "sqk_not-a-key"}}, False),
        ("tampered token", {"json": ticket, "headers": {"Authorization": "Bearer v1.e30.AAAA"}}, False),
        ("extra field", {"json": {**ticket, "admin": True}, "headers": kiosk}, False),
        ("wrong type", {"json": {**ticket, "note": 5}, "headers": kiosk}, False),
        ("missing field", {"json": {"center": "T1"}, "headers": kiosk}, False),
        (
            "malformed JSON",
            {"content": b'{"center": "T1",', "headers": {**kiosk, "Content-Type": "application/json"}},
            False,
        ),
        ("not JSON", {"content": b"center=T1", "headers": {**kiosk, "Content-Type": "text/plain"}}, False),
        ("array", {"json": [ticket], "headers": kiosk}, False),
        ("long key header", {"json": ticket, "headers": {**kiosk, "Idempotency-Key": "k" * 129}}, False),
        ("huge body", {"json": {**ticket, "note": "长" * 400_000}, "headers": kiosk}, False),
        ("short key", {"json": {**ticket, "idempotency_key": "short"}, "headers": kiosk}, False),
    ]
    for what, request, answered_fast in cases:
        before = len(fast_calls)
        answer = _comparable(api.post(f"{API}/tickets", **request))
        assert (len(fast_calls) > before) == answered_fast, what
        assert answer == _comparable(framework.post(f"{API}/tickets", **request)), what


def test_a_repeated_key_finds_the_same_ticket_on_either_path(
    api: TestClient, framework: TestClient, world: World, fast_calls: list[str]
) -> None:
    kiosk = {"X-Device-Key": world.device_keys["kiosk"]}
    body = {"center": "T1", "category": "policy", "idempotency_key": "kiosk-1-000042"}
    first = api.post(f"{API}/tickets", json=body, headers=kiosk)
    again = framework.post(f"{API}/tickets", json=body, headers=kiosk)
    by_header = api.post(
        f"{API}/tickets",
        json={"center": "T1", "category": "policy"},
        headers={**kiosk, "Idempotency-Key": "kiosk-1-000042"},
    )
    assert first.status_code == again.status_code == by_header.status_code == 201
    assert first.json()["created"] is True and again.json()["created"] is False and by_header.json()["created"] is False
    assert first.json()["id"] == again.json()["id"] == by_header.json()["id"]
    assert len(fast_calls) == 2


def test_the_request_metrics_name_the_route_as_before(api: TestClient, world: World, fast_calls: list[str]) -> None:
    api.post(
        f"{API}/tickets",
        json={"center": "T1", "category": "policy"},
        headers={"X-Device-Key": world.device_keys["kiosk"]},
    )
    assert fast_calls == ["policy"]
    metrics = api.get("/metrics").text
    assert 'suqiu_http_requests_total{method="POST",route="/api/v1/tickets",status="201"} 1.0' in metrics
