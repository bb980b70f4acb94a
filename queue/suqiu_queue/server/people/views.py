"""Identifying an employee at the kiosk (masked), and the officers' view of a person's history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from suqiu_queue.domain.enums import CASE_STATE_LABELS_ZH, CaseState, DeviceKind, Role
from suqiu_queue.domain.masking import mask_name

from ..audit.service import record
from ..cases.models import Case
from ..cases.service import case_out
from ..context import Ctx, get_ctx
from ..security import Principal, access
from ..tickets.models import Ticket
from .models import Employee
from .service import age_on, employee_by_no, employee_by_phone

router = APIRouter(prefix="/api/v1", tags=["people"])

OFFICERS = (Role.RECEPTION, Role.HANDLER, Role.COUNSELOR, Role.LEGAL, Role.SUPERVISOR, Role.ADMIN)


class IdentifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    employee_no: str | None = Field(default=None, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9-]+$")
    phone: str | None = Field(default=None, min_length=4, max_length=20, pattern=r"^[0-9+ -]+$")

    @model_validator(mode="after")
    def one_of(self) -> IdentifyIn:
        if not (self.employee_no or self.phone):
            raise ValueError("employee_no or phone is required")
        return self


@router.post("/identify")
def identify(
    body: IdentifyIn,
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(f"device:{DeviceKind.KIOSK}", *OFFICERS),
) -> dict[str, Any]:
    """The kiosk shows only the masked name (张*) for the person to confirm it is them."""
    with ctx.tx() as session:
        employee = (
            employee_by_no(session, body.employee_no)
            if body.employee_no
            else employee_by_phone(session, body.phone or "")
        )
        record(
            session,
            actor=principal.actor,
            action="employee.identify",
            subject=f"employee:{employee.id}",
            detail={"by": "employee_no" if body.employee_no else "phone"},
        )
        return {"employee_no": employee.employee_no, "masked_name": mask_name(employee.name)}


def employee_out(e: Employee, today: Any) -> dict[str, Any]:
    return {
        "employee_no": e.employee_no,
        "name": e.name,
        "masked_name": mask_name(e.name),
        "org_unit": e.org_unit.name if e.org_unit else None,
        "org_unit_code": e.org_unit.code if e.org_unit else None,
        "birth_date": e.birth_date.isoformat() if e.birth_date else None,
        "age": age_on(e.birth_date, today),
        "phone": e.phone,
        "hire_date": e.hire_date.isoformat() if e.hire_date else None,
        "active": e.active,
    }


@router.get("/employees/{employee_no}")
def read_employee(
    employee_no: str, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*OFFICERS)
) -> dict[str, Any]:
    with ctx.tx() as session:
        employee = employee_by_no(session, employee_no)
        record(session, actor=principal.actor, action="employee.read", subject=f"employee:{employee.id}")
        return employee_out(employee, ctx.now().date())


@router.get("/employees/{employee_no}/history")
def history(
    employee_no: str, limit: int = 50, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*OFFICERS)
) -> dict[str, Any]:
    """Tickets and cases of one person, newest first. Every read is audited."""
    limit = max(1, min(limit, 200))
    with ctx.tx() as session:
        employee = employee_by_no(session, employee_no)
        tickets = session.scalars(
            select(Ticket).where(Ticket.employee_id == employee.id).order_by(Ticket.issued_at.desc()).limit(limit)
        ).all()
        cases = session.scalars(
            select(Case).where(Case.employee_id == employee.id).order_by(Case.created_at.desc()).limit(limit)
        ).all()
        record(session, actor=principal.actor, action="employee.history_read", subject=f"employee:{employee.id}")
        items: list[dict[str, Any]] = [
            {
                "type": "ticket",
                "at": t.issued_at.isoformat(),
                "display": t.display,
                "category": t.category.code,
                "category_name": t.category.name_zh,
                "state": t.state,
                "case_id": t.case_id,
                "center": t.center.code,
            }
            for t in tickets
        ]
        items += [
            {
                "type": "case",
                "at": c.created_at.isoformat(),
                **case_out(c, now=ctx.now()),
                "status_label": CASE_STATE_LABELS_ZH[CaseState(c.status)],
            }
            for c in cases
        ]
        items.sort(key=lambda item: item["at"], reverse=True)
        return {"employee": employee_out(employee, ctx.now().date()), "items": items[:limit]}


from .admin_views import router as _admin_router  # noqa: E402

router.include_router(_admin_router)
