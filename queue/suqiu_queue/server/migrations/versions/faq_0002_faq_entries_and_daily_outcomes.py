"""faq entries and daily outcomes

Revision ID: faq_0002
Revises: assessments_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import suqiu_queue.server.db

revision = "faq_0002"
down_revision = "assessments_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "faq_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seed_key", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("question", sa.String(length=200), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("view_count", sa.Integer(), nullable=False),
        sa.Column("resolved_count", sa.Integer(), nullable=False),
        sa.Column("not_resolved_count", sa.Integer(), nullable=False),
        sa.Column("created_at", suqiu_queue.server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", suqiu_queue.server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("deleted_at", suqiu_queue.server.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seed_key"),
    )
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        batch_op.create_index("ix_faq_category_active", ["category", "active"], unique=False)

    op.create_table(
        "faq_daily_outcomes",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("faq_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("viewed", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("not_resolved", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["center_id"], ["centers.id"]),
        sa.ForeignKeyConstraint(["faq_id"], ["faq_entries.id"]),
        sa.PrimaryKeyConstraint("day", "center_id", "faq_id"),
    )


def downgrade() -> None:
    op.drop_table("faq_daily_outcomes")
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_faq_category_active")
    op.drop_table("faq_entries")
