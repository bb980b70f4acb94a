"""Login, the caller's identity, officer accounts and device keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from suqiu_queue.domain.enums import Role

from ..context import Ctx, get_ctx
from ..org.models import Center
from ..org.service import center_by_code
from ..security import ALL_OFFICERS, PUBLIC, Principal, access, issue_token
from . import service
from .models import Device, User

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    password: str = Field(min_length=8, max_length=256)
    role: str
    display_name: str = Field(default="", max_length=100)
    center: str | None = Field(default=None, max_length=64)


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    center: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    name: str = Field(default="", max_length=100)


def user_out(user: User, center: Center | None = None) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "center": center.code if center else None,
        "active": user.active,
    }


@router.post("/auth/login")
def login(
    body: LoginIn, request: Request, ctx: Ctx = Depends(get_ctx), _p: Principal | None = access(PUBLIC)
) -> dict[str, Any]:
    settings = ctx.settings
    with ctx.tx() as session:
        outcome = service.login(
            session,
            username=body.username,
            password=body.password,
            now=ctx.now(),
            max_failures=settings.login_max_failures,
            window=timedelta(minutes=settings.login_window_minutes),
        )
        if isinstance(outcome, User):
            ttl = timedelta(minutes=settings.token_ttl_minutes)
            token, expires = issue_token(request.app.state.signing_secret, outcome, ctx.now(), ttl)
            center = session.get(Center, outcome.center_id) if outcome.center_id else None
            return {"token": token, "expires_at": expires.isoformat(), "user": user_out(outcome, center)}
    raise outcome  # after the commit: the failure counter and its audit row are kept


@router.get("/auth/me")
def me(
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(*ALL_OFFICERS, "device:kiosk", "device:board", "device:announcer"),
) -> dict[str, Any]:
    with ctx.read() as session:
        center = session.get(Center, principal.center_id) if principal.center_id else None
        return {
            "kind": principal.kind,
            "id": principal.id,
            "role": principal.role,
            "name": principal.name,
            "center": center.code if center else None,
            "center_name": center.name if center else None,
        }


@router.get("/users")
def list_users(
    ctx: Ctx = Depends(get_ctx), _p: Principal = access(Role.ADMIN, Role.SUPERVISOR)
) -> list[dict[str, Any]]:
    with ctx.read() as session:
        users = session.scalars(select(User).order_by(User.id)).all()
        centers = {c.id: c for c in session.scalars(select(Center)).all()}
        return [user_out(u, centers.get(u.center_id or -1)) for u in users]


@router.post("/users", status_code=201)
def create_user(body: UserIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(Role.ADMIN)) -> dict[str, Any]:
    with ctx.tx() as session:
        center = center_by_code(session, body.center) if body.center else None
        user = service.create_user(
            session,
            username=body.username,
            password=body.password,
            role=body.role,
            display_name=body.display_name,
            center=center,
            actor=principal.actor,
        )
        return user_out(user, center)


@router.post("/devices", status_code=201)
def create_device(
    body: DeviceIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(Role.ADMIN)
) -> dict[str, Any]:
    with ctx.tx() as session:
        center = center_by_code(session, body.center)
        device, key = service.create_device(
            session, center=center, kind=body.kind, name=body.name, actor=principal.actor
        )
        return {"id": device.id, "center": center.code, "kind": device.kind, "name": device.name, "key": key}


@router.get("/devices")
def list_devices(ctx: Ctx = Depends(get_ctx), _p: Principal = access(Role.ADMIN)) -> list[dict[str, Any]]:
    with ctx.read() as session:
        return [
            {"id": d.id, "center_id": d.center_id, "kind": d.kind, "name": d.name, "revoked": d.revoked_at is not None}
            for d in session.scalars(select(Device).order_by(Device.id)).all()
        ]


@router.delete("/devices/{device_id}")
def revoke_device(
    device_id: int, request: Request, ctx: Ctx = Depends(get_ctx), principal: Principal = access(Role.ADMIN)
) -> dict[str, Any]:
    with ctx.tx() as session:
        device = service.revoke_device(session, device_id, ctx.now(), principal.actor)
    request.app.state.principals.clear()
    return {"id": device.id, "revoked": True}
