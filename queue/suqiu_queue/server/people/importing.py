"""Importing employees from a CSV file, and the validate-then-apply core the HR sync shares.

A file from HR is either taken whole or not at all: every row is checked first and every
problem is reported with its line number, in Chinese, so the person fixing the spreadsheet can
work through the list once. Only a clean file writes anything, in the caller's transaction.

Excel in China saves CSV as GBK (or GB18030), sometimes as UTF-8 with a BOM, and "Unicode text"
is UTF-16 with tabs; all of them are recognised. Headers may be Chinese or English.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from suqiu_queue.domain.errors import Invalid

from ..audit.service import record
from ..db import utcnow
from ..events.service import emit
from ..org.models import OrgUnit
from .models import Employee

# The employee fields a file or the HR directory may carry, in the order of the sample file.
FIELDS = ("employee_no", "name", "org_unit", "birth_date", "phone", "hire_date")
REQUIRED_COLUMNS = ("employee_no", "name")

FIELD_LABELS_ZH = {
    "employee_no": "工号",
    "name": "姓名",
    "org_unit": "单位编码",
    "birth_date": "出生日期",
    "phone": "手机号",
    "hire_date": "入职日期",
    "active": "在职状态",
}

# Header spellings seen in HR exports. Compared after _header_key(): no spaces, no "*" marks
# (templates star required columns), lower case.
HEADER_ALIASES: dict[str, str] = {
    alias: name
    for name, aliases in {
        "employee_no": (
            "工号",
            "员工工号",
            "职工工号",
            "员工编号",
            "职工编号",
            "人员编号",
            "employee_no",
            "employeeno",
            "staff_no",
        ),
        "name": ("姓名", "员工姓名", "职工姓名", "name", "full_name"),
        "org_unit": (
            "单位编码",
            "单位代码",
            "单位",
            "单位名称",
            "所属单位",
            "org_unit",
            "org_unit_code",
            "orgunit",
            "unit",
        ),
        "birth_date": ("出生日期", "出生年月日", "birth_date", "birthdate", "birthday", "date_of_birth"),
        "phone": ("手机号", "手机号码", "手机", "移动电话", "phone", "mobile", "mobile_phone"),
        "hire_date": ("入职日期", "入职时间", "hire_date", "hiredate", "date_of_hire"),
    }.items()
    for alias in aliases
}

EMPLOYEE_NO_RE = re.compile(r"^[A-Za-z0-9-]{1,32}$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_DATE_SEPARATED = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+0{1,2}:00(?::00)?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CJK = r"\u3400-\u9fff\uf900-\ufaff·"
_SPACE_NEXT_TO_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
MINIMUM_WORKING_AGE = 16  # 《劳动法》: nobody under 16 may be employed; a younger age is a typing error
DATE_HINT = "应为 2026-11-22、2026/11/22 或 20261122"


# --- reports and errors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: ``line`` is the file line (header = 1) or, for the HR directory, the record number."""

    line: int
    message: str
    employee_no: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message, "employee_no": self.employee_no}


class ImportFailed(Invalid):
    """The file was refused; nothing was written. ``errors`` lists every problem found."""

    MAX_ROWS_IN_DETAILS = 1000

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        shown = self.errors[: self.MAX_ROWS_IN_DETAILS]
        super().__init__(
            "import_rejected",
            f"导入失败：发现 {len(self.errors)} 处错误，未写入任何数据，请修改后重新导入",
            f"Import refused: {len(self.errors)} problem(s) found, nothing was written",
            details={"rows": [{"line": e.line, "message": e.message} for e in shown], "total": len(self.errors)},
        )


@dataclass
class ApplyCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
        }


@dataclass
class ImportReport(ApplyCounts):
    rows: int = 0
    encoding: str = ""
    ignored_columns: list[str] = field(default_factory=list)


# --- cleaning single values (pure) ------------------------------------------------------------------


def clean_text(value: str) -> str:
    """Full-width letters and digits (Ｅ１００１) become ASCII; outer spaces go."""
    return unicodedata.normalize("NFKC", value).strip()


def clean_name(value: str) -> str:
    """Excel users pad two-character names to line them up (张  三): drop spaces next to Chinese."""
    text = _SPACE_NEXT_TO_CJK.sub("", unicodedata.normalize("NFKC", value).strip())
    return re.sub(r"\s+", " ", text)


def parse_date(value: str) -> date:
    """2026-11-22, 2026/11/22, 2026.11.22, 2026年11月22日 or 20261122 (Excel may add 00:00:00)."""
    text = clean_text(value)
    match = _DATE_SEPARATED.match(text) or _DATE_COMPACT.match(text)
    if match is None:
        raise ValueError(text)
    year, month, day = (int(part) for part in match.groups())
    return date(year, month, day)  # raises ValueError for 2026-02-30


def normalise_phone(value: str) -> str:
    """Digits of a mainland mobile number: +86 / 0086 and spaces, dashes, brackets removed."""
    text = clean_text(value)
    if re.fullmatch(r"[\d.]+[eE]\+?\d+", text):
        raise ValueError("Excel 把手机号存成了科学计数法，请把该列设为“文本”格式后重新导出")
    digits = re.sub(r"[\s\-()（）]", "", text)
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not MOBILE_RE.match(digits):
        raise ValueError("应为 11 位手机号码")
    return digits


# --- reading the file ---------------------------------------------------------------------------------


def decode_csv(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was in. Raises ImportFailed for what is not a CSV text."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFailed(
            [RowError(0, "这是 Excel 工作簿（.xlsx/.xls），不是 CSV 文件：请在 Excel 中「另存为」CSV 后再导入")]
        )
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        # UTF-8 first: GBK would also "decode" most UTF-8 bytes, into nonsense. GB18030 is the
        # superset of GBK that Excel and WPS write, so it also reads rare characters in names.
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return data.decode(encoding), "gbk" if encoding == "gb18030" else encoding
        except UnicodeDecodeError:
            continue
    raise ImportFailed([RowError(0, "无法识别文件编码，请用 Excel 另存为「CSV UTF-8」或「CSV（逗号分隔）」格式")])


def _header_key(text: str) -> str:
    return re.sub(r"[\s*＊]", "", unicodedata.normalize("NFKC", text)).lower()


def _delimiter(first_line: str) -> str:
    """Comma normally; tab for Excel's "Unicode text"; semicolon from some European-locale exports."""
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass
class RawRecord:
    """One row as read: ``values`` holds only the fields the source carries (None = empty cell)."""

    line: int
    values: dict[str, Any]


HEADER_SEARCH_ROWS = 5  # templates often put a title such as "职工花名册" above the header


def read_rows(text: str) -> tuple[list[RawRecord], list[str]]:
    """Rows keyed by field name, and the header names that were not recognised (ignored)."""
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    lines: list[tuple[int, list[str]]] = []
    previous_end = 0
    try:
        for cells in reader:
            start = previous_end + 1  # a quoted cell may span lines: report where the row starts
            previous_end = reader.line_num
            if any(cell.strip() for cell in cells):
                lines.append((start, cells))
    except csv.Error as exc:  # an unclosed quote running to the end, a NUL byte, a giant cell
        raise ImportFailed([RowError(previous_end + 1, f"CSV 格式有误，无法继续读取：{exc}")]) from exc
    if not lines:
        raise ImportFailed([RowError(1, "文件是空的，没有表头和数据")])
    header_at = next((i for i, (_line, cells) in enumerate(lines[:HEADER_SEARCH_ROWS]) if _names_employee_no(cells)), 0)
    header_line, header = lines[header_at]
    columns, ignored, errors = _map_header(header, header_line)
    rows: list[RawRecord] = []
    for line, cells in lines[header_at + 1 :]:
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
            errors.append(
                RowError(line, f"本行有 {len(cells)} 列，比表头多（表头 {len(header)} 列）：可能有未加引号的逗号")
            )
            continue
        values = {name: (cells[i].strip() or None) if i < len(cells) else None for i, name in columns.items()}
        rows.append(RawRecord(line, values))
    if not rows and not errors:
        errors.append(RowError(header_line, "文件只有表头，没有职工数据"))
    if errors:
        raise ImportFailed(errors)
    return rows, ignored


def _names_employee_no(cells: list[str]) -> bool:
    return any(HEADER_ALIASES.get(_header_key(cell)) == "employee_no" for cell in cells)


def _map_header(cells: list[str], line: int) -> tuple[dict[int, str], list[str], list[RowError]]:
    columns: dict[int, str] = {}
    ignored: list[str] = []
    errors: list[RowError] = []
    seen: dict[str, str] = {}
    for index, cell in enumerate(cells):
        name = HEADER_ALIASES.get(_header_key(cell))
        if name is None:
            if cell.strip():
                ignored.append(cell.strip())
            continue
        if name in seen:
            errors.append(RowError(line, f"表头中“{seen[name]}”和“{cell.strip()}”是同一列（{FIELD_LABELS_ZH[name]}）"))
            continue
        seen[name] = cell.strip()
        columns[index] = name
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            errors.append(
                RowError(line, f"表头缺少“{FIELD_LABELS_ZH[name]}”列（可写作 {FIELD_LABELS_ZH[name]} 或 {name}）")
            )
    return columns, ignored, errors


# --- validating ---------------------------------------------------------------------------------------


@dataclass
class EmployeeRecord:
    """A checked row: ``values`` are model attributes (org_unit_id, dates as date) to set."""

    line: int
    employee_no: str
    values: dict[str, Any]


class UnitResolver:
    """Org unit by code (exact, then ignoring case) or by full name when only one unit has it."""

    def __init__(self, session: Session) -> None:
        units = session.scalars(select(OrgUnit)).all()
        self.by_code = {u.code: u.id for u in units}
        self.by_code_folded: dict[str, list[int]] = {}
        self.by_name: dict[str, list[int]] = {}
        for u in units:
            self.by_code_folded.setdefault(u.code.casefold(), []).append(u.id)
            self.by_name.setdefault(clean_name(u.name), []).append(u.id)

    def resolve(self, value: str) -> int:
        text = clean_text(value)
        if text in self.by_code:
            return self.by_code[text]
        folded = self.by_code_folded.get(text.casefold(), [])
        if len(folded) == 1:
            return folded[0]
        named = self.by_name.get(clean_name(text), [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise ValueError(f"单位名称“{text}”对应 {len(named)} 个单位，请改用单位编码")
        raise ValueError(f"找不到单位“{text}”，请填写系统中已有的单位编码或单位全称")


def _as_text(value: Any) -> str | None:
    """Cells are text; JSON may give numbers (a phone as 13800000001). Booleans and floats are not values."""
    if value is None:
        return None
    if isinstance(value, bool | float):
        raise TypeError(type(value).__name__)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    raise TypeError(type(value).__name__)


def validate_records(
    session: Session, raws: Iterable[RawRecord], *, today: date, what: str = "行"
) -> list[EmployeeRecord]:
    """Check every record; raise ImportFailed listing every problem, or return the clean records."""
    units = UnitResolver(session)
    errors: list[RowError] = []
    records: list[EmployeeRecord] = []
    first_seen: dict[str, int] = {}
    for raw in raws:
        row_errors: list[str] = []
        values: dict[str, Any] = {}
        text: dict[str, str | None] = {}
        for name in (*FIELDS, "active"):
            if name not in raw.values:
                continue
            if name == "active":
                flag = raw.values[name]
                if flag is None:
                    continue
                if not isinstance(flag, bool):
                    row_errors.append("在职状态应为 true 或 false")
                    continue
                values["active"] = flag
                continue
            try:
                text[name] = _as_text(raw.values[name])
            except TypeError:
                row_errors.append(f"{FIELD_LABELS_ZH[name]}的值类型不对")

        employee_no = clean_text(text.get("employee_no") or "")
        if not employee_no:
            row_errors.append("缺少工号")
        elif not EMPLOYEE_NO_RE.match(employee_no):
            row_errors.append(f"工号“{employee_no}”格式不对：只能包含字母、数字和连字符，最长 32 位")
        elif employee_no in first_seen:
            row_errors.append(f"工号 {employee_no} 与第 {first_seen[employee_no]} {what}重复")
        else:
            first_seen[employee_no] = raw.line

        name = clean_name(text.get("name") or "")
        if not name:
            row_errors.append("缺少姓名")
        elif len(name) > 100:
            row_errors.append("姓名过长（最多 100 个字）")
        else:
            values["name"] = name

        if "org_unit" in text:
            unit = text["org_unit"]
            if unit is None:
                values["org_unit_id"] = None
            else:
                try:
                    values["org_unit_id"] = units.resolve(unit)
                except ValueError as exc:
                    row_errors.append(str(exc))

        for date_field in ("birth_date", "hire_date"):
            if date_field not in text:
                continue
            value = text[date_field]
            if value is None:
                values[date_field] = None
                continue
            try:
                values[date_field] = parse_date(value)
            except ValueError:
                row_errors.append(f"{FIELD_LABELS_ZH[date_field]}“{value}”不是有效日期（{DATE_HINT}）")
        row_errors += _date_plausibility(values.get("birth_date"), values.get("hire_date"), today)

        if "phone" in text:
            phone = text["phone"]
            if phone is None:
                values["phone"] = None
            else:
                try:
                    values["phone"] = normalise_phone(phone)
                except ValueError as exc:
                    row_errors.append(f"手机号“{phone}”不正确：{exc}")

        if row_errors:
            errors += [RowError(raw.line, message, employee_no or None) for message in row_errors]
        else:
            records.append(EmployeeRecord(raw.line, employee_no, values))
    if errors:
        raise ImportFailed(errors)
    return records


def _date_plausibility(birth: date | None, hire: date | None, today: date) -> list[str]:
    problems = []
    if birth is not None and birth > today:
        problems.append(f"出生日期 {birth.isoformat()} 晚于今天")
    elif birth is not None and birth.year < 1900:
        problems.append(f"出生日期 {birth.isoformat()} 早于 1900 年")
    if birth is not None and hire is not None:
        if birth >= hire:
            problems.append(f"出生日期 {birth.isoformat()} 晚于入职日期 {hire.isoformat()}")
        elif _years_between(birth, hire) < MINIMUM_WORKING_AGE:
            problems.append(f"入职时未满 {MINIMUM_WORKING_AGE} 周岁，请核对出生日期和入职日期")
    return problems


def _years_between(start: date, end: date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


# --- applying -------------------------------------------------------------------------------------------

_CHUNK = 500  # keeps IN (...) lists well under every driver's parameter limit
ANALYZE_AFTER_CREATED = 1000


def apply_records(
    session: Session, records: Sequence[EmployeeRecord], *, source: str, deactivate_missing: bool = False
) -> ApplyCounts:
    """Create or update each record; optionally mark active employees not in ``records`` inactive.

    Employees are never deleted: their tickets, cases and audit trail keep pointing at them.
    """
    counts = ApplyCounts()
    numbers = [r.employee_no for r in records]
    existing: dict[str, Employee] = {}
    for start in range(0, len(numbers), _CHUNK):
        chunk = numbers[start : start + _CHUNK]
        existing.update(
            (e.employee_no, e) for e in session.scalars(select(Employee).where(Employee.employee_no.in_(chunk)))
        )
    for rec in records:
        employee = existing.get(rec.employee_no)
        if employee is None:
            session.add(
                Employee(
                    employee_no=rec.employee_no,
                    name=rec.values["name"],
                    org_unit_id=rec.values.get("org_unit_id"),
                    birth_date=rec.values.get("birth_date"),
                    phone=rec.values.get("phone"),
                    hire_date=rec.values.get("hire_date"),
                    active=rec.values.get("active", True),
                    source=source,
                )
            )
            counts.created += 1
            continue
        # A person listed again is a current employee: the list re-activates them unless it says otherwise.
        wanted = {"active": True, **rec.values}
        changes = {key: value for key, value in wanted.items() if getattr(employee, key) != value}
        if not changes:
            counts.unchanged += 1
            continue
        for key, value in changes.items():
            setattr(employee, key, value)
        employee.source = source
        if changes.get("active") is False:
            counts.deactivated += 1
        else:
            counts.updated += 1
    if deactivate_missing:
        listed = set(numbers)
        for employee in session.scalars(select(Employee).where(Employee.active.is_(True))):
            if employee.employee_no not in listed:
                employee.active = False
                counts.deactivated += 1
    session.flush()
    if counts.created > ANALYZE_AFTER_CREATED and session.get_bind().dialect.name == "postgresql":
        # Until autovacuum gets to it, PostgreSQL still believes the table is small, and the
        # generic plan of the (prepared) lookup above then scans the whole table per chunk:
        # re-importing 50,000 rows right after the first import took 90 s instead of 5.
        session.execute(sql("ANALYZE employees"))
    return counts


def announce(session: Session, counts: ApplyCounts, *, source: str) -> None:
    """An event for screens that cache people (counts only: events never carry names)."""
    if counts.created or counts.updated or counts.deactivated:
        emit(session, "employees.changed", {"source": source, **counts.as_dict()}, center_id=None)


# --- the CSV entry points ----------------------------------------------------------------------------------


def import_bytes(
    session: Session, data: bytes, *, filename: str, actor: str, today: date | None = None
) -> ImportReport:
    """Validate the whole file, then write it in the caller's transaction. Raises ImportFailed."""
    text, encoding = decode_csv(data)
    raws, ignored = read_rows(text)
    records = validate_records(session, raws, today=today or utcnow().date())
    counts = apply_records(session, records, source="import")
    report = ImportReport(**counts.as_dict(), rows=len(records), encoding=encoding, ignored_columns=ignored)
    record(
        session,
        actor=actor,
        action="employee.import",
        subject=f"file:{Path(filename).name}"[:128],
        detail={"file": Path(filename).name[:200], "rows": report.rows, "encoding": encoding, **counts.as_dict()},
    )
    announce(session, counts, source="import")
    return report


def import_csv(session: Session, path: Path, *, actor: str, today: date | None = None) -> ImportReport:
    return import_bytes(session, Path(path).read_bytes(), filename=Path(path).name, actor=actor, today=today)


def raw_records(rows: Iterable[Mapping[str, Any]], *, first_line: int = 1) -> list[RawRecord]:
    """Numbered raw records from mappings (the HR directory's records, numbered from 1)."""
    return [RawRecord(first_line + i, dict(row)) for i, row in enumerate(rows)]
