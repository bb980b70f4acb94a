"""Writing events in the caller's transaction, and telling the broker after commit.

``emit`` adds the row. On PostgreSQL a trigger on ``events`` (migrations events_0003/0004) calls
``pg_notify('suqiu_events', <the event as JSON, or its id when too large>)`` inside the same
transaction, so the notification goes out exactly when the change becomes visible, to every server process — without a round trip of its
own. On SQLite an ``after_commit`` hook wakes this process's broker directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from ..db import utcnow
from .models import Event

NOTIFY_CHANNEL = "suqiu_events"
_PENDING = "suqiu_pending_events"

# Kinds only some roles may hear (e.g. crisis alerts: counselors only). Every other kind goes to
# everyone subscribed at the center. Areas register their kinds when imported.
_AUDIENCES: dict[str, frozenset[str]] = {}


def restrict_kind(kind: str, roles: Iterable[str]) -> None:
    _AUDIENCES[kind] = frozenset(str(r) for r in roles)


def may_hear(role: str, kind: str) -> bool:
    audience = _AUDIENCES.get(kind)
    return audience is None or role in audience


def emit(session: Session, kind: str, payload: dict[str, Any], *, center_id: int | None) -> Event:
    row = Event(kind=kind, payload=payload, center_id=center_id, created_at=utcnow())
    session.add(row)
    session.info.setdefault(_PENDING, []).append(row)
    return row


def event_to_dict(row: Event) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "center_id": row.center_id,
        "payload": row.payload,
        "created_at": row.created_at.isoformat(),
    }


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    broker = session.info.get("broker")
    if broker is not None:
        broker.committed_locally([row.id for row in pending])


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
