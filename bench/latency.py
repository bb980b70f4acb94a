"""Benchmark: an officer's call → the hall knows. p50/p95 over N calls (default 100).

    .venv/bin/python bench/latency.py [--calls 100]

Starts its own ``suqiu server`` (a temp SQLite file seeded with the demo center), then listens
the three ways a call reaches people, all at once, and times each from the moment the call
request is sent (``POST /counters/{id}/call-next``, wall clock taken just before):

(a) **board** — the wall's page in Debian's headless Chromium at 1920×1080 (``/board``, the real
    page with its key, Server-Sent Events and all). A ``MutationObserver`` on the "now calling"
    number records, for each number that appears, ``performance.timeOrigin + performance.now()``
    — the browser's wall-clock-anchored high-resolution time — at the moment the DOM changes.
    Both clocks read the same system clock, but Chromium anchors its time at navigation, so the
    offset between the two is measured rather than assumed: Python reads the page clock through
    ``page.evaluate`` several times, keeps the reading with the shortest round trip and takes its
    midpoint (error ≤ half that round trip, typically well under 1 ms), and recalibrates every 20
    calls. Playwright only collects the recorded stamps afterwards, so its polling adds nothing.
(b) **front desk** — ``SuqiuClient.events(center=...)`` read on a worker thread, exactly as the
    front desk's ``EventPump`` reads it (same client, same unfiltered stream of its center); the
    time is taken when the matching ``ticket.called`` event comes out of the iterator. (The front
    desk's own ``bench/frontdesk_latency.py`` adds the queued hop onto its Qt thread.)
(c) **announcer** — the real ``Announcer`` with the fake speaker at real time (speed 1): the time
    is taken when the voice starts the chime that opens the announcement. Each announcement then
    lasts ~7 s (chime and the call twice); to time the path and not a queue of 100 announcements,
    the bench cancels the speaker once the chime has started, so every call finds it idle, as a
    call does when the hall is not mid-announcement.

The next call is made only when all three have seen the previous one. Results go to stdout; the
last line is machine-readable:

    board_p95_ms=N frontdesk_p95_ms=N announcer_p95_ms=N
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
OBSERVER_JS = """
() => {
  window.__seen = {};
  const number = document.getElementById('now-number');
  const note = () => {
    const text = number.textContent;
    if (!(text in window.__seen)) window.__seen[text] = performance.timeOrigin + performance.now();
  };
  new MutationObserver(note).observe(number, {childList: true, characterData: true, subtree: true});
}
"""
WAIT_S = 15.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(workdir: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    """A demo-seeded server on a temp SQLite file: (process, base URL, device keys)."""
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade
    from suqiu_queue.server.seed import seed_demo

    url = f"sqlite:///{workdir / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session, session.begin():
        keys = seed_demo(session, employees=20).device_keys
    engine.dispose()
    port = free_port()
    env = {**os.environ, "SUQIU_DATABASE_URL": url, "SUQIU_DATA_DIR": str(workdir)}
    log = (workdir / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "suqiu_queue.cli", "server", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early; see {workdir / 'server.log'}")
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                return proc, base, keys
        except requests.RequestException:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise SystemExit("server did not start")


class FrontDeskListener:
    """The front desk's event path: the client's stream of the center, read on a worker thread."""

    def __init__(self, base: str, token: str, center: str) -> None:
        from suqiu_queue.client import SuqiuClient

        self.stream = SuqiuClient(base, token=token).events(center=center)
        self.heard: dict[int, float] = {}
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, name="bench-frontdesk", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for event in self.stream:
            at = time.time()
            if event.kind == "ticket.called":
                with self.changed:
                    self.heard[int(event.payload["ticket_id"])] = at
                    self.changed.notify_all()

    def wait_for(self, ticket_id: int) -> float:
        with self.changed:
            if not self.changed.wait_for(lambda: ticket_id in self.heard, WAIT_S):
                raise TimeoutError(f"the front desk never heard ticket {ticket_id}")
            return self.heard[ticket_id]

    def stop(self) -> None:
        self.stream.stop()


def timed_speaker() -> Any:
    """The fake speaker (real time), noting when each sound *starts* (the fake notes the end)."""
    from suqiu_devices.speaker.fake import FakeVoice
    from suqiu_devices.speaker.queue import SpeakerQueue

    class StartStampingVoice(FakeVoice):
        def __init__(self) -> None:
            super().__init__(speed=1.0)
            self.starts: list[tuple[str, float]] = []
            self.started = threading.Condition()

        def _hold(self, label: str, seconds: float, rate: float, volume: float, stop: threading.Event) -> None:
            with self.started:
                self.starts.append((label, time.time()))
                self.started.notify_all()
            super()._hold(label, seconds, rate, volume, stop)

    return SpeakerQueue(StartStampingVoice(), name="bench-speaker")


def chime_start_after(voice: Any, sent: float) -> float:
    with voice.started:
        found = voice.started.wait_for(
            lambda: any(label == "<chime>" and at >= sent for label, at in voice.starts), WAIT_S
        )
        if not found:
            raise TimeoutError("the announcer never started its chime")
        return next(at for label, at in voice.starts if label == "<chime>" and at >= sent)


def page_clock_offset_ms(page: Any, trials: int = 7) -> float:
    """(browser time − Python time) in ms, from the reading with the shortest round trip."""
    best: tuple[float, float] | None = None
    for _ in range(trials):
        before = time.time()
        browser_ms = float(page.evaluate("performance.timeOrigin + performance.now()"))
        after = time.time()
        trip = after - before
        offset = browser_ms - (before + after) / 2 * 1000
        if best is None or trip < best[0]:
            best = (trip, offset)
    assert best is not None
    return best[1]


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def report(name: str, values: list[float]) -> float:
    p50, p95 = statistics.median(values), percentile(values, 95)
    print(f"{name:<10} n={len(values)} p50={p50:.1f} ms p95={p95:.1f} ms max={max(values):.1f} ms")
    return p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from suqiu_queue.announcer import Announcer
    from suqiu_queue.client import SuqiuClient
    from suqiu_queue.server.seed import DEMO_CENTER, DEMO_PASSWORD

    workdir = Path(tempfile.mkdtemp(prefix="suqiu-bench-latency-"))
    proc, base, keys = start_server(workdir)
    listener = announcer = None
    board_ms: list[float] = []
    frontdesk_ms: list[float] = []
    announcer_ms: list[float] = []
    try:
        token = requests.post(
            f"{base}/api/v1/auth/login", json={"username": "reception", "password": DEMO_PASSWORD}, timeout=10
        ).json()["token"]
        officer = {"Authorization": f"Bearer {token}"}
        counters = {
            c["number"]: c["id"] for c in requests.get(f"{base}/api/v1/centers/{DEMO_CENTER}").json()["counters"]
        }
        kiosk = {"X-Device-Key": keys["kiosk"]}
        for _ in range(args.calls):
            requests.post(
                f"{base}/api/v1/tickets", json={"center": DEMO_CENTER, "category": "policy"}, headers=kiosk, timeout=10
            ).raise_for_status()

        listener = FrontDeskListener(base, token, DEMO_CENTER)
        speaker = timed_speaker()
        announcer = Announcer(SuqiuClient(base, device_key=keys["announcer"]), DEMO_CENTER, lambda: speaker)
        announcer.start()
        if not (listener.stream.connected.wait(WAIT_S) and announcer.wait_connected(WAIT_S)):
            raise SystemExit("the front desk or the announcer could not connect")

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # bypass_csp: the bench's observer is injected by evaluate(); the page itself is unchanged.
            page = browser.new_page(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
            page.goto(f"{base}/board?center={DEMO_CENTER}&key={keys['board']}")
            page.wait_for_function("document.getElementById('connection').hidden", timeout=WAIT_S * 1000)
            page.evaluate(OBSERVER_JS)
            offset_ms = page_clock_offset_ms(page)
            for index in range(args.calls):
                if index and index % 20 == 0:
                    offset_ms = page_clock_offset_ms(page)
                counter = counters[1 if index % 2 == 0 else 2]  # both serve 政策咨询
                sent = time.time()
                response = requests.post(f"{base}/api/v1/counters/{counter}/call-next", headers=officer, timeout=10)
                response.raise_for_status()
                ticket = response.json()["ticket"]
                display, ticket_id = ticket["display"], int(ticket["id"])

                shown_ms = page.wait_for_function(
                    "d => window.__seen[d]", arg=display, timeout=WAIT_S * 1000
                ).json_value()
                board_ms.append(float(shown_ms) - offset_ms - sent * 1000)
                frontdesk_ms.append((listener.wait_for(ticket_id) - sent) * 1000)
                announcer_ms.append((chime_start_after(speaker.engine, sent) - sent) * 1000)
                speaker.cancel()  # see (c): the next call must find the speaker idle
                speaker.wait_idle(WAIT_S)
            browser.close()
    finally:
        if announcer is not None:
            announcer.stop()
        if listener is not None:
            listener.stop()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()

    print(f"{args.calls} calls through the API, server on SQLite, {os.cpu_count()} CPUs")
    board_p95 = report("board", board_ms)
    frontdesk_p95 = report("frontdesk", frontdesk_ms)
    announcer_p95 = report("announcer", announcer_ms)
    print(f"board_p95_ms={board_p95:.0f} frontdesk_p95_ms={frontdesk_p95:.0f} announcer_p95_ms={announcer_p95:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
