"""Tickets (号票) and the database-side number sequences that allocate them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow
from ..org.models import Category, Center, Counter


class NumberSequence(Base):
    """One row per numbering scope (e.g. ``ticket:3:7:2026-11-22``); bumped atomically in SQL."""

    __tablename__ = "number_sequences"

    scope: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger, default=0)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        # The number belongs to the category that issued it; a transfer keeps the number.
        UniqueConstraint("center_id", "number_category_id", "service_date", "number", name="uq_ticket_number"),
        Index("ix_ticket_queue", "center_id", "service_date", "state", "category_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    number_category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    service_date: Mapped[date] = mapped_column(Date)
    number: Mapped[int] = mapped_column(Integer)
    display: Mapped[str] = mapped_column(String(16))
    lane: Mapped[str] = mapped_column(String(16), default="normal")
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    identified_by: Mapped[str | None] = mapped_column(String(32))  # employee_no | phone | face | officer
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    status_token: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(64), default="")  # "device:12" / "user:3" / "offline:12"
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    serving_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))
    # A transfer to one counter: only that counter may call it.
    target_counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))
    recall_count: Mapped[int] = mapped_column(Integer, default=0)
    print_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    center: Mapped[Center] = relationship()
    category: Mapped[Category] = relationship(foreign_keys=[category_id])
    counter: Mapped[Counter | None] = relationship(foreign_keys=[counter_id])
