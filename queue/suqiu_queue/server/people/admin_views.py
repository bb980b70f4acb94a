"""Admin endpoints for employees: CSV upload, and the search officers use to find a person.

Included by people/views.py into its router, which carries the ``/api/v1`` prefix; the paths
here are therefore relative to it.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from suqiu_queue.domain.enums import Role
from suqiu_queue.domain.errors import Invalid, SuqiuError, not_found

from ..audit.service import record
from ..context import Ctx, get_ctx
from ..errors import allow_larger_body
from ..org.models import OrgUnit
from ..security import Principal, access
from .importing import ImportReport, import_bytes
from .models import Employee

router = APIRouter(tags=["people"])

IMPORT_PATH = "/api/v1/employees/import"
IMPORT_MAX_BYTES = 5 * 1024 * 1024
# The multipart envelope (boundaries, part headers) comes on top of the file itself.
allow_larger_body(IMPORT_PATH, IMPORT_MAX_BYTES + 64 * 1024)

# Browsers label .csv files differently: Windows with Excel installed says application/vnd.ms-excel.
CSV_MEDIA_TYPES = frozenset(
    {"text/csv", "application/csv", "text/plain", "application/octet-stream", "application/vnd.ms-excel"}
)
OFFICERS = (Role.RECEPTION, Role.HANDLER, Role.COUNSELOR, Role.LEGAL, Role.SUPERVISOR, Role.ADMIN)


class FileTooLarge(SuqiuError):
    status = 413


@router.post(
    "/employees/import",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def import_employees(
    request: Request,
    filename: str | None = Query(default=None, max_length=200, description="file name for the audit log"),
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(Role.ADMIN),
) -> dict[str, Any]:
    """Import employees from a CSV (multipart field ``file``, or the raw body as text/csv), all or nothing.

    422 ``import_rejected`` lists every problem in ``details.rows`` as ``{line, message}``.
    """
    data, name = await _read_upload(request, filename)
    report: ImportReport = await run_in_threadpool(_import, ctx, data, name, principal.actor)
    return {
        **report.as_dict(),
        "rows": report.rows,
        "encoding": report.encoding,
        "ignored_columns": report.ignored_columns,
    }


def _import(ctx: Ctx, data: bytes, filename: str, actor: str) -> ImportReport:
    with ctx.tx() as session:
        return import_bytes(session, data, filename=filename, actor=actor, today=ctx.now().date())


async def _read_upload(request: Request, filename: str | None) -> tuple[bytes, str]:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=5)
        except (HTTPException, MultiPartException) as exc:  # a broken or truncated form
            raise Invalid("bad_upload", "上传的表单格式有误，请重新选择文件上传", "Malformed multipart upload") from exc
        try:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise Invalid(
                    "file_missing", "请选择要上传的 CSV 文件（表单字段 file）", "No file in form field 'file'"
                )
            data = await upload.read(IMPORT_MAX_BYTES + 1)
            name = filename or upload.filename or "upload.csv"
        finally:
            await form.close()
    elif media_type in CSV_MEDIA_TYPES:
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > IMPORT_MAX_BYTES:
                break
        data = bytes(data)
        name = filename or "upload.csv"
    else:
        raise SuqiuError(
            "unsupported_media_type",
            "请以 CSV 文件上传（multipart/form-data 或 text/csv）",
            "Upload a CSV file as multipart/form-data or text/csv",
            status=415,
        )
    if len(data) > IMPORT_MAX_BYTES:
        raise FileTooLarge(
            "file_too_large",
            f"文件过大：上限 {IMPORT_MAX_BYTES // (1024 * 1024)} MB，请分成几个文件导入",
            f"File too large (limit {IMPORT_MAX_BYTES} bytes); split it into several files",
        )
    if not data.strip():
        raise Invalid("empty_file", "上传的文件是空的", "The uploaded file is empty")
    return bytes(data), name


@router.get("/employees")
def search_employees(
    q: str = Query(default="", max_length=64, description="prefix of 工号, name or phone"),
    org_unit: str | None = Query(default=None, max_length=64, description="unit code; includes its sub-units"),
    include_inactive: bool = False,
    limit: int = Query(default=20, ge=1, le=100),
    offset: int = Query(default=0, ge=0, le=100_000),
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(*OFFICERS),
) -> dict[str, Any]:
    """Find employees by the start of their 工号, name or phone. Every search is audited."""
    from .views import employee_out  # the same shape as GET /employees/{no}; views imports this module

    with ctx.tx() as session:
        query = select(Employee)
        if not include_inactive:
            query = query.where(Employee.active.is_(True))
        if org_unit:
            query = query.where(Employee.org_unit_id.in_(_unit_and_descendants(session, org_unit.strip())))
        term = q.strip()
        if term:
            query = query.where(_matches_prefix(term))
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        employees = session.scalars(
            query.options(joinedload(Employee.org_unit)).order_by(Employee.employee_no).limit(limit).offset(offset)
        ).all()
        # Who looked for whom: the people shown, not the words typed (they may be a name or phone).
        record(
            session,
            actor=principal.actor,
            action="employee.search",
            detail={
                "query_length": len(term),
                "org_unit": org_unit,
                "include_inactive": include_inactive,
                "offset": offset,
                "total": total,
                "shown": [e.id for e in employees],
            },
        )
        today = ctx.now().date()
        return {
            "items": [employee_out(e, today) for e in employees],
            "total": total,
            "limit": limit,
            "offset": offset,
        }


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matches_prefix(term: str) -> Any:
    from .importing import clean_name, clean_text

    pattern = _escape_like(clean_text(term)) + "%"
    conditions = [
        Employee.employee_no.ilike(pattern, escape="\\"),
        Employee.name.like(_escape_like(clean_name(term)) + "%", escape="\\"),
    ]
    # Phones are stored as 11 digits; "+86 138-0000" should find 13800000001.
    phone = re.sub(r"^(\+86|0086)", "", re.sub(r"[\s\-()（）]", "", clean_text(term)))
    if len(phone) >= 3 and phone.isdigit():
        conditions.append(Employee.phone.like(phone + "%"))
    return or_(*conditions)


def _unit_and_descendants(session: Session, code: str) -> list[int]:
    units = session.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.parent_id)).all()
    root = next((u.id for u in units if u.code == code), None)
    if root is None:
        raise not_found("单位", "Org unit", code)
    children: dict[int | None, list[int]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u.id)
    found, stack = [], [root]
    while stack:
        unit_id = stack.pop()
        found.append(unit_id)
        stack += children.get(unit_id, [])
    return found
