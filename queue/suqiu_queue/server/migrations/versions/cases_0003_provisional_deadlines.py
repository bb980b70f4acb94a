"""provisional deadlines: cases.due_provisional and the holiday data they were computed with

Revision ID: cases_0003
Revises: events_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import suqiu_queue.server.db

revision = "cases_0003"
down_revision = "events_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("last_year", sa.Integer(), nullable=False),
        sa.Column("provisional_until", sa.Integer(), nullable=False),
        sa.Column("applied_at", suqiu_queue.server.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("due_provisional", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("due_provisional")
    op.drop_table("calendar_state")
