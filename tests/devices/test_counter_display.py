"""Counter LED strip: exact frames, checksum, and the TCP / serial drivers against a local controller."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from suqiu_devices.counter_display.fake import FakeCounterDisplay
from suqiu_devices.counter_display.protocol import (
    Command,
    FrameError,
    brightness_frame,
    checksum,
    clear_frame,
    decode_frame,
    display_frame,
    split_frames,
)
from suqiu_devices.errors import DeviceError
from suqiu_devices.protocols import CounterDisplay
from suqiu_devices.registry import build

# STX "01" "D" "A012 请到3号窗口" (GB18030) ETX "1E"
A012_FRAME = bytes.fromhex("02 303144 4130313220 c7eb b5bd 33 bac5 b4b0 bfda 03 3145")


def test_display_frame_is_exact() -> None:
    assert display_frame(1, "A012 请到3号窗口") == A012_FRAME


def test_checksum_is_the_xor_between_stx_and_etx_as_hex() -> None:
    body = A012_FRAME[1:-3]
    value = 0
    for byte in body:
        value ^= byte
    assert value == 0x1E
    assert checksum(body) == b"1E"
    assert checksum(b"01C") == b"42"  # 0x30 ^ 0x31 ^ 0x43


def test_clear_and_brightness_frames() -> None:
    assert clear_frame(7) == b"\x0207C\x03" + checksum(b"07C")
    assert brightness_frame(0, 12) == b"\x0200B12\x03" + checksum(b"00B12")  # 00: every strip on the bus
    with pytest.raises(ValueError):
        brightness_frame(1, 16)
    with pytest.raises(ValueError):
        display_frame(100, "A012")


def test_frames_decode_and_damage_is_caught() -> None:
    frame = decode_frame(A012_FRAME)
    assert (frame.address, frame.command, frame.text()) == (1, Command.DISPLAY, "A012 请到3号窗口")
    damaged = A012_FRAME[:5] + b"3" + A012_FRAME[6:]
    with pytest.raises(FrameError, match="checksum"):
        decode_frame(damaged)


def test_control_characters_never_reach_the_wire() -> None:
    frame = display_frame(2, "A012\n请到\x033号窗口\r")
    assert frame.count(b"\x02") == 1 and frame.count(b"\x03") == 1
    assert decode_frame(frame).text() == "A012 请到 3号窗口"


def test_split_frames_keeps_an_unfinished_tail() -> None:
    stream = A012_FRAME + clear_frame(1) + A012_FRAME[:6]
    frames, rest = split_frames(stream)
    assert frames == [A012_FRAME, clear_frame(1)]
    assert rest == A012_FRAME[:6]


def test_fake_keeps_frames_and_the_text_shown() -> None:
    display = build("counter_display", "fake", address=1)
    assert isinstance(display, CounterDisplay)
    display.show("A012 请到3号窗口")
    assert display.frames == [A012_FRAME] and display.text == "A012 请到3号窗口"
    display.set_brightness(4)
    display.clear()
    assert display.text == "" and display.brightness == 4 and len(display.frames) == 3


def test_fake_fails_like_an_unplugged_strip() -> None:
    display = FakeCounterDisplay(fault="offline")
    with pytest.raises(DeviceError) as caught:
        display.show("A012 请到3号窗口")
    assert caught.value.reason == "offline" and caught.value.message == "窗口显示屏未连接"
    assert display.frames == []


# --- a controller on a local TCP port -------------------------------------------------------------


class Controller:
    """An LED controller listening on TCP: collects frames per connection; optionally ACKs, stays
    silent, or hangs up after a number of frames (like a controller that reboots)."""

    def __init__(self, *, reply: bytes | None = None, hang_up_after: int | None = None, port: int = 0) -> None:
        self.reply = reply
        self.hang_up_after = hang_up_after
        self.connections: list[list[bytes]] = []
        self.hung_up = threading.Event()
        self._stopping = threading.Event()
        self._open: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.settimeout(0.05)  # so close() is noticed without waiting on accept()
        self.port = self.listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(None)
            self._open.append(connection)
            frames: list[bytes] = []
            self.connections.append(frames)
            with connection:
                buffer = b""
                try:
                    while chunk := connection.recv(4096):
                        complete, buffer = split_frames(buffer + chunk)
                        for frame in complete:
                            decode_frame(frame)
                            frames.append(frame)
                            if self.reply is not None:
                                connection.sendall(self.reply)
                        if self.hang_up_after is not None and len(frames) >= self.hang_up_after:
                            self.hang_up_after = None
                            break
                except OSError:
                    pass  # shut down by close()
            self._open.remove(connection)
            self.hung_up.set()

    def frames(self) -> list[bytes]:
        return [frame for frames in self.connections for frame in frames]

    def close(self) -> None:
        """Power off: stop listening and drop every connection."""
        self._stopping.set()
        for connection in list(self._open):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)
        self.listener.close()


@pytest.fixture
def controller() -> Iterator[Controller]:
    server = Controller()
    yield server
    server.close()


def wait_for(condition, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    pause = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if condition():
            return True
        pause.wait(0.01)
    return condition()


def test_tcp_driver_sends_the_exact_frames(controller: Controller) -> None:
    display = build("counter_display", "tcp", host="127.0.0.1", port=controller.port, address=1)
    display.show("A012 请到3号窗口")
    display.clear()
    display.close()
    assert wait_for(lambda: len(controller.frames()) == 2)
    assert controller.frames() == [A012_FRAME, clear_frame(1)]
    assert display.text == ""


def test_tcp_driver_reconnects_after_the_controller_hangs_up() -> None:
    server = Controller(hang_up_after=1)
    try:
        display = build("counter_display", "tcp", host="127.0.0.1", port=server.port, address=1)
        display.show("A012 请到3号窗口")
        assert server.hung_up.wait(5)
        display.show("A013 请到3号窗口")
        assert wait_for(lambda: len(server.connections) == 2 and len(server.connections[1]) == 1)
        assert decode_frame(server.connections[1][0]).text() == "A013 请到3号窗口"
        assert display.link.connects == 2
        display.close()
    finally:
        server.close()


def test_tcp_driver_recovers_when_the_controller_comes_back() -> None:
    server = Controller()
    port = server.port
    display = build("counter_display", "tcp", host="127.0.0.1", port=port, address=1, timeout=1.0)
    display.show("A012 请到3号窗口")
    assert wait_for(lambda: len(server.frames()) == 1)
    server.close()
    # the controller is gone: a calm error, not a hang
    with pytest.raises(DeviceError) as caught:
        for _ in range(3):  # the first send may still reach the dying socket's buffer
            display.show("A013 请到3号窗口")
    assert caught.value.reason == "offline"
    restarted = Controller(port=port)
    try:
        display.show("A014 请到3号窗口")
        assert wait_for(lambda: len(restarted.frames()) == 1)
        assert decode_frame(restarted.frames()[0]).text() == "A014 请到3号窗口"
    finally:
        display.close()
        restarted.close()


def test_tcp_ack_mode_times_out_on_a_silent_controller(controller: Controller) -> None:
    display = build("counter_display", "tcp", host="127.0.0.1", port=controller.port, ack=True, timeout=0.2)
    with pytest.raises(DeviceError) as caught:
        display.show("A012 请到3号窗口")
    assert caught.value.reason == "timeout"
    assert caught.value.message == "窗口显示屏没有响应"
    display.close()


@pytest.mark.parametrize(("reply", "reason"), [(b"\x06", None), (b"\x15", "rejected")])
def test_tcp_ack_mode_reads_ack_and_nak(reply: bytes, reason: str | None) -> None:
    server = Controller(reply=reply)
    try:
        display = build("counter_display", "tcp", host="127.0.0.1", port=server.port, ack=True, timeout=2.0)
        if reason is None:
            display.show("A012 请到3号窗口")
            assert display.text == "A012 请到3号窗口"
        else:
            with pytest.raises(DeviceError) as caught:
                display.show("A012 请到3号窗口")
            assert caught.value.reason == reason
        display.close()
    finally:
        server.close()


def test_serial_driver_through_pyserial(controller: Controller) -> None:
    pytest.importorskip("serial")
    # a serial-to-Ethernet converter, addressed with pyserial's socket:// URL: pyserial end to end
    display = build("counter_display", "serial", port=f"socket://127.0.0.1:{controller.port}", address=1)
    display.show("A012 请到3号窗口")
    display.close()
    assert wait_for(lambda: controller.frames() == [A012_FRAME])


def test_serial_driver_without_the_port_is_offline() -> None:
    pytest.importorskip("serial")
    display = build("counter_display", "serial", port="/dev/ttyS-suqiu-missing")
    with pytest.raises(DeviceError) as caught:
        display.show("A012 请到3号窗口")
    assert caught.value.reason == "offline"
