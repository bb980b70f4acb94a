"""The public board in real headless Chromium: calls appear, names are masked, data is text."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from board.pages import WAIT_MS, BoardWorld, board_url, open_board, wait_for_number
from support import ServerProcess, login


@pytest.fixture
def officer(board_server: ServerProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(board_server.url, 'reception1')}"}


def issue(server: ServerProcess, board_world: BoardWorld, category: str = "policy") -> dict[str, Any]:
    kiosk = {"X-Device-Key": board_world.world.device_keys["kiosk"]}
    response = requests.post(
        f"{server.url}/api/v1/tickets", json={"center": "T1", "category": category}, headers=kiosk, timeout=10
    )
    response.raise_for_status()
    return response.json()


def call(server: ServerProcess, headers: dict[str, str], ticket_id: int, counter_id: int, action: str = "call") -> None:
    body = {"counter_id": counter_id} if action == "call" else None
    response = requests.post(
        f"{server.url}/api/v1/tickets/{ticket_id}/{action}", json=body, headers=headers, timeout=10
    )
    response.raise_for_status()


def wait_until_live(page: Any) -> None:
    """The snapshot has been drawn and the event stream is open (the mark is hidden)."""
    page.wait_for_function(
        "document.getElementById('center-name').textContent === '测试职工诉求服务中心'"
        " && document.getElementById('connection').hidden",
        timeout=WAIT_MS,
    )


def test_a_call_made_through_the_api_shows_and_flashes(
    playwright_browser: Any, board_server: ServerProcess, board_world: BoardWorld, officer: dict[str, str]
) -> None:
    world = board_world.world
    page = open_board(playwright_browser, board_url(board_server, world))
    try:
        wait_until_live(page)
        first = issue(board_server, board_world)
        second = issue(board_server, board_world, "legal")
        call(board_server, officer, first["id"], world.counters[2])
        wait_for_number(page, first["display"])
        assert page.inner_text("#now-where") == "请到 2 号窗口"
        assert "flash" in page.get_attribute("#now-calling", "class")
        call(board_server, officer, second["id"], world.counters[3])
        wait_for_number(page, second["display"])
        assert page.inner_text("#now-where") == "请到 3 号窗口"
        # The earlier call moves to the list of recent calls, with its counter.
        page.wait_for_function(
            "d => [...document.querySelectorAll('#recent-calls .recent-number')].some(n => n.textContent === d)",
            arg=first["display"],
            timeout=WAIT_MS,
        )
        recent = page.inner_text("#recent-calls")
        assert "2 号窗口" in recent
        # A recall brings the first number back to the top, highlighted again.
        call(board_server, officer, first["id"], world.counters[2], action="recall")
        wait_for_number(page, first["display"])
        assert "flash" in page.get_attribute("#now-calling", "class")
        # Readable from across the hall: the called number is at least 160 px tall at 1080p.
        size = page.evaluate("parseFloat(getComputedStyle(document.getElementById('now-number')).fontSize)")
        assert size >= 160
        assert page.errors == []
    finally:
        page.close()


def test_only_masked_names_and_no_confidential_or_private_cases(
    playwright_browser: Any, board_server: ServerProcess, board_world: BoardWorld
) -> None:
    cases = board_world.cases
    page = open_board(playwright_browser, board_url(board_server, board_world.world))
    try:
        page.wait_for_function(
            "ref => document.getElementById('case-rows').textContent.includes(ref)",
            arg=cases["public"]["reference"],
            timeout=WAIT_MS,
        )
        rows = page.eval_on_selector_all("#case-rows tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
        by_reference = {row[0]: row for row in rows}
        assert by_reference[cases["public"]["reference"]][1:4] == ["张*", "政策咨询", "受理"]
        assert by_reference[cases["compound"]["reference"]][1] == "欧阳**"
        assert cases["confidential"]["reference"] not in by_reference
        assert cases["counselling"]["reference"] not in by_reference
        html = page.content()
        for secret in ("张三", "李四", "欧阳娜娜", "公积金", "睡眠", "alert(1)", "alert(2)", "onerror"):
            assert secret not in html, secret
        assert board_world.world.device_keys["board"] not in html  # the key stays in the address bar
        assert page.errors == []
    finally:
        page.close()


def test_markup_in_data_is_shown_as_text_and_never_runs(
    playwright_browser: Any, board_server: ServerProcess, board_world: BoardWorld
) -> None:
    """An admin-editable name that reaches the page: markup in it must stay text."""
    admin = {"Authorization": f"Bearer {login(board_server.url, 'admin1')}"}
    hostile = '<script>window.__owned=1</script><img src=x onerror="window.__owned=2">政策'
    page = open_board(playwright_browser, board_url(board_server, board_world.world))
    try:
        wait_until_live(page)
        renamed = requests.patch(
            f"{board_server.url}/api/v1/categories/policy", json={"name": hostile}, headers=admin, timeout=10
        )
        renamed.raise_for_status()
        # The category.changed event makes the board read again; the name shows, literally.
        page.wait_for_function(
            "text => document.getElementById('waiting-list').textContent.includes(text)", arg=hostile, timeout=WAIT_MS
        )
        page.wait_for_function(
            "text => document.getElementById('case-rows').textContent.includes(text)", arg=hostile, timeout=WAIT_MS
        )
        assert page.evaluate("window.__owned") is None
        assert page.locator("#stage img").count() == 0
        assert page.locator("script").count() == 1  # board.js only
        assert page.errors == []
    finally:
        requests.patch(
            f"{board_server.url}/api/v1/categories/policy", json={"name": "政策咨询"}, headers=admin, timeout=10
        ).raise_for_status()
        page.close()


def test_wide_layout_fills_the_led_strip(
    playwright_browser: Any, board_server: ServerProcess, board_world: BoardWorld
) -> None:
    page = open_board(playwright_browser, board_url(board_server, board_world.world, layout="wide"), "wide")
    try:
        wait_until_live(page)
        assert "layout-wide" in page.get_attribute("body", "class")
        box = page.locator("#stage").bounding_box()
        assert box is not None and (round(box["width"]), round(box["height"])) == (3840, 1080)
        # The four panels sit side by side on the strip, none below another.
        tops = page.evaluate(
            "['.calling', '.recent', '.cases', '.waiting']"
            ".map(s => Math.round(document.querySelector(s).getBoundingClientRect().top))"
        )
        assert len(set(tops)) == 1
        assert page.errors == []
    finally:
        page.close()


def test_without_a_key_only_the_public_waiting_figures_show(
    playwright_browser: Any, board_server: ServerProcess, board_world: BoardWorld
) -> None:
    issue(board_server, board_world, "health")
    # With the page's own CSP enforced: the page needs nothing it forbids.
    page = open_board(playwright_browser, board_url(board_server, board_world.world, key=""), enforce_csp=True)
    try:
        page.locator("#waiting-list .waiting-item").first.wait_for(timeout=WAIT_MS)
        page.locator("#center-name", has_text="测试职工诉求服务中心").wait_for(timeout=WAIT_MS)
        assert page.is_visible("#cases-locked")
        assert page.locator("#case-rows tr").count() == 0
        assert "张*" not in page.content()
        assert page.errors == []
    finally:
        page.close()


def test_a_deadline_counted_on_unannounced_holidays_is_marked_provisional(
    playwright_browser: Any, board_server: ServerProcess, board_world: BoardWorld
) -> None:
    """A due date in a year without the State Council's holiday notice carries 暂定; others none."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from suqiu_queue.server.cases.models import Case
    from suqiu_queue.server.cases.policies import calendar_for
    from suqiu_queue.server.db import make_engine

    calendar = calendar_for("Asia/Shanghai")
    if not calendar.provisional:
        pytest.skip("the shipped holiday data has no provisional years")
    due = datetime(min(calendar.provisional), 6, 30, 16, 0, tzinfo=UTC)  # e.g. after an extension
    flagged = board_world.cases["compound"]["reference"]
    engine = make_engine(board_world.url)
    with engine.begin() as conn:
        conn.execute(update(Case).where(Case.reference == flagged).values(resolve_due_at=due))
    engine.dispose()
    page = open_board(playwright_browser, board_url(board_server, board_world.world))
    try:
        page.wait_for_function(
            "ref => [...document.querySelectorAll('#case-rows tr')].some("
            "r => r.cells[0].textContent === ref && r.querySelector('.c-provisional'))",
            arg=flagged,
            timeout=WAIT_MS,
        )
        marked = page.eval_on_selector_all(
            "#case-rows tr",
            "rows => rows.filter(r => r.querySelector('.c-provisional')).map(r => r.cells[0].textContent)",
        )
        # Whatever today's date makes of the other cases, the page marks exactly what the API flags.
        snapshot = requests.get(
            f"{board_server.url}/api/v1/board/{board_world.world.center}",
            headers={"X-Device-Key": board_world.world.device_keys["board"]},
            timeout=10,
        ).json()
        flagged_by_api = {c["reference"] for c in snapshot["cases"] if c["deadline_provisional"] and not c["paused"]}
        assert flagged in marked and set(marked) == flagged_by_api
        assert page.errors == []
    finally:
        page.close()
