"""Employee CSV import (all or nothing, every problem by line), the admin upload API and the search.

The seeded world has units U1 测试集团 > U2 测试分公司 > U3 测试车间 and employees E1001 张三,
E1002 李四, E1003 欧阳娜娜 (all in U3, hired 2015-01-01).
"""

from __future__ import annotations

import codecs
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support import PASSWORD, REPO, World

from suqiu_queue.cli import main
from suqiu_queue.server.audit.models import AuditEntry
from suqiu_queue.server.audit.service import verify
from suqiu_queue.server.org.models import OrgUnit
from suqiu_queue.server.people.importing import (
    ImportFailed,
    decode_csv,
    import_bytes,
    import_csv,
    normalise_phone,
    parse_date,
    read_rows,
)
from suqiu_queue.server.people.models import Employee
from suqiu_queue.server.seed import seed_demo

# Refusals, access, the body limit and a second file encoding cannot depend on the database: SQLite
# only. Creating, updating, all-or-nothing writes, auditing and search run on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

TODAY = date(2026, 11, 23)

# As an HR clerk's Excel saves it: Chinese headers, a starred required column, mixed date styles,
# a phone with +86 and dashes, a unit given by its full name, and E1002 exactly as already stored.
CHINESE_FILE = (
    "*工号,姓名,单位编码,出生日期,手机号,入职日期\r\n"
    "E1001,张三,U3,1990-05-01,+86 139-0000-0001,2015-01-01\r\n"
    "E1002,李四,U3,1958/03/02,13800000002,20150101\r\n"
    "E2001,王  伟,测试分公司,19850412,138 0000 2001,2008/7/1\r\n"
    "E2002,刘晓梅,U2,1979-11-30,,\r\n"
)


def employee(session, no: str) -> Employee:  # type: ignore[no-untyped-def]
    found = session.scalar(select(Employee).where(Employee.employee_no == no))
    assert found is not None, no
    return found


def employee_count(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Employee)) or 0)


def bearer(api, role: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    response = api.post("/api/v1/auth/login", json={"username": f"{role}1", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


# --- single values and file reading (no database) ----------------------------------------------------


def test_dates_in_every_accepted_style_and_impossible_dates_refused() -> None:
    assert parse_date("2026-11-22") == date(2026, 11, 22)
    assert parse_date("2026/11/22") == date(2026, 11, 22)
    assert parse_date("20261122") == date(2026, 11, 22)
    assert parse_date("2026/1/5") == date(2026, 1, 5)
    assert parse_date("2026-11-22 00:00:00") == date(2026, 11, 22)  # Excel's date cells
    assert parse_date("２０２６年１１月２２日") == date(2026, 11, 22)  # full-width digits
    for bad in ("2026-02-30", "22.11.2026", "2026112", "明天"):
        with pytest.raises(ValueError):
            parse_date(bad)


def test_phones_are_normalised_to_eleven_digits() -> None:
    assert normalise_phone("+86 138-0000-0001") == "13800000001"
    assert normalise_phone("0086 13800000001") == "13800000001"
    assert normalise_phone("(138)0000 0001") == "13800000001"
    assert normalise_phone("１３８００００００01") == "13800000001"
    for bad in ("12800000001", "1380000000", "010-12345678"):
        with pytest.raises(ValueError, match="11 位"):
            normalise_phone(bad)
    with pytest.raises(ValueError, match="科学计数法"):
        normalise_phone("1.38E+10")


def test_encodings_excel_writes_are_recognised() -> None:
    text = "工号,姓名\nE1,张三\n"
    assert decode_csv(text.encode("gbk")) == (text, "gbk")
    assert decode_csv(codecs.BOM_UTF8 + text.encode()) == (text, "utf-8-sig")
    assert decode_csv(text.encode()) == (text, "utf-8")
    assert decode_csv(text.replace(",", "\t").encode("utf-16")) == (text.replace(",", "\t"), "utf-16")
    # A rare character in a name that only GB18030 (not GBK) has.
    rare = "工号,姓名\nE2,王㐀\n"
    assert decode_csv(rare.encode("gb18030"))[0] == rare
    with pytest.raises(ImportFailed) as refused:
        decode_csv(b"PK\x03\x04 rest of an xlsx")
    assert "另存为" in refused.value.errors[0].message


def test_headers_in_english_title_rows_tabs_and_extra_columns() -> None:
    rows, ignored = read_rows("Employee_No\tName\tPhone\tRemark\nE1\tZhang San\t13800000001\tnone\n")
    assert [r.values for r in rows] == [{"employee_no": "E1", "name": "Zhang San", "phone": "13800000001"}]
    assert ignored == ["Remark"]
    rows, _ = read_rows("职工花名册,,\n\n工号,姓名,备注\nE1,张三,\n,,\nE2,李四,\n")
    assert [(r.line, r.values["employee_no"]) for r in rows] == [(4, "E1"), (6, "E2")]
    with pytest.raises(ImportFailed) as refused:
        read_rows("编号,名字\n1,张三\n")
    assert [e.line for e in refused.value.errors] == [1, 1]
    assert "工号" in refused.value.errors[0].message and "姓名" in refused.value.errors[1].message


def test_a_quoted_cell_spanning_lines_keeps_line_numbers_right() -> None:
    rows, _ = read_rows('工号,姓名,单位\nE1,张三,"第一\n车间"\nE2,李四,U3\n')
    assert [(r.line, r.values["employee_no"]) for r in rows] == [(2, "E1"), (4, "E2")]


# --- importing into the database (SQLite and PostgreSQL) -------------------------------------------------


def test_gbk_file_with_chinese_headers_creates_updates_and_counts_unchanged(sessions, world: World) -> None:
    with sessions() as session, session.begin():
        employee(session, "E1002").source = "manual"
    with sessions() as session, session.begin():
        report = import_bytes(session, CHINESE_FILE.encode("gbk"), filename="职工.csv", actor="test", today=TODAY)
    assert (report.created, report.updated, report.unchanged) == (2, 1, 1)
    assert report.encoding == "gbk"
    with sessions() as session:
        zhang = employee(session, "E1001")
        assert zhang.phone == "13900000001" and zhang.source == "import"
        assert employee(session, "E1002").source == "manual"  # unchanged rows are left alone
        wang = employee(session, "E2001")
        assert wang.name == "王伟"  # the padding space Excel users type is gone
        assert (wang.birth_date, wang.hire_date) == (date(1985, 4, 12), date(2008, 7, 1))
        assert wang.phone == "13800002001"
        assert wang.org_unit is not None and wang.org_unit.code == "U2"  # found by its full name
        liu = employee(session, "E2002")
        assert liu.phone is None and liu.hire_date is None and liu.active


@SQLITE_ONLY
def test_utf8_bom_file_with_english_headers(sessions, world: World, tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(
        codecs.BOM_UTF8
        + b"employee_no,name,org_unit,birth_date,phone,hire_date\n"
        + "E3001,欧阳修,u3,1970-01-02,13700000001,1992-08-01\n".encode()
    )
    with sessions() as session, session.begin():
        report = import_csv(session, path, actor="test", today=TODAY)
    assert (report.created, report.updated, report.unchanged, report.encoding) == (1, 0, 0, "utf-8-sig")
    with sessions() as session:
        person = employee(session, "E3001")
        assert person.org_unit is not None and person.org_unit.code == "U3"  # code matched ignoring case


def test_every_problem_is_reported_by_line_and_nothing_is_written(sessions, world: World) -> None:
    bad_file = (
        "工号,姓名,单位编码,出生日期,手机号,入职日期\n"
        "E4001,新同事,U3,1990-01-01,13800004001,2015-01-01\n"  # 2: fine on its own
        ",无工号,U3,1990-01-01,13800004002,2015-01-01\n"  # 3
        "E4001,重复,U3,1990-01-01,13800004003,2015-01-01\n"  # 4
        "E4004,甲,U9,1990-01-01,13800004004,2015-01-01\n"  # 5
        "E4005,乙,U3,1990-13-01,13800004005,2015-01-01\n"  # 6
        "E4006,丙,U3,2016-01-01,13800004006,2015-01-01\n"  # 7
        "E4007,丁,U3,1990-01-01,12345,2015-01-01\n"  # 8
        "E1001,,U3,1990-05-01,13800000001,2015-01-01\n"  # 9: would change 张三, but has no name
    )
    before = employee_count(sessions)
    with pytest.raises(ImportFailed) as refused, sessions() as session, session.begin():
        import_bytes(session, bad_file.encode(), filename="bad.csv", actor="test", today=TODAY)
    found = [(e.line, e.message) for e in refused.value.errors]
    expected = [
        (3, "缺少工号"),
        (4, "与第 2 行重复"),
        (5, "找不到单位“U9”"),
        (6, "出生日期“1990-13-01”不是有效日期"),
        (7, "晚于入职日期"),
        (8, "手机号“12345”不正确"),
        (9, "缺少姓名"),
    ]
    assert [line for line, _ in found] == [line for line, _ in expected]
    for (line, message), (want_line, want_text) in zip(found, expected, strict=True):
        assert line == want_line and want_text in message, (line, message)
    assert employee_count(sessions) == before
    with sessions() as session:
        assert employee(session, "E1001").name == "张三"
        assert session.scalar(select(func.count()).where(AuditEntry.action == "employee.import")) == 0


@SQLITE_ONLY
def test_a_unit_name_shared_by_two_units_asks_for_the_code(sessions, world: World) -> None:
    with sessions() as session, session.begin():
        parent = session.scalar(select(OrgUnit).where(OrgUnit.code == "U2"))
        assert parent is not None
        session.add_all(
            [
                OrgUnit(code="U31", name="机修车间", level=3, parent_id=parent.id),
                OrgUnit(code="U32", name="机修车间", level=3, parent_id=parent.id),
            ]
        )
    with pytest.raises(ImportFailed) as refused, sessions() as session, session.begin():
        import_bytes(session, "工号,姓名,单位\nE5001,赵六,机修车间\n".encode(), filename="a.csv", actor="t")
    assert "请改用单位编码" in refused.value.errors[0].message


def test_one_audit_row_per_import_with_counts_not_personal_data(sessions, world: World) -> None:
    with sessions() as session, session.begin():
        import_bytes(session, CHINESE_FILE.encode("gbk"), filename="职工.csv", actor="user:1", today=TODAY)
    with sessions() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "employee.import")).all()
        assert len(entries) == 1
        entry = entries[0]
        assert entry.actor == "user:1"
        assert entry.detail == {
            "file": "职工.csv",
            "rows": 4,
            "encoding": "gbk",
            "created": 2,
            "updated": 1,
            "unchanged": 1,
            "deactivated": 0,
        }
        written = json.dumps(entry.detail, ensure_ascii=False)
        assert "王伟" not in written and "1390000" not in written
        assert verify(session).ok


def test_cli_imports_a_file_and_refuses_a_bad_one(db_url: str, world: World, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "good.csv"
    good.write_bytes(CHINESE_FILE.encode("gbk"))
    assert main(["--database-url", db_url, "people", "import", str(good)]) == 0
    assert "新增 2，更新 1，未变 1" in capsys.readouterr().out

    bad = tmp_path / "bad.csv"
    bad.write_text("工号,姓名,出生日期\nE6001,钱七,1990-01-01\nE6002,孙八,1990-02-31\n", encoding="utf-8")
    assert main(["--database-url", db_url, "people", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "未写入任何数据" in err and "第 3 行" in err and "出生日期“1990-02-31”" in err


# --- the admin API --------------------------------------------------------------------------------------


def test_admin_uploads_multipart_or_text_csv(api, world: World) -> None:
    admin = bearer(api, "admin")
    response = api.post(
        "/api/v1/employees/import",
        files={"file": ("职工名单.csv", CHINESE_FILE.encode("gbk"), "application/vnd.ms-excel")},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"], body["rows"]) == (2, 1, 1, 4)

    again = api.post(
        "/api/v1/employees/import?filename=第二批.csv",
        content="工号,姓名,手机号,备注\nE7001,周九,13800007001,新入职\n".encode(),
        headers={**admin, "Content-Type": "text/csv; charset=utf-8"},
    )
    assert again.status_code == 200, again.text
    assert again.json()["created"] == 1 and again.json()["ignored_columns"] == ["备注"]
    assert api.get("/api/v1/employees/E7001", headers=admin).json()["phone"] == "13800007001"


@SQLITE_ONLY
def test_api_refuses_bad_rows_with_422_listing_them(api, world: World) -> None:
    response = api.post(
        "/api/v1/employees/import",
        content="工号,姓名,入职日期\nE8001,吴十,2015-01-01\nE8001,郑十一,2015-13-01\n".encode(),
        headers={**bearer(api, "admin"), "Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "import_rejected" and "未写入任何数据" in error["message"]
    rows = error["details"]["rows"]
    assert [row["line"] for row in rows] == [3, 3]
    assert "与第 2 行重复" in rows[0]["message"] and "入职日期“2015-13-01”" in rows[1]["message"]
    assert api.get("/api/v1/employees/E8001", headers=bearer(api, "admin")).status_code == 404


@SQLITE_ONLY
def test_only_admins_import_and_uploads_are_checked(api, world: World) -> None:
    csv_body = "工号,姓名\nE9001,冯十二\n".encode()
    for role in ("supervisor", "reception"):
        refused = api.post(
            "/api/v1/employees/import", content=csv_body, headers={**bearer(api, role), "Content-Type": "text/csv"}
        )
        assert refused.status_code == 403, role
    anonymous = api.post("/api/v1/employees/import", content=csv_body, headers={"Content-Type": "text/csv"})
    assert anonymous.status_code == 401
    admin = bearer(api, "admin")
    json_body = api.post("/api/v1/employees/import", json={"rows": []}, headers=admin)
    assert json_body.status_code == 415
    empty = api.post("/api/v1/employees/import", content=b"", headers={**admin, "Content-Type": "text/csv"})
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "empty_file"
    no_file = api.post("/api/v1/employees/import", data={"other": "x"}, files={"x": ("a", b"b")}, headers=admin)
    assert no_file.status_code == 422 and no_file.json()["error"]["code"] == "file_missing"
    broken = api.post(
        "/api/v1/employees/import",
        content=b"--xyz\r\nContent-Type: text/csv\r\n\r\nE1,\r\n--xyz--\r\n",  # a part without its name
        headers={**admin, "Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert broken.status_code == 422 and broken.json()["error"]["code"] == "bad_upload"


@SQLITE_ONLY
def test_files_up_to_five_megabytes_pass_the_body_limit(api, world: World) -> None:
    admin = bearer(api, "admin")
    # Excel leaves formatted but empty rows as ",,"; 600k of them make a 1.2 MB file, over the
    # server's 1 MB default body limit, which this endpoint raises to 5 MB.
    big = ("工号,姓名\nE9101,褚十三\n" + ",\n" * 600_000).encode()
    assert len(big) > 1_000_000
    accepted = api.post("/api/v1/employees/import", files={"file": ("big.csv", big, "text/csv")}, headers=admin)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["created"] == 1
    too_big = b"\xef\xbb\xbf" + b"," * (5 * 1024 * 1024)
    refused = api.post("/api/v1/employees/import", content=too_big, headers={**admin, "Content-Type": "text/csv"})
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "file_too_large"


def test_officers_search_by_prefix_with_unit_filter_and_paging(api, world: World, sessions) -> None:
    reception = bearer(api, "reception")

    def search(**params: object) -> dict:  # type: ignore[type-arg]
        response = api.get("/api/v1/employees", params=params, headers=reception)
        assert response.status_code == 200, response.text
        return response.json()

    assert [e["employee_no"] for e in search(q="e100")["items"]] == ["E1001", "E1002", "E1003"]
    assert [e["name"] for e in search(q="欧阳")["items"]] == ["欧阳娜娜"]
    assert [e["employee_no"] for e in search(q="+86 138-0000-0002")["items"]] == ["E1002"]
    assert search(q="%")["total"] == 0  # LIKE wildcards are taken literally
    page = search(limit=2, offset=2, org_unit="U2")  # U2 includes its 基层单位 U3
    assert page["total"] == 3 and [e["employee_no"] for e in page["items"]] == ["E1003"]
    assert search(org_unit="U1")["total"] == 3
    unknown = api.get("/api/v1/employees", params={"org_unit": "NOPE"}, headers=reception)
    assert unknown.status_code == 404

    with sessions() as session, session.begin():
        employee(session, "E1003").active = False
    assert search(q="E100")["total"] == 2
    assert search(q="E100", include_inactive=True)["total"] == 3

    assert api.get("/api/v1/employees", params={"limit": 500}, headers=reception).status_code == 422
    assert api.get("/api/v1/employees").status_code == 401
    kiosk = api.get("/api/v1/employees", headers={"X-Device-Key": world.device_keys["kiosk"]})
    assert kiosk.status_code == 403

    with sessions() as session:
        searches = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "employee.search").order_by(AuditEntry.id)
        ).all()
        assert len(searches) == 8
        assert searches[1].detail["shown"] == [employee(session, "E1003").id]
        assert "欧阳" not in json.dumps([s.detail for s in searches], ensure_ascii=False)


def test_the_documented_example_file_imports_into_the_demo_enterprise(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session, session.begin():
        seed_demo(session, employees=0, today=TODAY)
    with sessions() as session, session.begin():
        report = import_csv(session, REPO / "docs" / "examples" / "employees.csv", actor="test", today=TODAY)
    assert (report.created, report.rows, report.encoding) == (5, 5, "utf-8-sig")
    with sessions() as session:
        liu = employee(session, "200004")
        assert liu.org_unit is not None and liu.org_unit.code == "HX-OIL-02"  # given as 第二采油厂
        assert employee(session, "200003").phone == "13912340003"
