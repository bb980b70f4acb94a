"""Who is calling: officers (password → signed token) and devices (provisioned keys).

Every endpoint states who may call it with ``access(...)``; the role × endpoint matrix test
walks all routes and checks each declaration is enforced. Policy lives here, not in the apps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from suqiu_queue.domain.enums import DeviceKind, Role
from suqiu_queue.domain.errors import Forbidden, Unauthorized

from .accounts.models import Device, ServerSecret, User

_hasher = PasswordHasher()
DEVICE_KEY_PREFIX = "sqk_"

ALL_OFFICERS = tuple(r.value for r in Role)
PUBLIC = "public"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_device_key() -> str:
    return DEVICE_KEY_PREFIX + secrets.token_urlsafe(32)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def load_signing_secret(session: Session) -> bytes:
    """The token signing secret, created on first start. Several worker processes start at once
    on a fresh database: the insert yields to whichever wrote first, and all read the same row."""
    row = session.get(ServerSecret, "token_signing")
    if row is None:
        insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        values = {"name": "token_signing", "value": secrets.token_hex(32), "created_at": datetime.now(UTC)}
        session.execute(insert(ServerSecret).values(**values).on_conflict_do_nothing(index_elements=["name"]))
        row = session.scalars(select(ServerSecret).where(ServerSecret.name == "token_signing")).one()
    return bytes.fromhex(row.value)


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" | "device"
    id: int
    role: str  # officer role, or "device:<kind>"
    center_id: int | None
    name: str = ""

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def is_device(self) -> bool:
        return self.kind == "device"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(secret: bytes, user: User, now: datetime, ttl: timedelta) -> tuple[str, datetime]:
    expires = now + ttl
    body = _b64(json.dumps({"uid": user.id, "role": user.role, "exp": int(expires.timestamp())}).encode())
    sig = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    return f"v1.{body}.{sig}", expires


def read_token(secret: bytes, token: str, now: datetime) -> dict[str, Any]:
    try:
        version, body, sig = token.split(".")
        expected = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
        # Bytes, not str: compare_digest raises TypeError on non-ASCII text, and a header may carry any.
        if version != "v1" or not hmac.compare_digest(sig.encode(), expected.encode()):
            raise ValueError("bad signature")
        claims = json.loads(_unb64(body))
    except (ValueError, json.JSONDecodeError) as exc:
        raise Unauthorized("invalid_token", "登录凭证无效，请重新登录", "Invalid token; please log in again") from exc
    if claims.get("exp", 0) < now.timestamp():
        raise Unauthorized("token_expired", "登录已过期，请重新登录", "Session expired; please log in again")
    return claims


class PrincipalCache:
    """Short-lived cache so a busy kiosk does not cost a key lookup per request.

    Ten seconds bounds how long a revoked device key or a deactivated officer keeps working.
    """

    def __init__(self, ttl_seconds: float = 10.0) -> None:
        self.ttl = ttl_seconds
        self._items: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def peek(self, key: str) -> tuple[bool, Principal | None]:
        """(found, principal) without loading: a miss is left to ``get``, off the event loop."""
        with self._lock:
            hit = self._items.get(key)
        if hit and hit[0] > time.monotonic():
            return True, hit[1]
        return False, None

    def get(self, key: str, load: Callable[[], Principal | None]) -> Principal | None:
        found, value = self.peek(key)
        if found:
            return value
        expires = time.monotonic() + self.ttl
        value = load()
        with self._lock:
            if len(self._items) > 10_000:
                self._items.clear()
            self._items[key] = (expires, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@dataclass(frozen=True)
class _Credentials:
    """What a request presented: where its principal is cached, how to load it, and the refusal
    when no active principal answers to it."""

    cache_key: str
    load: Callable[[], Principal | None]
    refusal: Unauthorized


def _credentials(request: Request) -> _Credentials | None:
    """The request's credentials, None when it sent none. Malformed or forged ones raise 401.
    Pure computation (a token's signature is checked here): safe on the event loop."""
    state = request.app.state
    header = request.headers.get("authorization", "")
    device_key = request.headers.get("x-device-key", "")
    if not header and not device_key:
        token = request.query_params.get("access_token", "")  # EventSource cannot set headers
        if token.startswith(DEVICE_KEY_PREFIX):
            device_key = token
        elif token:
            header = f"Bearer {token}"
    if not device_key and header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("invalid_token", "登录凭证格式有误", "Malformed Authorization header")
        if token.startswith(DEVICE_KEY_PREFIX):
            device_key = token
        else:
            # The app's clock issued the token (login uses it), so the same clock must expire it.
            uid = int(read_token(state.signing_secret, token, state.clock())["uid"])
            return _Credentials(
                f"user:{uid}",
                lambda: _load_user(state, uid),
                Unauthorized("account_disabled", "账号已停用", "Account disabled or removed"),
            )
    if device_key:
        digest = key_digest(device_key)
        return _Credentials(
            f"dev:{digest}",
            lambda: _load_device(state, digest),
            Unauthorized("invalid_device_key", "设备密钥无效或已吊销", "Invalid or revoked device key"),
        )
    return None


async def authenticate(request: Request) -> Principal | None:
    """The caller, or None when no credentials were sent. Bad credentials raise 401.

    Runs on the event loop: a cached principal (nearly every request) costs no thread hop; only
    a cache miss reads the database, in the thread pool."""
    credentials = _credentials(request)
    if credentials is None:
        return None
    cache: PrincipalCache = request.app.state.principals
    found, principal = cache.peek(credentials.cache_key)
    if not found:
        principal = await run_in_threadpool(cache.get, credentials.cache_key, credentials.load)
    if principal is None:
        raise credentials.refusal
    return principal


def _load_user(state: Any, uid: int) -> Principal | None:
    with state.sessions() as session:
        user = session.get(User, uid)
        if user is None or not user.active:
            return None
        return Principal("user", user.id, user.role, user.center_id, user.display_name)


def _load_device(state: Any, digest: str) -> Principal | None:
    with state.sessions() as session:
        device = session.scalar(select(Device).where(Device.key_hash == digest))
        if device is None or device.revoked_at is not None:
            return None
        return Principal("device", device.id, f"device:{device.kind}", device.center_id, device.name)


async def authorize(request: Request, allowed: frozenset[str]) -> Principal | None:
    """The caller if ``allowed`` admits it (see ``access``); 401 or 403 otherwise."""
    principal = await authenticate(request)
    if PUBLIC in allowed:
        return principal
    if principal is None:
        raise Unauthorized("not_authenticated", "请先登录", "Authentication required")
    if principal.role not in allowed:
        raise Forbidden("forbidden", "您没有执行此操作的权限", "You are not allowed to do this")
    return principal


def access(*allowed: str) -> Any:
    """Declare who may call an endpoint: officer roles, ``device:<kind>``, or ``public``.

    The check is a coroutine: FastAPI runs a plain-function dependency in the thread pool, a hop
    per request on every endpoint for what is, almost always, a dictionary look-up."""
    for item in allowed:
        valid = item == PUBLIC or item in ALL_OFFICERS or item.removeprefix("device:") in {k.value for k in DeviceKind}
        if not valid:
            raise ValueError(f"unknown principal in access(): {item}")
    allowed_set = frozenset(allowed)

    async def dependency(request: Request) -> Principal | None:
        return await authorize(request, allowed_set)

    dependency.allowed = allowed_set  # type: ignore[attr-defined]  # read by the matrix test
    return Depends(dependency)


def require_center(principal: Principal | None, center_id: int) -> None:
    """Devices and center-bound officers act only on their own center; admins and HQ staff anywhere."""
    if principal is None:
        return
    if principal.center_id is not None and principal.role != Role.ADMIN and principal.center_id != center_id:
        raise Forbidden("other_center", "不能操作其他中心的数据", "This belongs to another center")
