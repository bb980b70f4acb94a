"""Management reports: ``GET /api/v1/reports/{center}?month=2026-10`` (JSON) and ``…/html`` (a page).

Supervisors and admins only (a center-bound supervisor sees their own center), and every read
is audited: a report is a summary of many people's matters. The report is computed in a read
session (on SQLite that never holds the write lock, so kiosks keep issuing tickets meanwhile);
the audit row is written afterwards in its own short transaction.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse

from suqiu_queue.domain.enums import Role
from suqiu_queue.domain.hours import local_now

from ..audit.service import record
from ..context import Ctx, get_ctx
from ..org.service import center_by_code
from ..security import Principal, access, require_center
from . import service
from .render_html import render_html

router = APIRouter(prefix="/api/v1", tags=["reports"])

REPORT_READERS = (Role.SUPERVISOR, Role.ADMIN)
NO_STORE = {"Cache-Control": "no-store, max-age=0", "X-Content-Type-Options": "nosniff"}
PAGE_HEADERS = NO_STORE | {
    # A page of figures: no script, inline styles only, never framed by another site.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}

MONTH = Query(default=None, max_length=7, description="2026-10 (default: the current month)")
YEAR = Query(default=None, ge=service.FIRST_YEAR, le=service.LAST_YEAR, description="2026: the whole year")


def _report(ctx: Ctx, principal: Principal, center_code: str, month: str | None, year: int | None, fmt: str) -> Any:
    with ctx.read() as session:
        center = center_by_code(session, center_code)
        require_center(principal, center.id)
        period = service.parse_period(month=month, year=year, today=local_now(ctx.now(), center.timezone).date())
        report = service.build_report(session, center=center, period=period, now=ctx.now())
    with ctx.tx() as session:
        record(
            session,
            actor=principal.actor,
            action="report.read",
            subject=f"center:{center.code}",
            detail={"period": period.key, "format": fmt},
        )
    return report


@router.get("/reports/{center_code}")
def report_json(
    center_code: str,
    month: str | None = MONTH,
    year: int | None = YEAR,
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(*REPORT_READERS),
) -> JSONResponse:
    """The report's data: cases, time limits, queue, satisfaction, self-service, hot topics."""
    return JSONResponse(_report(ctx, principal, center_code, month, year, "json"), headers=NO_STORE)


@router.get("/reports/{center_code}/html", response_class=HTMLResponse)
def report_html(
    center_code: str,
    month: str | None = MONTH,
    year: int | None = YEAR,
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(*REPORT_READERS),
) -> HTMLResponse:
    """The same report as a self-contained page (for the front desk's supervisor view)."""
    return HTMLResponse(render_html(_report(ctx, principal, center_code, month, year, "html")), headers=PAGE_HEADERS)
