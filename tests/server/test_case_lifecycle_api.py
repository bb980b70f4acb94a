"""The closed loop over HTTP: every (state, action) pair, deadlines with pauses and extensions,
议事, ratings from the kiosk and the receipt's QR code, publication, 合理化建议, SLA policies, access.

Runs on SQLite and PostgreSQL (the ``api`` fixture). The clock starts on Monday 2026-11-23 10:00
in Shanghai (02:00 UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from support import PASSWORD, FakeClock, World

from suqiu_queue.server.events.models import Event

# The state × action table and the publication rule cannot depend on the database: SQLite only. The
# loop with its stored deadlines, deliberation, ratings, suggestions and overdue lists run on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

API = "/api/v1"
FORBIDDEN_CODES = {"case_transition_forbidden", "case_archived"}


def officer(api: TestClient, role: str = "handler") -> dict[str, str]:
    token = api.post(f"{API}/auth/login", json={"username": f"{role}1", "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def open_case(api: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"center": "T1", "category": "policy", "summary": "咨询年休假天数怎么计算", **fields}
    response = api.post(f"{API}/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def do(
    api: TestClient, headers: dict[str, str], case_id: int, action: str, body: Any = None, method: str = "POST"
) -> Any:
    response = api.request(
        method, f"{API}/cases/{case_id}/{action}", json=body if body is not None else {}, headers=headers
    )
    assert response.status_code == 200, f"{action}: {response.text}"
    return response.json()


def events(api: TestClient, prefix: str = "case.") -> list[Event]:
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        return [e for e in session.scalars(select(Event).order_by(Event.id)).all() if e.kind.startswith(prefix)]


# --- every pair ---------------------------------------------------------------------------------

# Written out from the issue (受理 → 分流 → 办理 → 反馈 → 评价 → 归档, 当场答复, reopen/escalate
# from 评价), not read from the implementation's table.
ALLOWED = {
    "accepted": {"route", "answer"},
    "routed": {"route", "conclude_deliberation", "start"},
    "in_progress": {"route", "answer"},
    "answered": {"rate", "archive"},
    "rated": {"reopen", "escalate", "archive"},
    "archived": set(),
}
# A request each action accepts from a state that allows it (the bodies are valid, so a refusal
# can only be the lifecycle's).
REQUESTS = {
    "route": ("route", {"departments": ["人力资源部"], "responsible": "刘科长", "reason": "转办：涉及社保"}),
    "conclude_deliberation": (
        "deliberation/decide",
        {"lead_department": "人力资源部", "conclusion": "由人力资源部牵头"},
    ),
    "start": ("start", {}),
    "answer": ("answer", {"reply": "已答复：按累计工龄计算年休假"}),
    "rate": ("rate", {"score": 4, "channel": "phone"}),
    "reopen": ("reopen", {"reason": "员工仍不满意"}),
    "escalate": ("escalate", {"reason": "员工要求评议"}),
    "archive": ("archive", {"reason": "员工未评价，电话三次未接通"}),
}
# For allowed pairs, a variant that stops short of changing anything (or, last, the real move).
PROBES = {
    "route": ("route", {"departments": ["人力资源部"]}),  # no responsible person: 422
    "answer": ("answer", {"reply": "  "}),  # an empty reply: 422
    "conclude_deliberation": REQUESTS["conclude_deliberation"],  # no 议事 open: 409 by the guard
    "reopen": REQUESTS["reopen"],  # rated 4 (satisfied): 409 by the guard
    "escalate": REQUESTS["escalate"],
    "archive": ("archive", {}),  # never rated: a reason is required (on 反馈)
}


@SQLITE_ONLY
def test_every_state_and_action_pair(api: TestClient, world: World) -> None:
    h = officer(api)

    def case_in(state: str) -> int:
        case_id = open_case(api, h)["id"]
        if state in ("routed", "in_progress"):
            do(api, h, case_id, "route", {"departments": ["人力资源部"], "responsible": "王科长"})
        if state == "in_progress":
            do(api, h, case_id, "start")
        if state in ("answered", "rated", "archived"):
            do(api, h, case_id, "answer", {"reply": "当场答复"})
        if state in ("rated", "archived"):
            do(api, h, case_id, "rate", {"score": 4})
        if state == "archived":
            do(api, h, case_id, "archive")
        return case_id

    walked = 0
    for state, allowed in ALLOWED.items():
        case_id = case_in(state)
        assert api.get(f"{API}/cases/{case_id}", headers=h).json()["status"] == state
        for action, (path, body) in REQUESTS.items():
            if action in allowed:
                continue
            response = api.post(f"{API}/cases/{case_id}/{path}", json=body, headers=h)
            assert response.status_code == 409, (state, action, response.text)
            expected = "case_archived" if state == "archived" else "case_transition_forbidden"
            assert response.json()["error"]["code"] == expected, (state, action)
            walked += 1
        # Allowed pairs: refused (if at all) for their data or a guard, never for the state. The
        # probes that would change the state (start, rate, archive after a rating) go last.
        for action in sorted(allowed, key=lambda a: a in ("start", "rate") or (a == "archive" and state == "rated")):
            path, body = PROBES.get(action, REQUESTS[action])
            response = api.post(f"{API}/cases/{case_id}/{path}", json=body, headers=h)
            code = response.json().get("error", {}).get("code") if response.status_code >= 400 else None
            assert code not in FORBIDDEN_CODES, (state, action, response.text)
            assert response.status_code in (200, 409, 422), (state, action, response.text)
            walked += 1
    assert walked == 6 * 8
    # The state a probe did change is the table's target.
    assert api.get(f"{API}/cases/{case_in('answered')}", headers=h).json()["allowed_actions"] == ["rate", "archive"]


# --- one case through the whole loop --------------------------------------------------------------


def test_a_case_goes_round_the_loop_with_its_deadline(api: TestClient, world: World, clock: FakeClock) -> None:
    reception, handler = officer(api, "reception"), officer(api)
    case = open_case(api, reception, employee_no="E1001", summary="张三咨询年休假天数")
    # 政策咨询: 3 working days from the day after — Tue, Wed, Thu: due at the end of Thursday.
    assert (case["due_step"], case["due_at"]) == ("answer", "2026-11-26T16:00:00+00:00")
    assert [s["step"] for s in case["sla"]["steps"]] == ["answer"]
    assert case["sla"]["steps"][0]["limit"] == "3个工作日"

    routed = do(api, reception, case["id"], "route", {"departments": ["人力资源部"], "assignee": "handler1"})
    handler_id = api.get(f"{API}/auth/me", headers=handler).json()["id"]
    assert (routed["status"], routed["department"], routed["responsible"], routed["assignee_id"]) == (
        "routed",
        "人力资源部",
        "handler1",
        handler_id,
    )
    mine = api.get(f"{API}/cases", params={"mine": "true"}, headers=handler).json()["items"]
    assert [c["id"] for c in mine] == [case["id"]]
    assert do(api, handler, case["id"], "start")["status"] == "in_progress"

    clock.advance(days=1)  # Tuesday 10:00 (a login lasts 12 hours)
    reception, handler = officer(api, "reception"), officer(api)
    paused = do(api, handler, case["id"], "pause", {"reason": "等待员工补交材料"})
    assert (paused["paused"], paused["due_at"]) == (True, None)
    refused = api.post(f"{API}/cases/{case['id']}/pause", json={"reason": "再次暂停"}, headers=handler)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "already_paused")
    clock.advance(days=1)  # Wednesday 10:00: a day of clock time lost, so the answer is due a day later
    reception, handler = officer(api, "reception"), officer(api)
    resumed = do(api, handler, case["id"], "resume")
    assert (resumed["paused"], resumed["due_at"]) == (False, "2026-11-27T16:00:00+00:00")
    assert resumed["sla"]["pauses"][0]["reason"] == "等待员工补交材料"

    answered = do(api, handler, case["id"], "answer", {"reply": "工龄按累计计算，可休年假10天"})
    assert (answered["status"], answered["outcome"], answered["due_at"]) == ("answered", "已解决", None)
    rated = do(api, reception, case["id"], "rate", {"score": 2, "comment": "没说清楚怎么申请"})
    assert rated["rating"]["score"] == 2 and rated["rating"]["channel"] == "phone"
    assert rated["allowed_actions"] == ["reopen", "escalate", "archive"]
    no_reason = api.post(f"{API}/cases/{case['id']}/archive", json={}, headers=handler)
    assert no_reason.json()["error"]["code"] == "case_reason_required"

    reopened = do(api, handler, case["id"], "reopen", {"reason": "员工不满意，补充说明申请流程"})
    # A new round: the answer clock starts again on Wednesday (Thu, Fri, Mon).
    assert (reopened["status"], reopened["reopen_count"], reopened["due_at"]) == (
        "in_progress",
        1,
        "2026-11-30T16:00:00+00:00",
    )
    do(api, handler, case["id"], "answer", {"reply": "已告知在OA系统提交年休假申请"})
    do(api, handler, case["id"], "rate", {"score": 5, "channel": "counter"})
    archived = do(api, handler, case["id"], "archive")
    assert (archived["status"], archived["allowed_actions"]) == ("archived", [])

    timeline = archived["timeline"]
    assert [t["kind"] for t in timeline] == [
        "created",
        "route",
        "start",
        "pause",
        "resume",
        "answer",
        "rate",
        "reopen",
        "answer",
        "rate",
        "archive",
    ]
    reopen_row = timeline[7]
    assert (reopen_row["from"], reopen_row["to"], reopen_row["note"]) == (
        "rated",
        "in_progress",
        "员工不满意，补充说明申请流程",
    )
    assert reopen_row["at"] == "2026-11-25T02:00:00+00:00" and reopen_row["actor"] == f"user:{handler_id}"
    assert timeline[6]["data"]["score"] == 2 and timeline[6]["data"]["satisfied"] is False

    # Events say what changed, never who or what about.
    changes = [e.payload.get("change") for e in events(api) if e.payload["case_id"] == case["id"]]
    assert changes[:3] == [None, "route", "start"] and changes[-1] == "archive"
    for e in events(api):
        assert "张三" not in str(e.payload) and "年休假" not in str(e.payload) and "人力资源部" not in str(e.payload)


def test_petition_deadlines_and_their_one_extension(api: TestClient, world: World, clock: FakeClock) -> None:
    clock.now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 2026-03-02 10:00
    legal = officer(api, "legal")
    case = open_case(api, legal, category="legal", channel="letter", summary="来信反映劳动合同到期未续签")
    steps = {s["step"]: s for s in case["sla"]["steps"]}
    # 15 days to decide: 03-17 is a Tuesday, so the period ends at the end of 03-17.
    assert steps["accept"]["due_at"] == "2026-03-17T16:00:00+00:00"
    # 60 days to resolve: 05-01 falls in the Labour Day holiday (05-01..05-05): moved to 05-06.
    assert steps["resolve"]["due_at"] == "2026-05-06T16:00:00+00:00"
    assert case["due_step"] == "accept"

    short = api.post(f"{API}/cases/{case['id']}/extend", json={"step": "resolve", "reason": "太忙"}, headers=legal)
    assert short.json()["error"]["code"] == "extension_reason_required"
    accept = api.post(
        f"{API}/cases/{case['id']}/extend", json={"step": "accept", "reason": "需要调取劳动合同原件"}, headers=legal
    )
    assert accept.json()["error"]["code"] == "extension_not_allowed"
    reception = api.post(
        f"{API}/cases/{case['id']}/extend",
        json={"step": "resolve", "reason": "需要调取劳动合同原件"},
        headers=officer(api, "reception"),
    )
    assert reception.status_code == 403

    extended = do(api, legal, case["id"], "extend", {"step": "resolve", "reason": "需要调取劳动合同原件和工资流水"})
    resolve = {s["step"]: s for s in extended["sla"]["steps"]}["resolve"]
    assert resolve["due_at"] == "2026-06-01T16:00:00+00:00"  # 90 days: 05-31 is a Sunday, so Monday 06-01
    assert resolve["extensions"][0]["reason"] == "需要调取劳动合同原件和工资流水"
    assert extended["timeline"][-1]["kind"] == "extend"
    again = api.post(
        f"{API}/cases/{case['id']}/extend", json={"step": "resolve", "reason": "还需要再延期一次"}, headers=legal
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "extension_limit_reached")


def test_deliberation_needs_every_department_to_sign_off(api: TestClient, world: World) -> None:
    h = officer(api)
    case = open_case(api, h, category="logistics", summary="宿舍区路灯不亮，物业和电力都说不归自己管")
    routed = do(api, h, case["id"], "route", {"departments": ["物业管理部", "电力检修公司"], "responsible": "王主任"})
    assert routed["deliberation_open"] is True
    assert [p["department"] for p in routed["deliberation"]["participants"]] == ["物业管理部", "电力检修公司"]
    blocked = api.post(f"{API}/cases/{case['id']}/start", json={}, headers=h)
    assert blocked.json()["error"]["code"] == "case_deliberation_open"

    do(api, h, case["id"], "deliberation/invite", {"departments": ["安全环保部"]})
    do(api, h, case["id"], "deliberation/comments", {"department": "物业管理部", "comment": "线路属电力检修公司维护"})
    do(api, h, case["id"], "deliberation/sign-off", {"department": "物业管理部"})
    do(api, h, case["id"], "deliberation/sign-off", {"department": "电力检修公司", "comment": "同意由我方牵头抢修"})
    early = api.post(
        f"{API}/cases/{case['id']}/deliberation/decide",
        json={"lead_department": "电力检修公司", "conclusion": "电力检修公司牵头"},
        headers=h,
    )
    assert early.status_code == 409
    assert early.json()["error"]["details"] == {"departments": ["安全环保部"]}
    stranger = api.post(f"{API}/cases/{case['id']}/deliberation/sign-off", json={"department": "财务部"}, headers=h)
    assert stranger.json()["error"]["code"] == "deliberation_department_unknown"
    do(api, h, case["id"], "deliberation/sign-off", {"department": "安全环保部"})
    decided = do(
        api,
        h,
        case["id"],
        "deliberation/decide",
        {"lead_department": "电力检修公司", "conclusion": "电力检修公司三日内修复，物业配合"},
    )
    assert (decided["department"], decided["deliberation_open"]) == ("电力检修公司", False)
    assert decided["deliberation"]["status"] == "decided"
    decision_row = decided["timeline"][-1]
    assert decision_row["kind"] == "conclude_deliberation"
    assert [p["department"] for p in decision_row["data"]["participants"]] == [
        "物业管理部",
        "电力检修公司",
        "安全环保部",
    ]
    assert all(p["signed_off_at"] for p in decision_row["data"]["participants"])
    assert do(api, h, case["id"], "start")["status"] == "in_progress"


def test_ratings_from_the_kiosk_and_the_receipt_qr(api: TestClient, world: World) -> None:
    kiosk = {"X-Device-Key": world.device_keys["kiosk"]}
    reception = officer(api, "reception")
    tickets = [
        api.post(
            f"{API}/tickets", json={"center": "T1", "category": "policy", "employee_no": "E1002"}, headers=kiosk
        ).json()
        for _ in range(2)
    ]
    cases = [
        open_case(api, reception, ticket_id=t["id"], summary=f"第{i}次咨询退休待遇") for i, t in enumerate(tickets)
    ]
    token, other_token = tickets[0]["status_token"], tickets[1]["status_token"]

    early = api.post(f"{API}/cases/rate-by-token", json={"token": token, "score": 5}, headers=kiosk)
    assert (early.status_code, early.json()["error"]["code"]) == (409, "case_not_answered")
    for case in cases:
        do(api, reception, case["id"], "answer", {"reply": "退休待遇按新办法计发"})

    shown = api.get(f"{API}/cases/by-token/{token}").json()["items"]
    assert shown == [shown[0] | {"case_id": cases[0]["id"], "can_rate": True, "rated": False}]
    assert "退休" not in str(shown)  # a photographed QR code leaks no text

    wrong = api.post(
        f"{API}/cases/rate-by-token", json={"token": token, "score": 5, "case_id": cases[1]["id"]}, headers=kiosk
    )
    assert wrong.status_code == 404  # only cases linked to that ticket
    rated = api.post(
        f"{API}/cases/rate-by-token", json={"token": token, "score": 5, "comment": "很满意"}, headers=kiosk
    )
    assert rated.status_code == 200, rated.text
    twice = api.post(f"{API}/cases/rate-by-token", json={"token": token, "score": 1}, headers=kiosk)
    assert twice.status_code == 409
    by_phone = api.post(f"{API}/cases/rate-by-token", json={"token": other_token, "score": 1, "comment": "不满意"})
    assert by_phone.status_code == 200
    unknown = api.post(f"{API}/cases/rate-by-token", json={"token": "x" * 22, "score": 3})
    assert unknown.status_code == 404

    first = api.get(f"{API}/cases/{cases[0]['id']}", headers=reception).json()
    second = api.get(f"{API}/cases/{cases[1]['id']}", headers=reception).json()
    assert (first["rating"]["channel"], first["rating"]["score"]) == ("kiosk", 5)
    assert (second["rating"]["channel"], second["status"]) == ("qr", "rated")
    assert second["allowed_actions"] == ["reopen", "escalate", "archive"]  # unsatisfied: reopen or escalate
    escalated = do(api, reception, cases[1]["id"], "escalate", {"reason": "员工对计发办法有异议，提请民事民议"})
    assert (escalated["status"], escalated["review_requested"]) == ("in_progress", True)
    rate_events = [e.payload for e in events(api) if e.payload.get("change") == "rate"]
    assert [(p["score"], p["satisfied"]) for p in rate_events] == [(5, True), (1, False)]
    assert all("满意" not in str(p) for p in rate_events)


@SQLITE_ONLY
def test_publication_needs_anonymity_and_a_supervisor(api: TestClient, world: World) -> None:
    handler, supervisor = officer(api), officer(api, "supervisor")
    case = open_case(api, handler, employee_no="E1003", category="logistics", summary="欧阳娜娜反映宿舍热水器坏了")
    secret = open_case(api, handler, category="logistics", summary="反映班组长作风问题", confidential=True)
    for c in (case, secret):
        do(api, handler, c["id"], "answer", {"reply": "已安排维修"})
    refused = api.post(
        f"{API}/cases/{secret['id']}/showcase", json={"title": "作风问题", "summary": "已处理"}, headers=handler
    )
    assert refused.json()["error"]["code"] == "showcase_not_public"
    named = api.post(
        f"{API}/cases/{case['id']}/showcase",
        json={"title": "热水器维修", "summary": "欧阳娜娜反映热水器坏了，两天内修好"},
        headers=handler,
    )
    assert named.json()["error"]["code"] == "showcase_not_anonymous"
    phone = api.post(
        f"{API}/cases/{case['id']}/showcase",
        json={"title": "热水器维修", "summary": "职工来电13912345678反映，两天内修好"},
        headers=handler,
    )
    assert phone.json()["error"]["code"] == "showcase_not_anonymous"
    body = {"title": "宿舍热水器两天修复", "summary": "职工反映宿舍热水器损坏，物业管理部两天内更换并回访。"}
    requested = do(api, handler, case["id"], "showcase", body)
    assert requested["showcase"]["status"] == "requested"
    assert api.get(f"{API}/showcase", params={"center": "T1"}).json()["items"] == []
    not_allowed = api.post(f"{API}/cases/{case['id']}/showcase/decision", json={"approve": True}, headers=handler)
    assert not_allowed.status_code == 403
    do(api, supervisor, case["id"], "showcase/decision", {"approve": True, "note": "同意发布"})
    public = api.get(f"{API}/showcase", params={"center": "T1"}).json()["items"]
    assert [(p["title"], p["category_name"]) for p in public] == [("宿舍热水器两天修复", "后勤·宿舍·报修")]
    assert "reference" not in public[0] and "case_id" not in public[0]
    # The employee asks that it stay off the board: it disappears at once.
    private = do(api, handler, case["id"], "visibility", {"private": True}, method="PUT")
    assert private["public"] is False
    assert api.get(f"{API}/showcase", params={"center": "T1"}).json()["items"] == []


def test_suggestions_from_any_channel_carry_adoption(api: TestClient, world: World) -> None:
    h = officer(api)
    letter = open_case(api, h, category="proposal", channel="letter", summary="建议在输油泵房加装远程测温")
    assert (letter["channel_label"], letter["adoption_status"], letter["adoption_label"]) == (
        "来信",
        "pending",
        "待评估",
    )
    adopted = do(
        api, h, letter["id"], "adoption", {"status": "adopted", "reward_note": "奖励500元，列入年度技改"}, method="PUT"
    )
    assert (adopted["adoption_label"], adopted["reward_note"]) == ("已采纳", "奖励500元，列入年度技改")
    bad = api.put(f"{API}/cases/{letter['id']}/adoption", json={"status": "maybe"}, headers=h)
    assert bad.json()["error"]["code"] == "adoption_status_invalid"
    online = open_case(api, h, channel="online", summary="网上咨询公积金提取")
    not_suggestion = api.put(f"{API}/cases/{online['id']}/adoption", json={"status": "adopted"}, headers=h)
    assert not_suggestion.json()["error"]["code"] == "adoption_not_a_suggestion"
    # 一口受理: a web message takes the same loop and is answered on the spot.
    assert do(api, h, online["id"], "answer", {"reply": "可提取，需购房合同"})["status"] == "answered"


def test_sla_policies_are_edited_by_admins(api: TestClient, world: World) -> None:
    admin, handler = officer(api, "admin"), officer(api)
    listed = api.get(f"{API}/sla-policies", headers=handler).json()["items"]
    policy = next(p for p in listed if p["code"] == "policy_3wd")
    assert (policy["edited"], policy["steps"]["answer"]) == (False, {"within": 3, "unit": "working_days"})
    policy["steps"]["answer"]["within"] = 5
    assert api.put(f"{API}/sla-policies/policy_3wd", json=policy, headers=handler).status_code == 403
    bad = api.put(
        f"{API}/sla-policies/policy_3wd", json=policy | {"steps": {"answer": {"within": 0, "unit": "x"}}}, headers=admin
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_sla_policy")
    saved = api.put(f"{API}/sla-policies/policy_3wd", json=policy, headers=admin)
    assert saved.status_code == 200 and saved.json()["edited"] is True
    assert api.put(f"{API}/sla-policies/nope", json=policy, headers=admin).status_code == 404
    # New cases use the edited policy: five working days (Tue..Mon) from Monday.
    assert open_case(api, handler)["due_at"] == "2026-11-30T16:00:00+00:00"


def test_overdue_lists_and_who_may_act(api: TestClient, world: World, clock: FakeClock) -> None:
    handler, supervisor = officer(api), officer(api, "supervisor")
    late = open_case(api, handler, summary="咨询医保")
    paused = open_case(api, handler, summary="咨询公积金")
    do(api, handler, paused["id"], "pause", {"reason": "等待员工补交材料"})
    answered = open_case(api, handler, summary="咨询社保")
    do(api, handler, answered["id"], "answer", {"reply": "已答复"})
    clock.advance(days=4)  # Friday: the policy answers were due at the end of Thursday
    handler, supervisor = officer(api), officer(api, "supervisor")
    assert api.get(f"{API}/cases/overdue", params={"center": "T1"}, headers=handler).status_code == 403
    overdue = api.get(f"{API}/cases/overdue", params={"center": "T1"}, headers=supervisor).json()["items"]
    assert [(c["id"], c["overdue_hours"]) for c in overdue] == [(late["id"], 10.0)]
    admin = officer(api, "admin")
    elsewhere = api.post(
        f"{API}/cases", json={"center": "T2", "category": "policy", "summary": "另一中心的来电"}, headers=admin
    ).json()
    assert api.get(f"{API}/cases/{elsewhere['id']}", headers=handler).status_code == 403
    assert api.post(f"{API}/cases/{elsewhere['id']}/start", json={}, headers=handler).status_code == 403
    cross = api.post(
        f"{API}/cases/{elsewhere['id']}/route",
        json={"departments": ["人力资源部"], "assignee": "handler1"},
        headers=admin,
    )
    assert cross.json()["error"]["code"] == "assignee_other_center"
    # The reply ends the wait: answering a paused case closes its pause.
    closed = do(api, handler, paused["id"], "answer", {"reply": "材料已收到，已答复"})
    assert closed["paused"] is False and closed["sla"]["pauses"][0]["end_at"] == "2026-11-27T02:00:00+00:00"
    kiosk = {"X-Device-Key": world.device_keys["kiosk"]}
    assert api.post(f"{API}/cases/{late['id']}/answer", json={"reply": "x"}, headers=kiosk).status_code == 403
