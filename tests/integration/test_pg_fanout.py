"""With PostgreSQL, an event made through one server process reaches a subscriber of another
(LISTEN/NOTIFY), so the API can run as several stateless replicas behind a load balancer."""

from __future__ import annotations

import threading

import pytest
from support import ServerProcess, World, login

from suqiu_queue.client import SuqiuClient

pytestmark = [pytest.mark.postgres]


def test_event_crosses_server_processes(seeded_pg: tuple[str, World]) -> None:
    url, world = seeded_pg
    with ServerProcess(url) as a, ServerProcess(url) as b:
        listener = SuqiuClient(b.url, token=login(b.url, "reception1"))
        stream = listener.events(center="T1", kinds=["ticket.issued", "ticket.called"])
        seen: list[tuple[str, str]] = []
        done = threading.Event()

        def read() -> None:
            for event in stream:
                seen.append((event.kind, event.payload["display"]))
                if len(seen) >= 2:
                    done.set()
                    return

        threading.Thread(target=read, daemon=True).start()
        assert stream.connected.wait(10)
        kiosk = SuqiuClient(a.url, device_key=world.device_keys["kiosk"])
        ticket = kiosk.issue_ticket("T1", "legal")
        officer = SuqiuClient(a.url, token=login(a.url, "legal1"))
        officer.call_next(world.counters[3])
        assert done.wait(15), f"subscriber on server B saw only {seen}"
        stream.stop()
        assert seen == [("ticket.issued", ticket.display), ("ticket.called", ticket.display)]
