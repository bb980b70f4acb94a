"""Driving the LED strip above the counter ("A012 请到3号窗口") without ever blocking the UI.

The driver (``suqiu_devices`` ``counter_display``: fake, serial or tcp) may block on a cable or a
network; every write goes to one background thread so they reach the strip in the order given.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from suqiu_devices.errors import DeviceError
from suqiu_devices.protocols import CounterDisplay

log = logging.getLogger(__name__)


def call_text(display: str, counter_number: int) -> str:
    return f"{display} 请到{counter_number}号窗口"


def paused_text(counter_number: int) -> str:
    return f"{counter_number}号窗口 暂停服务"


def parse_display_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``fake`` | ``serial:/dev/ttyUSB0`` | ``tcp:192.168.1.50:5000`` → (driver name, options)."""
    spec = spec.strip()
    if spec in ("", "none", "off"):
        return "none", {}
    if spec == "fake":
        return "fake", {}
    kind, _, rest = spec.partition(":")
    if kind == "serial" and rest:
        return "serial", {"port": rest}
    if kind == "tcp" and rest:
        host, _, port = rest.rpartition(":")
        if host and port.isdigit():
            return "tcp", {"host": host, "port": int(port)}
    raise ValueError(f"窗口屏设置无效：{spec}（应为 fake、serial:端口 或 tcp:地址:端口）")


def build_display(spec: str, *, counter_number: int | None = None) -> CounterDisplay | None:
    """Build the configured driver; None when there is no strip."""
    name, options = parse_display_spec(spec)
    if name == "none":
        return None
    from suqiu_devices.registry import build

    if counter_number is not None:
        options.setdefault("address", counter_number)  # strip controllers are addressed by counter number
    return build("counter_display", name, **options)  # type: ignore[no-any-return]


class CounterDisplayOutput:
    """Ordered, non-blocking writes to one strip. ``on_error`` is called on the writer thread."""

    def __init__(
        self,
        driver: CounterDisplay,
        counter_number: int,
        *,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.driver = driver
        self.counter_number = counter_number
        self.on_error = on_error
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="counter-display")
        self._lock = threading.Lock()
        self._closed = False

    def _submit(self, fn: Callable[[], None]) -> Future[None] | None:
        with self._lock:
            if self._closed:
                return None
            return self._writer.submit(self._guarded, fn)

    def _guarded(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except DeviceError as exc:
            log.warning("counter display: %s", exc.message_en)
            if self.on_error:
                self.on_error(exc.message)
        except Exception as exc:  # a strip must never take the front desk down
            log.exception("counter display failed")
            if self.on_error:
                self.on_error(f"窗口屏暂时无法显示（{type(exc).__name__}）")

    def show_call(self, display: str) -> Future[None] | None:
        text = call_text(display, self.counter_number)
        return self._submit(lambda: self.driver.show(text))

    def show_paused(self) -> Future[None] | None:
        text = paused_text(self.counter_number)
        return self._submit(lambda: self.driver.show(text))

    def clear(self) -> Future[None] | None:
        return self._submit(self.driver.clear)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._writer.shutdown(wait=True, cancel_futures=True)
        closer = getattr(self.driver, "close", None)
        if callable(closer):
            try:
                closer()
            except Exception:
                log.exception("closing the counter display failed")
