"""Case endpoints (minimal: open, read, note). 一口受理: cases without a ticket come in here too."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from suqiu_queue.domain.enums import Role

from ..audit.service import record
from ..context import Ctx, get_ctx
from ..org.service import category_by_code, center_by_code
from ..people.service import employee_by_no
from ..security import Principal, access, require_center
from ..tickets.service import get_ticket
from . import service

router = APIRouter(prefix="/api/v1", tags=["cases"])

CASE_WORKERS = (Role.RECEPTION, Role.HANDLER, Role.COUNSELOR, Role.LEGAL, Role.SUPERVISOR, Role.ADMIN)


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    center: str = Field(max_length=64)
    category: str = Field(max_length=64)
    channel: str = Field(default="visit", max_length=16)
    summary: str = Field(min_length=1, max_length=5000)
    ticket_id: int | None = None
    employee_no: str | None = Field(default=None, max_length=32)
    confidential: bool = False


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=5000)


@router.post("/cases", status_code=201)
def open_case(
    body: CaseIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    with ctx.tx() as session:
        center = center_by_code(session, body.center)
        require_center(principal, center.id)
        ticket = get_ticket(session, body.ticket_id) if body.ticket_id is not None else None
        employee = employee_by_no(session, body.employee_no) if body.employee_no else None
        case = service.open_case(
            session,
            now=ctx.now(),
            center=center,
            category=category_by_code(session, body.category),
            channel=body.channel,
            summary=body.summary,
            actor=principal.actor,
            employee=employee,
            ticket=ticket,
            confidential=body.confidential,
        )
        return service.case_out(case, with_timeline=True)


@router.get("/cases/{case_id}")
def read_case(
    case_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    with ctx.tx() as session:
        case = service.get_case(session, case_id)
        require_center(principal, case.center_id)
        record(session, actor=principal.actor, action="case.read", subject=f"case:{case.id}")
        return service.case_out(case, with_timeline=True)


@router.post("/cases/{case_id}/notes", status_code=201)
def add_note(
    case_id: int, body: NoteIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    with ctx.tx() as session:
        case = service.get_case(session, case_id)
        require_center(principal, case.center_id)
        service.add_note(session, case, now=ctx.now(), actor=principal.actor, note=body.note)
        return service.case_out(case, with_timeline=True)
