"""PostgreSQL: the NOTIFY carries the event itself, so listeners need not read it back

Revision ID: events_0004
Revises: cases_0003
"""

from __future__ import annotations

from alembic import op

revision = "events_0004"
down_revision = "cases_0003"
branch_labels = None
depends_on = None

# Every server process listens; with only the id each of them had to SELECT the row again (one
# query per event per process). Events carry no names or free text and are small; one larger than
# NOTIFY's 8000-byte limit still goes out as its id and is read back as before.
NOTIFY_WITH_EVENT = """
CREATE OR REPLACE FUNCTION suqiu_events_notify() RETURNS trigger AS $$
DECLARE
    message text;
BEGIN
    message := json_build_object(
        'id', NEW.id,
        'kind', NEW.kind,
        'center_id', NEW.center_id,
        'payload', NEW.payload,
        'created_at', to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
    )::text;
    IF octet_length(message) > 7900 THEN
        message := NEW.id::text;
    END IF;
    PERFORM pg_notify('suqiu_events', message);
    RETURN NULL;
END; $$ LANGUAGE plpgsql
"""

NOTIFY_ID_ONLY = """
CREATE OR REPLACE FUNCTION suqiu_events_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('suqiu_events', NEW.id::text);
    RETURN NULL;
END; $$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(NOTIFY_WITH_EVENT)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(NOTIFY_ID_ONLY)
