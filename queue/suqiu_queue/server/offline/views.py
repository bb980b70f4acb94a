"""Kiosk endpoints for working through a server outage: number blocks and offline upload."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from suqiu_queue.domain.enums import DeviceKind
from suqiu_queue.domain.hours import service_date

from ..context import Ctx, get_ctx
from ..org.service import center_by_id
from ..security import Principal, access
from ..tickets.service import ticket_view
from . import service

router = APIRouter(prefix="/api/v1", tags=["kiosk offline"])

KIOSK = access(f"device:{DeviceKind.KIOSK}")
MAX_UPLOAD_ITEMS = 200


class LeaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    center: str = Field(min_length=1, max_length=64)
    category: str = Field(min_length=1, max_length=64)
    size: int = Field(default=service.DEFAULT_BLOCK_SIZE, ge=1, le=service.MAX_BLOCK_SIZE)
    # Optional: a retry with the same key returns the same block instead of leasing another.
    request_key: str | None = Field(default=None, min_length=8, max_length=128)


class OfflineTicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idempotency_key: str = Field(min_length=8, max_length=128)
    category: str = Field(min_length=1, max_length=64)
    number: int = Field(ge=1, le=1_000_000)
    issued_at: datetime  # the real arrival time, with its UTC offset
    employee_no: str | None = Field(default=None, max_length=32)
    note: str = Field(default="", max_length=500)
    lane: str | None = Field(default=None, max_length=16)


class UploadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    center: str = Field(min_length=1, max_length=64)
    tickets: list[OfflineTicketIn] = Field(max_length=MAX_UPLOAD_ITEMS)


@router.post("/kiosk/number-blocks", status_code=201)
def lease_number_block(body: LeaseIn, ctx: Ctx = Depends(get_ctx), principal: Principal = KIOSK) -> dict[str, Any]:
    """Reserve a block of today's numbers for this kiosk to use if the server goes away."""
    for attempt in range(2):
        try:
            with ctx.tx() as session:
                center = service.device_center(session, body.center, principal.center_id)
                block = service.lease_block(
                    session,
                    device_id=principal.id,
                    center=center,
                    category_code=body.category,
                    size=body.size,
                    now=ctx.now(),
                    request_key=body.request_key,
                )
                return service.block_out(block, body.category)
        except IntegrityError:
            # The same request, retried concurrently, won the insert: answer with its block.
            if attempt or not body.request_key:
                raise
    raise AssertionError("unreachable")


@router.get("/kiosk/number-blocks")
def my_number_blocks(ctx: Ctx = Depends(get_ctx), principal: Principal = KIOSK) -> dict[str, Any]:
    """This kiosk's blocks for today and how many of each were uploaded (after a restart)."""
    with ctx.read() as session:
        assert principal.center_id is not None  # devices always belong to a center
        center = center_by_id(session, principal.center_id)
        day = service_date(ctx.now(), center.timezone)
        blocks = [
            service.block_out(block, code, service.used_numbers(session, block))
            for block, code in service.blocks_of(session, principal.id, day)
        ]
        return {"center": center.code, "service_date": day.isoformat(), "blocks": blocks}


@router.post("/kiosk/offline-tickets")
def upload_offline_tickets(body: UploadIn, ctx: Ctx = Depends(get_ctx), principal: Principal = KIOSK) -> dict[str, Any]:
    """Each item is judged on its own, in its own transaction: one bad item never loses the rest."""
    with ctx.read() as session:
        center_id = service.device_center(session, body.center, principal.center_id).id
    results = [_upload_one(ctx, principal, center_id, item) for item in body.tickets]
    summary = {
        status: sum(1 for r in results if r["status"] == status) for status in ("accepted", "duplicate", "rejected")
    }
    return {"results": results, "summary": summary}


def _upload_one(ctx: Ctx, principal: Principal, center_id: int, body: OfflineTicketIn) -> dict[str, Any]:
    item = service.OfflineTicket(**body.model_dump())
    for _attempt in range(2):
        try:
            with ctx.tx() as session:
                center = center_by_id(session, center_id)
                outcome = service.accept_offline_ticket(
                    session, device_id=principal.id, center=center, item=item, now=ctx.now()
                )
                return _outcome_out(session, outcome)
        except IntegrityError:
            # A concurrent upload of the same item (or number) got there first; judge it again.
            continue
    return _outcome_out(None, service.Outcome(item.idempotency_key, service.REJECTED, "try_again"))


def _outcome_out(session: Any, outcome: service.Outcome) -> dict[str, Any]:
    out: dict[str, Any] = {"idempotency_key": outcome.idempotency_key, "status": outcome.status}
    if outcome.reason:
        out["reason"] = outcome.reason
        out["message"] = service.REASONS_ZH.get(outcome.reason, outcome.reason)
    if outcome.warnings:
        out["warnings"] = outcome.warnings
    if outcome.ticket is not None and session is not None:
        out["ticket"] = ticket_view(session, outcome.ticket)
    return out
