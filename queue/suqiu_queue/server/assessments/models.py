"""Assessment results and crisis alerts.

Scores and bands are stored in the clear because statistics and alert queries need them; the
answers themselves (which item got which point) are sealed with AES-GCM (see sealing.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class AssessmentResult(Base):
    __tablename__ = "assessment_results"
    __table_args__ = (
        Index("ix_assessment_employee", "employee_id", "created_at"),
        Index("ix_assessment_scale_unit", "scale", "org_unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scale: Mapped[str] = mapped_column(String(32))
    # The definition version the answers were scored with: a later wording change never
    # silently reinterprets old answers.
    scale_version: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))  # kiosk | paper
    center_id: Mapped[int | None] = mapped_column(ForeignKey("centers.id"))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    # The employee's unit when the assessment was taken, so statistics do not move when people do.
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    raw: Mapped[int] = mapped_column(Integer)
    standard: Mapped[int | None] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(32))
    crisis: Mapped[bool] = mapped_column(Boolean, default=False)
    answers_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CrisisAlert(Base):
    """危机预警: raised by a crisis answer; open until a counselor acknowledges it."""

    __tablename__ = "crisis_alerts"
    __table_args__ = (Index("ix_crisis_open", "center_id", "acknowledged_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment_results.id"), unique=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    ticket_display: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
