"""Counter LED strips reached over a serial line (RS-485/RS-232, pyserial) or TCP (a network
controller, or a serial-to-Ethernet converter in TCP-server mode, usually port 5000/8899/9100).

Both send the frames of ``protocol.py``. Links open lazily and reopen after a failure, so a strip
that was switched off shows the next call once it is back. With ``ack=True`` each frame waits for
the controller's ACK (0x06) and a NAK (0x15) or silence is an error; most strips never answer,
so the default is fire-and-forget. Calls block for at most ``timeout``: the front desk sends from
its worker thread, never the UI thread.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
from typing import Any, Protocol

from ..errors import DeviceError
from .protocol import ACK, NAK, brightness_frame, clean_text, clear_frame, display_frame

log = logging.getLogger(__name__)


def display_error(reason: str, detail: str) -> DeviceError:
    messages = {
        "offline": ("窗口显示屏未连接", "counter display is offline"),
        "timeout": ("窗口显示屏没有响应", "counter display did not answer in time"),
        "rejected": ("窗口显示屏拒绝了指令", "counter display rejected the frame (NAK)"),
    }
    message, message_en = messages.get(reason, ("窗口显示屏暂时无法使用", f"counter display error ({reason})"))
    return DeviceError(f"{message_en}: {detail}", message, reason=reason)


class Link(Protocol):
    describe: str

    def send(self, frame: bytes, *, wait_ack: bool) -> None: ...

    def close(self) -> None: ...


class FramedCounterDisplay:
    """The ``CounterDisplay`` protocol over any link."""

    def __init__(self, link: Link, *, address: int = 1, encoding: str = "gb18030", ack: bool = False) -> None:
        if not 0 <= address <= 99:
            raise ValueError("address is 0..99")
        self.link = link
        self.address = address
        self.encoding = encoding
        self.ack = ack
        self.text = ""  # what the strip shows, as far as we know
        self._lock = threading.Lock()

    def show(self, text: str) -> None:
        self._send(display_frame(self.address, text, encoding=self.encoding))
        self.text = clean_text(text)

    def clear(self) -> None:
        self._send(clear_frame(self.address))
        self.text = ""

    def set_brightness(self, level: int) -> None:
        self._send(brightness_frame(self.address, level))

    def close(self) -> None:
        with self._lock:
            self.link.close()

    def _send(self, frame: bytes) -> None:
        with self._lock:
            self.link.send(frame, wait_ack=self.ack)


def _check_ack(answer: bytes, describe: str) -> None:
    if not answer:
        raise display_error("timeout", f"{describe}: no acknowledgement")
    if answer[:1] == bytes([NAK]):
        raise display_error("rejected", describe)
    if answer[:1] != bytes([ACK]):
        raise display_error("rejected", f"{describe}: unexpected answer {answer[:8]!r}")


class TcpLink:
    def __init__(self, host: str, port: int, *, timeout: float = 2.0) -> None:
        self.host = host
        self.port = int(port)
        self.timeout = float(timeout)
        self.describe = f"counter display {host}:{port}"
        self._socket: socket.socket | None = None
        self.connects = 0  # how many times a connection was made (1 + reconnects)

    def _peer_closed(self, sock: socket.socket) -> bool:
        """A controller that rebooted or dropped us shows as a readable socket with nothing to read.
        Sending into such a socket would "succeed" and the frame would vanish, so look first."""
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            return sock.recv(64, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _connected(self) -> socket.socket:
        if self._socket is not None and self._peer_closed(self._socket):
            log.info("%s closed the connection; reconnecting", self.describe)
            self.close()
        if self._socket is None:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            except TimeoutError as exc:
                raise display_error("timeout", f"{self.describe}: connect timed out") from exc
            except OSError as exc:
                raise display_error("offline", f"{self.describe}: {exc}") from exc
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._socket = sock
            self.connects += 1
        return self._socket

    def send(self, frame: bytes, *, wait_ack: bool) -> None:
        for attempt in (1, 2):
            sock = self._connected()
            try:
                sock.sendall(frame)
            except TimeoutError as exc:
                self.close()
                raise display_error("timeout", f"{self.describe}: send timed out") from exc
            except OSError as exc:
                self.close()
                if attempt == 2:
                    raise display_error("offline", f"{self.describe}: {exc}") from exc
                continue  # the connection died under us: one fresh connection, same frame (showing it twice is harmless)
            if wait_ack:
                try:
                    answer = sock.recv(16)
                except TimeoutError as exc:
                    self.close()  # the stream may now be out of step with the controller
                    raise display_error("timeout", f"{self.describe}: no acknowledgement") from exc
                except OSError as exc:
                    self.close()
                    raise display_error("offline", f"{self.describe}: {exc}") from exc
                if answer == b"":
                    self.close()
                    raise display_error("offline", f"{self.describe}: closed before acknowledging")
                _check_ack(answer, self.describe)
            return

    def close(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()


class SerialLink:
    """pyserial, imported lazily. ``port`` is a device ("/dev/ttyUSB0", "COM3") or a pyserial URL
    ("socket://10.0.0.7:4001", "rfc2217://...", "loop://")."""

    def __init__(self, port: str, *, baudrate: int = 9600, timeout: float = 1.0) -> None:
        self.port = port
        self.baudrate = int(baudrate)
        self.timeout = float(timeout)
        self.describe = f"counter display {port}@{baudrate}"
        self._serial: Any = None

    def _connected(self) -> Any:
        if self._serial is None:
            try:
                import serial
            except ImportError as exc:
                from ..errors import DeviceUnavailable

                raise DeviceUnavailable(
                    "pyserial is not installed", "窗口显示屏驱动未安装", reason="not_installed"
                ) from exc
            try:
                self._serial = serial.serial_for_url(
                    self.port, baudrate=self.baudrate, timeout=self.timeout, write_timeout=self.timeout
                )
            except (serial.SerialException, OSError, ValueError) as exc:
                raise display_error("offline", f"{self.describe}: {exc}") from exc
        return self._serial

    def send(self, frame: bytes, *, wait_ack: bool) -> None:
        port = self._connected()
        try:
            port.write(frame)
            port.flush()
            answer = port.read(1) if wait_ack else None
        except Exception as exc:  # SerialException, SerialTimeoutException, OSError: the adapter went away
            self.close()
            reason = "timeout" if "Timeout" in type(exc).__name__ else "offline"
            raise display_error(reason, f"{self.describe}: {exc}") from exc
        if answer is not None:
            _check_ack(answer, self.describe)

    def close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            try:
                port.close()
            except Exception:
                log.debug("closing %s failed", self.describe, exc_info=True)


def tcp_display(
    *, host: str, port: int, address: int = 1, timeout: float = 2.0, encoding: str = "gb18030", ack: bool = False
) -> FramedCounterDisplay:
    return FramedCounterDisplay(TcpLink(host, port, timeout=timeout), address=int(address), encoding=encoding, ack=ack)


def serial_display(
    *,
    port: str,
    baudrate: int = 9600,
    address: int = 1,
    timeout: float = 1.0,
    encoding: str = "gb18030",
    ack: bool = False,
) -> FramedCounterDisplay:
    return FramedCounterDisplay(
        SerialLink(port, baudrate=baudrate, timeout=timeout), address=int(address), encoding=encoding, ack=ack
    )
