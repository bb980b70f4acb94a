"""voice messages left at the kiosk, sealed at rest, attached to tickets and cases

Revision ID: voice_0002
Revises: offline_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import suqiu_queue.server.db

revision = "voice_0002"
down_revision = "offline_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("uploaded_format", sa.String(length=16), nullable=False),
        sa.Column("sample_rate", sa.Integer(), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("audio_sha256", sa.String(length=64), nullable=False),
        sa.Column("audio_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("transcript", sa.Text(), nullable=False),
        sa.Column("transcript_status", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", suqiu_queue.server.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["center_id"],
            ["centers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
        sa.UniqueConstraint("token"),
    )
    with op.batch_alter_table("voice_messages", schema=None) as batch_op:
        batch_op.create_index("ix_voice_case", ["case_id"], unique=False)
        batch_op.create_index("ix_voice_ticket", ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("voice_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_voice_ticket")
        batch_op.drop_index("ix_voice_case")

    op.drop_table("voice_messages")
