"""Assessments and crisis alerts over the API, on SQLite and PostgreSQL.

Who may see what is the point here: counselors read results (audited), the kiosk gets kind words
back and the employee's own band labels, supervisors see that alerts exist, nobody else sees
anything, and crisis events reach counselors only.
"""

from __future__ import annotations

import json
import os
import stat
import time
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select
from support import PASSWORD, ServerProcess, World, login, seed_world

from suqiu_queue.server.assessments.models import AssessmentResult, CrisisAlert
from suqiu_queue.server.assessments.service import escalate_unacknowledged
from suqiu_queue.server.audit.models import AuditEntry
from suqiu_queue.server.events.models import Event
from suqiu_queue.server.org.models import OrgUnit
from suqiu_queue.server.people.models import Employee

# Access rules and the refusal of bad submissions cannot depend on the database: SQLite only.
# Storing, sealing, idempotency, alerts, escalation timing and statistics run on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

ROLES = ("reception", "handler", "counselor", "legal", "supervisor", "admin")
PHQ9_CRISIS_LOW_TOTAL = [0, 0, 0, 0, 0, 0, 0, 0, 1]


def officer(api: Any, world: World, role: str) -> dict[str, str]:
    response = api.post("/api/v1/auth/login", json={"username": world.usernames[role], "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def kiosk(world: World) -> dict[str, str]:
    return {"X-Device-Key": world.device_keys["kiosk"]}


def issue_ticket(api: Any, world: World, employee_no: str | None = None, category: str = "care") -> dict[str, Any]:
    body: dict[str, Any] = {"center": world.center, "category": category}
    if employee_no:
        body["employee_no"] = employee_no
    response = api.post("/api/v1/tickets", json=body, headers=kiosk(world))
    assert response.status_code == 201, response.text
    return response.json()


def submit(api: Any, world: World, points: list[int], **extra: Any) -> Any:
    return api.post("/api/v1/assessments", json={"scale": "phq9", "points": points, **extra}, headers=kiosk(world))


# --- paper forms ------------------------------------------------------------------------------------


def test_paper_form_scoring_matches_the_cli_and_stores_nothing(api, world: World, sessions) -> None:
    counselor = officer(api, world, "counselor")
    response = api.post("/api/v1/assessments/score", json={"scale": "sds", "points": [1] * 20}, headers=counselor)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("scale", "raw", "standard", "band", "band_label", "crisis")} == {
        "scale": "sds",
        "raw": 50,
        "standard": 62,
        "band": "mild",
        "band_label": "轻度抑郁症状",
        "crisis": False,
    }
    assert body["assessment_id"] is None and body["version"] == "sds-zh-1"
    with sessions() as session:
        assert session.scalar(select(AssessmentResult.id)) is None


def test_paper_form_with_an_employee_is_stored_with_its_version_and_read_back(api, world: World, sessions) -> None:
    counselor = officer(api, world, "counselor")
    points = [1, 2, 0, 3, 1, 0, 0, 2, 0, 2]  # PHQ-9 with the difficulty answer: raw 9
    stored = api.post(
        "/api/v1/assessments/score",
        json={"scale": "phq9", "points": points, "employee_no": "E1001"},
        headers=counselor,
    ).json()
    assert (stored["raw"], stored["band"], stored["crisis"]) == (9, "mild", False)
    assert isinstance(stored["assessment_id"], int)

    read = api.get("/api/v1/assessments", params={"employee_no": "E1001"}, headers=counselor)
    assert read.status_code == 200, read.text
    [result] = read.json()["results"]
    assert (result["scale"], result["version"], result["source"], result["raw"]) == ("phq9", "phq9-zh-1", "paper", 9)
    assert [i["points"] for i in result["items"]] == points
    assert result["items"][3]["answer"] == "几乎每天"
    assert result["items"][9]["scored"] is False
    assert result["band_label"] == "轻度抑郁症状"
    with sessions() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "assessment.paper_entry" in actions and "assessment.read" in actions


def test_answers_are_sealed_at_rest(api, world: World, sessions, tmp_path) -> None:
    counselor = officer(api, world, "counselor")
    api.post(
        "/api/v1/assessments/score",
        json={"scale": "gad7", "points": [3, 2, 1, 0, 1, 2, 3], "employee_no": "E1002"},
        headers=counselor,
    )
    with sessions() as session:
        row = session.scalars(select(AssessmentResult)).one()
    assert b"answers" not in row.answers_sealed and b"[3,2,1" not in row.answers_sealed
    assert len(row.key_id) == 16
    key_file = tmp_path / "data.key"
    if not os.environ.get("SUQIU_DATA_KEY"):
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # Still readable by a counselor through the API.
    items = api.get("/api/v1/assessments", params={"employee_no": "E1002"}, headers=counselor).json()
    assert [i["points"] for i in items["results"][0]["items"]] == [3, 2, 1, 0, 1, 2, 3]


# --- the kiosk ------------------------------------------------------------------------------------------


def test_kiosk_crisis_raises_one_alert_with_an_id_only_event(api, world: World, sessions) -> None:
    ticket = issue_ticket(api, world)
    response = submit(api, world, PHQ9_CRISIS_LOW_TOTAL, ticket_id=ticket["id"])
    assert response.status_code == 201, response.text
    reply = response.json()
    assert set(reply) == {
        "scale",
        "scale_name",
        "band",
        "band_label",
        "crisis",
        "supportive_text",
        "next_steps",
        "created",
    }
    assert (reply["band"], reply["crisis"]) == ("minimal", True)
    assert "心理关爱老师" in reply["supportive_text"]
    assert any("12356" in step for step in reply["next_steps"])

    with sessions() as session:
        alert = session.scalars(select(CrisisAlert)).one()
        event = session.scalars(select(Event).where(Event.kind == "crisis.alert")).one()
    assert alert.ticket_display == ticket["display"]
    assert event.payload == {
        "alert_id": alert.id,
        "ticket_id": ticket["id"],
        "ticket_display": ticket["display"],
        "center": world.center,
    }
    assert event.center_id == world.center_id

    alerts = api.get("/api/v1/crisis-alerts", params={"open": 1}, headers=officer(api, world, "counselor")).json()
    assert [a["ticket_display"] for a in alerts["alerts"]] == [ticket["display"]]
    # A supervisor sees that the alert exists — but not the answers behind it.
    supervisor = officer(api, world, "supervisor")
    assert len(api.get("/api/v1/crisis-alerts", headers=supervisor).json()["alerts"]) == 1
    assert api.get(f"/api/v1/assessments/{alert.assessment_id}", headers=supervisor).status_code == 403


def test_kiosk_without_crisis_gets_band_words_and_no_alert(api, world: World, sessions) -> None:
    reply = submit(api, world, [3, 3, 3, 3, 3, 3, 3, 3, 0]).json()
    assert (reply["band"], reply["band_label"], reply["crisis"]) == ("severe", "重度抑郁症状", False)
    assert reply["next_steps"] and reply["supportive_text"]
    assert "raw" not in reply and "points" not in reply
    with sessions() as session:
        assert session.scalar(select(CrisisAlert.id)) is None
        row = session.scalars(select(AssessmentResult)).one()
    assert (row.employee_id, row.ticket_id, row.source, row.scale_version) == (None, None, "kiosk", "phq9-zh-1")


def test_kiosk_retry_with_the_same_key_gives_one_result_and_one_alert(api, world: World, sessions) -> None:
    body = {"ticket_id": issue_ticket(api, world)["id"], "idempotency_key": "kiosk-1-0001"}
    first = submit(api, world, PHQ9_CRISIS_LOW_TOTAL, **body)
    second = submit(api, world, PHQ9_CRISIS_LOW_TOTAL, **body)
    assert first.json()["created"] is True and second.json()["created"] is False
    assert {k: v for k, v in first.json().items() if k != "created"} == {
        k: v for k, v in second.json().items() if k != "created"
    }
    with sessions() as session:
        assert len(session.scalars(select(AssessmentResult)).all()) == 1
        assert len(session.scalars(select(CrisisAlert)).all()) == 1


@SQLITE_ONLY
def test_kiosk_cannot_use_another_centers_ticket_or_someone_elses(api, world: World) -> None:
    ticket = issue_ticket(api, world, employee_no="E1001")
    other_kiosk = {"X-Device-Key": world.other_kiosk_key}
    response = api.post(
        "/api/v1/assessments",
        json={"scale": "gad7", "points": [0] * 7, "ticket_id": ticket["id"]},
        headers=other_kiosk,
    )
    assert response.status_code == 403
    response = submit(api, world, [0] * 9, ticket_id=ticket["id"], employee_no="E1002")
    assert response.status_code == 409 and response.json()["error"]["code"] == "ticket_other_employee"


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"scale": "phq9", "points": [0] * 3}, 422, "wrong_answer_count"),
        ({"scale": "phq9", "points": [0] * 8 + [7]}, 422, "invalid_answer"),
        ({"scale": "scl90", "points": [1] * 90}, 404, "scale_not_licensed"),
        ({"scale": "nope", "points": [1]}, 404, "scale_not_found"),
        ({"scale": "phq9", "points": [0] * 9, "employee_no": "E9999"}, 404, "employee_not_found"),
        ({"scale": "phq9", "points": [0] * 9, "ticket_id": 99999}, 404, "ticket_not_found"),
        ({"scale": "phq9", "points": [0] * 9, "answers": [1]}, 422, "invalid_request"),
    ],
)
def test_kiosk_bad_submissions_change_nothing(api, world: World, sessions, body, status, code) -> None:
    response = api.post("/api/v1/assessments", json=body, headers=kiosk(world))
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    with sessions() as session:
        assert session.scalar(select(AssessmentResult.id)) is None
        assert session.scalar(select(Event.id).where(Event.kind.like("crisis.%"))) is None


# --- crisis alerts ----------------------------------------------------------------------------------------


def test_acknowledge_once_then_conflict(api, world: World, sessions) -> None:
    submit(api, world, PHQ9_CRISIS_LOW_TOTAL, ticket_id=issue_ticket(api, world)["id"])
    alert_id = api.get("/api/v1/crisis-alerts", headers=officer(api, world, "counselor")).json()["alerts"][0]["id"]
    counselor = officer(api, world, "counselor")
    acked = api.post(f"/api/v1/crisis-alerts/{alert_id}/ack", headers=counselor)
    assert acked.status_code == 200, acked.text
    assert acked.json()["acknowledged_by"].startswith("user:")
    again = api.post(f"/api/v1/crisis-alerts/{alert_id}/ack", headers=counselor)
    assert again.status_code == 409 and again.json()["error"]["code"] == "alert_already_acknowledged"
    assert api.get("/api/v1/crisis-alerts", params={"open": 1}, headers=counselor).json()["alerts"] == []
    assert len(api.get("/api/v1/crisis-alerts", params={"open": 0}, headers=counselor).json()["alerts"]) == 1
    assert api.post("/api/v1/crisis-alerts/99999/ack", headers=counselor).status_code == 404
    with sessions() as session:
        kinds = session.scalars(select(Event.kind).where(Event.kind.like("crisis.%")).order_by(Event.id)).all()
    assert kinds == ["crisis.alert", "crisis.acknowledged"]


def test_unacknowledged_alerts_escalate_once_after_n_minutes(api, world: World, sessions, clock) -> None:
    submit(api, world, PHQ9_CRISIS_LOW_TOTAL, ticket_id=issue_ticket(api, world)["id"])
    raised_at = clock.now
    with sessions() as session, session.begin():
        assert escalate_unacknowledged(session, raised_at + timedelta(minutes=4, seconds=59), 5) == []
    with sessions() as session, session.begin():
        escalated = escalate_unacknowledged(session, raised_at + timedelta(minutes=5), 5)
        assert len(escalated) == 1
    with sessions() as session, session.begin():
        assert escalate_unacknowledged(session, raised_at + timedelta(minutes=30), 5) == []
    with sessions() as session:
        event = session.scalars(select(Event).where(Event.kind == "crisis.escalated")).one()
        alert = session.scalars(select(CrisisAlert)).one()
    assert alert.escalated_at == raised_at + timedelta(minutes=5) and alert.acknowledged_at is None
    assert set(event.payload) == {"alert_id", "ticket_id", "ticket_display", "center", "waited_minutes"}
    assert event.payload["waited_minutes"] == 5
    listed = api.get("/api/v1/crisis-alerts", headers=officer(api, world, "supervisor")).json()["alerts"]
    assert listed[0]["escalated_at"] is not None


def test_an_acknowledged_alert_never_escalates(api, world: World, sessions, clock) -> None:
    submit(api, world, PHQ9_CRISIS_LOW_TOTAL)
    counselor = officer(api, world, "counselor")
    alert_id = api.get("/api/v1/crisis-alerts", headers=counselor).json()["alerts"][0]["id"]
    api.post(f"/api/v1/crisis-alerts/{alert_id}/ack", headers=counselor)
    with sessions() as session, session.begin():
        assert escalate_unacknowledged(session, clock.now + timedelta(hours=1), 5) == []


# --- statistics -------------------------------------------------------------------------------------------


def add_people(sessions, unit_code: str, numbers: list[str], parent_code: str | None = None) -> None:
    with sessions() as session, session.begin():
        unit = session.scalar(select(OrgUnit).where(OrgUnit.code == unit_code))
        if unit is None:
            parent = session.scalar(select(OrgUnit).where(OrgUnit.code == parent_code))
            unit = OrgUnit(code=unit_code, name=f"{unit_code}班组", level=3, parent_id=parent.id)
            session.add(unit)
            session.flush()
        for no in numbers:
            session.add(Employee(employee_no=no, name="测试", org_unit_id=unit.id, birth_date=date(1990, 1, 1)))


def paper(api: Any, headers: dict[str, str], employee_no: str, points: list[int]) -> None:
    response = api.post(
        "/api/v1/assessments/score",
        json={"scale": "phq9", "points": points, "employee_no": employee_no},
        headers=headers,
    )
    assert response.status_code == 200, response.text


def test_statistics_never_show_a_group_under_five_people(api, world: World, sessions, clock) -> None:
    # U3 (the world's workshop): E1001–E1003 + three more = 6 people. U4 and U5: 2 and 3 people.
    add_people(sessions, "U3", ["E2001", "E2002", "E2003"])
    add_people(sessions, "U4", ["E4001", "E4002"], parent_code="U2")
    add_people(sessions, "U5", ["E5001", "E5002", "E5003"], parent_code="U2")
    counselor = officer(api, world, "counselor")
    paper(api, counselor, "E1001", [3] * 9)  # severe first …
    clock.advance(minutes=10)
    paper(api, counselor, "E1001", [0] * 9)  # … then minimal: only the latest counts
    for no in ["E1002", "E1003", "E2001", "E2002"]:
        paper(api, counselor, no, [1] * 5 + [0] * 4)  # raw 5, mild
    paper(api, counselor, "E2003", [2] * 5 + [0] * 4)  # raw 10, moderate
    for no in ["E4001", "E4002"]:
        paper(api, counselor, no, [0] * 9)

    stats = api.get("/api/v1/assessments/stats", params={"scale": "phq9"}, headers=counselor).json()
    assert [g["org_unit"] for g in stats["groups"]] == ["U3"]
    u3 = stats["groups"][0]
    assert u3["people"] == 6
    assert u3["bands"] == {"minimal": 1, "mild": 4, "moderate": 1, "moderately_severe": 0, "severe": 0}
    assert u3["mean_raw"] == round((0 + 5 * 4 + 10) / 6, 1)
    # U4's two people are neither shown nor enough for an 其他 group on their own.
    assert stats["other"] is None and stats["suppressed"] is True

    for no in ["E5001", "E5002", "E5003"]:
        paper(api, counselor, no, [1] * 9)  # raw 9, mild
    stats = api.get("/api/v1/assessments/stats", params={"scale": "phq9"}, headers=counselor).json()
    assert [g["org_unit"] for g in stats["groups"]] == ["U3"]
    assert stats["other"]["org_unit_name"] == "其他" and stats["other"]["people"] == 5
    assert stats["other"]["bands"]["minimal"] == 2 and stats["other"]["bands"]["mild"] == 3
    assert stats["suppressed"] is False

    only_u5 = api.get("/api/v1/assessments/stats", params={"scale": "phq9", "org_unit": "U5"}, headers=counselor).json()
    assert only_u5["groups"] == [] and only_u5["other"] is None and only_u5["suppressed"] is True
    for role in ("supervisor", "admin"):
        allowed = api.get("/api/v1/assessments/stats", params={"scale": "phq9"}, headers=officer(api, world, role))
        assert allowed.status_code == 200
        assert allowed.json()["groups"] == stats["groups"]
    assert (
        api.get(
            "/api/v1/assessments/stats", params={"scale": "phq9", "org_unit": "NOPE"}, headers=counselor
        ).status_code
        == 404
    )


# --- the access matrix for these endpoints -------------------------------------------------------------------


@SQLITE_ONLY
def test_access_matrix(api, world: World) -> None:
    ticket = issue_ticket(api, world, employee_no="E1001")
    submit(api, world, PHQ9_CRISIS_LOW_TOTAL, ticket_id=ticket["id"], employee_no="E1001")
    counselor = officer(api, world, "counselor")
    alert = api.get("/api/v1/crisis-alerts", headers=counselor).json()["alerts"][0]
    result_id = api.get("/api/v1/assessments", params={"employee_no": "E1001"}, headers=counselor).json()["results"][0][
        "id"
    ]

    endpoints: list[tuple[str, str, dict[str, Any], set[str]]] = [
        ("POST", "/api/v1/assessments/score", {"json": {"scale": "gad7", "points": [0] * 7}}, {"counselor"}),
        ("POST", "/api/v1/assessments", {"json": {"scale": "gad7", "points": [0] * 7}}, {"device:kiosk"}),
        ("GET", "/api/v1/assessments", {"params": {"employee_no": "E1001"}}, {"counselor"}),
        ("GET", f"/api/v1/assessments/{result_id}", {}, {"counselor"}),
        ("GET", "/api/v1/assessments/stats", {"params": {"scale": "phq9"}}, {"counselor", "supervisor", "admin"}),
        (
            "GET",
            "/api/v1/employees/E1001/assessments/mine",
            {"params": {"ticket_id": ticket["id"]}},
            {"device:kiosk"},
        ),
        ("GET", "/api/v1/crisis-alerts", {}, {"counselor", "supervisor"}),
        # Acknowledging is checked last per caller: the first allowed call closes the alert (409 after).
        ("POST", f"/api/v1/crisis-alerts/{alert['id']}/ack", {}, {"counselor"}),
    ]
    callers: dict[str, dict[str, str]] = {role: officer(api, world, role) for role in ROLES}
    for kind, key in world.device_keys.items():
        callers[f"device:{kind}"] = {"X-Device-Key": key}
    for method, path, kwargs, allowed in endpoints:
        anonymous = api.request(method, path, **kwargs)
        assert anonymous.status_code == 401, (method, path)
        for who, headers in callers.items():
            status = api.request(method, path, headers=headers, **kwargs).status_code
            if who in allowed:
                assert status not in (401, 403), (method, path, who, status)
                assert status < 500, (method, path, who, status)
            else:
                assert status == 403, (method, path, who, status)


# --- a real server: the alert reaches counselors' front desks, and only them ---------------------------------


class SseReader:
    """Reads one SSE response with a single line iterator (a second iterator would lose buffered data)."""

    def __init__(self, response: requests.Response) -> None:
        assert response.status_code == 200, response.text
        self.response = response
        self.lines = response.iter_lines(decode_unicode=True)

    def until(self, done: Any, limit_seconds: float = 20.0) -> list[dict[str, Any]]:
        """Events read until ``done(events)`` holds; the request's read timeout bounds each wait."""
        events: list[dict[str, Any]] = []
        deadline = time.monotonic() + limit_seconds
        for line in self.lines:
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: ") :]))
                if done(events):
                    break
            if time.monotonic() > deadline:
                break
        self.response.close()
        return events


@pytest.mark.slow
def test_crisis_alert_reaches_counselors_live_and_no_one_else(tmp_path) -> None:
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'suqiu.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session, session.begin():
        world = seed_world(session)
    engine.dispose()

    with ServerProcess(url, env={"SUQIU_DATA_DIR": str(tmp_path / "data")}) as server:
        base = f"{server.url}/api/v1"
        tokens = {role: login(server.url, world.usernames[role]) for role in ("counselor", "reception", "supervisor")}
        counselor_stream = requests.get(
            f"{base}/events", params={"center": "T1", "access_token": tokens["counselor"]}, stream=True, timeout=15
        )
        counselor_live = SseReader(counselor_stream)
        next(counselor_live.lines)  # "retry:" — the subscription is live from here on

        device = {"X-Device-Key": world.device_keys["kiosk"]}
        ticket = requests.post(
            f"{base}/tickets", json={"center": "T1", "category": "care"}, headers=device, timeout=10
        ).json()
        reply = requests.post(
            f"{base}/assessments",
            json={"scale": "phq9", "points": PHQ9_CRISIS_LOW_TOTAL, "ticket_id": ticket["id"]},
            headers=device,
            timeout=10,
        )
        assert reply.status_code == 201 and reply.json()["crisis"] is True
        # A later, public event: whoever replays past it has seen everything before it.
        marker = requests.post(
            f"{base}/tickets", json={"center": "T1", "category": "policy"}, headers=device, timeout=10
        ).json()

        live = counselor_live.until(lambda evs: any(e["kind"] == "crisis.alert" for e in evs))
        [alert_event] = [e for e in live if e["kind"] == "crisis.alert"]
        assert alert_event["payload"]["ticket_display"] == ticket["display"]
        assert set(alert_event["payload"]) == {"alert_id", "ticket_id", "ticket_display", "center"}

        def replay(params: dict[str, str]) -> list[dict[str, Any]]:
            stream = requests.get(
                f"{base}/events", params={"center": "T1", "since": "0", **params}, stream=True, timeout=15
            )
            return SseReader(stream).until(
                lambda evs: any(
                    e["payload"].get("ticket_id") == marker["id"] for e in evs if e["kind"] != "crisis.alert"
                )
            )

        for who, params in {
            "reception": {"access_token": tokens["reception"]},
            "supervisor": {"access_token": tokens["supervisor"]},
            "board": {"access_token": world.device_keys["board"]},
            "kiosk": {"access_token": world.device_keys["kiosk"]},
        }.items():
            seen = replay(params)
            assert seen, who
            assert not [e for e in seen if e["kind"].startswith("crisis.")], who
        assert any(e["kind"] == "crisis.alert" for e in replay({"access_token": tokens["counselor"]}))
