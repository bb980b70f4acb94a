"""The employee's own past results at the kiosk: first an identity pass, then the list.

Typing a 工号 proves nothing (colleagues know each other's) and a queue ticket only says a 工号
was typed. So before a kiosk may list someone's own results, the person proves it *at that
kiosk*: the 工号 with the last four digits of the phone on file (the check face enrolment uses,
with the same lock after repeated wrong digits), or a face match they confirmed with "是" there.
The server answers with a short-lived pass, signed and bound to that kiosk device and that
employee; the list endpoint accepts nothing else. It is stateless (any replica can check it: the
signing secret is in the shared database) and lives only in the kiosk's memory.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from suqiu_queue.domain.errors import Forbidden

PASS_TTL = timedelta(minutes=5)
# Its own key, derived from the token-signing secret: a pass can never pass for a login token.
_PURPOSE = b"suqiu:assessment-self-view:v1"
_VERSION = "sv1"


@dataclass(frozen=True)
class IdentityPass:
    device_id: int
    employee_id: int
    via: str  # "phone_digits" | "face"
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(secret: bytes, body: str) -> str:
    key = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()
    return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def issue(secret: bytes, *, device_id: int, employee_id: int, via: str, now: datetime) -> tuple[str, datetime]:
    expires = now + PASS_TTL
    claims = {"d": device_id, "e": employee_id, "via": via, "exp": int(expires.timestamp())}
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{_VERSION}.{body}.{_sign(secret, body)}", expires


def not_identified() -> Forbidden:
    return Forbidden(
        "not_identified",
        "请先在本机核对身份，再查看本人的测评记录",
        "Confirm your identity at this kiosk before viewing your own results",
    )


def check(secret: bytes, token: str, *, device_id: int, employee_id: int, now: datetime) -> IdentityPass:
    """The pass is genuine, unexpired, from this kiosk and for this employee — or ``not_identified``."""
    try:
        version, body, signature = token.split(".")
        if version != _VERSION or not hmac.compare_digest(signature.encode(), _sign(secret, body).encode()):
            raise ValueError("bad signature")
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        found = IdentityPass(
            int(claims["d"]),
            int(claims["e"]),
            str(claims["via"]),
            datetime.fromtimestamp(int(claims["exp"]), now.tzinfo),
        )
    except (ValueError, KeyError, TypeError, UnicodeEncodeError):
        raise not_identified() from None
    if found.device_id != device_id or found.employee_id != employee_id or found.expires_at <= now:
        raise not_identified()
    return found
