"""The employee's own past results at the kiosk (``.../assessments/mine``), on SQLite and PostgreSQL.

Only with a pass the person earned at that kiosk (工号 + the phone's last four digits, or a face
match they confirmed there); the pass is for that kiosk and that employee and lasts minutes. The
list holds dates, scale names, band labels and a kind line — never answers or scores, never an
anonymous result, never someone else's. Every pass and every read is audited.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sqlalchemy import select
from support import PASSWORD, FakeClock, World

from suqiu_queue.server.audit.models import AuditEntry
from suqiu_queue.server.faces.consent_text import CURRENT_VERSION
from suqiu_queue.server.people.models import Employee
from suqiu_queue.server.security import Principal

# What the page says and who gets no pass cannot depend on the database: SQLite only. Reading own
# results, the lock after wrong digits, the pass's lifetime and face-linked passes run on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

API = "/api/v1"
FACE_MODEL = "mobilefacenet_128:f055d9c9a4d826d1"  # the calibrated test recogniser


def kiosk(world: World) -> dict[str, str]:
    return {"X-Device-Key": world.device_keys["kiosk"]}


def hand_in(api: Any, world: World, scale: str, points: list[int], employee_no: str | None) -> None:
    body: dict[str, Any] = {"scale": scale, "points": points}
    if employee_no:
        body["employee_no"] = employee_no
    assert api.post(f"{API}/assessments", json=body, headers=kiosk(world)).status_code == 201


def get_pass(api: Any, world: World, employee_no: str, headers: dict[str, str] | None = None, **proof: Any) -> Any:
    return api.post(f"{API}/employees/{employee_no}/assessments/mine/pass", json=proof, headers=headers or kiosk(world))


def mine(api: Any, world: World, employee_no: str, identity_pass: str, headers: dict[str, str] | None = None) -> Any:
    return api.get(
        f"{API}/employees/{employee_no}/assessments/mine",
        headers={**(headers or kiosk(world)), "X-Identity-Pass": identity_pass},
    )


def audit(sessions: Any, action: str) -> list[AuditEntry]:
    with sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())


def employee_id(sessions: Any, employee_no: str) -> int:
    with sessions() as session:
        return int(session.scalar(select(Employee.id).where(Employee.employee_no == employee_no)))


def kiosk_actor(api: Any, world: World) -> str:
    me = api.get(f"{API}/auth/me", headers=kiosk(world))
    assert me.status_code == 200, me.text
    return Principal(kind="device", id=int(me.json()["id"]), role="device:kiosk", center_id=None).actor


def test_own_results_with_phone_digits_show_dates_bands_and_kind_words_only(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    hand_in(api, world, "phq9", [1] * 8 + [0], "E1001")  # raw 8: 轻度, item 9 not ticked
    hand_in(api, world, "who5", [5] * 5, "E1001")
    hand_in(api, world, "gad7", [3] * 7, None)  # anonymous: linked to nobody
    hand_in(api, world, "phq9", [3] * 9, "E1003")  # a colleague's

    granted = get_pass(api, world, "E1001", phone_last4="0001")
    assert granted.status_code == 200, granted.text
    response = mine(api, world, "E1001", granted.json()["pass"])
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [set(r) for r in results] == [{"date", "scale", "scale_name", "band_label", "note"}] * 2
    assert [(r["scale"], r["band_label"]) for r in results] == [("who5", "幸福感良好"), ("phq9", "轻度抑郁症状")]
    assert results[1]["date"] == "2026-11-23"  # the Shanghai date of the fake clock
    assert results[1]["note"] == "那段时间您可能有些情绪低落，这很常见。"
    assert "raw" not in response.text and "points" not in response.text

    person = f"employee:{employee_id(sessions, 'E1001')}"
    actor = kiosk_actor(api, world)
    [identified] = audit(sessions, "assessment.self_identify")
    [read] = audit(sessions, "assessment.self_read")
    assert (identified.actor, identified.subject) == (actor, person)
    assert (read.actor, read.subject) == (actor, person)
    assert read.detail["via"] == "phone_digits" and read.detail["results"] == 2


@SQLITE_ONLY
def test_a_past_crisis_gets_a_gentle_line_that_names_nothing(api, world: World) -> None:  # type: ignore[no-untyped-def]
    hand_in(api, world, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1], "E1001")
    identity_pass = get_pass(api, world, "E1001", phone_last4="0001").json()["pass"]
    [row] = mine(api, world, "E1001", identity_pass).json()["results"]
    assert row["band_label"] == "无或极轻微抑郁症状"
    assert "12356" in row["note"] and "危机" not in row["note"]


def test_wrong_digits_are_refused_audited_and_lock_the_staff_number(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        wrong = get_pass(api, world, "E1001", phone_last4="9999")
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "identity_mismatch"
    assert len(audit(sessions, "face.verify_failed")) == 5  # the same counter as face enrolment
    locked = get_pass(api, world, "E1001", phone_last4="0001")
    assert locked.status_code == 403 and locked.json()["error"]["code"] == "verify_locked"
    assert audit(sessions, "assessment.self_identify") == []


def test_the_pass_is_for_this_person_at_this_kiosk_for_a_few_minutes(api, world: World, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    hand_in(api, world, "phq9", [3] * 9, "E1003")
    identity_pass = get_pass(api, world, "E1001", phone_last4="0001").json()["pass"]

    colleague = mine(api, world, "E1003", identity_pass)  # E1001's pass, E1003's results: refused
    assert colleague.status_code == 403 and colleague.json()["error"]["code"] == "not_identified"
    other_kiosk = mine(api, world, "E1001", identity_pass, headers={"X-Device-Key": world.other_kiosk_key})
    assert other_kiosk.status_code == 403
    version, body, signature = identity_pass.split(".")
    forged = f"{version}.{body}.{'A' * len(signature)}"
    assert mine(api, world, "E1001", forged).status_code == 403
    assert mine(api, world, "E1001", "sv1.e30.nothing").status_code == 403
    assert api.get(f"{API}/employees/E1001/assessments/mine", headers=kiosk(world)).status_code == 422  # no pass
    # A pass is no login token, and a login token is no pass.
    assert api.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {identity_pass}"}).status_code == 401
    login = api.post(f"{API}/auth/login", json={"username": world.usernames["counselor"], "password": PASSWORD})
    assert mine(api, world, "E1001", login.json()["token"]).status_code == 403

    assert mine(api, world, "E1001", identity_pass).status_code == 200
    clock.advance(minutes=6)
    expired = mine(api, world, "E1001", identity_pass)
    assert expired.status_code == 403 and expired.json()["error"]["code"] == "not_identified"


@SQLITE_ONLY
def test_officers_and_other_devices_get_no_pass(api, world: World) -> None:  # type: ignore[no-untyped-def]
    token = api.post(f"{API}/auth/login", json={"username": world.usernames["counselor"], "password": PASSWORD}).json()[
        "token"
    ]
    for headers in ({"Authorization": f"Bearer {token}"}, {"X-Device-Key": world.device_keys["board"]}):
        assert get_pass(api, world, "E1001", headers=headers, phone_last4="0001").status_code == 403
    assert get_pass(api, world, "E1001").status_code == 422  # neither digits nor a face match
    both = get_pass(api, world, "E1001", phone_last4="0001", match_id=1, token="x" * 20)
    assert both.status_code == 422


def _face_frames(count: int, salt: int) -> list[list[float]]:
    base = np.random.default_rng(4242).standard_normal(128)
    rng = np.random.default_rng(salt)
    out = []
    for _ in range(count):
        vector = base / np.linalg.norm(base) + 0.02 * rng.standard_normal(128)
        out.append((vector / np.linalg.norm(vector)).tolist())
    return out


def test_a_face_match_confirmed_at_this_kiosk_gives_that_person_a_pass(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    enrolment = api.post(
        f"{API}/faces/enrolment-requests",
        json={
            "employee_no": "E1003",
            "phone_last4": "0003",
            "consent_version": CURRENT_VERSION,
            "consent_accepted": True,
            "model": FACE_MODEL,
            "embeddings": _face_frames(4, salt=1),
        },
        headers=kiosk(world),
    )
    assert enrolment.status_code == 201, enrolment.text
    reception = api.post(f"{API}/auth/login", json={"username": world.usernames["reception"], "password": PASSWORD})
    officer = {"Authorization": f"Bearer {reception.json()['token']}"}
    assert api.post(f"{API}/faces/enrolments/{enrolment.json()['enrolment_id']}/confirm", headers=officer).is_success
    hand_in(api, world, "gad7", [1] * 7, "E1003")

    matched = api.post(
        f"{API}/faces/match", json={"model": FACE_MODEL, "embedding": _face_frames(1, salt=2)[0]}, headers=kiosk(world)
    ).json()
    assert matched["matched"] is True
    proof = {"match_id": matched["match_id"], "token": matched["token"]}
    unconfirmed = get_pass(api, world, "E1003", **proof)
    assert unconfirmed.status_code == 409  # "是" not tapped yet
    assert api.post(
        f"{API}/faces/matches/{matched['match_id']}/confirm", json={"token": matched["token"]}, headers=kiosk(world)
    ).is_success

    assert get_pass(api, world, "E1001", **proof).status_code == 403  # the match is E1003's, not E1001's
    other = get_pass(api, world, "E1003", headers={"X-Device-Key": world.other_kiosk_key}, **proof)
    assert other.status_code == 404  # a match made at another kiosk is not this kiosk's
    granted = get_pass(api, world, "E1003", **proof)
    assert granted.status_code == 200, granted.text
    [row] = mine(api, world, "E1003", granted.json()["pass"]).json()["results"]
    assert row["scale"] == "gad7"
    [read] = audit(sessions, "assessment.self_read")
    assert read.detail["via"] == "face"
