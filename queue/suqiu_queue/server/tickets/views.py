"""Ticket and counter endpoints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from suqiu_queue.domain.enums import DeviceKind, Role

from ..context import Ctx, get_ctx
from ..org.service import category_by_code, center_by_code, counter_by_id, queue_policy
from ..security import ALL_OFFICERS, Principal, access, require_center
from . import service
from .models import Ticket

router = APIRouter(prefix="/api/v1", tags=["tickets"])

QUEUE_OPERATORS = (Role.RECEPTION, Role.HANDLER, Role.COUNSELOR, Role.LEGAL, Role.SUPERVISOR, Role.ADMIN)
ISSUERS = (f"device:{DeviceKind.KIOSK}", *QUEUE_OPERATORS)
OPERATE = access(*QUEUE_OPERATORS)


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    center: str = Field(min_length=1, max_length=64)
    category: str = Field(min_length=1, max_length=64)
    lane: str | None = Field(default=None, max_length=16)
    employee_no: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=32)
    note: str = Field(default="", max_length=500)
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=128)


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(default=None, max_length=64)
    counter_id: int | None = None


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    counter_id: int


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paused: bool


class PrintStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    failed: bool
    reason: str = Field(default="", max_length=200)


@router.post("/tickets", status_code=201)
def issue_ticket(
    body: TicketIn,
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(*ISSUERS),
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> JSONResponse:
    # Requests that pass validation and access are normally answered by fast.py before they get
    # here; this route documents the endpoint and answers the rest (and with the fast path off).
    return JSONResponse(issue_and_view(ctx, body, principal, idempotency_key), status_code=201)


def issue_and_view(ctx: Ctx, body: TicketIn, principal: Principal, idempotency_key: str | None) -> dict[str, Any]:
    """Issue (or find, for a repeated idempotency key) the ticket and answer with its view."""
    key = body.idempotency_key or idempotency_key
    allowed_center = principal.center_id if principal.role != Role.ADMIN else None
    for attempt in range(2):
        try:
            # Each statement of an issue is atomic on its own (see service.issue): no BEGIN/COMMIT.
            with ctx.statements() as session:
                ticket, created = service.issue(
                    session,
                    now=ctx.now(),
                    center_code=body.center,
                    category_code=body.category,
                    lane=body.lane,
                    employee_no=body.employee_no,
                    phone=body.phone,
                    note=body.note,
                    idempotency_key=key,
                    source=principal.actor,
                    allowed_center_id=allowed_center,
                )
                view = service.ticket_view(session, ticket)
                view["created"] = created
                return view
        except IntegrityError:
            # A concurrent retry with the same key won the insert: answer with its ticket.
            if attempt or not key:
                raise
        except DBAPIError as exc:
            # The pooled connection had died (database restarted): the pool has dropped it and
            # every older one. With a key, asking again is safe — at worst it finds the ticket.
            if attempt or not key or not exc.connection_invalidated:
                raise
    raise AssertionError("unreachable")


@router.get("/tickets/{ticket_id}")
def get_ticket(ticket_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*ISSUERS)) -> dict[str, Any]:
    with ctx.read() as session:
        ticket = service.get_ticket(session, ticket_id)
        require_center(principal, ticket.center_id)
        return service.ticket_view(session, ticket)


@router.get("/centers/{center_code}/queue")
def center_queue(center_code: str, ctx: Ctx = Depends(get_ctx), principal: Principal = OPERATE) -> dict[str, Any]:
    """Everything a front desk needs to draw its queue panel (waiting, parked, called today)."""
    from sqlalchemy import select

    from suqiu_queue.domain.hours import service_date
    from suqiu_queue.domain.queueing import order_queue

    with ctx.read() as session:
        center = center_by_code(session, center_code)
        require_center(principal, center.id)
        day = service_date(ctx.now(), center.timezone)
        today = session.scalars(select(Ticket).where(Ticket.center_id == center.id, Ticket.service_date == day)).all()
        policy = queue_policy(center)
        waiting = [t for t in today if t.state == "waiting"]
        order = {e.ticket_id: i for i, e in enumerate(order_queue([service._entry(t) for t in waiting], policy))}
        rows = []
        for t in today:
            rows.append(
                {
                    "id": t.id,
                    "display": t.display,
                    "category": t.category.code,
                    "category_name": t.category.name_zh,
                    "lane": t.lane,
                    "state": t.state,
                    "issued_at": t.issued_at.isoformat(),
                    "called_at": t.called_at.isoformat() if t.called_at else None,
                    "counter_number": t.counter.number if t.counter else None,
                    "target_counter_id": t.target_counter_id,
                    "recall_count": t.recall_count,
                    "print_failed": t.print_failed,
                    "identified": t.employee_id is not None,
                    "order": order.get(t.id),
                }
            )
        rows.sort(key=lambda r: (r["order"] is None, r["order"] if r["order"] is not None else 0, r["issued_at"]))
        return {"center": center.code, "service_date": day.isoformat(), "tickets": rows}


@router.get("/centers/{center_code}/waiting")
def waiting(
    center_code: str,
    ctx: Ctx = Depends(get_ctx),
    _principal: Principal = access(*ALL_OFFICERS, "device:kiosk", "device:board", "device:announcer", "public"),
) -> dict[str, Any]:
    """Public figures only: waiting count and estimated wait per category (the board shows them)."""
    with ctx.read() as session:
        center = center_by_code(session, center_code)
        return {
            "center": center.code,
            "center_name": center.name,
            "categories": service.waiting_summary(session, center, ctx.now()),
        }


def _ticket_action(
    ctx: Ctx, principal: Principal, ticket_id: int, fn: Callable[..., object], **kwargs: Any
) -> dict[str, Any]:
    with ctx.tx() as session:
        ticket = service.get_ticket(session, ticket_id)
        require_center(principal, ticket.center_id)
        fn(session, ticket, ctx.now(), principal.actor, **kwargs)
        return service.ticket_view(session, ticket)


@router.post("/counters/{counter_id}/call-next")
def call_next(counter_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = OPERATE) -> dict[str, Any]:
    with ctx.tx() as session:
        counter = counter_by_id(session, counter_id)
        require_center(principal, counter.center_id)
        ticket = service.call_next(session, counter, ctx.now(), principal.actor)
        return {"ticket": service.ticket_view(session, ticket) if ticket else None}


@router.post("/counters/{counter_id}/pause")
def pause_counter(
    counter_id: int, body: PauseIn, ctx: Ctx = Depends(get_ctx), principal: Principal = OPERATE
) -> dict[str, Any]:
    with ctx.tx() as session:
        counter = counter_by_id(session, counter_id)
        require_center(principal, counter.center_id)
        service.set_counter_paused(session, counter, body.paused, principal.actor)
        return {"id": counter.id, "number": counter.number, "paused": counter.paused}


@router.post("/tickets/{ticket_id}/call")
def call_ticket(
    ticket_id: int, body: CallIn, ctx: Ctx = Depends(get_ctx), principal: Principal = OPERATE
) -> dict[str, Any]:

    def call(session: Session, ticket: Ticket, now: datetime, actor: str) -> None:
        service.call(session, ticket, counter_by_id(session, body.counter_id), now, actor)

    return _ticket_action(ctx, principal, ticket_id, call)


def _plain_action(path: str, act: Callable[[Session, Ticket, datetime, str], object]) -> None:
    """``POST /tickets/{ticket_id}/<path>``: a queue step with nothing to say but which ticket."""

    def endpoint(ticket_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = OPERATE) -> dict[str, Any]:
        return _ticket_action(ctx, principal, ticket_id, act)

    endpoint.__name__ = act.__name__  # the OpenAPI operation id, as if written out by hand
    router.post(f"/tickets/{{ticket_id}}/{path}")(endpoint)


for _path, _act in (
    ("recall", service.recall),
    ("start", service.start),
    ("done", service.done),
    ("no-show", service.no_show),
    ("park", service.park),
    ("resume", service.resume),
    ("cancel", service.cancel),
):
    _plain_action(_path, _act)


@router.post("/tickets/{ticket_id}/transfer")
def transfer(
    ticket_id: int, body: TransferIn, ctx: Ctx = Depends(get_ctx), principal: Principal = OPERATE
) -> dict[str, Any]:
    def move(session: Session, ticket: Ticket, now: datetime, actor: str) -> None:
        category = category_by_code(session, body.category) if body.category else None
        counter = counter_by_id(session, body.counter_id) if body.counter_id is not None else None
        service.transfer(session, ticket, now, actor, category=category, counter=counter)

    return _ticket_action(ctx, principal, ticket_id, move)


@router.post("/tickets/{ticket_id}/print-status")
def print_status(
    ticket_id: int, body: PrintStatusIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*ISSUERS)
) -> dict[str, Any]:
    """The kiosk reports a failed (or later successful) print so the front desk can see it."""
    return _ticket_action(ctx, principal, ticket_id, service.mark_print_failed, failed=body.failed, reason=body.reason)
