"""督办: the ladder climbs on real deadlines, sends e-mail to a local SMTP server (aiosmtpd) and
企业微信 markdown to a local HTTP receiver, keeps quiet at night unless urgent, and runs once however
many runners start it (PostgreSQL advisory lock / SQLite lease).

The clock starts on Monday 2026-11-23 10:00 in Shanghai. A 政策咨询 case received then must be
answered by the end of Thursday: 50 % of its three working days is Wednesday 12:00, 80 % Thursday
09:36, 100 % Friday 00:00 (quiet hours), 150 % Monday 30th 12:00.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select
from support import PASSWORD, FakeClock, World, free_port

from suqiu_queue.server.accounts.service import create_user
from suqiu_queue.server.cases.config import EmailChannel, LoopConfig, WecomChannel
from suqiu_queue.server.cases.models import Case
from suqiu_queue.server.events.models import Event
from suqiu_queue.server.org.models import Center
from suqiu_queue.server.supervision.lock import single_runner
from suqiu_queue.server.supervision.models import SupervisionNotification
from suqiu_queue.server.supervision.service import JOBS_LOCK, JobsResult, run_jobs

API = "/api/v1"


class Mailbox:
    """aiosmtpd handler: keeps every message it is given, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield box, controller.port
    finally:
        controller.stop()


class Robot:
    """A 企业微信 group robot: answers ``{"errcode": 0}`` unless told to fail (it then answers 200 with an error)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_next = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/cgi-bin/webhook/send?key=test"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                robot.received.append(body)
                if robot.fail_next:
                    robot.fail_next -= 1
                    answer = {"errcode": 45009, "errmsg": "api freq out of limit"}
                else:
                    answer = {"errcode": 0, "errmsg": "ok"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def robot() -> Iterator[Robot]:
    r = Robot()
    r.thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


def login(api: TestClient, username: str) -> dict[str, str]:
    token = api.post(f"{API}/auth/login", json={"username": username, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """November 2026, Shanghai time, as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


def run(api: TestClient, clock: FakeClock, holder: str = "test") -> JobsResult:
    state = api.app.state  # type: ignore[attr-defined]
    return run_jobs(
        state.engine, state.sessions, now=clock(), config=state.loop_config, holder=holder, http=requests.Session()
    )


def notifications(api: TestClient, case_id: int) -> list[SupervisionNotification]:
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        query = select(SupervisionNotification).where(SupervisionNotification.case_id == case_id)
        return list(session.scalars(query.order_by(SupervisionNotification.id)).all())


def open_and_route(api: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"center": "T1", "category": "policy", "summary": "张三咨询工伤认定进度", "employee_no": "E1001", **fields}
    case = api.post(f"{API}/cases", json=body, headers=headers).json()
    routed = api.post(
        f"{API}/cases/{case['id']}/route", json={"departments": ["人力资源部"], "assignee": "handler1"}, headers=headers
    )
    assert routed.status_code == 200, routed.text
    return routed.json()


def test_the_ladder_reminds_escalates_and_keeps_quiet_at_night(
    api: TestClient, world: World, clock: FakeClock, mailbox: tuple[Mailbox, int], robot: Robot
) -> None:
    box, port = mailbox
    api.app.state.loop_config = LoopConfig(  # type: ignore[attr-defined]
        email=EmailChannel(host="127.0.0.1", port=port, sender="duban@hx-energy.example"),
        wecom=WecomChannel(webhook=robot.url),
    )
    with api.app.state.sessions() as session, session.begin():  # type: ignore[attr-defined]
        center = session.scalar(select(Center).where(Center.code == "T1"))
        create_user(
            session,
            username="director1",
            password=PASSWORD,
            role="supervisor",
            display_name="中心主任",
            center=center,
            actor="test",
        )
    admin = login(api, "admin1")
    contacts = {
        "handler1": {"email": "handler@hx-energy.example", "supervisor": "supervisor1"},
        "supervisor1": {"email": "supervisor@hx-energy.example"},
        "director1": {"email": "director@hx-energy.example", "leader": True},
    }
    for username, contact in contacts.items():
        assert api.put(f"{API}/supervision/contacts/{username}", json=contact, headers=admin).status_code == 200

    reception = login(api, "reception1")
    policy_case = open_and_route(api, reception)
    assert policy_case["due_at"] == "2026-11-26T16:00:00+00:00"

    # An urgent matter received late on Monday: 50 % of its 48 hours falls at Tuesday 23:30, at night.
    clock.now = local(23, 23, 30)
    reception = login(api, "reception1")
    urgent = api.post(
        f"{API}/cases", json={"center": "T1", "category": "urgent", "summary": "脚手架松动"}, headers=reception
    ).json()
    robot.fail_next = 1  # the robot refuses the first message (rate limit): retried on the next pass
    clock.now = local(24, 23, 40)
    result = run(api, clock)
    assert (result.ran, result.sweep.fired, result.sweep.deferred) == (True, 1, 0)
    urgent_sent = notifications(api, urgent["id"])
    # No assignee yet: the whole front desk sees it in-app; and the group robot.
    assert [(n.channel, n.audience, n.recipient_user_id) for n in urgent_sent] == [
        ("inapp", "center", None),
        ("wecom", "group", None),
    ]
    assert urgent_sent[1].status == "pending" and "45009" in (urgent_sent[1].last_error or "")
    api.post(f"{API}/cases/{urgent['id']}/answer", json={"reply": "已停工加固"}, headers=login(api, "reception1"))

    clock.now = local(25, 11, 0)  # Wednesday 11:00: the policy case is not half-way yet
    result = run(api, clock)
    assert result.sweep.fired == 0 and result.outbox.sent == 1  # the robot's retry went through
    assert notifications(api, urgent["id"])[1].status == "sent" and len(robot.received) == 2

    clock.now = local(25, 12, 30)  # Wednesday 12:30: 50 %
    result = run(api, clock)
    assert (result.sweep.fired, result.sweep.levels) == (1, {"remind": 1})
    first = notifications(api, policy_case["id"])
    handler_id = first[0].recipient_user_id
    assert [(n.channel, n.audience, n.status) for n in first] == [
        ("inapp", "responsible", "sent"),
        ("email", "responsible", "sent"),
        ("wecom", "group", "sent"),
    ]
    [mail] = box.to("handler@hx-energy.example")
    assert mail["Subject"] == f"【督办提醒】诉求 {policy_case['reference']} 答复时限已过 50%"
    text = mail.get_content()
    assert "截止时间：2026年11月26日 24:00" in text and "责任人：handler1" in text
    assert "张三" not in text and "工伤" not in text  # the employee and the matter stay inside
    markdown = robot.received[-1]
    assert markdown["msgtype"] == "markdown" and policy_case["reference"] in markdown["markdown"]["content"]
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        reminder = session.scalars(select(Event).where(Event.kind == "supervision.reminder").order_by(Event.id)).all()[
            -1
        ]
    assert reminder.payload | {"recipient_user_ids": [handler_id], "level": "remind", "rung": 1} == reminder.payload
    assert "张三" not in str(reminder.payload) and "handler1" not in str(reminder.payload)
    mine = api.get(f"{API}/supervision/notifications", headers=login(api, "handler1")).json()["items"]
    assert [(n["case_id"], n["level_label"]) for n in mine] == [(policy_case["id"], "督办提醒")]

    clock.now = local(27, 0, 30)  # Friday 00:30: 80 % and the due time have passed — but it is night
    result = run(api, clock)
    assert (result.sweep.fired, result.sweep.deferred) == (0, 1)
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        stored = session.get(Case, policy_case["id"])
        assert stored is not None and stored.next_alert_at == local(27, 7, 0)

    clock.now = local(27, 7, 5)  # 07:05: only the highest rung reached is sent (overdue, not also 80 %)
    result = run(api, clock)
    assert result.sweep.levels == {"breach": 1}
    breach = [n for n in notifications(api, policy_case["id"]) if n.rung == 3]
    assert {(n.channel, n.audience) for n in breach if n.channel != "wecom"} == {
        ("inapp", "responsible"),
        ("email", "responsible"),
        ("inapp", "supervisor"),
        ("email", "supervisor"),
    }
    assert not [n for n in notifications(api, policy_case["id"]) if n.rung == 2]
    assert box.to("supervisor@hx-energy.example")[0]["Subject"].startswith("【超期督办】")
    overdue = api.get(f"{API}/cases/overdue", params={"center": "T1"}, headers=login(api, "supervisor1")).json()
    assert [c["id"] for c in overdue["items"]] == [policy_case["id"]]
    assert overdue["items"][0]["overdue_since"] == "2026-11-26T16:00:00+00:00"

    clock.now = local(30, 12, 30)  # Monday 12:30: 150 % — the supervisor and the center's leadership
    result = run(api, clock)
    assert result.sweep.levels == {"escalate": 1}
    assert [m["Subject"][:6] for m in box.to("director@hx-energy.example")] == ["【升级督办】"]
    assert len(box.to("handler@hx-energy.example")) == 2  # the responsible person is not told a third time
    timeline = api.get(f"{API}/cases/{policy_case['id']}", headers=login(api, "supervisor1")).json()["timeline"]
    assert [t["data"]["level"] for t in timeline if t["kind"] == "supervision"] == ["remind", "breach", "escalate"]
    assert run(api, clock).sweep.checked == 0  # nothing left to say


def test_only_one_runner_works_at_a_time(api: TestClient, world: World, clock: FakeClock) -> None:
    api.app.state.loop_config = LoopConfig()  # type: ignore[attr-defined]
    state = api.app.state  # type: ignore[attr-defined]
    first = open_and_route(api, login(api, "reception1"))
    clock.now = local(25, 12, 30)  # half-way: one reminder is due
    with single_runner(state.engine, name=JOBS_LOCK, holder="runner-a", now=clock()) as mine:
        assert mine
        blocked = run(api, clock, holder="runner-b")
        assert blocked.ran is False and blocked.summary().endswith("skipped")
        assert notifications(api, first["id"]) == []
    assert run(api, clock, holder="runner-b").sweep.fired == 1

    # Two runners started at the same instant: each due rung is sent once, not twice.
    second = open_and_route(api, login(api, "reception1"))  # received Wednesday 12:30
    clock.now = local(27, 13, 0)  # Friday 13:00: the second case is half-way, the first is overdue
    barrier = threading.Barrier(2)
    results: list[JobsResult] = []

    def runner(name: str) -> None:
        barrier.wait()
        results.append(run(api, clock, holder=name))

    threads = [threading.Thread(target=runner, args=(f"runner-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 2 and sum(r.sweep.fired for r in results) == 2
    sent = [
        (n.case_id, n.rung, n.recipient_user_id)
        for n in notifications(api, first["id"]) + notifications(api, second["id"])
    ]
    assert len(sent) == len(set(sent))  # nobody was told the same thing twice
    assert {(case_id, rung) for case_id, rung, _user in sent} == {(first["id"], 1), (first["id"], 3), (second["id"], 1)}
