"""Cases (minimal): open from a ticket or from a letter/call/web message, notes, audited reads, history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from support import PASSWORD, FakeClock, World

from suqiu_queue.server.audit.models import AuditEntry
from suqiu_queue.server.events.models import Event

API = "/api/v1"

# Tests where the database plays no part (validation, messages, argument handling) run on SQLite
# only; everything that depends on storage, transactions or concurrency runs on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def officer(api: TestClient, role: str = "reception") -> dict[str, str]:
    token = api.post(f"{API}/auth/login", json={"username": f"{role}1", "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def issue(api: TestClient, world: World, **fields: Any) -> dict[str, Any]:
    response = api.post(
        f"{API}/tickets",
        json={"center": "T1", "category": "policy", **fields},
        headers={"X-Device-Key": world.device_keys["kiosk"]},
    )
    assert response.status_code == 201, response.text
    return response.json()


def open_case(api: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = api.post(f"{API}/cases", json={"center": "T1", "category": "policy", **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_open_a_case_from_a_ticket(api: TestClient, world: World) -> None:
    reception = officer(api)
    ticket = issue(api, world, employee_no="E1001")
    case = open_case(api, reception, ticket_id=ticket["id"], summary="咨询住房公积金提取条件")
    assert case["reference"] == "SQ2026-000001"
    assert (case["status"], case["status_label"]) == ("accepted", "受理")
    assert (case["channel"], case["channel_label"]) == ("visit", "来访")
    assert case["origin_ticket_id"] == ticket["id"]
    assert case["summary"] == "咨询住房公积金提取条件"
    assert [(t["kind"], t["to"]) for t in case["timeline"]] == [("created", "accepted")]
    assert case["timeline"][0]["actor"].startswith("user:")

    # The ticket now points at its case, and the person came with the ticket.
    assert api.get(f"{API}/tickets/{ticket['id']}", headers=reception).json()["case_id"] == case["id"]
    history = api.get(f"{API}/employees/E1001/history", headers=reception).json()
    assert [(i["type"], i.get("id")) for i in history["items"] if i["type"] == "case"] == [("case", case["id"])]

    # The event tells boards and desks that a case exists, never what it is about or whose it is.
    created = [e for e in _events(api) if e.kind == "case.created"]
    assert len(created) == 1
    assert created[0].payload == created[0].payload | {"case_id": case["id"], "reference": "SQ2026-000001"}
    assert "咨询" not in str(created[0].payload) and "E1001" not in str(created[0].payload)

    again = api.post(
        f"{API}/cases",
        json={"center": "T1", "category": "policy", "ticket_id": ticket["id"], "summary": "再次"},
        headers=reception,
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ticket_has_case"
    assert again.json()["error"]["details"] == {"case_id": case["id"]}


@SQLITE_ONLY
def test_letters_calls_and_web_messages_open_cases_without_a_ticket(api: TestClient, world: World) -> None:
    handler = officer(api, "handler")
    labels = {}
    for number, channel in enumerate(("letter", "phone", "online"), start=1):
        case = open_case(api, handler, channel=channel, summary=f"第{number}件", employee_no="E1003")
        assert case["reference"] == f"SQ2026-{number:06d}"
        assert case["origin_ticket_id"] is None
        labels[channel] = case["channel_label"]
    assert labels == {"letter": "来信", "phone": "来电", "online": "网上"}
    anonymous = open_case(api, handler, channel="phone", summary="匿名来电反映食堂卫生问题", category="logistics")
    assert anonymous["category_name"] == "后勤·宿舍·报修"


@SQLITE_ONLY
def test_a_case_cannot_take_another_centers_ticket(api: TestClient, world: World) -> None:
    other = api.post(
        f"{API}/tickets",
        json={"center": "T2", "category": "policy"},
        headers={"X-Device-Key": world.other_kiosk_key},
    ).json()
    admin = officer(api, "admin")
    response = api.post(
        f"{API}/cases",
        json={"center": "T1", "category": "policy", "ticket_id": other["id"], "summary": "x"},
        headers=admin,
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "other_center"
    missing = api.post(
        f"{API}/cases", json={"center": "T1", "category": "policy", "ticket_id": 424242, "summary": "x"}, headers=admin
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "ticket_not_found"


def test_notes_and_audited_reads(api: TestClient, world: World, clock: FakeClock) -> None:
    reception, legal = officer(api), officer(api, "legal")
    case = open_case(api, reception, channel="phone", summary="工伤认定咨询", category="legal")
    clock.advance(minutes=7)
    noted = api.post(f"{API}/cases/{case['id']}/notes", json={"note": "已电话回访，材料齐全"}, headers=legal)
    assert noted.status_code == 201, noted.text
    timeline = noted.json()["timeline"]
    assert [t["kind"] for t in timeline] == ["created", "note"]
    assert timeline[1]["note"] == "已电话回访，材料齐全"
    assert timeline[1]["at"] == "2026-11-23T02:07:00+00:00"
    assert noted.json()["updated_at"] == "2026-11-23T02:07:00+00:00"
    assert [e.kind for e in _events(api) if e.kind.startswith("case.")] == ["case.created", "case.updated"]
    empty = api.post(f"{API}/cases/{case['id']}/notes", json={"note": ""}, headers=legal)
    assert empty.status_code == 422

    read = api.get(f"{API}/cases/{case['id']}", headers=legal)
    assert read.status_code == 200
    assert read.json()["summary"] == "工伤认定咨询"
    legal_id = api.get(f"{API}/auth/me", headers=legal).json()["id"]
    reads = _audit(api, "case.read")
    assert [(a.actor, a.subject) for a in reads] == [(f"user:{legal_id}", f"case:{case['id']}")]


def test_history_lists_tickets_and_cases_newest_first(api: TestClient, world: World, clock: FakeClock) -> None:
    reception = officer(api)
    first = issue(api, world, employee_no="E1002")  # 10:00
    clock.advance(minutes=5)
    letter = open_case(api, reception, channel="letter", summary="来信反映退休待遇", employee_no="E1002")  # 10:05
    clock.advance(minutes=5)
    second = issue(api, world, category="health", employee_no="E1002")  # 10:10
    clock.advance(minutes=1)
    from_ticket = open_case(api, reception, ticket_id=second["id"], summary="医疗报销", category="health")  # 10:11
    issue(api, world, employee_no="E1001")  # somebody else

    response = api.get(f"{API}/employees/E1002/history", headers=reception)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["employee"]["name"] == "李四"
    assert body["employee"]["masked_name"] == "李*"
    assert [(i["type"], i.get("display") or i.get("reference")) for i in body["items"]] == [
        ("case", from_ticket["reference"]),
        ("ticket", second["display"]),
        ("case", letter["reference"]),
        ("ticket", first["display"]),
    ]
    assert body["items"][1]["case_id"] == from_ticket["id"]
    reads = _audit(api, "employee.history_read")
    assert len(reads) == 1 and reads[0].subject.startswith("employee:")

    limited = api.get(f"{API}/employees/E1002/history", params={"limit": 2}, headers=reception).json()
    assert [i["type"] for i in limited["items"]] == ["case", "ticket"]


@SQLITE_ONLY
def test_case_references_follow_the_centers_year(api: TestClient, world: World, clock: FakeClock) -> None:
    clock.now = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # already 01:00 on New Year's Day in Shanghai
    case = open_case(api, officer(api), channel="phone", summary="新年第一件")
    assert case["reference"] == "SQ2027-000001"


def _events(api: TestClient) -> list[Event]:
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        return list(session.scalars(select(Event).order_by(Event.id)).all())


def _audit(api: TestClient, action: str) -> list[AuditEntry]:
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        return list(
            session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()
        )
