"""Race-free number allocation inside the database.

One ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` bumps the scope's counter atomically on
both SQLite and PostgreSQL: two kiosks pressing in the same millisecond get two numbers, and
nothing is ever computed as ``max()+1`` in Python.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BigInteger, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import NumberSequence


def ticket_scope(center_id: int, category_id: int, day: date) -> str:
    return f"ticket:{center_id}:{category_id}:{day.isoformat()}"


def case_scope(year: int) -> str:
    return f"case:{year}"


def _allocate_statement(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = NumberSequence.__table__
    count = bindparam("count", type_=BigInteger)
    stmt = insert(table).values(scope=bindparam("scope"), last_value=count)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.scope], set_={"last_value": table.c.last_value + count}
    ).returning(table.c.last_value)


# Built once per dialect: this runs for every ticket, and building the statement costs more
# than executing it.
_STATEMENTS = {name: _allocate_statement(name) for name in ("postgresql", "sqlite")}


def allocate(session: Session, scope: str, count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers in ``scope``; return the last one reserved."""
    connection = session.connection()  # Core, not the ORM: nothing here needs an object
    stmt = _STATEMENTS[connection.dialect.name]
    return int(connection.execute(stmt, {"scope": scope, "count": count}).scalar_one())
