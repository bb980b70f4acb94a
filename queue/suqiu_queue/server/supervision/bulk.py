"""Writing thousands of rows in one go: what makes the sweep's catch-up after a day fast.

After a runner was down for a day, one pass may send ~10,000 reminders (four rows each: the case's
new ladder position, an in-app notification, a timeline row, an event). One INSERT per row, or
even one pipelined statement per row, costs more than all the deadline arithmetic. On PostgreSQL
the rows go in with ``COPY`` (row triggers still fire: the events' NOTIFY is kept) and the cases are
updated by one ``UPDATE ... FROM unnest(...)``; SQLite (one machine, small centers) uses
``executemany``. Both run in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table, bindparam, insert, text, update
from sqlalchemy.orm import Session

from ..cases.models import Case

_CASES = Case.__table__
# Each row: case_id, fired, next_at, breached; ``at`` is the batch's time.
_UPDATE_EACH = (
    update(_CASES)
    .where(_CASES.c.id == bindparam("case_id"))
    .values(
        alert_fired=bindparam("fired"),
        next_alert_at=bindparam("next_at"),
        breached_at=bindparam("breached"),
        updated_at=bindparam("at"),
    )
)
_UPDATE_ALL_PG = text(
    """UPDATE cases AS c
    SET alert_fired = v.fired, next_alert_at = v.next_at, breached_at = v.breached, updated_at = :at
    FROM unnest(CAST(:ids AS integer[]), CAST(:fired AS integer[]),
                CAST(:next_at AS timestamptz[]), CAST(:breached AS timestamptz[])) AS v(id, fired, next_at, breached)
    WHERE c.id = v.id"""
)


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def update_ladders(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Store each case's ladder position: ``{"case_id", "fired", "next_at", "breached", "at"}``."""
    if not rows:
        return
    if not _postgres(session):
        session.execute(_UPDATE_EACH, list(rows))
        return
    session.execute(
        _UPDATE_ALL_PG,
        {
            "ids": [r["case_id"] for r in rows],
            "fired": [r["fired"] for r in rows],
            "next_at": [r["next_at"] for r in rows],
            "breached": [r["breached"] for r in rows],
            "at": rows[0]["at"],
        },
    )


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, every required column given) into ``table``."""
    if not rows:
        return
    if not _postgres(session):
        session.execute(insert(table), list(rows))
        return
    from psycopg.types.json import Json  # the PostgreSQL driver; SQLite installs need not import it

    columns = list(rows[0])
    as_json = [isinstance(table.c[name].type, JSON) for name in columns]
    driver = session.connection().connection.driver_connection  # the transaction's own connection
    assert driver is not None
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
        for row in rows:
            copy.write_row([Json(row[c]) if j else row[c] for c, j in zip(columns, as_json, strict=True)])
