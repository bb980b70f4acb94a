"""Test support shared by every test folder: databases, a seeded world, a real server process."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
PG_BASE_URL = os.environ.get("SUQIU_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "test-password-1"


def pg_available() -> bool:
    try:
        engine = create_engine(_psycopg(PG_BASE_URL), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def _psycopg(url: str) -> str:
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


@contextlib.contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test module; dropped afterwards."""
    name = f"suqiu_t_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(_psycopg(PG_BASE_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_BASE_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class FakeClock:
    """A settable clock for rules that depend on time (rollover, aging, opening hours)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class World:
    """What `seed_world` made: codes, ids and credentials to use in tests."""

    center: str = "T1"
    center_id: int = 0
    other_center: str = "T2"
    counters: dict[int, int] = field(default_factory=dict)  # counter number -> id
    device_keys: dict[str, str] = field(default_factory=dict)  # kind -> key
    other_kiosk_key: str = ""
    usernames: dict[str, str] = field(default_factory=dict)  # role -> username
    employees: list[str] = field(default_factory=list)  # employee numbers


def seed_world(session, *, always_open: bool = True) -> World:  # type: ignore[no-untyped-def]
    """A small, realistic world: 2 centers, counters, all categories, one officer per role, people."""
    from datetime import date

    from suqiu_queue.domain.enums import DeviceKind, Role
    from suqiu_queue.domain.hours import ALWAYS_OPEN, OFFICE_HOURS
    from suqiu_queue.server.accounts.service import create_device, create_user
    from suqiu_queue.server.org.models import Category, Center, Counter, OrgUnit
    from suqiu_queue.server.people.models import Employee
    from suqiu_queue.server.seed import seed_categories

    seed_categories(session)
    hq = OrgUnit(code="U1", name="测试集团", level=1)
    session.add(hq)
    session.flush()
    second = OrgUnit(code="U2", name="测试分公司", level=2, parent_id=hq.id)
    session.add(second)
    session.flush()
    third = OrgUnit(code="U3", name="测试车间", level=3, parent_id=second.id)
    session.add(third)
    session.flush()
    hours = ALWAYS_OPEN if always_open else OFFICE_HOURS
    center = Center(
        code="T1", name="测试职工诉求服务中心", org_unit_id=hq.id, timezone="Asia/Shanghai", opening_hours=hours
    )
    other = Center(code="T2", name="另一个中心", org_unit_id=second.id, timezone="Asia/Shanghai", opening_hours=hours)
    session.add_all([center, other])
    session.flush()
    cats = {c.code: c for c in session.query(Category).all()}
    world = World(center_id=center.id)
    plan = {1: ["policy", "opinion", "urgent"], 2: ["policy", "health"], 3: ["legal"], 4: ["care"]}
    for number, codes in plan.items():
        counter = Counter(
            center_id=center.id, number=number, name=f"{number}号窗口", categories=[cats[c] for c in codes]
        )
        session.add(counter)
        session.flush()
        world.counters[number] = counter.id
    other_counter = Counter(center_id=other.id, number=1, name="1号窗口", categories=list(cats.values()))
    session.add(other_counter)
    for role in Role:
        username = f"{role.value}1"
        create_user(
            session,
            username=username,
            password=PASSWORD,
            role=role.value,
            display_name=username,
            center=None if role == Role.ADMIN else center,
            actor="test",
        )
        world.usernames[role.value] = username
    for kind in DeviceKind:
        _d, key = create_device(session, center=center, kind=kind.value, name=kind.value, actor="test")
        world.device_keys[kind.value] = key
    _d, world.other_kiosk_key = create_device(session, center=other, kind="kiosk", name="other", actor="test")
    people = [
        ("E1001", "张三", date(1990, 5, 1), "13800000001"),
        ("E1002", "李四", date(1958, 3, 2), "13800000002"),  # elderly: priority lane
        ("E1003", "欧阳娜娜", date(1995, 7, 9), "13800000003"),
    ]
    for no, name, birth, phone in people:
        session.add(
            Employee(
                employee_no=no,
                name=name,
                org_unit_id=third.id,
                birth_date=birth,
                phone=phone,
                hire_date=date(2015, 1, 1),
            )
        )
        world.employees.append(no)
    session.flush()
    return world


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _PortTaken(RuntimeError):
    pass


class ServerProcess:
    """`suqiu server` as a real process, for integration tests."""

    def __init__(
        self, database_url: str, *, port: int | None = None, workers: int = 1, env: dict[str, str] | None = None
    ) -> None:
        self.database_url = database_url
        self.port = port or free_port()
        self._port_chosen_here = port is None  # then another free one may be tried (see start)
        self.workers = workers
        self.extra_env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        # A port free when chosen can be taken before the server binds it (another test process, or
        # any outgoing connection's ephemeral port): then try another, unless the test chose the port.
        for _attempt in range(2):
            try:
                return self._start(timeout)
            except _PortTaken:
                if not self._port_chosen_here:
                    raise
                self.port = free_port()
        return self._start(timeout)

    def _start(self, timeout: float) -> ServerProcess:
        import tempfile

        # No background jobs unless the test asks (env={"SUQIU_SCHEDULER": "1"}): a 督办 sweep would change what it sees.
        env = {**os.environ, "SUQIU_SCHEDULER": "0", "SUQIU_DATABASE_URL": self.database_url, **self.extra_env}
        env.setdefault("SUQIU_DATA_DIR", tempfile.mkdtemp(prefix="suqiu-srv-"))
        log = tempfile.NamedTemporaryFile(prefix="suqiu-server-", suffix=".log", delete=False)  # noqa: SIM115
        self.log_path = Path(log.name)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "suqiu_queue.cli",
                "server",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if "address already in use" in self.log().lower():
                    raise _PortTaken(f"port {self.port} was taken:\n{self.log()}")
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def login(base_url: str, username: str, password: str = PASSWORD) -> str:
    response = requests.post(
        f"{base_url}/api/v1/auth/login", json={"username": username, "password": password}, timeout=10
    )
    response.raise_for_status()
    return str(response.json()["token"])
