"""Working days left and provisional deadlines in the case JSON, and recomputing them when a
release brings next year's notice. Runs on SQLite and PostgreSQL (the ``api`` fixture).

The 2026 National Day break: 10-01..10-07 off, Sunday 09-20 and Saturday 10-10 are make-up working
days. The shipped data ends with 2026; 2027 and 2028 are provisional (statutory holidays only).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
import yaml
from fastapi.testclient import TestClient
from support import PASSWORD, FakeClock, World

from suqiu_assets.calendar import holiday_data
from suqiu_queue.cli import main as suqiu
from suqiu_queue.domain.sla import SlaStep
from suqiu_queue.server.cases import deadlines, policies
from suqiu_queue.server.supervision.service import JobsResult, run_jobs

API = "/api/v1"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


def login(api: TestClient, username: str) -> dict[str, str]:
    token = api.post(f"{API}/auth/login", json={"username": username, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def open_case(api: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"center": "T1", "category": "policy", "summary": "咨询探亲假怎么休", "employee_no": "E1001", **fields}
    response = api.post(f"{API}/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def read(api: TestClient, case_id: int) -> dict[str, Any]:
    return api.get(f"{API}/cases/{case_id}", headers=login(api, "handler1")).json()


def run(api: TestClient, clock: FakeClock) -> JobsResult:
    state = api.app.state  # type: ignore[attr-defined]
    return run_jobs(
        state.engine, state.sessions, now=clock(), config=state.loop_config, holder="test", http=requests.Session()
    )


def test_working_days_left_across_the_national_day_week(api: TestClient, world: World, clock: FakeClock) -> None:
    clock.now = local("2026-09-30 10:00")  # Wednesday, the day before the break
    handler = login(api, "handler1")
    case = open_case(api, handler)
    # 3 working days: 10-08, 10-09 and the make-up Saturday 10-10; due by the end of 10-10.
    assert case["due_at"] == "2026-10-10T16:00:00+00:00"
    assert (case["remaining_working_days"], case["due_provisional"]) == (3, False)  # today is not counted

    seen = {}
    for moment in ("2026-10-04 12:00", "2026-10-09 09:00", "2026-10-10 15:00", "2026-10-11 10:00", "2026-10-13 10:00"):
        clock.now = local(moment)
        seen[moment] = read(api, case["id"])["remaining_working_days"]
    # The holiday costs nothing; 10-10 is the last day (0); overdue from Sunday on, -2 by Tuesday.
    assert list(seen.values()) == [3, 1, 0, -1, -2]

    handler = login(api, "handler1")  # a fresh login: two weeks have passed
    listed = api.get(f"{API}/cases", params={"center": "T1"}, headers=handler).json()["items"]
    assert [(c["id"], c["remaining_working_days"]) for c in listed] == [(case["id"], -2)]
    overdue = api.get(f"{API}/cases/overdue", params={"center": "T1"}, headers=login(api, "supervisor1")).json()
    assert overdue["items"][0]["remaining_working_days"] == -2
    history = api.get(f"{API}/employees/E1001/history", headers=handler).json()["items"]
    assert [i["remaining_working_days"] for i in history if i["type"] == "case"] == [-2]

    paused = api.post(f"{API}/cases/{case['id']}/pause", json={"reason": "等待员工补交材料"}, headers=handler).json()
    assert (paused["remaining_working_days"], paused["due_at"]) == (None, None)  # a stopped clock has no due time


def test_a_make_up_sunday_counts_as_a_working_day(api: TestClient, world: World, clock: FakeClock) -> None:
    clock.now = local("2026-09-18 10:00")  # Friday; Sunday 09-20 is worked (国庆 调休)
    case = open_case(api, login(api, "handler1"))
    assert case["due_at"] == "2026-09-22T16:00:00+00:00"  # 09-20, 09-21, 09-22
    clock.now = local("2026-09-20 18:00")
    assert read(api, case["id"])["remaining_working_days"] == 2


def test_a_petition_opened_in_november_gets_a_provisional_resolve_deadline(
    api: TestClient, world: World, clock: FakeClock
) -> None:
    """Before: the 60-day resolve deadline reached into 2027, past the data, and was simply missing."""
    legal = login(api, "legal1")  # Monday 2026-11-23 10:00
    case = open_case(api, legal, category="legal", channel="letter", summary="来信反映劳动合同到期未续签")
    steps = {s["step"]: s for s in case["sla"]["steps"]}
    assert steps["accept"]["due_at"] == "2026-12-08T16:00:00+00:00" and steps["accept"]["due_provisional"] is False
    # 60 days from 11-24: Friday 2027-01-22, an ordinary working day in the provisional 2027.
    assert steps["resolve"]["due_at"] == "2027-01-22T16:00:00+00:00" and steps["resolve"]["due_provisional"] is True
    assert (case["due_step"], case["due_provisional"]) == ("accept", False)  # the step counting now is certain

    routed = api.post(
        f"{API}/cases/{case['id']}/route", json={"departments": ["法律事务部"], "assignee": "legal1"}, headers=legal
    ).json()
    assert (routed["due_step"], routed["due_at"], routed["due_provisional"]) == (
        "resolve",
        "2027-01-22T16:00:00+00:00",
        True,
    )
    # After today up to 2027-01-22: 28 working days left in 2026 (5 in November, 23 in December)
    # and 15 in 2027 (元旦 off).
    assert routed["remaining_working_days"] == 28 + 15


# As a release would add it to cn_holidays.yaml. Made up for the test: 元旦 runs to Monday 01-04,
# one day more than the statutory rules give.
NOTICE_2027 = """
year: 2027
notice: 国务院办公厅关于2027年部分节假日安排的通知（测试用）
source: test
holidays:
  - {name: 元旦, first: 2027-01-01, last: 2027-01-04}
  - {name: 春节, first: 2027-02-05, last: 2027-02-12}
  - {name: 国庆节, first: 2027-10-01, last: 2027-10-07}
workdays:
  - {name: 春节, date: 2027-02-20}
"""


@pytest.fixture
def notice_2027() -> Iterator[dict[str, Any]]:
    """The shipped data plus a 2027 notice, as the next release would bring it (the server reads
    the data once per process: its caches are cleared before and after)."""
    raw = copy.deepcopy(holiday_data())
    raw["years"].append(yaml.safe_load(NOTICE_2027))

    def clear() -> None:
        policies.calendar_for.cache_clear()
        policies.calendar_fingerprint.cache_clear()

    clear()
    original = policies.holiday_data
    policies.holiday_data = lambda: raw  # type: ignore[assignment]
    try:
        yield raw
    finally:
        policies.holiday_data = original  # type: ignore[assignment]
        clear()


def test_deadlines_are_recomputed_when_the_next_notice_arrives(
    api: TestClient, world: World, clock: FakeClock, request: pytest.FixtureRequest
) -> None:
    clock.now = local("2026-12-23 10:00")
    handler = login(api, "handler1")
    # 15 working days: 6 left in 2026, then 9 in 2027 with 元旦 (Friday) off: due by the end of 01-14.
    opinion = open_case(api, handler, category="opinion", summary="建议食堂增加夜班餐")
    assert (opinion["due_at"], opinion["due_provisional"]) == ("2027-01-14T16:00:00+00:00", True)
    certain = open_case(api, handler, summary="咨询年休假")  # 3 working days, all in 2026
    assert certain["due_provisional"] is False
    first = run(api, clock)
    assert first.calendar is not None and first.calendar.changed  # nothing applied yet on a new database
    assert run(api, clock).calendar.changed is False  # type: ignore[union-attr]

    request.getfixturevalue("notice_2027")  # the release with the 2027 notice is installed
    result = run(api, clock)
    assert result.calendar is not None and (result.calendar.changed, result.calendar.moved) == (True, 1)
    assert "calendar_moved=1" in result.summary()
    updated = read(api, opinion["id"])
    # The notice's extra rest day on 01-04 moves the deadline to the end of 01-15, no longer provisional.
    assert (updated["due_at"], updated["due_provisional"]) == ("2027-01-15T16:00:00+00:00", False)
    row = updated["timeline"][-1]
    assert (row["kind"], row["kind_label"]) == ("calendar", "时限重算")
    assert row["data"] == {
        "due_before": "2027-01-14T16:00:00+00:00",
        "due_after": "2027-01-15T16:00:00+00:00",
        "provisional": False,
    }
    assert read(api, certain["id"])["timeline"][-1]["kind"] != "calendar"  # untouched
    assert run(api, clock).calendar.changed is False  # type: ignore[union-attr]


def test_the_calendar_command_shows_and_refreshes(
    api: TestClient, world: World, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    url = api.app.state.engine.url.render_as_string(hide_password=False)  # type: ignore[attr-defined]
    clock.now = local("2026-12-23 10:00")
    open_case(api, login(api, "handler1"), category="opinion", summary="建议食堂增加夜班餐")  # provisional

    assert suqiu(["--database-url", url, "calendar", "status"]) == 0
    out = capsys.readouterr().out
    assert "2020–2026 年（国务院通知），2027–2028 年为暂定安排" in out and "尚未应用" in out
    assert suqiu(["--database-url", url, "calendar", "refresh"]) == 0
    assert "已重新计算 1 件诉求的时限，其中 0 件有变化" in capsys.readouterr().out
    assert suqiu(["--database-url", url, "calendar", "refresh", "--all"]) == 0
    assert "已重新计算 1 件" in capsys.readouterr().out  # the only open case
    suqiu(["--database-url", url, "calendar", "status"])
    assert "（已应用）" in capsys.readouterr().out


def test_rungs_before_the_end_of_the_data_survive_a_later_rung_past_it() -> None:
    """A 15-working-day clock started on 2028-12-01: half-way and the due time fall in December
    (provisional 2028), 150 % in January 2029, past all the data. The first two are still known."""
    case = SimpleNamespace(
        id=1,
        created_at=local("2028-12-01 10:00"),
        clock_start_at=None,
        responded_at=None,
        status="accepted",
        extensions=[],
    )
    opinion = policies.shipped_policies()["opinion_15wd"]
    clock = deadlines.CaseClock(case, opinion, policies.calendar_for("Asia/Shanghai"), [])  # type: ignore[arg-type]
    found = clock.instants(SlaStep.ANSWER, (0.5, 1.0, 1.5))
    assert found[1.0] == local("2028-12-22 00:00") + timedelta(days=1)  # 15 working days: the end of 12-22
    assert found[0.5] is not None and found[0.5] < found[1.0]
    assert found[1.5] is None
    assert clock.provisional == {SlaStep.ANSWER}
