"""The arrival card (到访卡片) and the 转交 case action, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update
from support import PASSWORD, FakeClock, World

from suqiu_queue.server.arrival.service import sla_days


def _officer(api, role: str = "reception") -> dict[str, str]:  # type: ignore[no-untyped-def]
    response = api.post("/api/v1/auth/login", json={"username": f"{role}1", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _kiosk(world: World) -> dict[str, str]:
    return {"X-Device-Key": world.device_keys["kiosk"]}


def _issue(api, world: World, category: str = "policy", **extra: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = api.post("/api/v1/tickets", json={"center": "T1", "category": category, **extra}, headers=_kiosk(world))
    assert response.status_code == 201, response.text
    return dict(response.json())


def _card(api, ticket_id: int, headers: dict[str, str]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = api.get(f"/api/v1/tickets/{ticket_id}/arrival-card", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _open_case(api, headers: dict[str, str], **body: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = api.post("/api/v1/cases", json={"center": "T1", **body}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_card_for_identified_ticket_shows_the_person_to_officers(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    ticket = _issue(api, world, employee_no="E1001", note="想问一下公积金提取需要什么材料")
    card = _card(api, ticket["id"], _officer(api))

    assert card["ticket"]["display"] == ticket["display"] == "A001"
    assert card["ticket"]["category_name"] == "政策咨询"
    assert card["ticket"]["lane_label"] == "普通"
    assert card["ticket"]["note"] == "想问一下公积金提取需要什么材料"
    employee = card["employee"]
    assert employee["name"] == "张三"
    assert employee["masked_name"] == "张*"
    assert employee["employee_no"] == "E1001"
    assert employee["age"] == 36  # born 1990-05-01, the clock says 2026-11-23
    assert employee["org_unit_path"] == ["测试集团", "测试分公司", "测试车间"]
    assert card["history"] == [] and card["history_total"] == 0
    flags = card["flags"]
    assert flags["identified_by"] == "employee_no"
    assert not flags["repeat_topic"] and not flags["overdue_case"]
    assert not flags["crisis_lane"] and not flags["print_failed"]

    from suqiu_queue.server.audit.models import AuditEntry

    with sessions() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "employee.history_read")).all()
    assert [(r.subject, r.detail["via"], r.detail["ticket_id"]) for r in rows] == [
        (rows[0].subject, "arrival_card", ticket["id"])
    ]
    assert rows[0].subject.startswith("employee:")


def test_card_never_carries_psychological_results(api, world: World) -> None:  # type: ignore[no-untyped-def]
    ticket = _issue(api, world, category="care", employee_no="E1003")
    card = _card(api, ticket["id"], _officer(api, "counselor"))
    text = repr(card)
    for word in ("assessment", "phq", "gad", "score", "band", "测评"):
        assert word not in text.lower()
    assert set(card) == {"ticket", "employee", "history", "history_total", "flags"}


def test_anonymous_ticket_has_no_person_and_is_not_audited(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    ticket = _issue(api, world, category="opinion")
    card = _card(api, ticket["id"], _officer(api))
    assert card["employee"] is None
    assert card["flags"]["identified_by"] is None
    from suqiu_queue.server.audit.models import AuditEntry

    with sessions() as session:
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "employee.history_read")).all() == []


def test_history_and_repeat_topic_within_90_days(api, world: World, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    officer = _officer(api)
    first = _issue(api, world, category="policy", employee_no="E1001")
    api.post(f"/api/v1/counters/{world.counters[1]}/call-next", headers=officer)
    assert api.post(f"/api/v1/tickets/{first['id']}/done", headers=officer).status_code == 200
    clock.advance(minutes=20)
    other_topic = _issue(api, world, category="legal", employee_no="E1001")

    clock.advance(days=30)
    officer = _officer(api)  # the token lives shorter than the jump in time
    again = _issue(api, world, category="policy", employee_no="E1001")
    card = _card(api, again["id"], officer)
    assert card["flags"]["repeat_topic"] is True
    assert [item["label"] for item in card["flags"]["repeat_items"]] == [first["display"]]
    labels = [item["label"] for item in card["history"]]
    assert labels == [other_topic["display"], first["display"]]  # newest first, this ticket excluded
    assert card["history"][1]["status_label"] == "已完成"
    assert card["history"][1]["date"] == "2026-11-23"

    legal_card = _card(api, other_topic["id"], officer)
    assert legal_card["flags"]["repeat_topic"] is False  # only an earlier *policy* ticket exists

    clock.advance(days=91)
    officer = _officer(api)
    late = _issue(api, world, category="legal", employee_no="E1001")
    assert _card(api, late["id"], officer)["flags"]["repeat_topic"] is False  # the legal visit is 121 days old


def test_case_in_history_and_overdue_flag(api, world: World, clock: FakeClock, sessions) -> None:  # type: ignore[no-untyped-def]
    officer = _officer(api)
    first = _issue(api, world, category="policy", employee_no="E1002")
    case = _open_case(api, officer, category="policy", summary="退休金核算有疑问", ticket_id=first["id"])
    secret = _open_case(
        api, officer, category="legal", summary="劳动争议", employee_no="E1002", channel="phone", confidential=True
    )
    from suqiu_queue.server.cases.models import Case

    with sessions() as session, session.begin():
        session.execute(update(Case).where(Case.id == secret["id"]).values(outcome="已调解", status="archived"))

    clock.advance(days=4)  # policy_3wd → 5 calendar days allowed
    officer = _officer(api)
    visit = _issue(api, world, category="health", employee_no="E1002")
    card = _card(api, visit["id"], officer)
    assert card["ticket"]["lane"] == "priority"  # born 1958: 长辈 lane
    assert card["flags"]["overdue_case"] is False
    by_label = {item["label"]: item for item in card["history"]}
    assert first["display"] not in by_label  # the ticket became the case: shown once, as the case
    assert by_label[case["reference"]]["status_label"] == "受理"
    assert by_label[secret["reference"]]["outcome"] == "（保密事项）"
    assert by_label[secret["reference"]]["channel_label"] == "来电"

    clock.advance(days=2)
    officer = _officer(api)
    card = _card(api, visit["id"], officer)
    assert card["flags"]["overdue_case"] is True
    [overdue] = card["flags"]["overdue_cases"]
    assert overdue["reference"] == case["reference"] and overdue["days_open"] == 6 and overdue["allowed_days"] == 5


def test_crisis_lane_and_print_failed_flags(api, world: World) -> None:  # type: ignore[no-untyped-def]
    ticket = _issue(api, world, category="care", lane="crisis")
    response = api.post(
        f"/api/v1/tickets/{ticket['id']}/print-status",
        json={"failed": True, "reason": "no_paper"},
        headers=_kiosk(world),
    )
    assert response.status_code == 200, response.text
    flags = _card(api, ticket["id"], _officer(api))["flags"]
    assert flags["crisis_lane"] is True and flags["print_failed"] is True


@pytest.mark.parametrize("kind", ["kiosk", "board", "announcer"])
def test_devices_never_get_a_card(api, world: World, kind: str) -> None:  # type: ignore[no-untyped-def]
    ticket = _issue(api, world, employee_no="E1001")
    response = api.get(
        f"/api/v1/tickets/{ticket['id']}/arrival-card", headers={"X-Device-Key": world.device_keys[kind]}
    )
    assert response.status_code == 403
    assert "张三" not in response.text
    assert api.get(f"/api/v1/tickets/{ticket['id']}/arrival-card").status_code == 401


def test_officer_of_another_center_is_refused(api, world: World) -> None:  # type: ignore[no-untyped-def]
    response = api.post(
        "/api/v1/tickets",
        json={"center": "T2", "category": "policy", "employee_no": "E1001"},
        headers={"X-Device-Key": world.other_kiosk_key},
    )
    assert response.status_code == 201, response.text
    refused = api.get(f"/api/v1/tickets/{response.json()['id']}/arrival-card", headers=_officer(api))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "other_center"
    assert "张三" not in refused.text


def test_unknown_ticket_is_404_in_chinese(api) -> None:  # type: ignore[no-untyped-def]
    response = api.get("/api/v1/tickets/999999/arrival-card", headers=_officer(api))
    assert response.status_code == 404
    assert "找不到" in response.json()["error"]["message"]


def test_handover_writes_a_timeline_row_and_an_event(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    officer = _officer(api)
    case = _open_case(api, officer, category="logistics", summary="宿舍热水器坏了", employee_no="E1001")
    response = api.post(
        f"/api/v1/cases/{case['id']}/handover",
        json={"department": "物业管理部", "person": "王科长", "note": "请两日内上门维修"},
        headers=officer,
    )
    assert response.status_code == 200, response.text
    row = response.json()["timeline"][-1]
    assert row["kind"] == "handover"
    assert row["data"] == row["data"] | {"department": "物业管理部", "person": "王科长"}
    assert row["note"] == "请两日内上门维修"
    # 转交 is a 分流 in the lifecycle: the case is routed to the department and the named person.
    assert (row["from"], row["to"]) == ("accepted", "routed")
    assert (response.json()["status"], response.json()["responsible"]) == ("routed", "王科长")

    from suqiu_queue.server.events.models import Event

    with sessions() as session:
        event = session.scalars(select(Event).where(Event.kind == "case.updated").order_by(Event.id.desc())).first()
    assert event is not None
    assert event.payload["case_id"] == case["id"] and event.payload["change"] == "handover"
    assert "物业管理部" not in repr(event.payload) and "王科长" not in repr(event.payload)


def test_handover_validation_and_access(api, world: World) -> None:  # type: ignore[no-untyped-def]
    officer = _officer(api)
    case = _open_case(api, officer, category="opinion", summary="食堂菜价", channel="online")
    missing = api.post(f"/api/v1/cases/{case['id']}/handover", json={"person": "某人"}, headers=officer)
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "invalid_request"
    device = api.post(f"/api/v1/cases/{case['id']}/handover", json={"department": "食堂"}, headers=_kiosk(world))
    assert device.status_code == 403
    unknown = api.post("/api/v1/cases/999999/handover", json={"department": "食堂"}, headers=officer)
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("code", "days"),
    [("urgent_48h", 2.0), ("policy_3wd", 5.0), ("opinion_15wd", 21.0), ("petition_15_60", 60.0), ("care_3wd", 5.0)],
)
def test_interim_sla_days_from_policy_codes(code: str, days: float) -> None:
    assert sla_days(code) == days


def test_unknown_policy_code_falls_back() -> None:
    assert sla_days("") is None and sla_days("custom") is None
