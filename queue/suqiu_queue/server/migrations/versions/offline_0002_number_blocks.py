"""number blocks leased by kiosks for offline tickets

Revision ID: offline_0002
Revises: faq_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import suqiu_queue.server.db

revision = "offline_0002"
down_revision = "faq_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "number_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("first", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=4), nullable=False),
        sa.Column("request_key", sa.String(length=128), nullable=True),
        sa.Column("leased_at", suqiu_queue.server.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"]),
        sa.ForeignKeyConstraint(["center_id"], ["centers.id"]),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_key"),
    )
    with op.batch_alter_table("number_blocks", schema=None) as batch_op:
        batch_op.create_index("ix_number_block_device", ["device_id", "service_date"], unique=False)
        batch_op.create_index("ix_number_block_lookup", ["center_id", "category_id", "service_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("number_blocks", schema=None) as batch_op:
        batch_op.drop_index("ix_number_block_lookup")
        batch_op.drop_index("ix_number_block_device")
    op.drop_table("number_blocks")
