"""Who is told about deadlines (contacts), what was sent (notifications), and the job lease."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime


class SupervisionContact(Base):
    """How to reach an officer, and whom they report to (for the escalation rungs)."""

    __tablename__ = "supervision_contacts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(200))
    mobile: Mapped[str | None] = mapped_column(String(32))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # One of the center's leaders (中心领导): told at the last rung of the ladder.
    leader: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SupervisionNotification(Base):
    """One message of one rung on one channel to one recipient — also the outbox for e-mail and 企业微信."""

    __tablename__ = "supervision_notifications"
    __table_args__ = (
        Index("ix_supervision_notification_pending", "status", "next_attempt_at"),
        Index("ix_supervision_notification_user", "recipient_user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"))
    step: Mapped[str] = mapped_column(String(16))
    rung: Mapped[int] = mapped_column(Integer)  # 1-based position on the ladder
    level: Mapped[str] = mapped_column(String(16))  # remind | breach | escalate
    audience: Mapped[str] = mapped_column(String(16))  # responsible | supervisor | leadership | center
    channel: Mapped[str] = mapped_column(String(16))  # inapp | email | wecom
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    address: Mapped[str] = mapped_column(String(500), default="")  # e-mail address or webhook name
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JobLease(Base):
    """Single-runner lease for background jobs on SQLite (PostgreSQL uses an advisory lock)."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
