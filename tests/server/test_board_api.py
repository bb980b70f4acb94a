"""The public board's data (``GET /api/v1/board/{center}``) and page, on SQLite and PostgreSQL.

The clock is the fake one: Monday 2026-11-23, 10:00 in Shanghai, unless a test moves it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from support import PASSWORD, FakeClock, World

from suqiu_queue.server.cases.models import Case, CaseTimeline
from suqiu_queue.server.tickets import service as ticket_service

# Access and the static page cannot depend on the database: SQLite only. Every figure and case the
# board shows runs on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

API = "/api/v1"


@pytest.fixture(autouse=True)
def _fresh_wait_figures() -> Iterator[None]:
    ticket_service._service_times.items.clear()
    ticket_service._open_counters.items.clear()
    yield


def board(world: World) -> dict[str, str]:
    return {"X-Device-Key": world.device_keys["board"]}


def officer(api: TestClient, role: str = "reception") -> dict[str, str]:
    response = api.post(f"{API}/auth/login", json={"username": f"{role}1", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def snapshot(api: TestClient, world: World) -> dict[str, Any]:
    response = api.get(f"{API}/board/T1", headers=board(world))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"].startswith("no-store")
    return response.json()


def issue(api: TestClient, world: World, category: str = "policy") -> dict[str, Any]:
    kiosk = {"X-Device-Key": world.device_keys["kiosk"]}
    response = api.post(f"{API}/tickets", json={"center": "T1", "category": category}, headers=kiosk)
    assert response.status_code == 201, response.text
    return response.json()


def open_case(api: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"center": "T1", "channel": "visit", **fields}
    response = api.post(f"{API}/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


# --- who may read it ------------------------------------------------------------------------------


@SQLITE_ONLY
def test_the_snapshot_needs_the_board_key_or_an_officer(api: TestClient, world: World) -> None:
    assert api.get(f"{API}/board/T1").status_code == 401
    for kind in ("kiosk", "announcer"):
        refused = api.get(f"{API}/board/T1", headers={"X-Device-Key": world.device_keys[kind]})
        assert refused.status_code == 403, kind
    assert api.get(f"{API}/board/T1", headers=board(world)).status_code == 200
    assert api.get(f"{API}/board/T1", headers=officer(api)).status_code == 200
    # A board belongs to its center: T1's wall cannot read T2's cases.
    other = api.get(f"{API}/board/T2", headers=board(world))
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "other_center"
    assert api.get(f"{API}/board/NOPE", headers=officer(api, "admin")).status_code == 404


@SQLITE_ONLY
def test_the_page_is_public_static_and_never_carries_the_key(api: TestClient, world: World) -> None:
    key = world.device_keys["board"]
    plain = api.get("/board")
    with_key = api.get(f"/board?center=T1&key={key}&layout=wide")
    assert plain.status_code == with_key.status_code == 200
    assert plain.headers["content-type"].startswith("text/html")
    assert with_key.content == plain.content  # nothing of the address is written into the page
    assert key not in with_key.text
    csp = plain.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert plain.headers["referrer-policy"] == "no-referrer"  # the key in the address stays here
    script = api.get("/board/board.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "textContent" in script.text and ".innerHTML" not in script.text
    assert api.get("/board/board.css").headers["content-type"].startswith("text/css")
    assert api.get("/board/secrets.py").status_code == 404


# --- calls and waiting ---------------------------------------------------------------------------------


def test_calls_newest_first_with_their_counters(api: TestClient, world: World, clock: FakeClock) -> None:
    staff = officer(api)
    empty = snapshot(api, world)
    assert empty["now_calling"] is None and empty["recent_calls"] == []
    first, second, _third = issue(api, world), issue(api, world), issue(api, world)
    assert api.post(
        f"{API}/tickets/{first['id']}/call", json={"counter_id": world.counters[1]}, headers=staff
    ).is_success
    clock.advance(minutes=2)
    assert api.post(
        f"{API}/tickets/{second['id']}/call", json={"counter_id": world.counters[2]}, headers=staff
    ).is_success
    data = snapshot(api, world)
    assert data["now_calling"]["display"] == second["display"]
    assert data["now_calling"]["counter_number"] == 2
    assert data["now_calling"]["category_name"] == "政策咨询"
    assert [(c["display"], c["counter_number"]) for c in data["recent_calls"]] == [(first["display"], 1)]
    # Finished calls stay in the list; a ticket sent back to the queue is no call any more.
    assert api.post(f"{API}/tickets/{first['id']}/done", headers=staff).is_success
    assert api.post(f"{API}/tickets/{second['id']}/transfer", json={"category": "opinion"}, headers=staff).is_success
    data = snapshot(api, world)
    assert data["now_calling"]["display"] == first["display"]
    assert data["recent_calls"] == []
    waiting = {w["category"]: w["waiting"] for w in data["waiting"]}
    assert waiting["policy"] == 1 and waiting["opinion"] == 1 and waiting["legal"] == 0


def test_waiting_figures_per_category(api: TestClient, world: World) -> None:
    for category in ("policy", "policy", "legal"):
        issue(api, world, category)
    data = snapshot(api, world)
    by_code = {w["category"]: w for w in data["waiting"]}
    assert by_code["policy"]["waiting"] == 2 and by_code["legal"]["waiting"] == 1
    assert by_code["policy"]["name"] == "政策咨询"
    assert by_code["policy"]["estimated_wait_minutes"] > 0
    assert by_code["care"]["waiting"] == 0


# --- public cases ------------------------------------------------------------------------------------------


def test_public_cases_show_masked_names_and_no_text(api: TestClient, world: World, clock: FakeClock) -> None:
    staff = officer(api)
    public = open_case(api, staff, category="policy", summary="咨询住房公积金提取条件", employee_no="E1001")
    anonymous = open_case(api, staff, category="opinion", channel="online", summary="建议增开早班通勤车")
    secret = open_case(
        api,
        staff,
        category="legal",
        summary="<script>alert(1)</script>",
        employee_no="E1002",
        confidential=True,
    )
    counselling = open_case(api, staff, category="care", summary="最近睡眠不好", employee_no="E1003")
    data = snapshot(api, world)
    cases = {c["reference"]: c for c in data["cases"]}
    assert set(cases) == {public["reference"], anonymous["reference"]}
    assert secret["reference"] not in cases and counselling["reference"] not in cases
    shown = cases[public["reference"]]
    assert shown["masked_name"] == "张*"
    assert shown["category_name"] == "政策咨询"
    assert (shown["status"], shown["stage_label"]) == ("accepted", "受理")
    assert shown["received_date"] == "2026-11-23"
    # 政策咨询: answer within 3 working days, counted from the day after: Tue, Wed, Thu → end of
    # Thursday in Shanghai (16:00 UTC).
    assert shown["deadline_at"] == "2026-11-26T16:00:00+00:00"
    assert shown["deadline_label"] == "答复时限"
    assert shown["overdue"] is False
    assert cases[anonymous["reference"]]["masked_name"] == ""
    # 意见建议: 15 working days from Tuesday 24 November → end of Monday 14 December.
    assert cases[anonymous["reference"]]["deadline_at"] == "2026-12-14T16:00:00+00:00"
    # Soonest deadline first.
    assert [c["reference"] for c in data["cases"]] == [public["reference"], anonymous["reference"]]
    text = json.dumps(data, ensure_ascii=False)
    for private in ("张三", "李四", "欧阳娜娜", "公积金", "通勤车", "script", "睡眠", "summary"):
        assert private not in text, private
    clock.advance(days=5)
    assert {c["reference"]: c["overdue"] for c in snapshot(api, world)["cases"]}[public["reference"]] is True


def test_cases_without_stored_deadlines_get_them_computed(
    api: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """Cases opened before the lifecycle stored deadlines: the board computes the same instants."""
    staff = officer(api)
    policy = open_case(api, staff, category="policy", summary="社保基数", employee_no="E1001")
    opinion = open_case(api, staff, category="opinion", summary="班车", employee_no="E1002")
    legal = open_case(api, staff, category="legal", summary="劳动合同", employee_no="E1003")
    stored = {c["reference"]: c for c in snapshot(api, world)["cases"]}
    with sessions() as session, session.begin():
        for row in session.query(Case).all():
            row.accept_due_at = row.first_response_due_at = row.answer_due_at = row.resolve_due_at = None
            row.due_at = row.due_step = None
    cases = {c["reference"]: c for c in snapshot(api, world)["cases"]}
    assert cases[policy["reference"]]["deadline_at"] == "2026-11-26T16:00:00+00:00"
    assert cases[opinion["reference"]]["deadline_at"] == "2026-12-14T16:00:00+00:00"
    assert cases[opinion["reference"]]["deadline_label"] == "答复时限"
    assert not cases[policy["reference"]]["deadline_provisional"]
    # 60 days to 办结 from 2026-11-23 reaches into 2027, whose holiday notice is not out: the board
    # counts on the provisional calendar, as the lifecycle did, and says so.
    for field in ("deadline_at", "deadline_label", "deadline_provisional"):
        assert cases[legal["reference"]][field] == stored[legal["reference"]][field], field
    assert cases[legal["reference"]]["deadline_at"].startswith("2027-01-")
    assert cases[legal["reference"]]["deadline_provisional"] is True


def test_a_category_without_a_policy_shows_no_deadline(api: TestClient, world: World) -> None:
    admin = officer(api, "admin")
    assert api.patch(f"{API}/categories/opinion", json={"sla_policy": ""}, headers=admin).is_success
    case = open_case(api, officer(api), category="opinion", summary="食堂菜价")
    shown = {c["reference"]: c for c in snapshot(api, world)["cases"]}[case["reference"]]
    assert shown["deadline_at"] is None and shown["deadline_label"] == "" and shown["overdue"] is False


# --- month figures --------------------------------------------------------------------------------------------


def _close(
    sessions: sessionmaker[Session], reference: str, status: str, at: datetime, score: int | None = None
) -> None:
    """What the lifecycle writes when a case is rated or archived: the status and a timeline row."""
    with sessions() as session, session.begin():
        case = session.query(Case).filter_by(reference=reference).one()
        session.add(
            CaseTimeline(
                case_id=case.id,
                at=at,
                actor="user:1",
                kind="status",
                from_status=case.status,
                to_status=status,
                data={"score": score, "satisfied": score > 2} if score is not None else {},
            )
        )
        case.status = status


def test_month_figures(api: TestClient, world: World, clock: FakeClock, sessions: sessionmaker[Session]) -> None:
    staff = officer(api)
    first = snapshot(api, world)["month"]
    assert first == {
        "month": "2026年11月",
        "received": 0,
        "closed": 0,
        "closed_on_time": 0,
        "on_time_percent": None,
        "ratings": 0,
        "satisfaction_percent": None,
    }
    monday = clock.now
    clock.now = datetime(2026, 10, 20, 2, 0, tzinfo=UTC)  # received in October, due 24 October
    late = open_case(api, staff, category="policy", summary="年休假天数")
    clock.now = monday
    rated_well = open_case(api, staff, category="policy", summary="社保基数")
    rated_badly = open_case(api, staff, category="policy", summary="公积金")
    open_case(api, staff, category="opinion", summary="班车时间")
    _close(sessions, late["reference"], "archived", datetime(2026, 11, 2, 3, 0, tzinfo=UTC))
    _close(sessions, rated_well["reference"], "rated", datetime(2026, 11, 24, 3, 0, tzinfo=UTC), score=5)
    _close(sessions, rated_badly["reference"], "rated", datetime(2026, 11, 25, 3, 0, tzinfo=UTC), score=2)
    clock.now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    data = snapshot(api, world)
    assert data["month"] == {
        "month": "2026年11月",
        "received": 3,
        "closed": 3,
        "closed_on_time": 2,
        "on_time_percent": 67,
        "ratings": 2,
        "satisfaction_percent": 50,
    }
    # Closed cases leave the public list.
    assert {c["reference"] for c in data["cases"]}.isdisjoint(
        {late["reference"], rated_well["reference"], rated_badly["reference"]}
    )
    # A new month starts from nothing (local time: 1 December 00:30 in Shanghai is still 30 November UTC).
    clock.now = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    december = snapshot(api, world)["month"]
    assert (december["month"], december["received"], december["closed"]) == ("2026年12月", 0, 0)


def test_cases_kept_off_the_board_by_the_employee_do_not_appear(
    api: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    staff = officer(api)
    kept_off = open_case(api, staff, category="policy", summary="工资条核对", employee_no="E1002")
    shown = open_case(api, staff, category="policy", summary="年休假", employee_no="E1003")
    with sessions() as session, session.begin():
        session.query(Case).filter_by(reference=kept_off["reference"]).one().private = True  # 不公开
    references = {c["reference"] for c in snapshot(api, world)["cases"]}
    assert shown["reference"] in references and kept_off["reference"] not in references


def test_a_deadline_stored_by_the_lifecycle_wins_and_a_paused_clock_has_none(
    api: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    staff = officer(api)
    extended = open_case(api, staff, category="legal", summary="工伤认定", employee_no="E1001")
    paused = open_case(api, staff, category="policy", summary="补缴材料", employee_no="E1002")
    with sessions() as session, session.begin():
        case = session.query(Case).filter_by(reference=extended["reference"]).one()
        case.resolve_due_at = datetime(2027, 2, 25, 16, 0, tzinfo=UTC)  # e.g. after a granted extension
        session.query(Case).filter_by(reference=paused["reference"]).one().paused = True
    cases = {c["reference"]: c for c in snapshot(api, world)["cases"]}
    assert cases[extended["reference"]]["deadline_at"] == "2027-02-25T16:00:00+00:00"
    assert cases[extended["reference"]]["deadline_label"] == "办结时限"
    assert cases[extended["reference"]]["deadline_provisional"] is True  # 2027: no notice yet
    assert cases[paused["reference"]]["paused"] is True
    assert cases[paused["reference"]]["deadline_at"] is None


def test_an_open_steps_stored_deadline_stands_in_when_the_final_one_is_unknown(
    api: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """E.g. a 60-day 办结 beyond the holiday data: the board shows the step being counted now."""
    case = open_case(api, officer(api), category="legal", summary="劳动争议", employee_no="E1003")
    with sessions() as session, session.begin():
        row = session.query(Case).filter_by(reference=case["reference"]).one()
        row.resolve_due_at = row.answer_due_at = None
        row.accept_due_at = datetime(2026, 12, 8, 16, 0, tzinfo=UTC)
        row.due_at, row.due_step = row.accept_due_at, "accept"
    shown = {c["reference"]: c for c in snapshot(api, world)["cases"]}[case["reference"]]
    assert (shown["deadline_at"], shown["deadline_label"]) == ("2026-12-08T16:00:00+00:00", "受理时限")
