"""Ticket issue throughput and latency against a real server, on SQLite and on PostgreSQL.

    .venv/bin/python bench/tickets.py [--db sqlite|postgresql|both] [--clients 50] [--seconds 10]

The load is *open-loop*: 50 concurrent clients (kiosks) each send at a fixed pace so that
together they offer ``--rate`` tickets/s, and latency is measured from the moment a request was
due, so a slow server cannot hide its queueing (no coordinated omission). Closed-loop clients
would make latency = clients / throughput by Little's law (50 / 300 per s = 167 ms) whatever
the server does. A second, closed-loop phase measures the most the server can take.

Afterwards every acknowledged ticket is looked up in the database: ``lost`` counts acknowledged
tickets that are missing, ``duplicates`` numbers handed out twice.

The last line is machine-readable:
    tickets_per_s=N p50_ms=N p99_ms=N duplicates=N lost=N db=postgresql
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

PG_BASE = os.environ.get("SUQIU_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CATEGORIES = ["policy", "opinion", "legal", "care", "health", "logistics", "proposal"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def database(kind: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="suqiu-bench-")
        yield f"sqlite:///{folder}/bench.db"
        return
    name = f"suqiu_bench_{secrets.token_hex(4)}"
    admin = create_engine(make_url(PG_BASE).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_BASE).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str) -> str:
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade
    from suqiu_queue.server.seed import seed_demo

    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session, session.begin():
        result = seed_demo(session, employees=50)
    engine.dispose()
    return result.device_keys["kiosk"]


@contextmanager
def server(url: str, workers: int):  # type: ignore[no-untyped-def]
    port = free_port()
    env = {**os.environ, "SUQIU_DATABASE_URL": url, "SUQIU_DATA_DIR": tempfile.mkdtemp(prefix="suqiu-bench-")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "suqiu_queue.cli",
            "server",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-migrate",
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.1)
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def client_process(
    port: int,
    key: str,
    clients: int,
    rate_per_client: float,
    seconds: float,
    start_at: float,
    worker: int,
    out: mp.Queue,
) -> None:  # type: ignore[type-arg]
    """Several kiosks in one process, one thread and one keep-alive connection each."""
    results: list[tuple[float, int, str, int]] = []  # latency_s, id, category, number
    errors: list[str] = []
    lock = threading.Lock()

    def kiosk(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        interval = 1.0 / rate_per_client if rate_per_client > 0 else 0.0
        due = start_at + (index / max(clients, 1)) * (interval or 0)
        end = start_at + seconds
        n = 0
        while True:
            if interval:
                now = time.monotonic()
                if due > now:
                    time.sleep(due - now)
            sent_due = due if interval else time.monotonic()
            if sent_due >= end:
                break
            body = json.dumps(
                {
                    "center": "HQ",
                    "category": CATEGORIES[(worker * 31 + index + n) % len(CATEGORIES)],
                    "idempotency_key": f"b{worker}-{index}-{n}-{secrets.token_hex(6)}",
                }
            )
            try:
                conn.request(
                    "POST",
                    "/api/v1/tickets",
                    body=body,
                    headers={"Content-Type": "application/json", "X-Device-Key": key},
                )
                response = conn.getresponse()
                payload = response.read()
                latency = time.monotonic() - sent_due
                if response.status != 201:
                    errors.append(f"HTTP {response.status}: {payload[:200]!r}")
                else:
                    data = json.loads(payload)
                    with lock:
                        results.append((latency, data["id"], data["category"], data["number"]))
            except (OSError, http.client.HTTPException) as exc:
                errors.append(repr(exc))
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            n += 1
            due += interval
        conn.close()

    threads = [threading.Thread(target=kiosk, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((results, errors[:20]))


def run_load(
    port: int, key: str, *, clients: int, rate: float, seconds: float, processes: int
) -> tuple[list[tuple[float, int, str, int]], list[str], float]:
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    per_process = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    start_at = time.monotonic() + 1.5  # time for the processes to start
    rate_per_client = rate / clients if rate > 0 else 0.0
    procs = [
        ctx.Process(target=client_process, args=(port, key, n, rate_per_client, seconds, start_at, i, out))
        for i, n in enumerate(per_process)
    ]
    for p in procs:
        p.start()
    gathered = [out.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.monotonic() - start_at
    results = [r for batch, _ in gathered for r in batch]
    errors = [e for _, errs in gathered for e in errs]
    return results, errors, elapsed


def check(url: str, results: list[tuple[float, int, str, int]]) -> tuple[int, int]:
    from sqlalchemy import select

    from suqiu_queue.server.db import make_engine
    from suqiu_queue.server.tickets.models import Ticket

    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Ticket.id, Ticket.center_id, Ticket.number_category_id, Ticket.service_date, Ticket.number)
        ).all()
    engine.dispose()
    ids = {r.id for r in rows}
    lost = sum(1 for _lat, tid, _c, _n in results if tid not in ids)
    # A number may repeat on another day or at another center, never within one (center, category, day).
    keys = Counter((r.center_id, r.number_category_id, r.service_date, r.number) for r in rows)
    duplicates = sum(n - 1 for n in keys.values() if n > 1)
    return duplicates, lost


def _proc_stats() -> list[tuple[int, int, str, float]]:
    """(pid, parent pid, command line, CPU seconds used) of every process, from /proc (Linux only)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        stats.append((int(entry.name), int(fields[1]), command, (int(fields[11]) + int(fields[12])) / tick))
    return stats


def cpu_seconds(server_pid: int, database: str) -> tuple[float, float]:
    """CPU time used so far by the server (with its worker processes) and by the PostgreSQL
    backends connected to the bench database (other databases on the machine do not count)."""
    stats = _proc_stats()
    family = {server_pid}
    for _ in range(3):  # uvicorn: server -> workers (-> their children)
        family |= {pid for pid, ppid, _cmd, _cpu in stats if ppid in family}
    server = sum(cpu for pid, _ppid, _cmd, cpu in stats if pid in family)
    backends = sum(cpu for _pid, _ppid, cmd, cpu in stats if cmd.startswith("postgres:") and f" {database} " in cmd)
    return server, backends


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench(kind: str, args: argparse.Namespace) -> str:
    with database(kind) as url:
        key = seed(url)
        workers = args.workers if kind == "postgresql" else 1
        with server(url, workers) as (port, server_pid):
            # Warm up, not counted: every client at once, so that each worker's pool has opened all
            # its connections (a new PostgreSQL backend costs milliseconds of CPU to start) and
            # psycopg has prepared the hot statements on each (it prepares on the 5th use). With
            # only a few warm-up clients the measured run began by opening ~40 connections and
            # planning unprepared statements: a 100-200 ms stall in the first second that set p99.
            run_load(port, key, clients=args.clients, rate=0, seconds=2.0, processes=args.client_processes)
            results, errors, elapsed = run_load(
                port, key, clients=args.clients, rate=args.rate, seconds=args.seconds, processes=args.client_processes
            )
            cpu_before = cpu_seconds(server_pid, database_name(url))
            capacity, cap_errors, _cap_elapsed = run_load(
                port, key, clients=args.clients, rate=0, seconds=min(args.seconds, 5), processes=args.client_processes
            )
            cpu_after = cpu_seconds(server_pid, database_name(url))
        duplicates, lost = check(url, results + capacity)
    latencies = [r[0] * 1000 for r in results]
    throughput = len(results) / max(elapsed, args.seconds)
    max_throughput = len(capacity) / min(args.seconds, 5)
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    print(
        f"[{kind}] offered {args.rate:.0f}/s from {args.clients} clients for {args.seconds:.0f} s (server workers: {workers})"
    )
    print(
        f"[{kind}] achieved {throughput:.0f} tickets/s; latency p50 {p50:.1f} ms, p90 {percentile(latencies, 0.9):.1f} ms, p99 {p99:.1f} ms, max {max(latencies or [0]):.1f} ms"
    )
    print(
        f"[{kind}] closed-loop capacity ({args.clients} clients flat out): {max_throughput:.0f} tickets/s, mean latency {statistics.mean([c[0] for c in capacity] or [0]) * 1000:.1f} ms"
    )
    if capacity:
        # CPU per ticket hardly depends on what else the machine is doing, unlike tickets/s.
        server_ms = (cpu_after[0] - cpu_before[0]) * 1000 / len(capacity)
        database_ms = (cpu_after[1] - cpu_before[1]) * 1000 / len(capacity)
        extra = " (its backends)" if kind == "postgresql" else " (SQLite runs inside the server)"
        print(f"[{kind}] CPU per ticket: server {server_ms:.2f} ms, database {database_ms:.2f} ms{extra}")
    print(
        f"[{kind}] errors: {len(errors) + len(cap_errors)} {(errors + cap_errors)[:3]}; duplicates={duplicates} lost={lost}"
    )
    return f"tickets_per_s={throughput:.0f} p50_ms={p50:.1f} p99_ms={p99:.1f} duplicates={duplicates} lost={lost} db={kind}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=float, default=300.0, help="offered tickets/s across all clients")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (PostgreSQL)")
    parser.add_argument("--client-processes", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    lines = [bench(kind, args) for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db])]
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
