"""HR-directory sync against a real HTTP server on a free local port: paging, retries, timeouts,
malformed pages and bad records (all leave the database untouched), and deactivation.

The seeded world has E1001 张三, E1002 李四, E1003 欧阳娜娜 in unit U3.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select
from support import REPO, World, free_port

from suqiu_queue.cli import main
from suqiu_queue.server.audit.models import AuditEntry
from suqiu_queue.server.people.hr_sync import (
    DefaultHrAdapter,
    HrPage,
    HrSyncError,
    fetch_directory,
    sync_from_http,
    with_query,
)
from suqiu_queue.server.people.models import Employee
from suqiu_queue.server.people.service import employee_by_no

# Paging, retries and adapters are HTTP and parsing: SQLite only. Applying (or not applying) the
# changes in one transaction, deactivation and the CLI run on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

TODAY = date(2026, 11, 23)
HANG = object()  # a scripted answer that never comes (until the test ends)


@dataclass
class Seen:
    path: str
    authorization: str | None


@dataclass
class HrDirectory:
    """A tiny HR server: each path answers from a script; the last answer repeats."""

    port: int
    scripts: dict[str, list[Any]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, *answers: Any) -> None:
        """Answers are a JSON-able page, ``(status, body)``, raw bytes, or HANG."""
        self.scripts[path] = list(answers)

    def next_answer(self, path: str) -> Any:
        with self.lock:
            script = self.scripts.get(path)
            if not script:
                return (404, b'{"error": "not found"}')
            return script.pop(0) if len(script) > 1 else script[0]

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]


@pytest.fixture
def hr() -> Iterator[HrDirectory]:
    directory = HrDirectory(port=free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with directory.lock:
                directory.seen.append(Seen(self.path, self.headers.get("Authorization")))
            answer = directory.next_answer(self.path)
            if answer is HANG:
                directory.release.wait(10)
                return
            status, body = answer if isinstance(answer, tuple) else (200, answer)
            if not isinstance(body, bytes):
                body = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", directory.port), Handler)
    server.daemon_threads = True
    server.handle_error = lambda *args: None  # type: ignore[method-assign]  # clients that gave up
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield directory
    finally:
        directory.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def person(no: str, name: str, phone: str, **extra: Any) -> dict[str, Any]:
    return {
        "employee_no": no,
        "name": name,
        "org_unit": "U3",
        "birth_date": "1990-01-01",
        "phone": phone,
        "hire_date": "2015-01-01",
        **extra,
    }


SEEDED_AS_STORED = [
    {
        "employee_no": "E1002",
        "name": "李四",
        "org_unit": "U3",
        "birth_date": "1958-03-02",
        "phone": "13800000002",
        "hire_date": "2015-01-01",
    }
]


def snapshot(sessions) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        rows = session.scalars(select(Employee).order_by(Employee.employee_no)).all()
        return [(e.employee_no, e.name, e.phone, e.org_unit_id, e.active, e.source) for e in rows]


def no_wait(_seconds: float) -> None:
    return None


# --- syncing into the database (SQLite and PostgreSQL) ---------------------------------------------------


def test_follows_next_links_sends_the_token_and_applies_changes(sessions, world: World, hr: HrDirectory) -> None:
    hr.serve(
        "/hr/employees",
        {
            "employees": [{**person("E1001", "张三", "13900000001"), "birth_date": "1990-05-01"}],
            "next": "/hr/employees?cursor=b",
        },
    )
    hr.serve(
        "/hr/employees?cursor=b",
        {"employees": [*SEEDED_AS_STORED, person("E2001", "王伟", "+86 138 0000 2001")], "next": None},
    )
    with sessions() as session, session.begin():
        report = sync_from_http(session, hr.url("/hr/employees"), token="s3cret", actor="cli", today=TODAY)
    assert (report.created, report.updated, report.unchanged, report.deactivated) == (1, 1, 1, 0)
    assert (report.pages, report.records) == (2, 3)
    assert hr.paths() == ["/hr/employees", "/hr/employees?cursor=b"]
    assert {s.authorization for s in hr.seen} == {"Bearer s3cret"}
    with sessions() as session:
        assert employee_by_no(session, "E1001").phone == "13900000001"
        new = employee_by_no(session, "E2001")
        assert (new.name, new.phone, new.source) == ("王伟", "13800002001", "hr_sync")
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "employee.hr_sync")).one()
        assert audit.detail["source"] == hr.url("/hr/employees")
        assert (audit.detail["created"], audit.detail["updated"], audit.detail["pages"]) == (1, 1, 2)
        assert "s3cret" not in json.dumps(audit.detail)


@SQLITE_ONLY
def test_follows_a_page_parameter(sessions, world: World, hr: HrDirectory) -> None:
    hr.serve("/api/staff?dept=all", {"employees": [person("E2101", "甲", "13800002101")], "page": 1, "pages": 3})
    hr.serve("/api/staff?dept=all&page=2", {"employees": [person("E2102", "乙", "13800002102")], "page": 2, "pages": 3})
    hr.serve("/api/staff?dept=all&page=3", {"employees": [person("E2103", "丙", "13800002103")], "page": 3, "pages": 3})
    with sessions() as session, session.begin():
        report = sync_from_http(session, hr.url("/api/staff?dept=all"), actor="cli", today=TODAY)
    assert (report.created, report.pages) == (3, 3)
    assert hr.seen[0].authorization is None  # no token given, none sent


@SQLITE_ONLY
def test_a_500_then_success_is_retried_with_growing_backoff(sessions, world: World, hr: HrDirectory) -> None:
    hr.serve("/hr", (500, b"oops"), (503, b"busy"), {"employees": [person("E2201", "丁", "13800002201")]})
    waits: list[float] = []
    with sessions() as session, session.begin():
        report = sync_from_http(session, hr.url("/hr"), actor="cli", backoff=0.5, sleep=waits.append, today=TODAY)
    assert report.created == 1
    assert waits == [0.5, 1.0]
    assert hr.paths() == ["/hr", "/hr", "/hr"]


@SQLITE_ONLY
def test_a_timeout_is_retried_then_succeeds(sessions, world: World, hr: HrDirectory) -> None:
    hr.serve("/hr", HANG, {"employees": [person("E2301", "戊", "13800002301")]})
    with sessions() as session, session.begin():
        report = sync_from_http(session, hr.url("/hr"), actor="cli", timeout=(2.0, 0.3), sleep=no_wait, today=TODAY)
    assert report.created == 1 and len(hr.seen) == 2


def test_a_directory_that_never_answers_fails_and_writes_nothing(sessions, world: World, hr: HrDirectory) -> None:
    hr.serve("/hr", HANG)
    before = snapshot(sessions)
    with pytest.raises(HrSyncError) as failed, sessions() as session, session.begin():
        sync_from_http(session, hr.url("/hr"), actor="cli", timeout=(2.0, 0.3), retries=1, sleep=no_wait)
    assert "ReadTimeout" in failed.value.message and "已重试 1 次" in failed.value.message
    assert len(hr.seen) == 2
    assert snapshot(sessions) == before


def test_malformed_json_on_the_second_page_writes_nothing(sessions, world: World, hr: HrDirectory) -> None:
    hr.serve("/hr", {"employees": [person("E2401", "己", "13800002401")], "next": "/hr?p=2"})
    hr.serve("/hr?p=2", (200, b'{"employees": [{"employee_no": "E2402",'))
    before = snapshot(sessions)
    with pytest.raises(HrSyncError) as failed, sessions() as session, session.begin():
        sync_from_http(session, hr.url("/hr"), actor="cli", sleep=no_wait)
    assert "不是有效的 JSON" in failed.value.message
    assert snapshot(sessions) == before


def test_bad_records_are_all_listed_and_nothing_is_written(sessions, world: World, hr: HrDirectory) -> None:
    hr.serve(
        "/hr",
        {
            "employees": [
                person("E2501", "庚", "13800002501"),
                person("E2502", "辛", "2345"),
                {**person("E2503", "", "13800002503"), "org_unit": "NOPE"},
                {**person("E1001", "张三", "13800000001"), "active": "yes"},
            ]
        },
    )
    before = snapshot(sessions)
    with pytest.raises(HrSyncError) as failed, sessions() as session, session.begin():
        sync_from_http(session, hr.url("/hr"), actor="cli", deactivate_missing=True, today=TODAY)
    found = [(e.line, e.employee_no) for e in failed.value.errors]
    assert found == [(2, "E2502"), (3, "E2503"), (3, "E2503"), (4, "E1001")]
    text = str(failed.value)
    assert "第 2 条记录（工号 E2502）：手机号“2345”不正确" in text
    assert "缺少姓名" in text and "找不到单位“NOPE”" in text and "在职状态" in text
    assert snapshot(sessions) == before


def test_missing_employees_are_deactivated_never_deleted(sessions, world: World, hr: HrDirectory) -> None:
    hr.serve(
        "/hr",
        {
            "employees": [
                {**person("E1001", "张三", "13800000001"), "birth_date": "1990-05-01"},
                {**person("E1003", "欧阳娜娜", "13800000003"), "birth_date": "1995-07-09", "active": False},
            ]
        },
    )
    with sessions() as session, session.begin():
        report = sync_from_http(session, hr.url("/hr"), actor="cli", deactivate_missing=True, today=TODAY)
    assert (report.created, report.updated, report.unchanged, report.deactivated) == (0, 0, 1, 2)
    with sessions() as session:
        active = dict(session.execute(select(Employee.employee_no, Employee.active)).all())
        assert active == {"E1001": True, "E1002": False, "E1003": False}  # still there, with their history

    # Listed again later: active again.
    hr.serve("/hr", {"employees": [{**person("E1002", "李四", "13800000002"), "birth_date": "1958-03-02"}]})
    with sessions() as session, session.begin():
        again = sync_from_http(session, hr.url("/hr"), actor="cli", today=TODAY)
    assert again.updated == 1
    with sessions() as session:
        assert employee_by_no(session, "E1002").active


def test_an_empty_directory_never_deactivates_everyone(sessions, world: World, hr: HrDirectory) -> None:
    hr.serve("/hr", {"employees": [], "next": None})
    before = snapshot(sessions)
    with pytest.raises(HrSyncError, match="no employees"), sessions() as session, session.begin():
        sync_from_http(session, hr.url("/hr"), actor="cli", deactivate_missing=True)
    assert snapshot(sessions) == before


class NestedChineseAdapter:
    """An HR system answering {"code": 0, "data": {"list": [{"gh", "xm", "sj", "bm"}], "hasMore", "pageNo"}}
    (the example adapter in docs/people.md)."""

    def parse_page(self, payload: Any, page_url: str) -> HrPage:
        if payload.get("code") != 0:
            raise ValueError(f"HR error code {payload.get('code')}")
        data = payload["data"]
        records = [
            {"employee_no": r["gh"], "name": r["xm"], "phone": r.get("sj"), "org_unit": r["bm"]} for r in data["list"]
        ]
        next_url = with_query(page_url, pageNo=data["pageNo"] + 1) if data["hasMore"] else None
        return HrPage(records, next_url)


@SQLITE_ONLY
def test_a_custom_adapter_reads_another_hr_system(sessions, world: World, hr: HrDirectory) -> None:
    page1 = {
        "code": 0,
        "data": {
            "list": [{"gh": "E2601", "xm": "壬", "sj": "13800002601", "bm": "测试车间"}],
            "hasMore": True,
            "pageNo": 1,
        },
    }
    page2 = {
        "code": 0,
        "data": {"list": [{"gh": "E2602", "xm": "癸", "sj": None, "bm": "U2"}], "hasMore": False, "pageNo": 2},
    }
    hr.serve("/openapi/emp", page1)
    hr.serve("/openapi/emp?pageNo=2", page2)
    with sessions() as session, session.begin():
        report = sync_from_http(session, hr.url("/openapi/emp"), actor="cli", adapter=NestedChineseAdapter())
    assert (report.created, report.pages) == (2, 2)
    hr.serve("/openapi/emp", {"code": 40001, "msg": "token expired"})
    with pytest.raises(HrSyncError, match="HR error code 40001"), sessions() as session, session.begin():
        sync_from_http(session, hr.url("/openapi/emp"), actor="cli", adapter=NestedChineseAdapter())


def test_cli_sync_reports_counts_and_failures(db_url: str, world: World, hr: HrDirectory, capsys) -> None:  # type: ignore[no-untyped-def]
    hr.serve("/hr", {"employees": [{**person("E1001", "张三", "13800000001"), "birth_date": "1990-05-01"}]})
    args = ["--database-url", db_url, "people", "sync", "--url", hr.url("/hr"), "--token", "t", "--deactivate-missing"]
    assert main(args) == 0
    assert "新增 0，更新 0，停用 2，未变 1" in capsys.readouterr().out

    hr.serve("/hr", (404, b"{}"))
    assert main(args) == 2
    assert "HTTP 404" in capsys.readouterr().err


# --- fetching only (no database) ------------------------------------------------------------------------


def test_access_refused_is_not_retried(hr: HrDirectory) -> None:
    hr.serve("/hr", (401, b'{"error": "bad token"}'))
    with pytest.raises(HrSyncError, match="令牌") as failed:
        fetch_directory(hr.url("/hr"), token="wrong", sleep=no_wait)
    assert failed.value.status == 502 and len(hr.seen) == 1


def test_the_token_is_never_sent_to_another_server(hr: HrDirectory) -> None:
    other = f"http://localhost:{hr.port}/steal"  # same port, but another origin
    hr.serve("/hr", {"employees": [], "next": other})
    with pytest.raises(HrSyncError, match="另一台服务器"):
        fetch_directory(hr.url("/hr"), token="s3cret")
    assert hr.paths() == ["/hr"]


def test_a_paging_loop_is_stopped(hr: HrDirectory) -> None:
    hr.serve("/hr?p=1", {"employees": [], "next": "/hr?p=2"})
    hr.serve("/hr?p=2", {"employees": [], "next": "/hr?p=1"})
    with pytest.raises(HrSyncError, match="回到了已取过的页"):
        fetch_directory(hr.url("/hr?p=1"))
    assert hr.paths() == ["/hr?p=1", "/hr?p=2"]


def test_a_page_of_the_wrong_shape_is_refused(hr: HrDirectory) -> None:
    hr.serve("/hr", {"data": []})
    with pytest.raises(HrSyncError, match='no "employees" list'):
        fetch_directory(hr.url("/hr"))


def test_a_connection_refused_is_retried_then_reported() -> None:
    waits: list[float] = []
    with pytest.raises(HrSyncError, match="ConnectionError") as failed:
        fetch_directory(f"http://127.0.0.1:{free_port()}/hr", retries=2, backoff=1.0, sleep=waits.append)
    assert waits == [1.0, 2.0]
    assert "已重试 2 次" in failed.value.message


def test_the_documented_example_page_reads_with_the_default_adapter() -> None:
    payload = json.loads((REPO / "docs" / "examples" / "hr-directory-page.json").read_text(encoding="utf-8"))
    page = DefaultHrAdapter().parse_page(payload, "https://hr.example.com/hr/api/v1/employees")
    assert [r["employee_no"] for r in page.records] == ["200001", "200006"]
    assert page.records[1]["active"] is False and page.records[1]["phone"] is None
    assert page.next_url == "https://hr.example.com/hr/api/v1/employees?cursor=eyJpZCI6MjAwMDA2fQ"
