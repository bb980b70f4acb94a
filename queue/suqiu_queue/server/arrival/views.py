"""``GET /tickets/{id}/arrival-card`` for officers, and ``POST /cases/{id}/handover`` (转交)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from suqiu_queue.domain.enums import Role

from ..audit.service import record
from ..cases.config import for_app
from ..cases.service import case_out, get_case
from ..context import Ctx, get_ctx
from ..security import Principal, access, require_center
from ..tickets.service import get_ticket
from . import service

router = APIRouter(prefix="/api/v1", tags=["arrival"])

OFFICERS = (Role.RECEPTION, Role.HANDLER, Role.COUNSELOR, Role.LEGAL, Role.SUPERVISOR, Role.ADMIN)


class HandoverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department: str = Field(min_length=1, max_length=100)
    person: str = Field(default="", max_length=50)
    note: str = Field(default="", max_length=2000)


@router.get("/tickets/{ticket_id}/arrival-card")
def arrival_card(
    ticket_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*OFFICERS)
) -> dict[str, Any]:
    """The card the front desk shows when someone arrives. Reading a person's history is audited
    (for a counselor, the audit row also says the card looked for a referral suggestion)."""
    with ctx.tx() as session:
        ticket = get_ticket(session, ticket_id)
        require_center(principal, ticket.center_id)
        card = service.arrival_card(
            session, ticket, now=ctx.now(), config=for_app(ctx.request.app.state), viewer_role=principal.role
        )
        if ticket.employee_id is not None:
            detail: dict[str, Any] = {"via": "arrival_card", "ticket_id": ticket.id}
            if "referral" in card["flags"]:
                detail["referral_checked"] = True
            record(
                session,
                actor=principal.actor,
                action="employee.history_read",
                subject=f"employee:{ticket.employee_id}",
                detail=detail,
            )
        return card


@router.post("/cases/{case_id}/handover")
def hand_over(
    case_id: int, body: HandoverIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*OFFICERS)
) -> dict[str, Any]:
    with ctx.tx() as session:
        case = get_case(session, case_id)
        require_center(principal, case.center_id)
        service.hand_over(
            session,
            case,
            now=ctx.now(),
            actor=principal.actor,
            department=body.department,
            person=body.person,
            note=body.note,
            config=for_app(ctx.request.app.state),
        )
        session.flush()
        session.refresh(case)
        return case_out(case, with_timeline=True, now=ctx.now())
