"""PostgreSQL: NOTIFY from a trigger on events (one round trip fewer per change)

Revision ID: events_0003
Revises: cases_0002
"""

from __future__ import annotations

from alembic import op

revision = "events_0003"
down_revision = "cases_0002"
branch_labels = None
depends_on = None

# Delivered at commit, exactly when the change becomes visible, to every listening replica.
CREATE_FUNCTION = """
CREATE FUNCTION suqiu_events_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('suqiu_events', NEW.id::text);
    RETURN NULL;
END; $$ LANGUAGE plpgsql
"""
CREATE_TRIGGER = """
CREATE TRIGGER events_notify AFTER INSERT ON events
FOR EACH ROW EXECUTE FUNCTION suqiu_events_notify()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE_FUNCTION)
        op.execute(CREATE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_notify ON events")
        op.execute("DROP FUNCTION IF EXISTS suqiu_events_notify()")
