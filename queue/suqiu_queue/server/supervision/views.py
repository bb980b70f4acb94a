"""督办 endpoints: officers' in-app reminders, and the contacts admins maintain (e-mail, supervisor, leaders)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select

from suqiu_queue.domain.enums import Role

from ..audit.service import record
from ..context import Ctx, get_ctx
from ..security import Principal, access
from . import service
from .models import SupervisionContact, SupervisionNotification

router = APIRouter(prefix="/api/v1/supervision", tags=["supervision"])

OFFICERS = tuple(Role)


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=200)
    mobile: str | None = Field(default=None, max_length=32)
    supervisor: str | None = Field(default=None, max_length=64)  # the supervisor's username
    leader: bool = False


@router.get("/notifications")
def my_notifications(
    limit: int = Query(default=50, ge=1, le=200),
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(*OFFICERS),
) -> dict[str, Any]:
    """In-app reminders for the caller; supervisors also see those for the whole center (no assignee)."""
    with ctx.tx() as session:
        mine = SupervisionNotification.recipient_user_id == principal.id
        query = select(SupervisionNotification).where(SupervisionNotification.channel == "inapp")
        if principal.role in (Role.SUPERVISOR, Role.ADMIN) and principal.center_id is not None:
            center_wide = (SupervisionNotification.recipient_user_id.is_(None)) & (
                SupervisionNotification.center_id == principal.center_id
            )
            query = query.where(or_(mine, center_wide))
        else:
            query = query.where(mine)
        rows = session.scalars(query.order_by(SupervisionNotification.id.desc()).limit(limit)).all()
        return {"items": [service.notification_out(r) for r in rows]}


@router.get("/contacts")
def list_contacts(ctx: Ctx = Depends(get_ctx), _principal: Principal = access(Role.ADMIN)) -> dict[str, Any]:
    with ctx.tx() as session:
        contacts = session.scalars(select(SupervisionContact).order_by(SupervisionContact.user_id)).all()
        return {"items": [service.contact_out(session, c) for c in contacts]}


@router.put("/contacts/{username}")
def set_contact(
    username: str, body: ContactIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(Role.ADMIN)
) -> dict[str, Any]:
    """How to reach ``username`` (e-mail), whom they report to, and whether they lead their center."""
    with ctx.tx() as session:
        user = service.user_by_username(session, username)
        supervisor = service.user_by_username(session, body.supervisor) if body.supervisor else None
        contact = service.set_contact(
            session,
            user,
            email=body.email,
            mobile=body.mobile,
            supervisor=supervisor,
            leader=body.leader,
            now=ctx.now(),
        )
        record(session, actor=principal.actor, action="supervision.contact", subject=f"user:{user.id}")
        return service.contact_out(session, contact)
