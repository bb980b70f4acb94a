"""The FAQ knowledge base over the API, on SQLite and PostgreSQL: search relevance on the shipped
entries, idempotent seeding that respects admin edits, who may edit, and kiosk outcome counts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from support import PASSWORD, FakeClock, World

import suqiu_assets
from suqiu_queue.server.events.models import Event
from suqiu_queue.server.faq import ranking
from suqiu_queue.server.faq.models import FaqEntry
from suqiu_queue.server.faq.service import seed_faq

# Access rules and the category filter cannot depend on the database: SQLite only. Search, seeding,
# edits, ordering and the counted outcomes run on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

API = "/api/v1"


def kiosk(world: World) -> dict[str, str]:
    return {"X-Device-Key": world.device_keys["kiosk"]}


def officer(api: TestClient, role: str) -> dict[str, str]:
    response = api.post(f"{API}/auth/login", json={"username": f"{role}1", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def search(api: TestClient, headers: dict[str, str], q: str = "", category: str = "", limit: int = 5) -> list[Any]:
    response = api.get(f"{API}/faq/search", params={"q": q, "category": category, "limit": limit}, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def seed_key_of(sessions: Any, faq_id: int) -> str | None:
    with sessions() as session:
        return session.get(FaqEntry, faq_id).seed_key


# --- ranking on its own ----------------------------------------------------------------------------


def test_question_words_do_not_make_bigrams() -> None:
    terms = ranking.query_weights("公积金怎么取")
    assert {"公积", "积金", "取"} <= set(terms)
    assert "金怎" not in terms and "么取" not in terms
    # "取" stood alone between question words: the person chose it, so it weighs like a word.
    assert terms["取"] == 1.0 and terms["公"] == ranking.UNIGRAM_WEIGHT


def test_a_shared_word_beats_shared_single_characters() -> None:
    index = ranking.Index(
        [
            ranking.Document(1, "年休假有几天", ["年假"], "累计工作满 1 年不满 10 年的，年休假 5 天。"),
            ranking.Document(2, "婚假有几天", ["结婚"], "婚假 3 天，另有延长。"),
            ranking.Document(3, "工资条在哪看", ["工资"], "在人力资源系统查看。"),
        ]
    )
    hits = index.search("年假几天")
    assert [h.id for h in hits][:1] == [1]
    assert 3 not in [h.id for h in hits]
    assert index.search("的") == [] and index.search("") == []


# --- search over the API -----------------------------------------------------------------------------


def test_search_ranks_the_right_answer_first(api: TestClient, world: World) -> None:
    headers = kiosk(world)
    expectations = [
        ("policy", "公积金怎么取", "policy.housing_fund_withdrawal"),
        ("policy", "公积金贷款能贷多少", "policy.housing_fund_loan"),
        ("policy", "我工作12年了年假有几天", "policy.annual_leave"),
        ("policy", "生孩子休几天", "policy.maternity_leave"),
        ("policy", "高温补贴", "policy.high_temperature_allowance"),
        ("logistics", "宿舍空调坏了", "logistics.dorm_repair"),
        ("health", "医保怎么报销", "health.medical_reimbursement"),
        ("", "工伤认定", "legal.work_injury"),
    ]
    sessions = api.app.state.sessions
    for category, q, expected in expectations:
        items = search(api, headers, q, category)
        assert items, f"no answer for {q!r}"
        assert seed_key_of(sessions, items[0]["id"]) == expected, (q, [i["question"] for i in items])
        assert {"id", "question", "answer", "category"} <= set(items[0])
        if category:
            assert all(item["category"] == category for item in items)


@SQLITE_ONLY
def test_officers_search_too_and_category_filter_holds(api: TestClient, world: World) -> None:
    reception = officer(api, "reception")
    assert search(api, reception, "公积金提取", "policy")
    # Housing fund answers live under 政策咨询, not 法律援助.
    assert all("公积金" not in item["question"] for item in search(api, reception, "公积金提取", "legal"))
    board = {"X-Device-Key": world.device_keys["board"]}
    assert api.get(f"{API}/faq/search", params={"q": "年假"}, headers=board).status_code == 403
    assert api.get(f"{API}/faq/search", params={"q": "年假"}).status_code == 401
    unknown = api.get(f"{API}/faq/search", params={"category": "nope"}, headers=reception)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "category_not_found"


def test_empty_query_gives_the_categorys_top_entries_in_admin_order(api: TestClient, world: World) -> None:
    shipped = [e for e in suqiu_assets.load_yaml("faq.yaml")["entries"] if e["category"] == "logistics"]
    items = search(api, kiosk(world), "", "logistics", limit=20)
    assert [i["question"] for i in items] == [e["question"].strip() for e in shipped]
    admin = officer(api, "admin")
    last = items[-1]
    moved = api.patch(f"{API}/faq/{last['id']}", json={"sort_order": -1}, headers=admin)
    assert moved.status_code == 200, moved.text
    assert search(api, kiosk(world), "", "logistics")[0]["id"] == last["id"]


# --- seeding ---------------------------------------------------------------------------------------


def test_seeding_is_idempotent_and_never_undoes_admin_edits(api: TestClient, world: World, clock: FakeClock) -> None:
    shipped = suqiu_assets.load_yaml("faq.yaml")["entries"]
    sessions = api.app.state.sessions
    with sessions() as session, session.begin():
        first = seed_faq(session, clock())
        again = seed_faq(session, clock())
    assert (first, again) == (len(shipped), 0)
    admin = officer(api, "admin")
    items = search(api, kiosk(world), "年休假", "policy")
    annual = items[0]
    edited = api.patch(f"{API}/faq/{annual['id']}", json={"answer": "本单位年休假按集团规定执行。"}, headers=admin)
    assert edited.status_code == 200, edited.text
    doomed = search(api, kiosk(world), "取暖费", "policy")[0]
    assert api.delete(f"{API}/faq/{doomed['id']}", headers=admin).status_code == 204

    with sessions() as session, session.begin():
        assert seed_faq(session, clock()) == 0
        total = session.scalar(select(func.count(FaqEntry.id)))
    assert total == len(shipped)
    assert api.get(f"{API}/faq/{annual['id']}", headers=admin).json()["answer"] == "本单位年休假按集团规定执行。"
    assert api.get(f"{API}/faq/{doomed['id']}", headers=admin).status_code == 404
    assert all(item["id"] != doomed["id"] for item in search(api, kiosk(world), "取暖费", "policy"))
    listed = api.get(f"{API}/faq", headers=admin).json()["items"]
    assert len(listed) == len(shipped) - 1 and all(item["seeded"] for item in listed)


# --- editing ---------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_only_admins_edit(api: TestClient, world: World) -> None:
    entry = {"category": "logistics", "question": "班车时刻表在哪里查？", "answer": "在后勤服务平台“班车”栏目查询。"}
    some_id = search(api, kiosk(world), "", "policy")[0]["id"]
    for headers in (officer(api, "reception"), officer(api, "supervisor"), kiosk(world)):
        assert api.post(f"{API}/faq", json=entry, headers=headers).status_code == 403
        assert api.patch(f"{API}/faq/{some_id}", json={"active": False}, headers=headers).status_code == 403
        assert api.delete(f"{API}/faq/{some_id}", headers=headers).status_code == 403
    assert api.get(f"{API}/faq", headers=officer(api, "reception")).status_code == 403
    assert api.get(f"{API}/faq", headers=officer(api, "supervisor")).status_code == 200


def test_admin_edits_show_up_in_search_at_once(api: TestClient, world: World) -> None:
    admin = officer(api, "admin")
    body = {
        "category": "logistics",
        "question": "班车时刻表在哪里查？",
        "answer": "在后勤服务平台“班车”栏目查询，节假日另行通知。",
        "keywords": ["班车时刻", " 通勤车 ", "班车时刻"],
    }
    created = api.post(f"{API}/faq", json=body, headers=admin)
    assert created.status_code == 201, created.text
    faq_id = created.json()["id"]
    assert created.json()["keywords"] == ["班车时刻", "通勤车"]
    assert search(api, kiosk(world), "班车时刻表", "logistics")[0]["id"] == faq_id

    api.patch(f"{API}/faq/{faq_id}", json={"question": "通勤车几点发车？"}, headers=admin)
    assert search(api, kiosk(world), "班车时刻表", "logistics")[0]["question"] == "通勤车几点发车？"

    api.patch(f"{API}/faq/{faq_id}", json={"active": False}, headers=admin)
    assert all(i["id"] != faq_id for i in search(api, kiosk(world), "班车时刻表", "logistics"))
    assert api.get(f"{API}/faq/{faq_id}", headers=kiosk(world)).status_code == 404
    assert api.get(f"{API}/faq/{faq_id}", headers=admin).json()["active"] is False

    bad = api.post(f"{API}/faq", json=body | {"category": "nope"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_category"


# --- kiosk outcomes ------------------------------------------------------------------------------


def test_outcomes_are_counted_per_day_and_category(
    api: TestClient, world: World, clock: FakeClock, sessions: Any
) -> None:
    headers = kiosk(world)
    faq_id = search(api, headers, "公积金怎么取", "policy")[0]["id"]
    for outcome in ("viewed", "resolved", "resolved", "not-resolved"):
        response = api.post(f"{API}/faq/{faq_id}/{outcome}", headers=headers)
        assert response.status_code == 204, response.text
    clock.advance(days=1)
    assert api.post(f"{API}/faq/{faq_id}/resolved", headers=headers).status_code == 204

    admin = officer(api, "admin")
    entry = api.get(f"{API}/faq/{faq_id}", headers=admin).json()
    assert (entry["view_count"], entry["resolved_count"], entry["not_resolved_count"]) == (1, 3, 1)
    stats = api.get(f"{API}/faq/stats", params={"date_from": "2026-11-01"}, headers=admin).json()["rows"]
    assert stats == [
        {"day": "2026-11-23", "category": "policy", "viewed": 1, "resolved": 2, "not_resolved": 1},
        {"day": "2026-11-24", "category": "policy", "viewed": 0, "resolved": 1, "not_resolved": 0},
    ]
    # A supervisor reads their own center's report, and no other.
    supervisor = officer(api, "supervisor")
    assert api.get(f"{API}/faq/stats", params={"date_from": "2026-11-01"}, headers=supervisor).json()["rows"] == stats
    other = api.get(f"{API}/faq/stats", params={"center": "T2"}, headers=supervisor)
    assert other.status_code == 403

    assert api.post(f"{API}/faq/{faq_id}/resolved", headers=officer(api, "reception")).status_code == 403
    assert api.post(f"{API}/faq/999999/resolved", headers=headers).status_code == 404
    with sessions() as session:
        kinds = session.scalars(select(Event.kind).where(Event.kind.like("faq.%"))).all()
        payloads = session.scalars(select(Event.payload).where(Event.kind == "faq.resolved")).all()
    assert sorted(kinds) == ["faq.not_resolved", "faq.resolved", "faq.resolved", "faq.resolved"]
    assert all(set(p) == {"faq_id", "category"} for p in payloads)


def test_stats_default_to_the_last_thirty_days(api: TestClient, world: World) -> None:
    body = api.get(f"{API}/faq/stats", headers=officer(api, "admin")).json()
    assert body["date_to"] == "2026-11-23"
    assert (date.fromisoformat(body["date_to"]) - date.fromisoformat(body["date_from"])).days == 29
