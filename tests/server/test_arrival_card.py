"""The arrival card (到访卡片) and the 转交 case action, on SQLite and PostgreSQL: the person and their
history, 重复诉求 by text similarity (and the 90-day fallback), 诉求超期 from the stored deadlines,
建议转介 for counselors only, and what other roles and other people's cases never show."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update
from support import PASSWORD, FakeClock, World

# The card's wording, flags, thresholds and access rules cannot depend on the database: SQLite only.
# History windows, stored deadlines, similarity over stored cases and writes run on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


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


@SQLITE_ONLY
def test_card_never_carries_psychological_results(api, world: World) -> None:  # type: ignore[no-untyped-def]
    _assess(api, world, "E1003", PHQ9_MODERATE)
    ticket = _issue(api, world, category="care", employee_no="E1003")
    card = _card(api, ticket["id"], _officer(api, "counselor"))
    text = repr(card)
    for word in ("assessment", "phq", "gad", "score", "band", "raw", "moderate", "测评", "中度"):
        assert word not in text.lower()
    assert set(card) == {"ticket", "employee", "history", "history_total", "flags"}
    # A yes/no and its short label: all a counselor's card says about it.
    assert (card["flags"]["referral"], card["flags"]["referral_label"]) == (True, "建议转介")


@SQLITE_ONLY
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
    assert card["flags"]["repeat_rule"] == "same_category_90d"  # no note: nothing to compare by text
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


def test_case_in_history_and_overdue_flag_from_stored_deadlines(api, world: World, clock: FakeClock, sessions) -> None:  # type: ignore[no-untyped-def]
    officer = _officer(api)
    first = _issue(api, world, category="policy", employee_no="E1002")
    # Monday 2026-11-23 10:00 in Beijing; 政策咨询 (policy_3wd): answer by the end of Thursday 11-26.
    case = _open_case(api, officer, category="policy", summary="退休金核算有疑问", ticket_id=first["id"])
    assert case["due_at"] == "2026-11-26T16:00:00+00:00"
    secret = _open_case(
        api, officer, category="legal", summary="劳动争议", employee_no="E1002", channel="phone", confidential=True
    )
    from suqiu_queue.server.cases.models import Case

    with sessions() as session, session.begin():
        # Settled long ago: its stored due time is in the past, but a settled case is never overdue.
        session.execute(
            update(Case)
            .where(Case.id == secret["id"])
            .values(outcome="已调解", status="archived", due_at=clock.now, breached_at=clock.now)
        )

    clock.advance(days=3)  # Thursday 10:00: due tonight
    officer = _officer(api)
    visit = _issue(api, world, category="health", employee_no="E1002")
    card = _card(api, visit["id"], officer)
    assert card["ticket"]["lane"] == "priority"  # born 1958: 长辈 lane
    assert card["flags"]["overdue_case"] is False and card["flags"]["overdue_cases"] == []
    by_label = {item["label"]: item for item in card["history"]}
    assert first["display"] not in by_label  # the ticket became the case: shown once, as the case
    assert by_label[case["reference"]]["status_label"] == "受理"
    assert by_label[secret["reference"]]["outcome"] == "（保密事项）"
    assert by_label[secret["reference"]]["channel_label"] == "来电"

    clock.advance(days=1)  # Friday 10:00: ten hours past the end of Thursday
    officer = _officer(api)
    card = _card(api, visit["id"], officer)
    assert card["flags"]["overdue_case"] is True
    [overdue] = card["flags"]["overdue_cases"]
    assert (overdue["reference"], overdue["due_at"], overdue["overdue_hours"]) == (
        case["reference"],
        "2026-11-26T16:00:00+00:00",
        10,
    )
    assert (overdue["due_step"], overdue["days_open"]) == ("answer", 4)
    assert overdue["due_step_label"] and overdue["status_label"] == "受理"

    # Paused (waiting for the employee's documents): no due time, so not overdue.
    paused = api.post(f"/api/v1/cases/{case['id']}/pause", json={"reason": "等待员工补交材料"}, headers=officer)
    assert paused.status_code == 200, paused.text
    assert _card(api, visit["id"], officer)["flags"]["overdue_case"] is False
    clock.advance(hours=1)  # the documents came an hour later: the clock runs again, still past due
    resumed = api.post(f"/api/v1/cases/{case['id']}/resume", headers=officer)
    assert resumed.status_code == 200, resumed.text
    assert _card(api, visit["id"], officer)["flags"]["overdue_case"] is True
    # Answered: the reply reached the employee, nothing is waiting on the center.
    answered = api.post(f"/api/v1/cases/{case['id']}/answer", json={"reply": "已重新核算"}, headers=officer)
    assert answered.status_code == 200, answered.text
    assert _card(api, visit["id"], officer)["flags"]["overdue_case"] is False


@SQLITE_ONLY
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


@SQLITE_ONLY
@pytest.mark.parametrize("kind", ["kiosk", "board", "announcer"])
def test_devices_never_get_a_card(api, world: World, kind: str) -> None:  # type: ignore[no-untyped-def]
    ticket = _issue(api, world, employee_no="E1001")
    response = api.get(
        f"/api/v1/tickets/{ticket['id']}/arrival-card", headers={"X-Device-Key": world.device_keys[kind]}
    )
    assert response.status_code == 403
    assert "张三" not in response.text
    assert api.get(f"/api/v1/tickets/{ticket['id']}/arrival-card").status_code == 401


@SQLITE_ONLY
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


@SQLITE_ONLY
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


@SQLITE_ONLY
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


# --- 重复诉求 by text similarity ------------------------------------------------------------------------

PHQ9_MODERATE = [2, 2, 2, 2, 1, 1, 0, 0, 0]  # raw 10: 中度, the referral threshold
PHQ9_MINIMAL = [0] * 9
PHQ9_CRISIS = [0] * 8 + [1]  # raw 1, but item 9 answered: a crisis whatever the band


def _assess(api, world: World, employee_no: str | None, points: list[int], scale: str = "phq9", **extra: Any) -> None:  # type: ignore[no-untyped-def]
    body: dict[str, Any] = {"scale": scale, "points": points, **extra}
    if employee_no:
        body["employee_no"] = employee_no
    response = api.post("/api/v1/assessments", json=body, headers=_kiosk(world))
    assert response.status_code == 201, response.text


def _similar_world(api) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Earlier cases: 张三's own hot-water complaint, 李四's about the same boiler, and unrelated ones."""
    officer = _officer(api)
    return {
        "own": _open_case(
            api, officer, category="logistics", summary="宿舍楼热水器坏了，晚上洗不了热水澡", employee_no="E1001"
        ),
        "other": _open_case(
            api, officer, category="logistics", summary="三号宿舍楼热水器坏了好几天，洗不了热水澡", employee_no="E1002"
        ),
        "canteen": _open_case(api, officer, category="opinion", summary="食堂菜价上涨太快", employee_no="E1003"),
        "leave": _open_case(api, officer, category="policy", summary="年休假天数怎么计算", employee_no="E1001"),
    }


def test_repeat_topic_by_text_similarity_lists_own_and_others_cases(api, world: World, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    earlier = _similar_world(api)
    clock.advance(days=200)  # far beyond the old 90-day rule: text similarity has no such window for one's own
    ticket = _issue(api, world, category="logistics", employee_no="E1001", note="宿舍热水器又坏了，洗不了热水澡")
    card = _card(api, ticket["id"], _officer(api))
    flags = card["flags"]
    assert flags["repeat_topic"] is True and flags["repeat_rule"] == "similar_text"
    similar = flags["similar_cases"]
    assert {item["reference"] for item in similar} == {earlier["own"]["reference"], earlier["other"]["reference"]}
    scores = [item["score"] for item in similar]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 0.25
    by_ref = {item["reference"]: item for item in similar}
    own, other = by_ref[earlier["own"]["reference"]], by_ref[earlier["other"]["reference"]]
    assert (own["case_id"], own["same_employee"], own["status_label"]) == (earlier["own"]["id"], True, "受理")
    assert own["date"] == "2026-11-23"
    assert (other["case_id"], other["same_employee"], other["category_name"]) == (
        earlier["other"]["id"],
        False,
        "后勤·宿舍·报修",
    )
    assert other["date"] is None
    # The person's own matches are also the chip's items; someone else's case is a reference only.
    assert [item["label"] for item in flags["repeat_items"]] == [earlier["own"]["reference"]]
    assert set(other) == {
        "case_id",
        "reference",
        "category",
        "category_name",
        "score",
        "same_employee",
        "status",
        "status_label",
        "date",
    }
    for secret in ("李四", "E1002", "13800000002", "三号宿舍楼", "好几天", "欧阳"):
        assert secret not in repr(card)


@SQLITE_ONLY
def test_threshold_comes_from_the_config(api, world: World) -> None:  # type: ignore[no-untyped-def]
    from suqiu_queue.server.cases.config import LoopConfig

    _similar_world(api)
    ticket = _issue(api, world, category="logistics", employee_no="E1001", note="宿舍热水器又坏了，洗不了热水澡")
    api.app.state.loop_config = LoopConfig(repeat_threshold=0.99)
    strict = _card(api, ticket["id"], _officer(api))["flags"]
    assert strict["repeat_topic"] is False and strict["similar_cases"] == [] and strict["repeat_rule"] is None
    api.app.state.loop_config = LoopConfig(repeat_threshold=0.25)
    assert len(_card(api, ticket["id"], _officer(api))["flags"]["similar_cases"]) == 2


@SQLITE_ONLY
def test_a_note_about_something_else_is_no_repeat_even_in_the_same_category(api, world: World) -> None:  # type: ignore[no-untyped-def]
    earlier = _similar_world(api)
    # The same category as 张三's earlier 年休假 question, but the words say another matter: with
    # text to compare, the 90-day same-category rule no longer applies.
    ticket = _issue(api, world, category="policy", employee_no="E1001", note="想了解公积金贷款额度")
    flags = _card(api, ticket["id"], _officer(api))["flags"]
    assert flags["repeat_topic"] is False and flags["similar_cases"] == []
    assert earlier["leave"]["reference"] in repr(_card(api, ticket["id"], _officer(api))["history"])


@SQLITE_ONLY
def test_the_tickets_own_case_is_not_its_repeat_and_anonymous_notes_are_checked(api, world: World) -> None:  # type: ignore[no-untyped-def]
    earlier = _similar_world(api)
    officer = _officer(api)
    note = "宿舍热水器坏了，洗不了热水澡"
    ticket = _issue(api, world, category="logistics", employee_no="E1003", note=note)
    own_case = _open_case(api, officer, category="logistics", summary=note, ticket_id=ticket["id"])
    similar = _card(api, ticket["id"], officer)["flags"]["similar_cases"]
    assert own_case["id"] not in [item["case_id"] for item in similar]
    assert {item["case_id"] for item in similar} == {earlier["own"]["id"], earlier["other"]["id"]}
    assert not any(item["same_employee"] for item in similar)  # 欧阳娜娜 never complained before

    anonymous = _issue(api, world, category="logistics", note="热水器坏了，宿舍洗不了热水澡")
    card = _card(api, anonymous["id"], officer)
    assert card["employee"] is None and card["flags"]["repeat_topic"] is True
    assert all(not item["same_employee"] and item["date"] is None for item in card["flags"]["similar_cases"])
    for secret in ("张三", "李四", "欧阳", "E1001", "E1002", "洗不了热水澡，"):
        assert secret not in repr(card["flags"])


# --- 建议转介: counselors only ----------------------------------------------------------------------------

ALL_OFFICER_ROLES = ("reception", "handler", "counselor", "legal", "supervisor", "admin")


@SQLITE_ONLY
def test_referral_reaches_counselors_only(api, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    _assess(api, world, "E1001", PHQ9_MODERATE)
    ticket = _issue(api, world, category="care", employee_no="E1001", note="最近压力很大")
    for role in ALL_OFFICER_ROLES:
        response = api.get(f"/api/v1/tickets/{ticket['id']}/arrival-card", headers=_officer(api, role))
        assert response.status_code == 200, (role, response.text)
        flags = response.json()["flags"]
        if role == "counselor":
            assert (flags["referral"], flags["referral_label"]) == (True, "建议转介")
        else:
            # Not false, not null: the key is not there, and neither is the label.
            assert "referral" not in flags and "referral_label" not in flags, role
            assert "建议转介" not in response.text and "转介" not in response.text

    from suqiu_queue.server.audit.models import AuditEntry

    with sessions() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "employee.history_read")).all()
    checked = [r.detail.get("referral_checked", False) for r in rows]
    assert checked.count(True) == 1 and len(checked) == len(ALL_OFFICER_ROLES)


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("scale", "points", "expected"),
    [
        ("phq9", PHQ9_MODERATE, True),
        ("phq9", PHQ9_MINIMAL, False),
        ("phq9", PHQ9_CRISIS, True),  # minimal band, but a crisis answer
        ("gad7", [2, 2, 2, 2, 1, 1, 0], True),  # raw 10: 中度
        ("gad7", [1, 1, 1, 1, 1, 0, 0], False),  # raw 5: 轻度
        ("who5", [1, 1, 1, 1, 1], True),  # raw 5: 很低
        ("who5", [3, 3, 3, 3, 3], False),  # raw 15: 良好
    ],
)
def test_which_results_call_for_referral(api, world: World, scale: str, points: list[int], expected: bool) -> None:  # type: ignore[no-untyped-def]
    _assess(api, world, "E1002", points, scale=scale)
    ticket = _issue(api, world, category="care", employee_no="E1002")
    assert _card(api, ticket["id"], _officer(api, "counselor"))["flags"]["referral"] is expected


def test_referral_needs_a_linked_recent_result(api, world: World, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    # Anonymous, even on the person's own ticket: they chose not to put their name to it.
    first = _issue(api, world, category="care", employee_no="E1003")
    _assess(api, world, None, PHQ9_CRISIS, ticket_id=first["id"])
    _assess(api, world, "E1001", PHQ9_MODERATE)  # someone else's
    assert _card(api, first["id"], _officer(api, "counselor"))["flags"]["referral"] is False

    _assess(api, world, "E1003", PHQ9_MODERATE)
    assert _card(api, first["id"], _officer(api, "counselor"))["flags"]["referral"] is True
    clock.advance(days=91)
    later = _issue(api, world, category="care", employee_no="E1003")
    flags = _card(api, later["id"], _officer(api, "counselor"))["flags"]
    assert (flags["referral"], flags["referral_label"]) == (False, None)  # older than 90 days
    anonymous_ticket = _issue(api, world, category="care")
    assert _card(api, anonymous_ticket["id"], _officer(api, "counselor"))["flags"]["referral"] is False
