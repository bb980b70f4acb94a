"""Tickets over the API, on SQLite and PostgreSQL: numbers, lanes, calling, recalls, transfers.

The rules themselves are in docs/queue-rules.md; these tests walk a day at the center with a
fake clock (Monday 10:00 in Shanghai unless a test moves it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from support import PASSWORD, FakeClock, World, seed_world

from suqiu_queue.server.events.models import Event
from suqiu_queue.server.tickets import service as ticket_service
from suqiu_queue.server.tickets.models import Ticket

# Access rules alone cannot depend on the database: SQLite only. Numbering, ordering, concurrency,
# time zones and counting run on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

API = "/api/v1"


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_wait_figures() -> Iterator[None]:
    """The server keeps service times for 30 s and open counters for 5 s; a test day moves faster."""
    ticket_service._service_times.items.clear()
    ticket_service._open_counters.items.clear()
    yield


def kiosk(world: World) -> dict[str, str]:
    return {"X-Device-Key": world.device_keys["kiosk"]}


def officer(api: TestClient, role: str = "reception") -> dict[str, str]:
    response = api.post(f"{API}/auth/login", json={"username": f"{role}1", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def issue(api: TestClient, world: World, category: str = "policy", **fields: Any) -> dict[str, Any]:
    response = api.post(f"{API}/tickets", json={"center": "T1", "category": category, **fields}, headers=kiosk(world))
    assert response.status_code == 201, response.text
    return response.json()


def call_next(api: TestClient, headers: dict[str, str], counter_id: int) -> dict[str, Any] | None:
    response = api.post(f"{API}/counters/{counter_id}/call-next", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["ticket"]


def act(api: TestClient, headers: dict[str, str], ticket_id: int, action: str, **body: Any) -> Any:
    return api.post(f"{API}/tickets/{ticket_id}/{action}", headers=headers, json=body or None)


def ticket(api: TestClient, world: World, ticket_id: int) -> dict[str, Any]:
    response = api.get(f"{API}/tickets/{ticket_id}", headers=kiosk(world))
    assert response.status_code == 200, response.text
    return response.json()


def events(api: TestClient, kind: str | None = None) -> list[Event]:
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        query = select(Event).order_by(Event.id)
        if kind:
            query = query.where(Event.kind == kind)
        return list(session.scalars(query).all())


def ticket_count(api: TestClient) -> int:
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(Ticket)) or 0)


# --- issuing -------------------------------------------------------------------------------------


def test_numbers_count_up_per_category_and_day(api: TestClient, world: World) -> None:
    first = issue(api, world, "policy")
    second = issue(api, world, "policy")
    opinion = issue(api, world, "opinion")
    at_the_desk = api.post(f"{API}/tickets", json={"center": "T1", "category": "legal"}, headers=officer(api))
    assert at_the_desk.status_code == 201, at_the_desk.text
    assert [first["display"], second["display"], opinion["display"], at_the_desk.json()["display"]] == [
        "A001",
        "A002",
        "B001",
        "C001",
    ]
    assert first["created"] is True
    assert first["state"] == "waiting"
    assert first["service_date"] == "2026-11-23"
    assert first["center"] == "T1"
    assert first["category_name"] == "政策咨询"
    assert first["lane"] == "normal"
    assert first["identified"] is False
    assert len(first["status_token"]) >= 16
    assert [e.kind for e in events(api)] == ["ticket.issued"] * 4
    assert events(api)[0].payload["display"] == "A001"

    # No paper left: the kiosk says so, and the front desk hears it.
    failed = api.post(
        f"{API}/tickets/{first['id']}/print-status", json={"failed": True, "reason": "缺纸"}, headers=kiosk(world)
    )
    assert failed.status_code == 200, failed.text
    assert failed.json()["print_failed"] is True
    assert events(api, "ticket.print_failed")[0].payload["reason"] == "缺纸"


def test_many_kiosks_pressing_at_once_get_distinct_numbers(api: TestClient, world: World) -> None:
    results: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def press() -> None:
        try:
            start.wait()
            results.append(issue(api, world, "policy")["display"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=press) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == ["A001", "A002", "A003", "A004", "A005", "A006"]


def test_numbers_restart_after_local_midnight(api: TestClient, world: World, clock: FakeClock) -> None:
    clock.now = datetime(2026, 11, 23, 15, 58, tzinfo=UTC)  # 23:58 in Shanghai
    late = [issue(api, world, "policy"), issue(api, world, "policy")]
    assert [t["display"] for t in late] == ["A001", "A002"]
    assert late[0]["service_date"] == "2026-11-23"

    clock.advance(minutes=2)  # 00:00 in Shanghai, still the 23rd in UTC
    early = issue(api, world, "policy")
    assert early["display"] == "A001"
    assert early["service_date"] == "2026-11-24"
    assert early["people_ahead"] == 0  # yesterday's leftovers are not in today's queue

    reception = officer(api)
    assert call_next(api, reception, world.counters[1])["id"] == early["id"]  # type: ignore[index]
    assert call_next(api, reception, world.counters[1]) is None
    assert ticket(api, world, late[0]["id"])["state"] == "waiting"


def test_the_same_idempotency_key_returns_the_same_ticket(api: TestClient, world: World) -> None:
    key = "kiosk-1-press-000042"
    first = issue(api, world, "policy", idempotency_key=key)
    again = issue(api, world, "policy", idempotency_key=key)
    assert again["id"] == first["id"]
    assert again["display"] == "A001"
    assert first["created"] is True
    assert again["created"] is False
    assert ticket_count(api) == 1
    assert len(events(api, "ticket.issued")) == 1
    assert issue(api, world, "policy")["display"] == "A002"  # the retry consumed no number

    # The key may come as a header too.
    headers = kiosk(world) | {"Idempotency-Key": "hdr-key-123456"}
    body = {"center": "T1", "category": "opinion"}
    by_header = [api.post(f"{API}/tickets", json=body, headers=headers) for _ in range(2)]
    assert [r.status_code for r in by_header] == [201, 201]
    assert by_header[0].json()["id"] == by_header[1].json()["id"]
    assert by_header[1].json()["created"] is False

    # Another center's kiosk cannot read someone's ticket by replaying their key.
    replay = api.post(
        f"{API}/tickets",
        json={"center": "T2", "category": "policy", "idempotency_key": key},
        headers={"X-Device-Key": world.other_kiosk_key},
    )
    assert replay.status_code == 403, replay.text
    assert replay.json()["error"]["code"] == "other_center"
    assert "status_token" not in replay.text


def test_an_elderly_employee_gets_the_priority_lane(api: TestClient, world: World) -> None:
    elderly = issue(api, world, "policy", employee_no="E1002")  # born 1958
    young = issue(api, world, "policy", employee_no="E1001")  # born 1990
    by_phone = issue(api, world, "opinion", phone="13800000002")
    assert elderly["lane"] == "priority"
    assert elderly["identified"] is True
    assert elderly["identified_by"] == "employee_no"
    assert young["lane"] == "normal"
    assert by_phone["lane"] == "priority"
    assert by_phone["identified_by"] == "phone"
    # A category's own lane comes first: 紧急重要 tickets are urgent.
    assert issue(api, world, "urgent", employee_no="E1002")["lane"] == "urgent"

    refused = api.post(
        f"{API}/tickets", json={"center": "T1", "category": "policy", "employee_no": "E9999"}, headers=kiosk(world)
    )
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "employee_not_found"
    assert issue(api, world, "policy")["display"] == "A003"  # the refusal consumed no number


@SQLITE_ONLY
def test_a_kiosk_cannot_issue_for_another_center(api: TestClient, world: World) -> None:
    wrong_way = api.post(f"{API}/tickets", json={"center": "T2", "category": "policy"}, headers=kiosk(world))
    other_way = api.post(
        f"{API}/tickets", json={"center": "T1", "category": "policy"}, headers={"X-Device-Key": world.other_kiosk_key}
    )
    for response in (wrong_way, other_way):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "other_center"
    assert ticket_count(api) == 0
    assert events(api) == []
    mine = issue(api, world, "policy")
    looked_up = api.get(f"{API}/tickets/{mine['id']}", headers={"X-Device-Key": world.other_kiosk_key})
    assert looked_up.status_code == 403


# --- closed hours ---------------------------------------------------------------------------------


@pytest.fixture
def office_hours_api(migrated_engine, sessions, clock: FakeClock, tmp_path) -> Iterator[tuple[TestClient, World]]:  # type: ignore[no-untyped-def]
    from suqiu_queue.server.app import create_app
    from suqiu_queue.server.settings import Settings

    with sessions() as session, session.begin():
        world = seed_world(session, always_open=False)
    settings = Settings.load(database_url=migrated_engine.url.render_as_string(hide_password=False), data_dir=tmp_path)
    with TestClient(create_app(settings, engine=migrated_engine, clock=clock)) as client:
        yield client, world


def test_no_tickets_outside_opening_hours(office_hours_api: tuple[TestClient, World], clock: FakeClock) -> None:
    api, world = office_hours_api
    closed_moments = [
        datetime(2026, 11, 23, 4, 30, tzinfo=UTC),  # Monday 12:30, lunch break
        datetime(2026, 11, 23, 12, 0, tzinfo=UTC),  # Monday 20:00
        datetime(2026, 11, 28, 2, 0, tzinfo=UTC),  # Saturday 10:00
    ]
    for moment in closed_moments:
        clock.now = moment
        closed = api.post(f"{API}/tickets", json={"center": "T1", "category": "policy"}, headers=kiosk(world))
        assert closed.status_code == 409, moment
        error = closed.json()["error"]
        assert error["code"] == "center_closed"
        assert "服务时间" in error["message"]
        assert error["details"]["opening_hours"]["mon"] == [["08:30", "12:00"], ["13:30", "17:30"]]
    assert ticket_count(api) == 0
    assert events(api) == []

    clock.now = datetime(2026, 11, 23, 5, 30, tzinfo=UTC)  # Monday 13:30: open again
    assert issue(api, world, "policy")["display"] == "A001"  # nothing was consumed while closed
    assert api.get(f"{API}/centers/T1").json()["open_now"] is True


# --- calling ---------------------------------------------------------------------------------------


def test_call_next_follows_lanes_with_aging(api: TestClient, world: World, clock: FakeClock) -> None:
    reception = officer(api)
    normal = issue(api, world, "policy", employee_no="E1001")  # 10:00
    clock.advance(minutes=5)
    early_elderly = issue(api, world, "policy", employee_no="E1002")  # 10:05, counts as 09:50
    clock.advance(minutes=20)
    late_elderly = issue(api, world, "policy", phone="13800000002")  # 10:25, counts as 10:10
    assert [t["lane"] for t in (normal, early_elderly, late_elderly)] == ["normal", "priority", "priority"]

    # What each person is told matches the order they will be called in.
    assert ticket(api, world, early_elderly["id"])["people_ahead"] == 0
    assert ticket(api, world, normal["id"])["people_ahead"] == 1
    assert ticket(api, world, late_elderly["id"])["people_ahead"] == 2
    queue = api.get(f"{API}/centers/T1/queue", headers=reception).json()["tickets"]
    assert [(row["display"], row["order"]) for row in queue] == [("A002", 0), ("A001", 1), ("A003", 2)]

    # A person in crisis who arrives last is called first.
    clock.advance(minutes=40)
    crisis = issue(api, world, "policy", lane="crisis")
    assert crisis["people_ahead"] == 0

    counter = world.counters[1]
    called = [call_next(api, reception, counter) for _ in range(5)]
    # The elderly person who came at 10:05 goes before the normal ticket; the normal ticket,
    # waiting since 10:00, is no longer overtaken by the elderly person who came at 10:25.
    assert [t["display"] if t else None for t in called] == ["A004", "A002", "A001", "A003", None]
    rows = api.get(f"{API}/centers/T1/queue", headers=reception).json()["tickets"]
    assert {r["state"] for r in rows} == {"called"}
    assert all(r["order"] is None for r in rows)


def test_call_a_specific_ticket_then_serve_it(api: TestClient, world: World) -> None:
    reception = officer(api)
    first, second = issue(api, world, "policy"), issue(api, world, "policy")
    called = act(api, reception, second["id"], "call", counter_id=world.counters[2])
    assert called.status_code == 200, called.text
    assert called.json()["state"] == "called"
    assert called.json()["counter_number"] == 2
    assert called.json()["called_at"] is not None
    again = act(api, reception, second["id"], "call", counter_id=world.counters[1])
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ticket_state_conflict"
    assert "已叫号" in again.json()["error"]["message"]
    assert call_next(api, reception, world.counters[1])["id"] == first["id"]  # type: ignore[index]
    announced = events(api, "ticket.called")
    assert [e.payload["display"] for e in announced] == ["A002", "A001"]
    assert announced[0].payload["counter_number"] == 2

    assert act(api, reception, second["id"], "start").json()["state"] == "serving"
    assert act(api, reception, second["id"], "done").json()["state"] == "done"
    late = act(api, reception, second["id"], "done")
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "ticket_state_conflict"


def test_recall_up_to_the_limit_then_no_show(api: TestClient, world: World) -> None:
    reception = officer(api)
    issued = issue(api, world, "policy")
    call_next(api, reception, world.counters[1])
    counts = []
    for _ in range(3):  # the center's max_recalls
        recalled = act(api, reception, issued["id"], "recall")
        assert recalled.status_code == 200, recalled.text
        assert recalled.json()["state"] == "called"
        counts.append(recalled.json()["recall_count"])
    assert counts == [1, 2, 3]
    exhausted = act(api, reception, issued["id"], "recall")
    assert exhausted.status_code == 200
    assert exhausted.json()["state"] == "no_show"
    no_shows = events(api, "ticket.no_show")
    assert len(no_shows) == 1
    assert no_shows[0].payload["reason"] == "recalls_exhausted"
    assert len(events(api, "ticket.recalled")) == 3

    # The limit is the center's own.
    from suqiu_queue.server.org.models import Center

    with api.app.state.sessions() as session, session.begin():  # type: ignore[attr-defined]
        session.scalar(select(Center).where(Center.code == "T1")).max_recalls = 1  # type: ignore[union-attr]
    impatient = issue(api, world, "policy")
    call_next(api, reception, world.counters[1])
    assert act(api, reception, impatient["id"], "recall").json()["state"] == "called"
    assert act(api, reception, impatient["id"], "recall").json()["state"] == "no_show"


def test_no_show_and_coming_back_late(api: TestClient, world: World, clock: FakeClock) -> None:
    reception = officer(api)
    issued = issue(api, world, "policy")
    refused = act(api, reception, issued["id"], "no-show")  # not called yet
    assert refused.status_code == 409
    call_next(api, reception, world.counters[1])
    gone = act(api, reception, issued["id"], "no-show")
    assert gone.json()["state"] == "no_show"
    assert events(api, "ticket.no_show")[0].payload["reason"] == "officer"
    clock.advance(minutes=5)
    later = issue(api, world, "policy")
    back = act(api, reception, issued["id"], "resume")
    assert back.json()["state"] == "waiting"
    assert back.json()["recall_count"] == 0
    assert back.json()["issued_at"] == issued["issued_at"]
    assert call_next(api, reception, world.counters[1])["id"] == issued["id"]  # type: ignore[index]
    assert call_next(api, reception, world.counters[1])["id"] == later["id"]  # type: ignore[index]


def test_transfer_to_another_category_keeps_arrival_and_number(api: TestClient, world: World, clock: FakeClock) -> None:
    reception = officer(api)
    moved = issue(api, world, "policy")  # 10:00
    clock.advance(minutes=10)
    legal = issue(api, world, "legal")  # 10:10
    call_next(api, reception, world.counters[1])
    transferred = act(api, reception, moved["id"], "transfer", category="legal")
    assert transferred.status_code == 200, transferred.text
    body = transferred.json()
    assert body["state"] == "waiting"
    assert body["category"] == "legal"
    assert body["display"] == "A001"
    assert body["number"] == 1
    assert body["issued_at"] == moved["issued_at"]
    assert body["counter_number"] is None
    assert body["people_ahead"] == 0  # earlier arrival than the legal ticket already waiting
    # Counter 3 (legal only) now calls it first; the policy counters no longer see it.
    assert call_next(api, reception, world.counters[2]) is None
    assert call_next(api, reception, world.counters[3])["id"] == moved["id"]  # type: ignore[index]
    assert call_next(api, reception, world.counters[3])["id"] == legal["id"]  # type: ignore[index]
    # The legal numbers were not touched, and A002 is still the next policy number.
    assert issue(api, world, "legal")["display"] == "C002"
    assert issue(api, world, "policy")["display"] == "A002"
    transfer_event = events(api, "ticket.transferred")[0]
    assert transfer_event.payload["from_category"] == "policy"
    assert transfer_event.payload["category"] == "legal"


def test_transfer_to_a_counter_makes_it_callable_only_there(api: TestClient, world: World) -> None:
    reception = officer(api)
    issued = issue(api, world, "policy")
    moved = act(api, reception, issued["id"], "transfer", counter_id=world.counters[2])
    assert moved.status_code == 200, moved.text
    assert call_next(api, reception, world.counters[1]) is None  # counter 1 also serves policy
    refused = act(api, reception, issued["id"], "call", counter_id=world.counters[1])
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "ticket_for_other_counter"
    assert "2号窗口" in refused.json()["error"]["message"]
    assert call_next(api, reception, world.counters[2])["id"] == issued["id"]  # type: ignore[index]

    # Even to a counter that does not serve the category (counter 3 serves legal only).
    other = issue(api, world, "policy")
    act(api, reception, other["id"], "transfer", counter_id=world.counters[3])
    assert call_next(api, reception, world.counters[3])["id"] == other["id"]  # type: ignore[index]

    # A transfer needs a target, and never to another center's counter.
    third = issue(api, world, "policy")
    nowhere = act(api, reception, third["id"], "transfer", category=None)
    assert nowhere.status_code == 422
    assert nowhere.json()["error"]["code"] == "transfer_target_missing"
    from suqiu_queue.server.org.models import Counter

    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        elsewhere = session.scalar(select(Counter.id).where(Counter.center_id != world.center_id))
    abroad = act(api, reception, third["id"], "transfer", counter_id=elsewhere)
    assert abroad.status_code == 409
    assert abroad.json()["error"]["code"] == "other_center"
    assert len(events(api, "ticket.transferred")) == 2


def test_park_resume_and_cancel(api: TestClient, world: World, clock: FakeClock) -> None:
    reception = officer(api)
    parked = issue(api, world, "policy")
    clock.advance(minutes=3)
    later = issue(api, world, "policy")
    call_next(api, reception, world.counters[1])
    response = act(api, reception, parked["id"], "park")
    assert response.json()["state"] == "parked"
    assert response.json()["counter_number"] is None
    assert ticket(api, world, later["id"])["people_ahead"] == 0
    assert act(api, reception, parked["id"], "resume").json()["state"] == "waiting"
    # Back with its original arrival: ahead of the ticket that came three minutes later.
    assert ticket(api, world, later["id"])["people_ahead"] == 1
    assert [e.kind for e in events(api) if e.kind in ("ticket.parked", "ticket.resumed")] == [
        "ticket.parked",
        "ticket.resumed",
    ]

    cancelled = act(api, reception, parked["id"], "cancel")
    assert cancelled.json()["state"] == "cancelled"
    assert act(api, reception, parked["id"], "cancel").status_code == 409
    assert act(api, reception, parked["id"], "resume").status_code == 409
    assert ticket(api, world, later["id"])["people_ahead"] == 0
    assert call_next(api, reception, world.counters[1])["id"] == later["id"]  # type: ignore[index]


def test_a_paused_counter_calls_nobody(api: TestClient, world: World) -> None:
    reception = officer(api)
    issued = issue(api, world, "policy")
    counter = world.counters[1]
    paused = api.post(f"{API}/counters/{counter}/pause", json={"paused": True}, headers=reception)
    assert paused.json() == {"id": counter, "number": 1, "paused": True}
    blocked = api.post(f"{API}/counters/{counter}/call-next", headers=reception)
    assert blocked.status_code == 409
    assert blocked.json()["error"]["code"] == "counter_paused"
    assert "暂停" in blocked.json()["error"]["message"]
    direct = act(api, reception, issued["id"], "call", counter_id=counter)
    assert direct.status_code == 409
    assert ticket(api, world, issued["id"])["state"] == "waiting"
    assert events(api, "ticket.called") == []
    api.post(f"{API}/counters/{counter}/pause", json={"paused": False}, headers=reception)
    assert call_next(api, reception, counter)["id"] == issued["id"]  # type: ignore[index]
    assert [e.kind for e in events(api) if e.kind.startswith("counter.")] == ["counter.paused", "counter.resumed"]


def test_two_counters_calling_at_once_never_get_the_same_ticket(api: TestClient, world: World) -> None:
    reception = officer(api)
    issued = {issue(api, world, "policy")["id"] for _ in range(6)}
    got: list[int | None] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def desk(counter_id: int) -> None:
        try:
            start.wait()
            for _ in range(3):
                called = call_next(api, reception, counter_id)
                got.append(called["id"] if called else None)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    # Counters 1 and 2 both serve 政策咨询; two clicks on each at the same moment.
    threads = [threading.Thread(target=desk, args=(world.counters[n],)) for n in (1, 1, 2, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    called_ids = [i for i in got if i is not None]
    assert sorted(called_ids) == sorted(issued), "a ticket was called twice or not at all"
    assert len(events(api, "ticket.called")) == 6


# --- what people are told -----------------------------------------------------------------------------


def test_people_ahead_and_wait_change_as_tickets_are_served(api: TestClient, world: World, clock: FakeClock) -> None:
    reception = officer(api)
    # 政策咨询: 8 minutes by default, counters 1 and 2 serve it.
    tickets = [issue(api, world, "policy") for _ in range(5)]
    assert [t["people_ahead"] for t in tickets] == [0, 1, 2, 3, 4]
    assert [t["estimated_wait_minutes"] for t in tickets] == [0, 4, 8, 12, 16]

    # Three people are served in 2 minutes each: the median replaces the default.
    for served in tickets[:3]:
        call_next(api, reception, world.counters[1])
        clock.advance(minutes=2)
        act(api, reception, served["id"], "done")
    ticket_service._service_times.items.clear()  # as if the 30 s cache had expired
    fourth, fifth = ticket(api, world, tickets[3]["id"]), ticket(api, world, tickets[4]["id"])
    assert (fourth["people_ahead"], fourth["estimated_wait_minutes"]) == (0, 0)
    assert (fifth["people_ahead"], fifth["estimated_wait_minutes"]) == (1, 1)  # 1 x 120 s / 2 counters

    called = call_next(api, reception, world.counters[2])
    assert called is not None
    assert called["people_ahead"] == 0  # not waiting any more
    assert called["estimated_wait_minutes"] == 0


def test_waiting_summary_per_category(api: TestClient, world: World) -> None:
    for category in ("policy", "policy", "legal"):
        issue(api, world, category)
    api.post(f"{API}/counters/{world.counters[2]}/pause", json={"paused": True}, headers=officer(api))
    response = api.get(f"{API}/centers/T1/waiting")  # public: the board shows it
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["center"] == "T1"
    rows = {row["category"]: row for row in body["categories"]}
    assert rows["policy"]["waiting"] == 2
    assert rows["policy"]["open_counters"] == 1  # counter 2 is paused
    assert rows["policy"]["estimated_wait_minutes"] == 16  # a newcomer waits for both, 8 min each
    assert rows["legal"]["waiting"] == 1
    assert rows["legal"]["estimated_wait_minutes"] == 20
    assert rows["care"] == rows["care"] | {"waiting": 0, "estimated_wait_minutes": 0, "open_counters": 1}
    assert rows["policy"]["name"] == "政策咨询"
    assert body["categories"][0]["category"] == "urgent"  # in the categories' display order
    assert "status_token" not in response.text and "E100" not in response.text

    unknown = api.get(f"{API}/centers/NOPE/waiting")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "center_not_found"


def test_people_ahead_matches_the_call_order_even_in_ties(api: TestClient, world: World, clock: FakeClock) -> None:
    """What a person is told must be what happens, also when the ordering rule needs its tie-breaks."""
    reception = officer(api)
    normal = issue(api, world, "policy")  # 10:00, effective 10:00
    same_moment = issue(api, world, "policy")  # 10:00 as well: the lower number goes first
    moved_in = issue(api, world, "legal")  # C001 at 10:00 ...
    act(api, reception, moved_in["id"], "transfer", category="policy")  # ... joins 政策咨询 keeping number 1
    clock.advance(minutes=30)
    urgent = issue(api, world, "policy", lane="urgent")  # 10:30 - 30 min: also effective 10:00
    clock.advance(minutes=1)
    crisis_a = issue(api, world, "policy", lane="crisis")
    crisis_b = issue(api, world, "policy", lane="crisis")  # same moment as crisis_a

    waiting = [normal, same_moment, moved_in, urgent, crisis_a, crisis_b]
    told = {t["id"]: ticket(api, world, t["id"])["people_ahead"] for t in waiting}
    called = [call_next(api, reception, world.counters[1]) for _ in waiting]
    order = [t["id"] for t in called if t]
    assert sorted(order) == sorted(told)
    assert {ticket_id: order.index(ticket_id) for ticket_id in order} == told
    # And the order itself is the documented one.
    assert order == [crisis_a["id"], crisis_b["id"], normal["id"], moved_in["id"], same_moment["id"], urgent["id"]]


def test_the_databases_count_of_people_ahead_is_the_domain_rule(sessions, world: World) -> None:  # type: ignore[no-untyped-def]
    """The server counts ``people_ahead`` in SQL; on a random queue full of ties it must agree with
    ``queueing.people_ahead`` (the rule) on both databases, also under a center's own head starts."""
    import random
    from datetime import timedelta

    from suqiu_queue.domain.enums import Lane
    from suqiu_queue.domain.queueing import QueuePolicy, people_ahead
    from suqiu_queue.server.org.models import Category

    rng = random.Random(20261123)
    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    with sessions() as session, session.begin():
        policy_category = session.scalar(select(Category).where(Category.code == "policy"))
        issuing_categories = list(session.scalars(select(Category.id).order_by(Category.id)).all())
        occurrences: dict[int, int] = {}
        rows = []
        for i in range(40):
            arrived = start + timedelta(minutes=rng.choice([0, 0, 5, 15, 30, 31, 45]))
            # Equal numbers in one queue happen when tickets are transferred in with their own
            # number; the table keeps them unique per issuing category.
            number = rng.randint(1, 5)
            seen = occurrences.get(number, 0)
            if seen == len(issuing_categories):
                number, seen = 100 + i, 0
            occurrences[number] = seen + 1
            rows.append(
                Ticket(
                    center_id=world.center_id,
                    category_id=policy_category.id,  # type: ignore[union-attr]
                    number_category_id=issuing_categories[seen],
                    service_date=start.date(),
                    number=number,
                    display=f"X{i:03d}",
                    lane=rng.choice(["normal", "normal", "priority", "urgent", "crisis"]),
                    state="waiting",
                    status_token=f"token-{i}",
                    issued_at=arrived,
                    updated_at=arrived,
                )
            )
        session.add_all(rows)
        session.flush()
        entries = [ticket_service._entry(t) for t in rows]
        for policy in (QueuePolicy(), QueuePolicy({Lane.NORMAL: 0, Lane.PRIORITY: 30, Lane.URGENT: 30})):
            counted = {t.display: ticket_service.count_ahead(session, t, policy) for t in rows}
            expected = {t.display: people_ahead(e, entries, policy) for t, e in zip(rows, entries, strict=True)}
            assert counted == expected


def test_display_numbers_written_by_the_database_match_the_domain_format(api: TestClient, world: World) -> None:
    """PostgreSQL formats the display number in SQL: it must agree with format_ticket_number past 999."""
    from suqiu_queue.domain.numbering import format_ticket_number
    from suqiu_queue.server.tickets.models import NumberSequence
    from suqiu_queue.server.tickets.numbers import ticket_scope

    kiosk = {"X-Device-Key": world.device_keys["kiosk"]}
    first = api.post(f"{API}/tickets", json={"center": "T1", "category": "policy"}, headers=kiosk).json()
    assert first["display"] == format_ticket_number("A", 1)
    with api.app.state.sessions() as session, session.begin():  # type: ignore[attr-defined]
        ticket = session.get(Ticket, first["id"])
        assert ticket is not None
        scope = ticket_scope(ticket.center_id, ticket.category_id, ticket.service_date)
        session.get(NumberSequence, scope).last_value = 998  # type: ignore[union-attr]
    for expected in (999, 1000, 1001):
        made = api.post(f"{API}/tickets", json={"center": "T1", "category": "policy"}, headers=kiosk).json()
        assert (made["number"], made["display"]) == (expected, format_ticket_number("A", expected))
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        stored = session.scalars(select(Ticket.display).order_by(Ticket.id)).all()
    assert stored == ["A001", "A999", "A1000", "A1001"]


def test_a_dropped_database_connection_is_retried_with_the_key_and_refused_calmly_without(
    api: TestClient, world: World
) -> None:
    """Connections are not pinged before use: when the database restarts, the next request still works."""
    engine = api.app.state.engine  # type: ignore[attr-defined]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server connection to lose")
    kiosk = {"X-Device-Key": world.device_keys["kiosk"]}

    def drop_connections() -> None:
        # What a database restart does to the server's pooled connections.
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        admin = create_engine(engine.url, poolclass=NullPool)
        with admin.connect() as conn:
            dropped = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar()
        admin.dispose()
        assert dropped

    assert api.post(f"{API}/tickets", json={"center": "T1", "category": "policy"}, headers=kiosk).status_code == 201
    drop_connections()
    keyed = api.post(
        f"{API}/tickets",
        json={"center": "T1", "category": "policy", "idempotency_key": "after-restart-1"},
        headers=kiosk,
    )
    assert keyed.status_code == 201, keyed.text  # retried inside the server on a fresh connection
    drop_connections()
    unkeyed = api.post(f"{API}/tickets", json={"center": "T1", "category": "policy"}, headers=kiosk)
    assert unkeyed.status_code == 503
    assert unkeyed.json()["error"]["code"] == "database_unavailable"
    assert unkeyed.headers["Retry-After"] == "1"
    assert api.post(f"{API}/tickets", json={"center": "T1", "category": "policy"}, headers=kiosk).status_code == 201
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        assert session.scalar(select(func.count()).select_from(Ticket)) == 3


def test_only_the_number_skips_the_disk_wait_never_the_ticket(api: TestClient, world: World) -> None:
    """PostgreSQL: the number's own statement commits without waiting for the disk (so tickets of a
    category do not queue behind each other's flush); the ticket's commit, and anything after it on
    that connection, waits as usual. Inside a caller's transaction the relaxed form is never used."""
    from sqlalchemy import text

    from suqiu_queue.server.tickets.service import _NEXT_NUMBER_POSTGRESQL, _insert_postgresql

    engine = api.app.state.engine  # type: ignore[attr-defined]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes the number inside the ticket's transaction")
    with engine.connect() as conn:  # in a transaction the setting visibly lasts to its end
        conn.execute(_NEXT_NUMBER_POSTGRESQL, {"scope": "test:probe"})
        assert conn.execute(text("SHOW synchronous_commit")).scalar_one() == "off"
        conn.rollback()
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        # Its own transaction: relaxed for that commit only.
        assert conn.execute(_NEXT_NUMBER_POSTGRESQL, {"scope": "test:relaxed"}).scalar_one() == 1
        assert conn.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
    # In a transaction (which would make the ticket's commit relaxed too) the plain statement runs.
    made = issue(api, world, "policy")
    with api.app.state.sessions() as session, session.begin():  # type: ignore[attr-defined]
        copy = session.get(Ticket, made["id"])
        assert copy is not None
        twin = Ticket(
            center_id=copy.center_id, category_id=copy.category_id, number_category_id=copy.category_id,
            service_date=copy.service_date, lane="normal", state="waiting", status_token="t" * 22, note="",
            source="test", issued_at=copy.issued_at, updated_at=copy.issued_at, recall_count=0, print_failed=False,
        )  # fmt: skip
        category = ticket_service.org_cache.category_by_code(session, "policy")
        _insert_postgresql(session, twin, category)
        assert session.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
    assert twin.number == made["number"] + 1
