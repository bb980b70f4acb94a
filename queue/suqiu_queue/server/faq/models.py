"""FAQ entries and their daily kiosk outcome counts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class FaqEntry(Base):
    """One question and its answer.

    ``category`` is the category *code* (policy, health …), not a foreign key: the FAQ is
    shared by every center and is seeded before or after categories without ordering trouble.
    ``seed_key`` ties an entry to its origin in ``assets/suqiu_assets/faq.yaml``; seeding adds
    only keys it has never added, so an admin's edit or deletion is never undone.
    Deletion is soft (``deleted_at``) for the same reason, and so past reports keep their rows.
    """

    __tablename__ = "faq_entries"
    __table_args__ = (Index("ix_faq_category_active", "category", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seed_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # Running totals; the per-day split for reports is in FaqDailyOutcome.
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    resolved_count: Mapped[int] = mapped_column(Integer, default=0)
    not_resolved_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped by every content edit (not by counters): the search index of every server process
    # is rebuilt when the sum over all entries changes. Timestamps alone can tie.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FaqDailyOutcome(Base):
    """What kiosk visitors did with an answer, per center and local day (for reports).

    The category is copied at counting time, so moving an entry later does not rewrite history.
    """

    __tablename__ = "faq_daily_outcomes"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), primary_key=True)
    faq_id: Mapped[int] = mapped_column(ForeignKey("faq_entries.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(64))
    viewed: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    not_resolved: Mapped[int] = mapped_column(Integer, default=0)
