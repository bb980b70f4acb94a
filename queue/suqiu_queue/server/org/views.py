"""Centers, counters and categories. Categories are seeded from assets and editable by admins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from suqiu_queue.domain.enums import DeviceKind, Lane, Role
from suqiu_queue.domain.errors import Conflict, Invalid
from suqiu_queue.domain.hours import OpeningHours, local_now

from ..audit.service import record
from ..context import Ctx, get_ctx
from ..events.service import emit
from ..security import ALL_OFFICERS, PUBLIC, Principal, access
from . import cache as org_cache
from .models import Category, Center, Counter, OrgUnit
from .service import category_by_code, center_by_code

router = APIRouter(prefix="/api/v1", tags=["organisation"])

EVERYONE = (*ALL_OFFICERS, *(f"device:{k.value}" for k in DeviceKind))


def category_out(c: Category) -> dict[str, Any]:
    return {
        "code": c.code,
        "prefix": c.prefix,
        "name": c.name_zh,
        "name_en": c.name_en,
        "description": c.description_zh,
        "description_en": c.description_en,
        "icon": c.icon,
        "default_lane": c.default_lane,
        "priority_rules": c.priority_rules,
        "sla_policy": c.sla_policy,
        "default_service_minutes": c.default_service_minutes,
        "sort_order": c.sort_order,
        "active": c.active,
    }


def center_out(center: Center, now: Any | None = None) -> dict[str, Any]:
    out = {
        "code": center.code,
        "name": center.name,
        "org_unit": center.org_unit.code,
        "org_unit_name": center.org_unit.name,
        "timezone": center.timezone,
        "opening_hours": center.opening_hours,
        "max_recalls": center.max_recalls,
        "counters": [
            {
                "id": c.id,
                "number": c.number,
                "name": c.name,
                "paused": c.paused,
                "open": c.open,
                "categories": [x.code for x in c.categories],
            }
            for c in center.counters
        ],
    }
    if now is not None:
        out["open_now"] = OpeningHours.parse(center.opening_hours).is_open(local_now(now, center.timezone))
    return out


@router.get("/categories")
def list_categories(ctx: Ctx = Depends(get_ctx), _p: Principal | None = access(PUBLIC)) -> list[dict[str, Any]]:
    with ctx.read() as session:
        rows = session.scalars(select(Category).order_by(Category.sort_order, Category.id)).all()
        return [category_out(c) for c in rows]


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    prefix: str = Field(min_length=1, max_length=4, pattern=r"^[A-Z]+$")
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)
    description_en: str = Field(default="", max_length=500)
    icon: str = Field(default="", max_length=64)
    default_lane: str = "normal"
    priority_rules: dict[str, Any] = Field(default_factory=dict)
    sla_policy: str = Field(default="", max_length=64)
    default_service_minutes: int = Field(default=10, ge=1, le=480)
    sort_order: int = 0
    active: bool = True


class CategoryPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    name_en: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    description_en: str | None = Field(default=None, max_length=500)
    icon: str | None = Field(default=None, max_length=64)
    default_lane: str | None = None
    priority_rules: dict[str, Any] | None = None
    sla_policy: str | None = Field(default=None, max_length=64)
    default_service_minutes: int | None = Field(default=None, ge=1, le=480)
    sort_order: int | None = None
    active: bool | None = None


def _check_lane(lane: str) -> None:
    if lane not in {x.value for x in Lane}:
        raise Invalid("invalid_lane", f"无效的通道：{lane}", f"Invalid lane: {lane}")


@router.post("/categories", status_code=201)
def create_category(
    body: CategoryIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(Role.ADMIN)
) -> dict[str, Any]:
    _check_lane(body.default_lane)
    with ctx.tx() as session:
        clash = session.scalar(select(Category).where((Category.code == body.code) | (Category.prefix == body.prefix)))
        if clash is not None:
            raise Conflict(
                "category_exists", "业务类别代码或字母前缀已被使用", "Category code or prefix already in use"
            )
        data = body.model_dump()
        category = Category(
            code=data.pop("code"),
            prefix=data.pop("prefix"),
            name_zh=data.pop("name"),
            name_en=data.pop("name_en"),
            description_zh=data.pop("description"),
            **data,
        )
        session.add(category)
        session.flush()
        record(
            session,
            actor=principal.actor,
            action="category.create",
            subject=f"category:{category.code}",
            detail=body.model_dump(),
        )
        emit(session, "category.changed", {"category": category.code}, center_id=None)
        out = category_out(category)
    org_cache.clear()  # this replica at once; the others on the category.changed event
    return out


@router.patch("/categories/{code}")
def update_category(
    code: str, body: CategoryPatch, ctx: Ctx = Depends(get_ctx), principal: Principal = access(Role.ADMIN)
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    if "default_lane" in changes and changes["default_lane"] is not None:
        _check_lane(changes["default_lane"])
    with ctx.tx() as session:
        category = session.scalar(select(Category).where(Category.code == code))
        if category is None:
            category_by_code(session, code)  # raises the standard not-found error
        assert category is not None
        renames = {"name": "name_zh", "description": "description_zh"}
        for key, value in changes.items():
            if value is not None:
                setattr(category, renames.get(key, key), value)
        record(session, actor=principal.actor, action="category.update", subject=f"category:{code}", detail=changes)
        emit(session, "category.changed", {"category": code}, center_id=None)
        out = category_out(category)
    org_cache.clear()
    return out


@router.get("/centers")
def list_centers(ctx: Ctx = Depends(get_ctx), _p: Principal = access(*EVERYONE)) -> list[dict[str, Any]]:
    with ctx.read() as session:
        return [center_out(c, ctx.now()) for c in session.scalars(select(Center).order_by(Center.id)).all()]


@router.get("/centers/{center_code}")
def get_center(center_code: str, ctx: Ctx = Depends(get_ctx), _p: Principal | None = access(PUBLIC)) -> dict[str, Any]:
    """Public: the board and the ticket status page show the center's name and hours."""
    with ctx.read() as session:
        return center_out(center_by_code(session, center_code), ctx.now())


@router.get("/org-units")
def list_org_units(ctx: Ctx = Depends(get_ctx), _p: Principal = access(*ALL_OFFICERS)) -> list[dict[str, Any]]:
    with ctx.read() as session:
        return [
            {"id": u.id, "code": u.code, "name": u.name, "level": u.level, "parent_id": u.parent_id}
            for u in session.scalars(select(OrgUnit).order_by(OrgUnit.level, OrgUnit.id)).all()
        ]


class CounterPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=100)
    categories: list[str] | None = None
    open: bool | None = None


@router.patch("/counters/{counter_id}")
def update_counter(
    counter_id: int,
    body: CounterPatch,
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(Role.ADMIN, Role.SUPERVISOR),
) -> dict[str, Any]:
    from .service import counter_by_id

    with ctx.tx() as session:
        counter: Counter = counter_by_id(session, counter_id)
        if body.name is not None:
            counter.name = body.name
        if body.open is not None:
            counter.open = body.open
        if body.categories is not None:
            counter.categories = [category_by_code(session, code) for code in body.categories]
        record(
            session,
            actor=principal.actor,
            action="counter.update",
            subject=f"counter:{counter.id}",
            detail=body.model_dump(exclude_unset=True),
        )
        emit(
            session,
            "counter.changed",
            {"counter_id": counter.id, "counter_number": counter.number},
            center_id=counter.center_id,
        )
        return {
            "id": counter.id,
            "number": counter.number,
            "name": counter.name,
            "open": counter.open,
            "categories": [c.code for c in counter.categories],
        }
