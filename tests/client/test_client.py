"""The client against a real server process: typed results, safe retries, errors, the event stream."""

from __future__ import annotations

import threading

import pytest
from support import ServerProcess, World, free_port, login

from suqiu_queue.client import ApiError, ServerUnavailable, SuqiuClient


def test_issue_ticket_is_idempotent(live: tuple[ServerProcess, World]) -> None:
    server, world = live
    kiosk = SuqiuClient(server.url, device_key=world.device_keys["kiosk"])
    first = kiosk.issue_ticket("T1", "legal", idempotency_key="client-test-key-1")
    again = kiosk.issue_ticket("T1", "legal", idempotency_key="client-test-key-1")
    assert first.created and not again.created
    assert again.id == first.id and again.display == first.display
    assert first.display.startswith("C")


def test_server_refusal_is_an_api_error_with_chinese_message(live: tuple[ServerProcess, World]) -> None:
    server, world = live
    kiosk = SuqiuClient(server.url, device_key=world.device_keys["kiosk"])
    with pytest.raises(ApiError) as caught:
        kiosk.issue_ticket("NOPE", "policy")
    assert caught.value.status == 404
    assert caught.value.code == "center_not_found"
    assert "找不到" in caught.value.message


def test_no_server_is_server_unavailable_quickly() -> None:
    client = SuqiuClient(f"http://127.0.0.1:{free_port()}", device_key="sqk_x", retries=1, backoff=0.01)
    with pytest.raises(ServerUnavailable):
        client.issue_ticket("T1", "policy")
    with pytest.raises(ServerUnavailable):
        client.categories()


def test_officer_flow_through_client(live: tuple[ServerProcess, World]) -> None:
    server, world = live
    kiosk = SuqiuClient(server.url, device_key=world.device_keys["kiosk"])
    ticket = kiosk.issue_ticket("T1", "care", employee_no="E1001")
    officer = SuqiuClient(server.url)
    result = officer.login("reception1", "test-password-1")
    assert result.role == "reception"
    called = officer.call_next(world.counters[4])
    assert called is not None and called.id == ticket.id and called.state == "called"
    assert officer.done(ticket.id).state == "done"
    history = officer.history("E1001")
    assert any(item.get("display") == ticket.display for item in history["items"])


def test_event_stream_resumes_after_server_restart(seeded_sqlite: tuple[str, World]) -> None:
    url, world = seeded_sqlite
    port = free_port()
    server = ServerProcess(url, port=port).start()
    try:
        token = login(server.url, "reception1")
        listener = SuqiuClient(server.url, token=token)
        stream = listener.events(center="T1", kinds=["ticket.issued"])
        received: list[str] = []
        got_two = threading.Event()

        def read() -> None:
            for event in stream:
                received.append(event.payload["display"])
                if len(received) >= 2:
                    got_two.set()
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert stream.connected.wait(10)
        kiosk = SuqiuClient(server.url, device_key=world.device_keys["kiosk"])
        first = kiosk.issue_ticket("T1", "opinion")
        server.stop()
        # While the stream is down, a ticket is issued through a second server on the same port.
        server = ServerProcess(url, port=port).start()
        second = kiosk.issue_ticket("T1", "opinion")
        assert got_two.wait(20), f"received only {received}"
        assert received == [first.display, second.display]
        assert stream.reconnects >= 1
        stream.stop()
    finally:
        server.stop()
