"""Creating officers and devices; logging in."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from suqiu_queue.domain.enums import DeviceKind, Role
from suqiu_queue.domain.errors import Conflict, Invalid, Unauthorized, not_found

from ..audit.service import record
from ..org.models import Center
from ..security import hash_password, key_digest, new_device_key, verify_password
from .models import Device, User


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    center: Center | None = None,
    actor: str,
) -> User:
    try:
        role = Role(role).value
    except ValueError as exc:
        raise Invalid(
            "invalid_role", f"无效的角色：{role}", f"Invalid role: {role}", details={"roles": [r.value for r in Role]}
        ) from exc
    if len(password) < 8:
        raise Invalid("weak_password", "密码至少 8 位", "Password must have at least 8 characters")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict("username_taken", f"用户名已存在：{username}", f"Username already exists: {username}")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        center_id=center.id if center else None,
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor=actor,
        action="user.create",
        subject=f"user:{user.id}",
        detail={"username": username, "role": role},
    )
    return user


def login(
    session: Session, *, username: str, password: str, now: datetime, max_failures: int, window: timedelta
) -> User | Unauthorized:
    """The user, or the error to raise *after* committing (failure counts and audit rows must stay)."""
    # FOR UPDATE: parallel guesses queue on the row, so no failure is lost and the lockout holds.
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    bad = Unauthorized("bad_credentials", "用户名或密码错误", "Wrong username or password")
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)  # same work either way: no user enumeration by timing
        return bad
    if user.locked_until is not None and user.locked_until > now:
        return Unauthorized(
            "account_locked",
            "登录失败次数过多，请稍后再试",
            "Too many failed logins; try again later",
            details={"locked_until": user.locked_until.isoformat()},
        )
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + window
            user.failed_logins = 0
        record(session, actor="anonymous", action="auth.login_failed", subject=f"user:{user.id}")
        return bad
    user.failed_logins = 0
    user.locked_until = None
    record(session, actor=f"user:{user.id}", action="auth.login", subject=f"user:{user.id}")
    return user


_DUMMY_HASH = hash_password("not-a-real-password")


def create_device(session: Session, *, center: Center, kind: str, name: str, actor: str) -> tuple[Device, str]:
    try:
        kind = DeviceKind(kind).value
    except ValueError as exc:
        raise Invalid("invalid_device_kind", f"无效的设备类型：{kind}", f"Invalid device kind: {kind}") from exc
    key = new_device_key()
    device = Device(center_id=center.id, kind=kind, name=name or f"{kind}", key_hash=key_digest(key))
    session.add(device)
    session.flush()
    record(
        session,
        actor=actor,
        action="device.create",
        subject=f"device:{device.id}",
        detail={"center": center.code, "kind": kind},
    )
    return device, key


def revoke_device(session: Session, device_id: int, now: datetime, actor: str) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise not_found("设备", "Device", device_id)
    device.revoked_at = now
    record(session, actor=actor, action="device.revoke", subject=f"device:{device.id}")
    return device
