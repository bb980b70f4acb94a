"""FAQ endpoints: search for kiosks and officers, edits for admins, outcome counts from kiosks.

Only admins edit: the knowledge base is shared by every center, and a center supervisor's
change would reach all of them. Supervisors read the list and the report for their center.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from suqiu_queue.domain.enums import DeviceKind, Role
from suqiu_queue.domain.errors import Forbidden, Invalid
from suqiu_queue.domain.hours import service_date

from ..context import Ctx, get_ctx
from ..org.service import category_by_code, center_by_code, center_by_id
from ..security import ALL_OFFICERS, Principal, access
from . import service
from .models import FaqEntry

router = APIRouter(prefix="/api/v1", tags=["faq"])

KIOSK = f"device:{DeviceKind.KIOSK}"
READERS = (KIOSK, *ALL_OFFICERS)
EDITORS = (Role.ADMIN,)
REPORT_READERS = (Role.ADMIN, Role.SUPERVISOR)


class FaqIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(min_length=1, max_length=64)
    question: str = Field(min_length=2, max_length=200)
    answer: str = Field(min_length=2, max_length=5000)
    keywords: list[str] = Field(default_factory=list, max_length=30)
    active: bool = True
    sort_order: int = Field(default=0, ge=-100_000, le=100_000)


class FaqPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(default=None, min_length=1, max_length=64)
    question: str | None = Field(default=None, min_length=2, max_length=200)
    answer: str | None = Field(default=None, min_length=2, max_length=5000)
    keywords: list[str] | None = Field(default=None, max_length=30)
    active: bool | None = None
    sort_order: int | None = Field(default=None, ge=-100_000, le=100_000)


def _keywords_ok(keywords: list[str] | None) -> None:
    if keywords and any(len(k) > 40 for k in keywords):
        raise Invalid(
            "keyword_too_long", "关键词过长（每个不超过 40 字）", "A keyword is too long (40 characters at most)"
        )


@router.get("/faq/search")
def search_faq(
    category: str = Query(default="", max_length=64),
    q: str = Query(default="", max_length=200),
    limit: int = Query(default=5, ge=1, le=20),
    ctx: Ctx = Depends(get_ctx),
    _p: Principal = access(*READERS),
) -> dict[str, Any]:
    service.ensure_seeded(ctx.sessions, ctx.now())
    with ctx.read() as session:
        if category:
            category_by_code(session, category)  # a clear 404 for a category that does not exist
        items = service.search(session, category=category or None, q=q, limit=limit)
    return {"category": category or None, "q": q, "items": items}


@router.get("/faq")
def list_faq(
    category: str = Query(default="", max_length=64),
    include_inactive: bool = True,
    ctx: Ctx = Depends(get_ctx),
    _p: Principal = access(*REPORT_READERS),
) -> dict[str, Any]:
    service.ensure_seeded(ctx.sessions, ctx.now())
    with ctx.read() as session:
        query = select(FaqEntry).where(FaqEntry.deleted_at.is_(None))
        if category:
            query = query.where(FaqEntry.category == category)
        if not include_inactive:
            query = query.where(FaqEntry.active.is_(True))
        rows = session.scalars(query.order_by(FaqEntry.category, FaqEntry.sort_order, FaqEntry.id)).all()
        return {"items": [service.entry_out(e) for e in rows]}


@router.get("/faq/stats")
def faq_stats(
    center: str = Query(default="", max_length=64),
    date_from: date | None = None,
    date_to: date | None = None,
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(*REPORT_READERS),
) -> dict[str, Any]:
    """Kiosk outcomes per day and category. Supervisors see their own center only."""
    with ctx.read() as session:
        center_id: int | None = None
        if center:
            center_id = center_by_code(session, center).id
        if principal.role != Role.ADMIN and principal.center_id is not None:
            if center_id is not None and center_id != principal.center_id:
                raise Forbidden("other_center", "不能查看其他中心的数据", "This belongs to another center")
            center_id = principal.center_id
        tz = center_by_id(session, center_id).timezone if center_id is not None else "Asia/Shanghai"
        today = service_date(ctx.now(), tz)
        end = date_to or today
        start = date_from or end - timedelta(days=29)
        if start > end or (end - start).days > 366:
            raise Invalid("invalid_date_range", "日期范围有误（最长一年）", "Invalid date range (one year at most)")
        rows = service.daily_stats(session, center_id=center_id, date_from=start, date_to=end)
    return {"date_from": start.isoformat(), "date_to": end.isoformat(), "rows": rows}


@router.get("/faq/{faq_id}")
def get_faq(faq_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*READERS)) -> dict[str, Any]:
    with ctx.read() as session:
        editor = principal.role in (*EDITORS, *REPORT_READERS)
        entry = service.get_entry(session, faq_id, include_inactive=editor)
        return service.entry_out(entry) if editor else service.search_out(entry)


@router.post("/faq", status_code=201)
def create_faq(body: FaqIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*EDITORS)) -> dict[str, Any]:
    _keywords_ok(body.keywords)
    with ctx.tx() as session:
        entry = service.create(session, data=body.model_dump(), now=ctx.now(), actor=principal.actor)
        return service.entry_out(entry)


@router.patch("/faq/{faq_id}")
def update_faq(
    faq_id: int, body: FaqPatch, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*EDITORS)
) -> dict[str, Any]:
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    _keywords_ok(changes.get("keywords"))
    with ctx.tx() as session:
        entry = service.get_entry(session, faq_id, include_inactive=True)
        service.edit(session, entry, changes=changes, now=ctx.now(), actor=principal.actor)
        return service.entry_out(entry)


@router.delete("/faq/{faq_id}", status_code=204)
def delete_faq(faq_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*EDITORS)) -> Response:
    with ctx.tx() as session:
        entry = service.get_entry(session, faq_id, include_inactive=True)
        service.delete(session, entry, now=ctx.now(), actor=principal.actor)
    return Response(status_code=204)


def _outcome(ctx: Ctx, principal: Principal, faq_id: int, outcome: str) -> Response:
    with ctx.tx() as session:
        entry = service.get_entry(session, faq_id)
        assert principal.center_id is not None  # devices always belong to a center
        center = center_by_id(session, principal.center_id)
        day = service_date(ctx.now(), center.timezone)
        service.count_outcome(session, entry, outcome=outcome, center_id=center.id, day=day)
    return Response(status_code=204)


@router.post("/faq/{faq_id}/viewed", status_code=204)
def faq_viewed(faq_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(KIOSK)) -> Response:
    """The visitor opened this answer on the kiosk."""
    return _outcome(ctx, principal, faq_id, "viewed")


@router.post("/faq/{faq_id}/resolved", status_code=204)
def faq_resolved(faq_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(KIOSK)) -> Response:
    """“问题已解决”: the answer settled it and the visit ends without a ticket."""
    return _outcome(ctx, principal, faq_id, "resolved")


@router.post("/faq/{faq_id}/not-resolved", status_code=204)
def faq_not_resolved(faq_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(KIOSK)) -> Response:
    """“仍需人工”: the visitor goes on to take a ticket."""
    return _outcome(ctx, principal, faq_id, "not_resolved")
