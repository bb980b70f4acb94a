"""Offline number blocks and the upload of tickets issued while the server was away, on SQLite
and PostgreSQL; plus the kiosk's client methods against a real server process.

The fake clock starts on Monday 2026-11-23 at 10:00 in Shanghai (02:00 UTC).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from support import PASSWORD, FakeClock, ServerProcess, World, login

from suqiu_queue.server.events.models import Event
from suqiu_queue.server.tickets import service as ticket_service

# Who may lease or upload cannot depend on the database: SQLite only. Blocks, numbering, uploads and
# queue order run on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

API = "/api/v1"


@pytest.fixture(autouse=True)
def _fresh_wait_figures() -> Iterator[None]:
    """Wait estimates are cached for seconds; a test day moves faster."""
    ticket_service._service_times.items.clear()
    ticket_service._open_counters.items.clear()
    yield


def kiosk(world: World) -> dict[str, str]:
    return {"X-Device-Key": world.device_keys["kiosk"]}


def officer(api: TestClient, role: str) -> dict[str, str]:
    response = api.post(f"{API}/auth/login", json={"username": f"{role}1", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def second_kiosk(api: TestClient, center: str = "T1") -> dict[str, str]:
    made = api.post(
        f"{API}/devices", json={"center": center, "kind": "kiosk", "name": "二号机"}, headers=officer(api, "admin")
    )
    assert made.status_code == 201, made.text
    return {"X-Device-Key": made.json()["key"]}


def lease(api: TestClient, headers: dict[str, str], category: str = "policy", size: int = 5, **extra: Any) -> Any:
    response = api.post(
        f"{API}/kiosk/number-blocks",
        json={"center": "T1", "category": category, "size": size, **extra},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def issue_online(api: TestClient, world: World, category: str = "policy") -> Any:
    response = api.post(f"{API}/tickets", json={"center": "T1", "category": category}, headers=kiosk(world))
    assert response.status_code == 201, response.text
    return response.json()


def item(key: str, number: int, issued_at: datetime, category: str = "policy", **extra: Any) -> dict[str, Any]:
    return {"idempotency_key": key, "category": category, "number": number, "issued_at": issued_at.isoformat(), **extra}


def upload(api: TestClient, headers: dict[str, str], items: list[dict[str, Any]]) -> list[Any]:
    response = api.post(f"{API}/kiosk/offline-tickets", json={"center": "T1", "tickets": items}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert sum(body["summary"].values()) == len(items)
    return list(body["results"])


# --- leasing ---------------------------------------------------------------------------------------


def test_kiosks_get_disjoint_blocks_and_online_numbers_skip_them(api: TestClient, world: World) -> None:
    other = second_kiosk(api)
    assert issue_online(api, world)["display"] == "A001"
    first = lease(api, kiosk(world), size=5)
    second = lease(api, other, size=5)
    assert (first["first"], first["last"]) == (2, 6)
    assert (second["first"], second["last"]) == (7, 11)
    assert first["prefix"] == "A" and first["service_date"] == "2026-11-23" and first["category"] == "policy"
    assert (first["first_display"], first["last_display"]) == ("A002", "A006")
    assert issue_online(api, world)["display"] == "A012"
    # Another category has its own sequence, untouched.
    assert lease(api, kiosk(world), category="legal", size=3)["first"] == 1


def test_a_retried_lease_gets_the_same_block(api: TestClient, world: World) -> None:
    once = lease(api, kiosk(world), size=10, request_key="lease-retry-0001")
    again = lease(api, kiosk(world), size=10, request_key="lease-retry-0001")
    assert again == once
    assert issue_online(api, world)["number"] == once["last"] + 1


@SQLITE_ONLY
def test_who_may_lease(api: TestClient, world: World) -> None:
    body = {"center": "T1", "category": "policy", "size": 5}
    other_center_kiosk = {"X-Device-Key": world.other_kiosk_key}
    refused = api.post(f"{API}/kiosk/number-blocks", json=body, headers=other_center_kiosk)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "other_center"
    assert api.post(f"{API}/kiosk/number-blocks", json=body, headers=officer(api, "reception")).status_code == 403
    too_big = api.post(f"{API}/kiosk/number-blocks", json=body | {"size": 1000}, headers=kiosk(world))
    assert too_big.status_code == 422


def test_a_kiosk_lists_its_blocks_with_uploads(api: TestClient, world: World, clock: FakeClock) -> None:
    block = lease(api, kiosk(world), size=5)
    lease(api, second_kiosk(api), size=5)
    upload(api, kiosk(world), [item("list-blocks-1", block["first"], clock() - timedelta(minutes=1))])
    mine = api.get(f"{API}/kiosk/number-blocks", headers=kiosk(world)).json()
    assert mine["service_date"] == "2026-11-23"
    assert [(b["first"], b["last"], b["uploaded"]) for b in mine["blocks"]] == [(1, 5, 1)]


# --- uploading ---------------------------------------------------------------------------------------


def test_upload_accepts_once_and_says_why_it_refuses(api: TestClient, world: World, clock: FakeClock) -> None:
    other = second_kiosk(api)
    mine = lease(api, kiosk(world), size=5)  # 1..5
    theirs = lease(api, other, size=5)  # 6..10
    arrived = clock() - timedelta(minutes=20)
    results = upload(
        api,
        kiosk(world),
        [
            item("offline-key-0001", mine["first"], arrived),
            item("offline-key-0002", 50, arrived),
            item("offline-key-0003", theirs["first"], arrived),
            item("offline-key-0004", mine["first"] + 1, clock() + timedelta(hours=1)),
            item("offline-key-0005", mine["first"], arrived + timedelta(minutes=1)),
            item("offline-key-0006", 1, arrived, category="no_such_category"),
            item("offline-key-0007", mine["first"] + 2, arrived.replace(tzinfo=None)),
        ],
    )
    assert [(r["status"], r.get("reason")) for r in results] == [
        ("accepted", None),
        ("rejected", "number_not_leased"),
        ("rejected", "other_device_block"),
        ("rejected", "issued_in_future"),
        ("rejected", "number_already_used"),
        ("rejected", "unknown_category"),
        ("rejected", "invalid_issued_at"),
    ]
    assert all(r["message"] for r in results[1:])
    ticket = results[0]["ticket"]
    assert ticket["display"] == "A001" and ticket["state"] == "waiting"
    assert datetime.fromisoformat(ticket["issued_at"]) == arrived

    again = upload(api, kiosk(world), [item("offline-key-0001", mine["first"], arrived)])
    assert again[0]["status"] == "duplicate" and again[0]["ticket"]["id"] == ticket["id"]
    # The other kiosk cannot claim this kiosk's upload key.
    stolen = upload(api, other, [item("offline-key-0001", theirs["first"], arrived)])
    assert (stolen[0]["status"], stolen[0]["reason"]) == ("rejected", "idempotency_key_conflict")


def test_real_arrival_time_decides_the_queue_order(
    api: TestClient, world: World, clock: FakeClock, sessions: Any
) -> None:
    block = lease(api, kiosk(world), size=5)  # A001..A005, leased at 10:00
    clock.advance(minutes=5)
    offline_arrival = clock()  # 10:05: the kiosk is offline and prints A001
    clock.advance(minutes=5)
    online = issue_online(api, world)  # 10:10: a second kiosk, still online, issues A006
    assert online["display"] == "A006"
    clock.advance(minutes=5)
    results = upload(api, kiosk(world), [item("order-key-0001", block["first"], offline_arrival, note="工资问题")])
    assert results[0]["status"] == "accepted"
    assert results[0]["ticket"]["people_ahead"] == 0

    reception = officer(api, "reception")
    called = api.post(f"{API}/counters/{world.counters[1]}/call-next", headers=reception).json()["ticket"]
    assert called["display"] == "A001"
    api.post(f"{API}/tickets/{called['id']}/done", headers=reception)
    called = api.post(f"{API}/counters/{world.counters[1]}/call-next", headers=reception).json()["ticket"]
    assert called["display"] == "A006"

    with sessions() as session:
        issued = session.scalars(select(Event).where(Event.kind == "ticket.issued").order_by(Event.id)).all()
    offline_events = [e.payload for e in issued if e.payload.get("offline")]
    assert len(offline_events) == 1 and offline_events[0]["display"] == "A001"
    assert "工资问题" not in str(offline_events[0])


def test_identification_problems_never_lose_the_ticket(api: TestClient, world: World, clock: FakeClock) -> None:
    block = lease(api, kiosk(world), size=5)
    arrived = clock() - timedelta(minutes=3)
    results = upload(
        api,
        kiosk(world),
        [
            item("ident-key-0001", block["first"], arrived, employee_no="NOBODY"),
            item("ident-key-0002", block["first"] + 1, arrived, employee_no="E1002"),  # born 1958
            item("ident-key-0003", block["first"] + 2, arrived, lane="express"),
        ],
    )
    assert [r["status"] for r in results] == ["accepted"] * 3
    assert results[0]["warnings"] == ["unknown_employee_no"] and not results[0]["ticket"]["identified"]
    assert results[1]["ticket"]["identified"] and results[1]["ticket"]["lane"] == "priority"
    assert results[2]["warnings"] == ["invalid_lane"] and results[2]["ticket"]["lane"] == "normal"


def test_a_finished_day_is_recorded_not_queued(api: TestClient, world: World, clock: FakeClock, sessions: Any) -> None:
    block = lease(api, kiosk(world), size=5)
    arrived = clock() + timedelta(minutes=30)  # Monday 10:30
    clock.advance(days=1)  # the kiosk comes back on Tuesday
    results = upload(
        api,
        kiosk(world),
        [
            item("late-key-0001", block["first"], arrived),
            item("late-key-0002", block["first"] + 1, clock()),  # Monday's block used on Tuesday
        ],
    )
    assert results[0]["status"] == "accepted"
    ticket = results[0]["ticket"]
    assert (ticket["service_date"], ticket["state"], ticket["called_at"]) == ("2026-11-23", "no_show", None)
    assert (results[1]["status"], results[1]["reason"]) == ("rejected", "wrong_service_date")

    reception = officer(api, "reception")
    assert api.post(f"{API}/counters/{world.counters[1]}/call-next", headers=reception).json()["ticket"] is None
    with sessions() as session:
        kinds = session.scalars(select(Event.kind).where(Event.kind.like("ticket.%"))).all()
    assert "ticket.offline_recorded" in kinds and "ticket.issued" not in kinds


@SQLITE_ONLY
def test_only_kiosks_of_the_center_upload(api: TestClient, world: World, clock: FakeClock) -> None:
    body = {"center": "T1", "tickets": [item("who-key-0001", 1, clock())]}
    assert api.post(f"{API}/kiosk/offline-tickets", json=body, headers=officer(api, "admin")).status_code == 403
    other = api.post(f"{API}/kiosk/offline-tickets", json=body, headers={"X-Device-Key": world.other_kiosk_key})
    assert other.status_code == 403 and other.json()["error"]["code"] == "other_center"
    too_many = {"center": "T1", "tickets": [item(f"bulk-key-{i:04d}", i + 1, clock()) for i in range(201)]}
    assert api.post(f"{API}/kiosk/offline-tickets", json=too_many, headers=kiosk(world)).status_code == 422


# --- the kiosk's client methods, against a real server ----------------------------------------------


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, seeded_copy: Any) -> Iterator[tuple[ServerProcess, World]]:
    url, world = seeded_copy(tmp_path_factory.mktemp("kiosk-server"))
    with ServerProcess(url) as server:
        yield server, world


def test_kiosk_client_methods(live_server: tuple[ServerProcess, World]) -> None:
    from suqiu_queue.client import ApiError, SuqiuClient

    server, world = live_server
    client = SuqiuClient(server.url, device_key=world.device_keys["kiosk"])
    answers = client.faq_search("policy", "公积金怎么取")
    assert "提取" in answers[0]["question"] and answers[0]["category"] == "policy"
    assert len(client.faq_search("logistics", limit=2)) == 2
    client.faq_viewed(answers[0]["id"])
    client.faq_resolved(answers[0]["id"])
    client.faq_not_resolved(answers[0]["id"])
    with pytest.raises(ApiError) as caught:
        client.faq_resolved(999_999)
    assert caught.value.code == "faq_entry_not_found"

    block = client.lease_number_block("T1", "care", size=4)
    assert block["prefix"] == "D" and block["last"] - block["first"] == 3
    assert client.number_blocks()["blocks"][0]["id"] == block["id"]
    arrived = datetime.now().astimezone() - timedelta(minutes=2)
    tickets = [
        {"idempotency_key": "client-offline-0001", "category": "care", "number": block["first"], "issued_at": arrived}
    ]
    results = client.upload_offline_tickets("T1", tickets)
    assert results[0]["status"] == "accepted"
    assert client.upload_offline_tickets("T1", tickets)[0]["status"] == "duplicate"

    status = client.ticket_status(results[0]["ticket"]["status_token"])
    assert status["display"] == results[0]["ticket"]["display"] and status["state"] == "waiting"
    admin = SuqiuClient(server.url, token=login(server.url, "admin1"))
    counted = admin.get(f"/api/v1/faq/{answers[0]['id']}")
    assert (counted["view_count"], counted["resolved_count"], counted["not_resolved_count"]) == (1, 1, 1)
