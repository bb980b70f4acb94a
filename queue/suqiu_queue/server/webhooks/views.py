"""Webhook endpoints for admins: register receivers, see dead letters, replay them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from suqiu_queue.domain.enums import Role

from ..audit.service import record
from ..context import Ctx, get_ctx
from ..org.service import center_by_code
from ..security import Principal, access
from . import service
from .models import WebhookDelivery, WebhookEndpoint

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=8, max_length=500)
    events: list[str] = Field(default_factory=lambda: ["case.*"], max_length=50)
    center: str | None = Field(default=None, max_length=64)


class ActiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool


@router.post("", status_code=201)
def create_endpoint(
    body: EndpointIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(Role.ADMIN)
) -> dict[str, Any]:
    """Register a receiver. The answer carries the signing secret: configure the receiver with it."""
    with ctx.tx() as session:
        center_id = center_by_code(session, body.center).id if body.center else None
        endpoint = service.create_endpoint(
            session,
            name=body.name,
            url=body.url,
            events=body.events,
            center_id=center_id,
            actor=principal.actor,
            now=ctx.now(),
        )
        record(session, actor=principal.actor, action="webhook.create", subject=f"webhook:{endpoint.id}")
        return service.endpoint_out(endpoint, with_secret=True)


@router.get("")
def list_endpoints(ctx: Ctx = Depends(get_ctx), _principal: Principal = access(Role.ADMIN)) -> dict[str, Any]:
    with ctx.tx() as session:
        endpoints = session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
        return {"items": [service.endpoint_out(e) for e in endpoints]}


@router.put("/{endpoint_id}/active")
def set_active(
    endpoint_id: int, body: ActiveIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(Role.ADMIN)
) -> dict[str, Any]:
    with ctx.tx() as session:
        endpoint = service.get_endpoint(session, endpoint_id)
        endpoint.active = body.active
        record(
            session,
            actor=principal.actor,
            action="webhook.active",
            subject=f"webhook:{endpoint.id}",
            detail={"active": body.active},
        )
        return service.endpoint_out(endpoint)


@router.get("/deliveries")
def deliveries(
    status: str | None = Query(default=None, max_length=16),
    limit: int = Query(default=100, ge=1, le=500),
    ctx: Ctx = Depends(get_ctx),
    _principal: Principal = access(Role.ADMIN),
) -> dict[str, Any]:
    """Deliveries, newest first; ``status=dead`` is the dead-letter list."""
    with ctx.tx() as session:
        query = select(WebhookDelivery)
        if status:
            query = query.where(WebhookDelivery.status == status)
        rows = session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)).all()
        return {"items": [service.delivery_out(d) for d in rows]}


@router.post("/deliveries/{delivery_id}/replay")
def replay(delivery_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(Role.ADMIN)) -> dict[str, Any]:
    """Give a dead delivery a fresh set of attempts (same body, same delivery id for the receiver)."""
    with ctx.tx() as session:
        delivery = service.replay(session, delivery_id, now=ctx.now())
        record(session, actor=principal.actor, action="webhook.replay", subject=f"webhook_delivery:{delivery.id}")
        return service.delivery_out(delivery)
