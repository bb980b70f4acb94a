"""Race-free number allocation inside the database.

One ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` bumps the scope's counter atomically on
both SQLite and PostgreSQL: two kiosks pressing in the same millisecond get two numbers, and
nothing is ever computed as ``max()+1`` in Python.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import NumberSequence


def ticket_scope(center_id: int, category_id: int, day: date) -> str:
    return f"ticket:{center_id}:{category_id}:{day.isoformat()}"


def case_scope(year: int) -> str:
    return f"case:{year}"


def allocate(session: Session, scope: str, count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers in ``scope``; return the last one reserved."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(NumberSequence).values(scope=scope, last_value=count)
    stmt = stmt.on_conflict_do_update(
        index_elements=[NumberSequence.scope],
        set_={"last_value": NumberSequence.last_value + count},
    ).returning(NumberSequence.last_value)
    return int(session.execute(stmt).scalar_one())
