"""Kiosk benchmark: cold start to a usable welcome screen, and tap-to-ticket-on-screen.

    .venv/bin/python bench/kiosk.py [--runs 5] [--taps 20]

A local server (``suqiu server``) runs on a seeded SQLite file. *Cold start* is a fresh
``python -m suqiu_kiosk`` process, from exec until its welcome tiles are drawn with live waiting
figures (the kiosk prints a marker line when that happens — see ``SUQIU_KIOSK_READY_MARKER``);
the median of ``--runs`` starts is reported. *Tap to ticket* is measured in-process on the real
window with the fake printer: from the tap on 仍需人工办理，取号 until the ticket number is on the
screen (printing continues after that and is not included); median of ``--taps`` visits.
Targets on this 2-core machine: cold start < 2.5 s, tap to ticket < 300 ms.

The last line is ``cold_start_s=N tap_to_ticket_ms=N``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

MARKER = "SUQIU_KIOSK_READY"


def seeded_server(directory: Path):  # type: ignore[no-untyped-def]
    from support import ServerProcess, seed_world

    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade

    url = f"sqlite:///{directory / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session, session.begin():
        world = seed_world(session)
    engine.dispose()
    return ServerProcess(url).start(), world


def cold_start(server_url: str, key: str, data_dir: Path) -> float:
    env = {**os.environ, "SUQIU_KIOSK_READY_MARKER": MARKER, "QT_QPA_PLATFORM": "offscreen"}
    command = [sys.executable, "-m", "suqiu_kiosk", "--server", server_url, "--device-key", key]
    command += ["--data-dir", str(data_dir), "--devices", "fake"]
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(MARKER):
                return time.perf_counter() - started
        raise RuntimeError(f"kiosk exited ({proc.wait()}) before its welcome screen was ready")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def tap_to_ticket(server_url: str, key: str, data_dir: Path, taps: int) -> list[float]:
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from suqiu_devices.registry import build
    from suqiu_kiosk.app import build_service
    from suqiu_kiosk.config import KioskConfig
    from suqiu_kiosk.window import KioskWindow

    app = QApplication.instance() or QApplication([])

    def wait(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.perf_counter() + timeout
        while not condition():
            if time.perf_counter() > deadline:
                raise TimeoutError
            app.processEvents()
            time.sleep(0.0005)

    config = KioskConfig(server=server_url, device_key=key, data_dir=data_dir, idle_seconds=3600)
    window = KioskWindow(config, build_service(config), printer=build("printer", "fake"), listen_events=False)
    window.resize(1080, 1920)
    window.show()
    window.start()
    wait(lambda: window.ready and window.last_sync is not None)
    times = []
    for _ in range(taps):
        QTest.mouseClick(window.welcome.tile("policy"), Qt.MouseButton.LeftButton)
        wait(lambda: window.flow.step == "identify")
        QTest.mouseClick(window.screens["identify"].skip_button, Qt.MouseButton.LeftButton)
        wait(lambda: window.flow.step == "describe")
        QTest.mouseClick(window.screens["describe"].skip_button, Qt.MouseButton.LeftButton)
        wait(lambda: window.flow.step == "faq")
        QCoreApplication.processEvents()
        started = time.perf_counter()
        QTest.mouseClick(window.screens["faq"].need_person_button, Qt.MouseButton.LeftButton)
        wait(lambda: window.flow.step == "ticket" and window.screens["ticket"].number.text() != "")
        times.append(time.perf_counter() - started)
        wait(lambda: window.flow.visit.print_state == "printed")
        window.finish_visit()
    window.shutdown()
    window.service.store.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--taps", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="suqiu-bench-kiosk-") as tmp:
        server, world = seeded_server(Path(tmp))
        key = world.device_keys["kiosk"]
        try:
            starts = [cold_start(server.url, key, Path(tmp) / f"cold{i}") for i in range(args.runs)]
            taps = tap_to_ticket(server.url, key, Path(tmp) / "taps", args.taps)
        finally:
            server.stop()
    print(f"cold start to welcome (s): {', '.join(f'{s:.2f}' for s in starts)}")
    print(f"tap to ticket on screen (ms): median {statistics.median(taps) * 1000:.0f}, max {max(taps) * 1000:.0f}")
    print(f"cold_start_s={statistics.median(starts):.2f} tap_to_ticket_ms={statistics.median(taps) * 1000:.0f}")


if __name__ == "__main__":
    main()
