"""Cases (诉求事项) and their timeline. The full lifecycle grows here (see docs/cases.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow
from ..org.models import Category


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_case_employee_created", "employee_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    channel: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="accepted", index=True)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str] = mapped_column(Text, default="")
    origin_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", use_alter=True))
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    category: Mapped[Category] = relationship()
    timeline: Mapped[list[CaseTimeline]] = relationship(
        back_populates="case", order_by="CaseTimeline.id", cascade="all, delete-orphan"
    )


class CaseTimeline(Base):
    """Every change of a case writes one row: who, when, what, why."""

    __tablename__ = "case_timeline"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    case: Mapped[Case] = relationship(back_populates="timeline")
