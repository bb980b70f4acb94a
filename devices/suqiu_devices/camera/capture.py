"""A camera on its own thread with latest-frame semantics, reconnecting when the source goes away.

A reader thread pulls frames as fast as the source gives them and keeps only the newest, so a slow
consumer (face analysis at 10 frames/s) always gets the current picture, never a backlog from a
second ago. When the source fails (USB unplugged, RTSP stream dropped, a file at its end), the frame
is cleared — a frozen picture must never pass for a live one — and the thread reopens the source
with a growing pause (0.2 s, 0.4 s, ... up to 5 s) until it comes back or the camera is closed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import DeviceUnavailable

log = logging.getLogger(__name__)


class Grabber(Protocol):
    def grab(self) -> Any:
        """The next frame (HxWx3 uint8 BGR), or None when the source has failed."""

    def release(self) -> None: ...


@dataclass(frozen=True)
class Frame:
    image: Any
    seq: int  # 1, 2, 3, ... for this camera object; never repeats
    at: float  # time.monotonic() when it arrived


class ThreadedCamera:
    """Implements the ``Camera`` protocol for any source that ``open_source`` can open."""

    def __init__(
        self,
        open_source: Callable[[], Grabber],
        *,
        name: str = "camera",
        failures_before_reconnect: int = 3,
        retry_initial_s: float = 0.2,
        retry_max_s: float = 5.0,
    ) -> None:
        self._open_source = open_source
        self.name = name
        self.failures_before_reconnect = failures_before_reconnect
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self._lock = threading.Condition()
        self._latest: Frame | None = None
        self._seq = 0
        self._closed = threading.Event()
        self.status = "starting"  # starting | live | reconnecting | closed
        self.last_error = ""
        self.connects = 0  # successful opens; more than one means it reconnected
        self._thread = threading.Thread(target=self._run, name=f"{name}-reader", daemon=True)
        self._thread.start()

    # -- the protocol ---------------------------------------------------------------------------

    def read(self) -> Any:
        """The newest frame, or None when none has arrived yet (or the source is gone)."""
        with self._lock:
            return self._latest.image if self._latest is not None else None

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            self._lock.notify_all()
        self._thread.join(timeout=5)
        self.status = "closed"

    # -- more than the protocol -------------------------------------------------------------------

    def latest(self) -> Frame | None:
        with self._lock:
            return self._latest

    def wait_frame(self, after_seq: int = 0, timeout: float | None = None) -> Frame | None:
        """Block until a frame newer than ``after_seq`` arrives (or the timeout passes)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while not self._closed.is_set():
                if self._latest is not None and self._latest.seq > after_seq:
                    return self._latest
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._lock.wait(remaining)
        return None

    def wait_status(self, status: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.status == status:
                return True
            time.sleep(0.01)
        return self.status == status

    def __enter__(self) -> ThreadedCamera:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the reader thread --------------------------------------------------------------------------

    def _run(self) -> None:
        pause = self.retry_initial_s
        while not self._closed.is_set():
            try:
                grabber = self._open_source()
            except Exception as exc:  # DeviceUnavailable, or a driver error we log and retry
                self._lost(str(exc))
                self._closed.wait(pause)
                pause = min(pause * 2, self.retry_max_s)
                continue
            self.connects += 1
            self.status = "live"
            pause = self.retry_initial_s
            try:
                self._pump(grabber)
            finally:
                grabber.release()
            if not self._closed.is_set():
                self._lost("source stopped delivering frames")
        self.status = "closed"

    def _pump(self, grabber: Grabber) -> None:
        failures = 0
        while not self._closed.is_set():
            try:
                image = grabber.grab()
            except Exception as exc:
                log.warning("%s: read failed: %s", self.name, exc)
                image = None
            if image is None:
                failures += 1
                if failures >= self.failures_before_reconnect:
                    return
                continue
            failures = 0
            with self._lock:
                self._seq += 1
                self._latest = Frame(image, self._seq, time.monotonic())
                self._lock.notify_all()

    def _lost(self, reason: str) -> None:
        if self.status != "reconnecting":
            log.warning("%s: %s; reconnecting", self.name, reason)
        self.last_error = reason
        self.status = "reconnecting"
        with self._lock:
            self._latest = None


def unavailable(message_en: str) -> DeviceUnavailable:
    return DeviceUnavailable(message_en, "摄像头不可用", reason="no_camera")
