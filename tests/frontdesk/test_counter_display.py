"""Driving the counter's LED strip with the devices package's drivers: text, order, failure, TCP."""

from __future__ import annotations

import socket
import threading

import pytest
from support import free_port

from suqiu_devices.counter_display import decode_frame
from suqiu_devices.counter_display.protocol import split_frames
from suqiu_frontdesk.counter_display import (
    CounterDisplayOutput,
    build_display,
    call_text,
    parse_display_spec,
    paused_text,
)


def test_texts_read_like_the_hall() -> None:
    assert call_text("A012", 3) == "A012 请到3号窗口"
    assert paused_text(5) == "5号窗口 暂停服务"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("fake", ("fake", {})),
        ("none", ("none", {})),
        ("serial:/dev/ttyUSB0", ("serial", {"port": "/dev/ttyUSB0"})),
        ("tcp:192.168.1.50:5000", ("tcp", {"host": "192.168.1.50", "port": 5000})),
    ],
)
def test_display_spec(spec: str, expected: tuple[str, dict[str, object]]) -> None:
    assert parse_display_spec(spec) == expected


@pytest.mark.parametrize("spec", ["tcp:nohost", "serial:", "usb:1"])
def test_bad_display_spec_is_refused_in_chinese(spec: str) -> None:
    with pytest.raises(ValueError, match="窗口屏设置无效"):
        parse_display_spec(spec)


def test_no_strip_configured_means_no_driver() -> None:
    assert build_display("none", counter_number=3) is None


def test_writes_reach_the_strip_in_order_addressed_to_the_counter() -> None:
    strip = build_display("fake", counter_number=3)
    output = CounterDisplayOutput(strip, 3)
    output.show_call("A012")
    output.clear()
    output.show_paused()
    last = output.show_call("A013")
    assert last is not None
    last.result(timeout=5)
    output.close()
    frames = [decode_frame(f) for f in strip.frames]  # type: ignore[attr-defined]
    assert {f.address for f in frames} == {3}
    assert [f.text() for f in frames] == ["A012 请到3号窗口", "", "3号窗口 暂停服务", "A013 请到3号窗口"]
    assert strip.text == "A013 请到3号窗口"  # type: ignore[attr-defined]


def test_an_unplugged_strip_reports_calmly_and_the_desk_keeps_going() -> None:
    strip = build_display("fake", counter_number=2)
    messages: list[str] = []
    output = CounterDisplayOutput(strip, 2, on_error=messages.append)
    strip.set_fault("offline")  # type: ignore[attr-defined]
    failed = output.show_call("B001")
    assert failed is not None
    failed.result(timeout=5)  # handled on the writer thread, never raised into the UI
    strip.set_fault(None)  # type: ignore[attr-defined]
    done = output.show_call("B002")
    assert done is not None
    done.result(timeout=5)
    output.close()
    assert len(messages) == 1 and messages[0]  # the driver's calm Chinese sentence
    assert strip.text == "B002 请到2号窗口"  # type: ignore[attr-defined]
    assert output.show_call("B003") is None  # closed: nothing more is sent


def test_tcp_strip_receives_the_call_frame() -> None:
    """``--display tcp:HOST:PORT`` against a controller listening on a local socket."""
    port = free_port()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(1)
    received = bytearray()
    got_frame = threading.Event()

    def controller() -> None:
        conn, _ = server.accept()
        with conn:
            conn.settimeout(5)
            while not got_frame.is_set():
                chunk = conn.recv(1024)
                if not chunk:
                    return
                received.extend(chunk)
                if split_frames(bytes(received))[0]:
                    got_frame.set()

    thread = threading.Thread(target=controller, daemon=True)
    thread.start()
    try:
        strip = build_display(f"tcp:127.0.0.1:{port}", counter_number=5)
        output = CounterDisplayOutput(strip, 5)
        sent = output.show_call("C007")
        assert sent is not None
        sent.result(timeout=5)
        assert got_frame.wait(5)
        output.close()
    finally:
        server.close()
        thread.join(5)
    [frame] = split_frames(bytes(received))[0]
    decoded = decode_frame(frame)
    assert (decoded.address, decoded.text()) == (5, "C007 请到5号窗口")
