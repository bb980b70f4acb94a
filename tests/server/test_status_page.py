"""The public ticket status page behind the QR code (/t/<token>) and its JSON twin, on SQLite and
PostgreSQL: what it shows through a ticket's day, that it shows nothing personal, that it
escapes everything, and the calm 404."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support import PASSWORD, FakeClock, World

from suqiu_queue.server.org.models import Center
from suqiu_queue.server.tickets import service as ticket_service

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


def test_the_page_is_public_and_locked_down(api: TestClient, world: World) -> None:
    ticket = issue(api, world)
    response = api.get(f"/t/{ticket['status_token']}")  # no credentials at all
    assert response.status_code == 200
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert '<html lang="zh-CN">' in response.text and 'name="viewport"' in response.text
