"""Latency probe: an officer's call (API) → the front desk's event handler on its UI thread.

Used by ``bench/frontdesk_latency.py``. It runs the front desk's real event path (``EventPump``:
the SSE reader thread, then the queued hop to the Qt thread) and times, for each call, from the
moment the call request is sent until the matching ``ticket.called`` event is handled on the UI
thread. The call itself runs on another thread, as in the app, so the event loop stays free.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from suqiu_queue.client import Event, SuqiuClient

from .events import EventPump


@dataclass(frozen=True)
class LatencyReport:
    samples_ms: list[float]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.samples_ms)
        if not ordered:
            return float("nan")
        index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
        return ordered[index]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    def line(self) -> str:
        return f"frontdesk_p50_ms={self.p50:.1f} frontdesk_p95_ms={self.p95:.1f}"


def _spin(app: QCoreApplication, until: threading.Event | None, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if until is not None and until.is_set():
            return True
        time.sleep(0.0005)
    return until is not None and until.is_set()


def measure_call_latency(
    base_url: str,
    *,
    officer_token: str,
    kiosk_key: str,
    center: str,
    counter_id: int,
    category: str,
    calls: int = 100,
    timeout: float = 10.0,
) -> LatencyReport:
    app = QCoreApplication.instance() or QCoreApplication([])
    officer = SuqiuClient(base_url, token=officer_token)
    kiosk = SuqiuClient(base_url, device_key=kiosk_key)
    pump = EventPump(officer, center)
    seen: dict[int, float] = {}
    waiting_for: dict[str, object] = {"id": None, "event": threading.Event()}

    def on_event(event: Event) -> None:
        if event.kind == "ticket.called":
            ticket_id = event.payload.get("ticket_id")
            seen[int(ticket_id)] = time.perf_counter()
            if ticket_id == waiting_for["id"]:
                waiting_for["event"].set()  # type: ignore[attr-defined]

    pump.received.connect(on_event)
    pump.start()
    connected = threading.Event()
    pump.connection_changed.connect(lambda up: connected.set() if up else None)
    if not _spin(app, connected, timeout):
        pump.stop()
        raise RuntimeError("the event stream did not connect")

    samples: list[float] = []
    try:
        for _ in range(calls):
            ticket = kiosk.issue_ticket(center, category)
            arrived = threading.Event()
            waiting_for.update(id=ticket.id, event=arrived)
            errors: list[BaseException] = []

            def call(ticket_id: int = ticket.id, errors: list[BaseException] = errors) -> None:
                try:
                    officer.call(ticket_id, counter_id)
                except BaseException as exc:
                    errors.append(exc)

            started = time.perf_counter()
            caller = threading.Thread(target=call)
            caller.start()
            ok = _spin(app, arrived, timeout)
            caller.join(timeout)
            if errors:
                raise errors[0]
            if not ok:
                raise RuntimeError(f"no ticket.called event for {ticket.display} within {timeout} s")
            samples.append((seen[ticket.id] - started) * 1000)
            officer.done(ticket.id)
    finally:
        pump.stop()
        officer.close()
        kiosk.close()
    return LatencyReport(samples)
