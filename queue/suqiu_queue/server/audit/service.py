"""Append to and verify the hash-chained audit log.

Each row's hash is SHA-256 over the previous row's hash and the row's canonical JSON, so
changing, removing or inserting any row breaks every hash after it. Writers are serialised
(an advisory lock on PostgreSQL; SQLite's BEGIN IMMEDIATE already is) so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..db import utcnow
from .models import AuditEntry

GENESIS = "0" * 64
_LOCK_KEY = 0x5151_0001  # arbitrary, fixed: "the audit chain"


def _digest(prev_hash: str, at: datetime, actor: str, action: str, subject: str, detail: dict[str, Any]) -> str:
    body = json.dumps(
        {"at": at.isoformat(), "actor": actor, "action": action, "subject": subject, "detail": detail},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(f"{prev_hash}|{body}".encode()).hexdigest()


def record(
    session: Session, *, actor: str, action: str, subject: str = "", detail: dict[str, Any] | None = None
) -> AuditEntry:
    detail = json.loads(json.dumps(detail or {}, default=str))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    prev = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS
    # Microseconds are dropped: both databases then give back exactly what was hashed.
    at = utcnow().replace(microsecond=0)
    entry = AuditEntry(
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        detail=detail,
        prev_hash=prev,
        hash=_digest(prev, at, actor, action, subject, detail),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def verify(session: Session) -> VerifyResult:
    prev = GENESIS
    checked = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        if entry.prev_hash != prev:
            return VerifyResult(False, checked, entry.id, "prev_hash does not match the row before")
        expected = _digest(prev, entry.at, entry.actor, entry.action, entry.subject, entry.detail)
        if entry.hash != expected:
            return VerifyResult(False, checked, entry.id, "row content does not match its hash")
        prev = entry.hash
        checked += 1
    return VerifyResult(True, checked)
