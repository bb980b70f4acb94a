"""Outbound webhooks to a local HTTP receiver: HMAC-signed, retried with backoff, dead letters replayed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient
from support import PASSWORD, FakeClock, World, free_port

from suqiu_queue.server.webhooks.service import backoff, deliver_due, sign, verify

API = "/api/v1"


class Receiver:
    """An OA system's endpoint: checks the signature like a real receiver would, records what came."""

    def __init__(self) -> None:
        self.secret = ""
        self.received: list[dict[str, Any]] = []
        self.status = 200
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/oa/suqiu"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signed = verify(receiver.secret, self.headers.get("X-Suqiu-Signature", ""), body, now=time.time())
                receiver.received.append(
                    {
                        "signed": signed,
                        "delivery": self.headers.get("X-Suqiu-Delivery"),
                        "event": self.headers.get("X-Suqiu-Event"),
                        "body": json.loads(body),
                    }
                )
                status = receiver.status if signed else 401
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


def login(api: TestClient, role: str) -> dict[str, str]:
    token = api.post(f"{API}/auth/login", json={"username": f"{role}1", "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def deliver(api: TestClient, clock: FakeClock) -> Any:
    return deliver_due(api.app.state.sessions, now=clock(), http=requests.Session())  # type: ignore[attr-defined]


def test_case_events_reach_the_receiver_signed_retried_and_replayed(
    api: TestClient, world: World, clock: FakeClock, receiver: Receiver
) -> None:
    admin, handler = login(api, "admin"), login(api, "handler")
    assert api.post(f"{API}/webhooks", json={"name": "OA", "url": receiver.url}, headers=handler).status_code == 403
    created = api.post(
        f"{API}/webhooks", json={"name": "集团OA", "url": receiver.url, "events": ["case.*"]}, headers=admin
    )
    assert created.status_code == 201, created.text
    receiver.secret = created.json()["secret"]
    assert "secret" not in api.get(f"{API}/webhooks", headers=admin).json()["items"][0]

    case = api.post(
        f"{API}/cases",
        json={"center": "T1", "category": "opinion", "summary": "张三建议食堂延长晚餐时间", "employee_no": "E1001"},
        headers=handler,
    ).json()
    api.post(
        f"{API}/cases/{case['id']}/route",
        json={"departments": ["后勤服务中心"], "responsible": "李科长"},
        headers=handler,
    )
    run = deliver(api, clock)
    assert (run.delivered, run.retried, run.dead) == (2, 0, 0)
    assert [(r["signed"], r["event"], r["body"]["payload"].get("change")) for r in receiver.received] == [
        (True, "case.created", None),
        (True, "case.updated", "route"),
    ]
    body = receiver.received[1]["body"]
    assert (
        body["payload"] | {"case_id": case["id"], "reference": case["reference"], "status": "routed"} == body["payload"]
    )
    assert body["id"] == receiver.received[1]["delivery"]
    assert "张三" not in json.dumps(body, ensure_ascii=False) and "食堂" not in json.dumps(body, ensure_ascii=False)

    # The receiver is down: retried after 30 s, 2 min, 8 min, 32 min, ~2 h, then a dead letter.
    receiver.status = 503
    api.post(f"{API}/cases/{case['id']}/start", json={}, headers=handler)
    waits = []
    for attempt in range(1, 7):
        run = deliver(api, clock)
        assert run.delivered == 0
        if attempt < 6:
            waits.append(backoff(attempt))
            assert deliver(api, clock).retried == 0  # not before its time
            clock.advance(seconds=backoff(attempt).total_seconds())
    assert run.dead == 1
    assert waits == [
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=8),
        timedelta(minutes=32),
        timedelta(minutes=128),
    ]
    dead = api.get(f"{API}/webhooks/deliveries", params={"status": "dead"}, headers=login(api, "admin")).json()["items"]
    assert [(d["kind"], d["attempts"], d["last_status"]) for d in dead] == [("case.updated", 6, 503)]
    assert dead[0]["last_error"].startswith("HTTP 503")

    receiver.status = 200
    admin = login(api, "admin")
    assert api.post(f"{API}/webhooks/deliveries/{dead[0]['id']}/replay", headers=handler).status_code == 403
    replayed = api.post(f"{API}/webhooks/deliveries/{dead[0]['id']}/replay", headers=admin)
    assert replayed.status_code == 200 and replayed.json()["status"] == "pending"
    again = api.post(f"{API}/webhooks/deliveries/{dead[0]['id']}/replay", headers=admin)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "webhook_not_dead")
    assert deliver(api, clock).delivered == 1
    last = receiver.received[-1]
    assert last["signed"] and last["delivery"] == dead[0]["uid"]  # the same delivery id: the receiver can dedupe
    assert last["body"]["payload"]["change"] == "start"

    # A deactivated endpoint gets nothing more.
    endpoint_id = created.json()["id"]
    api.put(f"{API}/webhooks/{endpoint_id}/active", json={"active": False}, headers=admin)
    api.post(f"{API}/cases/{case['id']}/notes", json={"note": "已电话联系"}, headers=handler)
    assert deliver(api, clock).delivered == 0


def test_signatures_are_checked_for_body_secret_and_age() -> None:
    body = b'{"kind":"case.created"}'
    header = sign("whsec_a", 1_800_000_000, body)
    assert header.startswith("t=1800000000,v1=") and len(header.split("v1=")[1]) == 64
    assert verify("whsec_a", header, body, now=1_800_000_100)
    assert not verify("whsec_a", header, body + b" ", now=1_800_000_100)  # body changed
    assert not verify("whsec_b", header, body, now=1_800_000_100)  # wrong secret
    assert not verify("whsec_a", header, body, now=1_800_000_000 + 301)  # replayed later
    assert not verify("whsec_a", "garbage", body, now=1_800_000_000)
