"""Face consent, enrolment, matching, withdrawal and retention, on SQLite and PostgreSQL.

Embeddings here are synthetic unit vectors (a person = a fixed direction plus a little noise per
frame), labelled with the test recogniser's model id so the calibrated threshold applies: this
file tests the server's rules. Real ONNX inference on real photos is tests/devices and
tests/kiosk/face.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sqlalchemy import LargeBinary, func, inspect, select, text
from support import PASSWORD, FakeClock, World

from suqiu_queue.server.assessments.sealing import SealError, data_key
from suqiu_queue.server.audit.models import AuditEntry
from suqiu_queue.server.events.models import Event
from suqiu_queue.server.events.service import may_hear
from suqiu_queue.server.faces import service
from suqiu_queue.server.faces.config import FaceConfig
from suqiu_queue.server.faces.consent_text import CURRENT_VERSION
from suqiu_queue.server.faces.models import FaceConsent, FaceMatch, FaceTemplate
from suqiu_queue.server.people.models import Employee
from suqiu_queue.server.tickets.models import Ticket

# The consent text, the model check, the tables' column types and access rules cannot depend on the
# database: SQLite only. Enrolment, matching, expiry, withdrawal and retention run on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

API = "/api/v1"
MODEL = "mobilefacenet_128:f055d9c9a4d826d1"  # the calibrated test recogniser (threshold 0.42)
DIM = 128


def person(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(DIM)
    return vector / np.linalg.norm(vector)


def frames(seed: int, count: int = 4, noise: float = 0.25, salt: int = 0) -> list[list[float]]:
    """``count`` camera frames of one person: their direction, each frame a little off."""
    rng = np.random.default_rng(10_000 + seed * 100 + salt)
    base = person(seed)
    out = []
    for _ in range(count):
        v = base + noise * rng.standard_normal(DIM) / np.sqrt(DIM)
        out.append((v / np.linalg.norm(v)).tolist())
    return out


def kiosk(world: World) -> dict[str, str]:
    return {"X-Device-Key": world.device_keys["kiosk"]}


def officer(api: Any, role: str = "reception") -> dict[str, str]:
    response = api.post(f"{API}/auth/login", json={"username": f"{role}1", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def request_enrolment(api: Any, world: World, employee_no: str, seed: int, **overrides: Any) -> Any:
    body = {
        "employee_no": employee_no,
        "phone_last4": f"000{employee_no[-1]}",  # seed_world phones end in 0001, 0002, 0003
        "consent_version": CURRENT_VERSION,
        "consent_accepted": True,
        "model": MODEL,
        "embeddings": frames(seed),
        **overrides,
    }
    return api.post(f"{API}/faces/enrolment-requests", json=body, headers=kiosk(world))


def enrol(api: Any, world: World, employee_no: str, seed: int) -> int:
    response = request_enrolment(api, world, employee_no, seed)
    assert response.status_code == 201, response.text
    enrolment_id = int(response.json()["enrolment_id"])
    confirmed = api.post(f"{API}/faces/enrolments/{enrolment_id}/confirm", headers=officer(api))
    assert confirmed.status_code == 200, confirmed.text
    return enrolment_id


def match(api: Any, world: World, seed: int, *, salt: int = 7, headers: dict[str, str] | None = None) -> dict[str, Any]:
    probe = frames(seed, count=1, salt=salt)[0]
    response = api.post(
        f"{API}/faces/match", json={"model": MODEL, "embedding": probe}, headers=headers or kiosk(world)
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def audit_actions(sessions: Any, subject: str | None = None) -> list[str]:
    with sessions() as session:
        query = select(AuditEntry.action).order_by(AuditEntry.id)
        if subject is not None:
            query = query.where(AuditEntry.subject == subject)
        return list(session.scalars(query).all())


def employee_id(sessions: Any, employee_no: str) -> int:
    with sessions() as session:
        return int(session.scalar(select(Employee.id).where(Employee.employee_no == employee_no)))


# --- consent ------------------------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_consent_text_is_versioned_plain_chinese_with_the_retention(api, world: World) -> None:  # type: ignore[no-untyped-def]
    text_ = api.get(f"{API}/faces/consent-text", headers=kiosk(world)).json()
    assert text_["version"] == CURRENT_VERSION and text_["current"] is True
    headings = [s["heading"] for s in text_["sections"]]
    assert headings == ["这是什么", "保存什么", "用来做什么", "保存多久", "谁能看到什么", "怎样撤回", "登记要核实身份"]
    body = "".join(s["body"] for s in text_["sections"])
    assert "不保存您的照片" in body and "730天" in body and "立即删除" in body
    assert text_["accept"] == "我同意" and text_["retention_days"] == 730
    # The public board has nothing to do with it.
    board = api.get(f"{API}/faces/consent-text", headers={"X-Device-Key": world.device_keys["board"]})
    assert board.status_code == 403


@SQLITE_ONLY
def test_without_consent_nothing_is_stored(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    refused = request_enrolment(api, world, "E1001", 1, consent_accepted=False)
    assert refused.status_code == 422
    outdated = request_enrolment(api, world, "E1001", 1, consent_version="2020-1")
    assert outdated.status_code == 422 and outdated.json()["error"]["code"] == "consent_version_outdated"
    without = {"employee_no": "E1001", "phone_last4": "0001", "model": MODEL, "embeddings": frames(1)}
    assert api.post(f"{API}/faces/enrolment-requests", json=without, headers=kiosk(world)).status_code == 422
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(FaceTemplate)) == 0
        assert session.scalar(select(func.count()).select_from(FaceConsent)) == 0


def test_wrong_phone_digits_are_refused_audited_and_lock_after_five(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        wrong = request_enrolment(api, world, "E1001", 1, phone_last4="9999")
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "identity_mismatch"
    locked = request_enrolment(api, world, "E1001", 1)  # even the right digits, for an hour
    assert locked.status_code == 403 and locked.json()["error"]["code"] == "verify_locked"
    subject = f"employee:{employee_id(sessions, 'E1001')}"
    assert audit_actions(sessions, subject).count("face.verify_failed") == 5
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(FaceTemplate)) == 0


# --- enrolment, confirmation, recognition ---------------------------------------------------------------------------


def test_kiosk_enrolment_waits_for_an_officer_then_recognises(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    response = request_enrolment(api, world, "E1001", 1)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "pending" and response.json()["masked_name"] == "张*"
    enrolment_id = response.json()["enrolment_id"]
    uid = employee_id(sessions, "E1001")
    with sessions() as session:
        assert service.pending_enrolment(session, uid) is True
        consent = session.get(FaceConsent, enrolment_id)
        assert consent.text_version == CURRENT_VERSION and consent.channel == "kiosk"
        assert consent.device_id is not None and consent.verified_by == "employee_no+phone_last4"
        event = session.scalars(select(Event).where(Event.kind == "face.enrol_pending")).one()
        assert event.payload == {"consent_id": enrolment_id}  # no name, no employee number
    assert not may_hear("device:board", "face.enrol_pending") and may_hear("reception", "face.enrol_pending")

    # Pending: never matched.
    assert match(api, world, 1) == {"matched": False}
    pending = api.get(f"{API}/faces/enrolments", headers=officer(api)).json()["items"]
    assert [(p["id"], p["name"], p["employee_no"]) for p in pending] == [(enrolment_id, "张三", "E1001")]
    assert api.get(f"{API}/faces/employees/E1001", headers=officer(api)).json()["pending_enrolment"] is True

    confirmed = api.post(f"{API}/faces/enrolments/{enrolment_id}/confirm", headers=officer(api)).json()
    assert confirmed["status"] == "active" and confirmed["verified_by"].startswith(
        "employee_no+phone_last4,officer:user:"
    )
    with sessions() as session:
        assert service.pending_enrolment(session, uid) is False

    hit = match(api, world, 1)
    assert hit["matched"] is True and hit["masked_name"] == "张*" and "name" not in hit
    assert "employee_no" not in hit  # nothing about the person until they say "是"
    # Someone else's face: no match, and nothing said about anyone.
    assert match(api, world, 2) == {"matched": False}

    ticket = api.post(f"{API}/tickets", json={"center": "T1", "category": "policy"}, headers=kiosk(world)).json()
    body = {"token": hit["token"]}
    too_early = api.post(
        f"{API}/faces/matches/{hit['match_id']}/link-ticket",
        json={**body, "ticket_id": ticket["id"]},
        headers=kiosk(world),
    )
    assert too_early.status_code == 409 and too_early.json()["error"]["code"] == "match_not_confirmed"

    mine = api.post(f"{API}/faces/matches/{hit['match_id']}/confirm", json=body, headers=kiosk(world))
    assert mine.status_code == 200, mine.text
    assert mine.json()["employee_no"] == "E1001" and mine.json()["masked_name"] == "张*"
    assert isinstance(mine.json()["history"], list)

    linked = api.post(
        f"{API}/faces/matches/{hit['match_id']}/link-ticket",
        json={**body, "ticket_id": ticket["id"]},
        headers=kiosk(world),
    )
    assert linked.status_code == 200 and linked.json()["identified_by"] == "face"
    card = api.get(f"{API}/tickets/{ticket['id']}/arrival-card", headers=officer(api)).json()
    assert card["flags"]["identified_by"] == "face" and card["employee"]["name"] == "张三"

    # The person's own history now shows the ticket, with its status, and nothing private.
    again = match(api, world, 1, salt=8)
    history = api.post(
        f"{API}/faces/matches/{again['match_id']}/confirm", json={"token": again["token"]}, headers=kiosk(world)
    ).json()["history"]
    assert [(h["type"], h["label"], h["status_label"]) for h in history] == [("ticket", ticket["display"], "等候中")]
    assert set(history[0]) == {"type", "at", "date", "label", "category_name", "status", "status_label"}

    actions = audit_actions(sessions, f"employee:{uid}")
    for action in (
        "face.enrol_requested",
        "face.enrol",
        "face.match",
        "face.match_confirmed",
        "employee.history_read",
        "face.ticket_linked",
    ):
        assert action in actions, action


def test_a_match_belongs_to_its_kiosk_and_expires(api, world: World, sessions, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    enrol(api, world, "E1001", 1)
    hit = match(api, world, 1)
    other = {"X-Device-Key": world.other_kiosk_key}
    stolen = api.post(f"{API}/faces/matches/{hit['match_id']}/confirm", json={"token": hit["token"]}, headers=other)
    assert stolen.status_code == 404
    forged = api.post(f"{API}/faces/matches/{hit['match_id']}/confirm", json={"token": "x" * 32}, headers=kiosk(world))
    assert forged.status_code == 404
    clock.advance(seconds=121)
    late = api.post(
        f"{API}/faces/matches/{hit['match_id']}/confirm", json={"token": hit["token"]}, headers=kiosk(world)
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "match_expired"


def test_not_me_declines_quietly(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    enrol(api, world, "E1001", 1)
    hit = match(api, world, 1)
    declined = api.post(
        f"{API}/faces/matches/{hit['match_id']}/decline", json={"token": hit["token"]}, headers=kiosk(world)
    )
    assert declined.status_code == 200
    after = api.post(
        f"{API}/faces/matches/{hit['match_id']}/confirm", json={"token": hit["token"]}, headers=kiosk(world)
    )
    assert after.status_code == 409
    assert "face.match_declined" in audit_actions(sessions)


def test_nobody_enrols_with_a_face_that_is_already_someone_elses(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    enrol(api, world, "E1001", 1)
    # 李四 (E1002) knows his own digits but offers 张三's face (e.g. 张三 standing in for him).
    refused = request_enrolment(api, world, "E1002", 1)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "face_belongs_to_other"
    again = request_enrolment(api, world, "E1001", 1)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_enrolled"
    inconsistent = request_enrolment(api, world, "E1003", 3, embeddings=frames(3, 2) + frames(4, 2))
    assert inconsistent.status_code == 422 and inconsistent.json()["error"]["code"] == "enrol_frames_inconsistent"


def test_an_officer_can_enrol_at_the_desk_and_reject_a_kiosk_request(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    body = {
        "employee_no": "E1003",
        "consent_version": CURRENT_VERSION,
        "consent_accepted": True,
        "model": MODEL,
        "embeddings": frames(3),
    }
    desk = api.post(f"{API}/faces/enrolments", json=body, headers=officer(api))
    assert desk.status_code == 201, desk.text
    assert desk.json()["status"] == "active" and desk.json()["channel"] == "frontdesk"
    assert desk.json()["verified_by"].startswith("officer:user:")
    assert match(api, world, 3)["masked_name"] == "欧阳**"
    assert api.post(f"{API}/faces/enrolments", json=body, headers=kiosk(world)).status_code == 403

    pending = request_enrolment(api, world, "E1002", 2).json()["enrolment_id"]
    rejected = api.post(f"{API}/faces/enrolments/{pending}/reject", headers=officer(api))
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    li_si = employee_id(sessions, "E1002")
    with sessions() as session:
        left = session.scalar(select(func.count()).select_from(FaceTemplate).where(FaceTemplate.employee_id == li_si))
    assert left == 0


@SQLITE_ONLY
def test_an_unknown_model_is_refused_until_calibrated(api, world: World) -> None:  # type: ignore[no-untyped-def]
    response = request_enrolment(api, world, "E1001", 1, model="w600k_r50:4c06341c33c2ca1f")
    assert response.status_code == 422 and response.json()["error"]["code"] == "face_model_not_calibrated"


def test_templates_are_matched_only_within_the_kiosks_enterprise(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    from suqiu_queue.server.accounts.service import create_device
    from suqiu_queue.server.org.models import Center, OrgUnit

    enrol(api, world, "E1001", 1)
    with sessions() as session, session.begin():
        other_enterprise = OrgUnit(code="X1", name="另一家集团", level=1)
        session.add(other_enterprise)
        session.flush()
        center = Center(code="X1C", name="另一家中心", org_unit_id=other_enterprise.id, opening_hours={})
        session.add(center)
        session.flush()
        _device, key = create_device(session, center=center, kind="kiosk", name="x", actor="test")
    assert match(api, world, 1, headers={"X-Device-Key": key}) == {"matched": False}
    # The same enterprise's other center (T2 belongs to a unit under 测试集团) does match.
    assert match(api, world, 1, headers={"X-Device-Key": world.other_kiosk_key})["matched"] is True


# --- withdrawal, retention, storage ---------------------------------------------------------------------------------


def every_stored_value(sessions: Any) -> list[Any]:
    """Every cell of every table in the database."""
    values: list[Any] = []
    with sessions() as session:
        for table in inspect(session.get_bind()).get_table_names():
            for row in session.execute(text(f'SELECT * FROM "{table}"')).all():
                values.extend(row)
    return values


def test_after_withdrawal_no_template_of_that_person_exists_anywhere(api, world: World, sessions, db_url: str) -> None:  # type: ignore[no-untyped-def]
    enrol(api, world, "E1001", 1)
    enrol(api, world, "E1003", 3)
    uid = employee_id(sessions, "E1001")
    with sessions() as session:
        sealed = [bytes(t.sealed) for t in session.scalars(select(FaceTemplate).where(FaceTemplate.employee_id == uid))]
    assert len(sealed) == 1
    key = data_key(api.app.state.settings.data_dir)
    with sessions() as session:
        plain = service.unseal_template(
            key, session.scalars(select(FaceTemplate).where(FaceTemplate.employee_id == uid)).one()
        )
    plain_bytes = plain.astype("<f4").tobytes()

    hit = match(api, world, 1)
    api.post(f"{API}/faces/matches/{hit['match_id']}/confirm", json={"token": hit["token"]}, headers=kiosk(world))
    gone = api.post(
        f"{API}/faces/withdraw", json={"match_id": hit["match_id"], "token": hit["token"]}, headers=kiosk(world)
    )
    assert gone.status_code == 200 and gone.json() == {"withdrawn": True, "templates_deleted": 1}

    # Logically: not in any column of any row of any table, sealed or plain.
    for value in every_stored_value(sessions):
        if isinstance(value, (bytes, bytearray, memoryview)):
            blob = bytes(value)
            assert sealed[0] not in blob and plain_bytes not in blob
        elif isinstance(value, str):
            assert sealed[0].hex() not in value
    with sessions() as session:
        assert (
            session.scalar(select(func.count()).select_from(FaceTemplate).where(FaceTemplate.employee_id == uid)) == 0
        )
        consent = session.scalars(select(FaceConsent).where(FaceConsent.employee_id == uid)).one()
        assert consent.status == "withdrawn" and consent.ended_via == "kiosk"
        # The other person is untouched.
        assert session.scalar(select(func.count()).select_from(FaceTemplate)) == 1
    if db_url.startswith("sqlite"):
        # Physically too: secure_delete zeroed the page and the server folded the WAL into the file.
        path = db_url.removeprefix("sqlite:///")
        for suffix in ("", "-wal"):
            try:
                raw = open(path + suffix, "rb").read()  # noqa: SIM115
            except FileNotFoundError:
                continue
            assert sealed[0] not in raw and plain_bytes not in raw
    assert match(api, world, 1) == {"matched": False}
    actions = audit_actions(sessions, f"employee:{uid}")
    assert "face.withdraw" in actions and "face.template_deleted" in actions


def test_withdrawal_by_staff_number_and_at_the_front_desk(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    enrol(api, world, "E1001", 1)
    enrol(api, world, "E1003", 3)
    wrong = api.post(
        f"{API}/faces/withdraw", json={"employee_no": "E1001", "phone_last4": "1234"}, headers=kiosk(world)
    )
    assert wrong.status_code == 403
    by_number = api.post(
        f"{API}/faces/withdraw", json={"employee_no": "E1001", "phone_last4": "0001"}, headers=kiosk(world)
    )
    assert by_number.status_code == 200 and by_number.json()["templates_deleted"] == 1
    desk = api.post(f"{API}/faces/employees/E1003/withdraw", headers=officer(api))
    assert desk.status_code == 200 and desk.json()["templates_deleted"] == 1
    nothing = api.post(f"{API}/faces/employees/E1003/withdraw", headers=officer(api))
    assert nothing.status_code == 404 and nothing.json()["error"]["code"] == "no_face_consent"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(FaceTemplate)) == 0


def test_templates_are_sealed_with_the_data_key_and_bound_to_their_person(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    enrol(api, world, "E1001", 1)
    key = data_key(api.app.state.settings.data_dir)
    somebody_else = employee_id(sessions, "E1002")
    with sessions() as session:
        row = session.scalars(select(FaceTemplate)).one()
        plain = service.unseal_template(key, row)
        assert plain.astype("<f4").tobytes() not in bytes(row.sealed)
        assert abs(float(np.linalg.norm(plain)) - 1.0) < 1e-5
        row.employee_id = somebody_else  # moved to another person: refuses to open
        with pytest.raises(SealError):
            service.unseal_template(key, row)
        session.rollback()


def test_retention_job_deletes_after_two_years_without_a_visit(api, world: World, sessions, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    enrol(api, world, "E1001", 1)
    enrol(api, world, "E1003", 3)
    request_enrolment(api, world, "E1002", 2)  # never confirmed by an officer
    config = FaceConfig(retention_days=730, pending_days=7)
    clock.advance(days=8)
    with sessions() as session, session.begin():
        report = service.expire(session, now=clock(), config=config)
    assert (report.unconfirmed, report.expired) == (1, 0)

    clock.advance(days=400)
    # 欧阳娜娜 visits (takes a ticket): her two years start again.
    assert (
        api.post(
            f"{API}/tickets", json={"center": "T1", "category": "policy", "employee_no": "E1003"}, headers=kiosk(world)
        ).status_code
        == 201
    )
    clock.advance(days=340)  # 748 days after enrolment
    with sessions() as session, session.begin():
        report = service.expire(session, now=clock(), config=config)
    assert report.expired == 1 and report.templates_deleted == 1 and report.matches_purged == 0
    kept = employee_id(sessions, "E1003")
    with sessions() as session:
        assert session.scalars(select(FaceTemplate.employee_id)).all() == [kept]
    assert "face.expired" in audit_actions(sessions, f"employee:{employee_id(sessions, 'E1001')}")


def test_people_who_left_lose_their_template_and_old_matches_are_purged(
    api, world: World, sessions, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    enrol(api, world, "E1001", 1)
    match(api, world, 1)
    with sessions() as session, session.begin():
        session.scalars(select(Employee).where(Employee.employee_no == "E1001")).one().active = False
    clock.advance(days=2)
    with sessions() as session, session.begin():
        report = service.expire(session, now=clock(), config=FaceConfig())
    assert report.left_enterprise == 1 and report.matches_purged == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(FaceTemplate)) == 0
        assert session.scalar(select(func.count()).select_from(FaceMatch)) == 0


@SQLITE_ONLY
def test_no_column_of_the_face_tables_holds_an_image(sessions) -> None:  # type: ignore[no-untyped-def]
    """Only the template is binary, and it is one sealed vector (see the size check above)."""
    binary = [
        (table.name, column.name)
        for table in (FaceConsent.__table__, FaceTemplate.__table__, FaceMatch.__table__)
        for column in table.columns
        if isinstance(column.type, LargeBinary)
    ]
    assert binary == [("face_templates", "sealed")]


@SQLITE_ONLY
def test_the_linked_ticket_must_be_this_kiosks_and_open(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    enrol(api, world, "E1001", 1)
    hit = match(api, world, 1)
    body = {"token": hit["token"]}
    api.post(f"{API}/faces/matches/{hit['match_id']}/confirm", json=body, headers=kiosk(world))
    someone_else = api.post(
        f"{API}/tickets", json={"center": "T1", "category": "policy", "employee_no": "E1002"}, headers=kiosk(world)
    ).json()
    refused = api.post(
        f"{API}/faces/matches/{hit['match_id']}/link-ticket",
        json={**body, "ticket_id": someone_else["id"]},
        headers=kiosk(world),
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "ticket_other_person"
    by_officer = api.post(f"{API}/tickets", json={"center": "T1", "category": "policy"}, headers=officer(api)).json()
    not_ours = api.post(
        f"{API}/faces/matches/{hit['match_id']}/link-ticket",
        json={**body, "ticket_id": by_officer["id"]},
        headers=kiosk(world),
    )
    assert not_ours.status_code == 404
    with sessions() as session:
        assert session.get(Ticket, by_officer["id"]).identified_by is None
