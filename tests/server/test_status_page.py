"""The public ticket status page behind the QR code (/t/<token>) and its JSON twin, on SQLite and
PostgreSQL: what it shows through a ticket's day, that it shows nothing personal, that it
escapes everything, and the calm 404; then the case behind the ticket: its answer, rating it
through the page, 申请复核 after an unsatisfied rating, calm refusals, and cross-site forms."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support import PASSWORD, FakeClock, World

from suqiu_queue.server.org.models import Center
from suqiu_queue.server.tickets import service as ticket_service

# What the page shows, escapes, refuses and which headers lock it down cannot depend on the database:
# SQLite only. Following a ticket through its day, expiry and the rating flows run on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

API = "/api/v1"
NOTE = "<script>alert('x')</script>我的工资被扣了三个月"


@pytest.fixture(autouse=True)
def _fresh_wait_figures() -> Iterator[None]:
    ticket_service._service_times.items.clear()
    ticket_service._open_counters.items.clear()
    yield


def kiosk(world: World) -> dict[str, str]:
    return {"X-Device-Key": world.device_keys["kiosk"]}


def officer(api: TestClient, role: str = "reception") -> dict[str, str]:
    response = api.post(f"{API}/auth/login", json={"username": f"{role}1", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def issue(api: TestClient, world: World, category: str = "policy", **fields: Any) -> Any:
    response = api.post(f"{API}/tickets", json={"center": "T1", "category": category, **fields}, headers=kiosk(world))
    assert response.status_code == 201, response.text
    return response.json()


def page(api: TestClient, ticket: dict[str, Any]) -> str:
    response = api.get(f"/t/{ticket['status_token']}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "no-store" in response.headers["cache-control"]
    return response.text


@SQLITE_ONLY
def test_page_shows_the_ticket_and_nothing_personal(api: TestClient, world: World) -> None:
    # 欧阳娜娜 (E1003, phone 13800000003) identifies herself and leaves a note.
    ticket = issue(api, world, employee_no="E1003", note=NOTE)
    assert ticket["identified"]
    html = page(api, ticket)
    for shown in (
        "A001",
        "测试职工诉求服务中心",
        "政策咨询",
        "等候中",
        "10:00 取号",
        'http-equiv="refresh" content="15"',
    ):
        assert shown in html
    for secret in ("欧阳", "娜娜", "欧阳**", "E1003", "13800000003", "工资被扣", "<script", "alert("):
        assert secret not in html

    data = api.get(f"{API}/t/{ticket['status_token']}")
    assert data.status_code == 200 and "no-store" in data.headers["cache-control"]
    body = data.json()
    assert (body["display"], body["state"], body["status_text"], body["refresh_seconds"]) == (
        "A001",
        "waiting",
        "等候中",
        15,
    )
    for secret in ("欧阳", "E1003", "13800000003", "工资被扣", "identified", "note", "employee", "case"):
        assert secret not in data.text


def test_page_follows_the_ticket_through_its_day(api: TestClient, world: World) -> None:
    first = issue(api, world)
    second = issue(api, world)
    html = page(api, second)
    assert "前面还有 1 人" in html and "<dd>1 人</dd>" in html and "预计等候" in html
    assert api.get(f"{API}/t/{second['status_token']}").json()["people_ahead"] == 1

    reception = officer(api)
    api.post(f"{API}/tickets/{first['id']}/call", json={"counter_id": world.counters[2]}, headers=reception)
    assert "请到 2 号窗口" in page(api, first)
    assert "您是下一位" in page(api, second)

    api.post(f"{API}/tickets/{first['id']}/start", headers=reception)
    assert "正在 2 号窗口办理" in page(api, first)
    api.post(f"{API}/tickets/{first['id']}/done", headers=reception)
    done = page(api, first)
    assert "已完成" in done and 'http-equiv="refresh"' not in done
    assert api.get(f"{API}/t/{first['status_token']}").json()["refresh_seconds"] is None

    api.post(f"{API}/tickets/{second['id']}/call", json={"counter_id": world.counters[1]}, headers=reception)
    api.post(f"{API}/tickets/{second['id']}/no-show", headers=reception)
    missed = page(api, second)
    # A no-show can be resumed at the desk, so the page keeps refreshing.
    assert "已过号" in missed and "请到服务台说明" in missed and 'http-equiv="refresh"' in missed


def test_yesterdays_waiting_ticket_reads_as_expired(api: TestClient, world: World, clock: FakeClock) -> None:
    ticket = issue(api, world)
    clock.advance(days=1)
    html = page(api, ticket)
    assert "已失效" in html and "11月23日" in html and 'http-equiv="refresh"' not in html
    assert api.get(f"{API}/t/{ticket['status_token']}").json()["state"] == "expired"


@SQLITE_ONLY
def test_everything_on_the_page_is_escaped(api: TestClient, world: World, sessions: Any) -> None:
    with sessions() as session, session.begin():
        center = session.get(Center, world.center_id)
        center.name = '<img src=x onerror="alert(1)">中心'
    renamed = api.patch(
        f"{API}/categories/policy", json={"name": "<b onclick=alert(2)>政策</b>"}, headers=officer(api, "admin")
    )
    assert renamed.status_code == 200, renamed.text
    html = page(api, issue(api, world))
    assert "<img" not in html and "<b onclick" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;中心" in html
    assert "&lt;b onclick=alert(2)&gt;政策&lt;/b&gt;" in html


@SQLITE_ONLY
def test_unknown_tokens_get_a_calm_404(api: TestClient, world: World) -> None:
    issue(api, world)
    for token in ("AAAAAAAAAAAAAAAAAAAAAA", "short", "<script>alert(1)</script>", "x" * 300):
        response = api.get(f"/t/{token}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "no-store" in response.headers["cache-control"]
        assert "没有找到这张号票" in response.text and "服务台" in response.text
        assert "<script>" not in response.text
    missing = api.get(f"{API}/t/AAAAAAAAAAAAAAAAAAAAAA")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ticket_not_found"


@SQLITE_ONLY
def test_the_page_is_public_and_locked_down(api: TestClient, world: World) -> None:
    ticket = issue(api, world)
    response = api.get(f"/t/{ticket['status_token']}")  # no credentials at all
    assert response.status_code == 200
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "form-action 'self'" in response.headers["content-security-policy"]
    # same-origin, not no-referrer: with no-referrer the browser posts the rating form with
    # ``Origin: null``; the token still never reaches another site (the page links nowhere).
    assert response.headers["referrer-policy"] == "same-origin"
    assert '<html lang="zh-CN">' in response.text and 'name="viewport"' in response.text


# --- the case behind the ticket: answer, rating, 申请复核 ------------------------------------------------

SAME_SITE = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}
REPLY = "经核实，您的工资已于11月补发。<b>如有疑问</b>请联系人事部。"


def open_case(
    api: TestClient, ticket: dict[str, Any], summary: str = NOTE, category: str = "policy", **extra: Any
) -> Any:
    response = api.post(
        f"{API}/cases",
        json={"center": "T1", "category": category, "summary": summary, "ticket_id": ticket["id"], **extra},
        headers=officer(api),
    )
    assert response.status_code == 201, response.text
    return response.json()


def answer(api: TestClient, case: dict[str, Any], reply: str = REPLY) -> None:
    response = api.post(f"{API}/cases/{case['id']}/answer", json={"reply": reply}, headers=officer(api, "handler"))
    assert response.status_code == 200, response.text


def case_state(api: TestClient, case: dict[str, Any]) -> dict[str, Any]:
    response = api.get(f"{API}/cases/{case['id']}", headers=officer(api, "supervisor"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def post_form(api: TestClient, ticket: dict[str, Any], what: str, data: dict[str, Any], **kwargs: Any) -> Any:
    headers = kwargs.pop("headers", SAME_SITE)
    return api.post(f"/t/{ticket['status_token']}/{what}", data=data, headers=headers, **kwargs)


def test_rate_through_the_page(api: TestClient, world: World, sessions: Any) -> None:
    ticket = issue(api, world, employee_no="E1003", note=NOTE)
    case = open_case(api, ticket)
    waiting = page(api, ticket)
    assert case["reference"] in waiting and "正在办理" in waiting
    assert "<form" not in waiting and REPLY[:6] not in waiting

    answer(api, case)
    html = page(api, ticket)
    assert "已答复，请您评价" in html and f'action="/t/{ticket["status_token"]}/rate"' in html
    # The answer is shown, escaped; the person's own words and name are not.
    assert "经核实，您的工资已于11月补发。&lt;b&gt;如有疑问&lt;/b&gt;请联系人事部。" in html and "<b>" not in html
    for secret in ("欧阳", "E1003", "13800000003", "工资被扣", "<script"):
        assert secret not in html
    assert 'http-equiv="refresh"' not in html  # a refresh would wipe what the person is typing
    for n in range(1, 6):
        assert f'name="score" value="{n}"' in html

    response = post_form(api, ticket, "rate", {"score": "4", "comment": "答复很清楚，谢谢", "case_id": case["id"]})
    assert response.status_code == 200, response.text
    assert response.history and response.history[0].status_code == 303  # back to the page: no resubmission
    assert "感谢您的评价" in response.text and "★★★★☆" in response.text and "满意" in response.text
    assert "<form" not in response.text  # satisfied: nothing more to do
    stored = case_state(api, case)
    assert (stored["status"], stored["rating"]["score"], stored["rating"]["channel"]) == ("rated", 4, "qr")
    assert stored["rating"]["comment"] == "答复很清楚，谢谢"
    assert stored["timeline"][-1]["actor"] == "public:receipt"

    from sqlalchemy import select

    from suqiu_queue.server.events.models import Event

    with sessions() as session:
        event = session.scalars(select(Event).where(Event.kind == "case.updated").order_by(Event.id.desc())).first()
    assert event is not None and event.payload["change"] == "rate" and event.payload["score"] == 4
    assert "谢谢" not in repr(event.payload)


def test_unsatisfied_rating_offers_a_review_and_reopens(api: TestClient, world: World) -> None:
    ticket = issue(api, world, employee_no="E1001", note="宿舍空调坏了")
    case = open_case(api, ticket, summary="宿舍空调坏了", category="logistics")
    answer(api, case, "已安排维修")
    rated = post_form(api, ticket, "rate", {"score": "2", "case_id": case["id"]})
    assert rated.status_code == 200
    assert "感谢您的评价" in rated.text and "★★☆☆☆" in rated.text and "不满意" in rated.text
    assert f'action="/t/{ticket["status_token"]}/review"' in rated.text and "申请复核" in rated.text

    review = post_form(api, ticket, "review", {"reason": "空调还是不制冷", "case_id": case["id"]})
    assert review.status_code == 200, review.text
    assert "复核申请已提交" in review.text and "正在重新办理" in review.text
    stored = case_state(api, case)
    assert (stored["status"], stored["reopen_count"]) == ("in_progress", 1)
    assert stored["timeline"][-1]["kind"] == "reopen"
    assert stored["timeline"][-1]["note"] == "员工扫码申请复核：空调还是不制冷"

    # A second review while it is being handled again: calm, nothing changes.
    again = post_form(api, ticket, "review", {"case_id": case["id"]})
    assert again.status_code == 409 and "正在重新办理" in again.text
    assert case_state(api, case)["reopen_count"] == 1


def test_after_two_reopenings_the_review_goes_to_the_representatives(api: TestClient, world: World) -> None:
    ticket = issue(api, world, employee_no="E1001", note="食堂饭菜太咸")
    case = open_case(api, ticket, summary="食堂饭菜太咸", category="opinion")
    for _round in range(2):
        answer(api, case, "已要求食堂少放盐")
        post_form(api, ticket, "rate", {"score": "1", "case_id": case["id"]})
        assert post_form(api, ticket, "review", {"case_id": case["id"]}).status_code == 200
    answer(api, case, "已更换厨师")
    html = post_form(api, ticket, "rate", {"score": "1", "case_id": case["id"]}).text
    assert "民事民议" in html and "申请复核" in html
    assert post_form(api, ticket, "review", {"case_id": case["id"]}).status_code == 200
    stored = case_state(api, case)
    assert (stored["status"], stored["reopen_count"], stored["review_requested"]) == ("in_progress", 2, True)
    assert stored["timeline"][-1]["kind"] == "escalate"


@SQLITE_ONLY
def test_wrong_moments_get_calm_messages(api: TestClient, world: World) -> None:
    ticket = issue(api, world, employee_no="E1001")
    no_case = post_form(api, ticket, "rate", {"score": "5"})
    assert no_case.status_code == 404 and "没有可评价的诉求事项" in no_case.text
    assert no_case.headers["content-type"].startswith("text/html")

    case = open_case(api, ticket, summary="想咨询年休假")
    early = post_form(api, ticket, "rate", {"score": "5", "case_id": case["id"]})
    assert early.status_code == 409 and "还在办理中" in early.text and "返回号票页面" in early.text
    assert case_state(api, case)["status"] == "accepted"
    assert post_form(api, ticket, "review", {"case_id": case["id"]}).status_code == 409

    answer(api, case, "年休假按工龄计算")
    missing = post_form(api, ticket, "rate", {"comment": "没选星", "case_id": case["id"]})
    assert missing.status_code == 422 and "请先选择 1 到 5 颗星" in missing.text
    for bad in ("0", "6", "五", "4.5"):
        assert post_form(api, ticket, "rate", {"score": bad, "case_id": case["id"]}).status_code == 422
    too_long = post_form(api, ticket, "rate", {"score": "3", "comment": "长" * 501, "case_id": case["id"]})
    assert too_long.status_code == 422 and "最多 500 字" in too_long.text
    assert case_state(api, case)["status"] == "answered"  # none of it was stored

    assert post_form(api, ticket, "rate", {"score": "5", "case_id": case["id"]}).status_code == 200
    twice = post_form(api, ticket, "rate", {"score": "1", "case_id": case["id"]})
    assert twice.status_code == 409 and "您已经评价过了" in twice.text
    assert case_state(api, case)["rating"]["score"] == 5
    satisfied_review = post_form(api, ticket, "review", {"case_id": case["id"]})
    assert satisfied_review.status_code == 409 and "服务台" in satisfied_review.text

    other = issue(api, world, employee_no="E1002")
    foreign = post_form(api, other, "rate", {"score": "5", "case_id": case["id"]})  # not this ticket's case
    assert foreign.status_code == 404
    unknown = api.post("/t/AAAAAAAAAAAAAAAAAAAAAA/rate", data={"score": "5"}, headers=SAME_SITE)
    assert unknown.status_code == 404 and "没有找到这张号票" in unknown.text


@SQLITE_ONLY
def test_forms_from_another_site_are_refused(api: TestClient, world: World) -> None:
    ticket = issue(api, world)
    case = open_case(api, ticket, summary="咨询住房公积金")
    answer(api, case, "可以提取")
    for headers in (
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
    ):
        refused = post_form(api, ticket, "rate", {"score": "1", "case_id": case["id"]}, headers=headers)
        assert refused.status_code == 403, headers
        assert "请在号票页面上提交" in refused.text
    assert case_state(api, case)["status"] == "answered"
    # Behind a proxy that keeps the host, the browser's Origin matches; Referer alone works too.
    accepted = post_form(
        api,
        ticket,
        "rate",
        {"score": "5", "case_id": case["id"]},
        headers={"Referer": f"http://testserver/t/{ticket['status_token']}"},
    )
    assert accepted.status_code == 200 and case_state(api, case)["rating"]["score"] == 5


@SQLITE_ONLY
def test_confidential_answers_stay_off_the_page(api: TestClient, world: World) -> None:
    ticket = issue(api, world, category="care", employee_no="E1003")
    case = open_case(api, ticket, summary="最近睡不好", category="care")
    answer(api, case, "心理老师已与您约好周三面谈")
    html = page(api, ticket)
    assert "周三面谈" not in html and "本页不显示答复内容" in html
    assert 'action="/t/' in html  # still rateable


@SQLITE_ONLY
def test_the_case_part_is_escaped_too(api: TestClient, world: World, sessions: Any) -> None:
    from suqiu_queue.server.org.models import Category

    ticket = issue(api, world)
    case = open_case(api, ticket, summary="咨询")
    answer(api, case, "<script>alert('reply')</script>&<img src=x onerror=alert(3)>")
    with sessions() as session, session.begin():
        category = session.query(Category).filter_by(code="policy").one()
        category.name_zh = "<i onmouseover=alert(4)>政策</i>"
    html = page(api, ticket)
    assert "<script>" not in html and "<img" not in html and "<i onmouseover" not in html
    assert "&lt;script&gt;alert(&#x27;reply&#x27;)&lt;/script&gt;&amp;&lt;img src=x onerror=alert(3)&gt;" in html
    # A forged thank-you link thanks nobody, and the query value is never echoed.
    forged = api.get(f"/t/{ticket['status_token']}?done=rated&case={case['id']}<script>").text
    assert "感谢您的评价" not in forged and "<script>" not in forged
    assert "感谢您的评价" not in api.get(f"/t/{ticket['status_token']}?done=rated&case={case['id']}").text
