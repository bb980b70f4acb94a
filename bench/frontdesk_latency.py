"""Benchmark (b): an officer's call (API) → the front desk's event handler, over N calls.

    .venv/bin/python bench/frontdesk_latency.py                 # its own server on a temp SQLite file
    .venv/bin/python bench/frontdesk_latency.py --server URL --username reception \
        --password ... --kiosk-key sqk_... --center HQ --counter 1

Prints one line: ``frontdesk_p50_ms=N frontdesk_p95_ms=N`` (bench/latency.py may call ``run``).
What is timed: from sending ``POST /tickets/{id}/call`` until the front desk's ``EventPump`` has
delivered the matching ``ticket.called`` event on its Qt thread (SSE + reader thread + queued hop).
The goal from the issue is well under 1 s for the arrival card; this is the same path.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import requests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _own_server() -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    """A demo-seeded server on a temp SQLite file; returns (process, url, kiosk key)."""
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade
    from suqiu_queue.server.seed import seed_demo

    workdir = Path(tempfile.mkdtemp(prefix="suqiu-bench-fd-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session, session.begin():
        keys = seed_demo(session, employees=20).device_keys
    engine.dispose()
    port = _free_port()
    env = {**os.environ, "SUQIU_DATABASE_URL": url, "SUQIU_DATA_DIR": str(workdir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "suqiu_queue.cli", "server", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited early")
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                return proc, base, keys
        except requests.RequestException:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("server did not start")


def run(
    server: str, *, username: str, password: str, kiosk_key: str, center: str, counter: int, calls: int = 100
) -> str:
    from suqiu_frontdesk.bench_probe import measure_call_latency
    from suqiu_queue.client import SuqiuClient

    officer = SuqiuClient(server)
    token = officer.login(username, password).token
    info = officer.center(center)
    chosen = next(c for c in info["counters"] if c["number"] == counter)
    if chosen["paused"]:
        officer.pause_counter(chosen["id"], False)
    officer.close()
    report = measure_call_latency(
        server,
        officer_token=token,
        kiosk_key=kiosk_key,
        center=center,
        counter_id=chosen["id"],
        category=chosen["categories"][0],
        calls=calls,
    )
    return report.line()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server")
    parser.add_argument("--username", default="reception")
    parser.add_argument("--password")
    parser.add_argument("--kiosk-key")
    parser.add_argument("--center", default="HQ")
    parser.add_argument("--counter", type=int, default=1)
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()
    if args.server:
        if not (args.password and args.kiosk_key):
            parser.error("--server needs --password and --kiosk-key")
        print(
            run(
                args.server,
                username=args.username,
                password=args.password,
                kiosk_key=args.kiosk_key,
                center=args.center,
                counter=args.counter,
                calls=args.calls,
            )
        )
        return 0
    from suqiu_queue.server.seed import DEMO_PASSWORD

    proc, base, keys = _own_server()
    try:
        print(
            run(
                base,
                username="reception",
                password=DEMO_PASSWORD,
                kiosk_key=keys["kiosk"],
                center="HQ",
                counter=args.counter,
                calls=args.calls,
            )
        )
    finally:
        proc.terminate()
        proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
