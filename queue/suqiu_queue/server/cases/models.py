"""Cases (诉求事项), their timeline, and what the closed loop hangs on them (see docs/cases.md).

A case stores the facts (who handles it, when each state was entered, the pauses and extensions
of its clock); its deadlines are computed from those facts by ``suqiu_queue.domain.sla`` and
stored too (``*_due_at``), so lists of overdue cases are plain indexed queries. ``next_alert_at``
is when the supervision ladder (督办) next has something to say about the case: the scheduler's
sweep reads only the cases whose moment has come.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow
from ..org.models import Category, Center


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_case_employee_created", "employee_id", "created_at"),
        # A supervisor's overdue list: open cases of a center by due time (closed cases have none).
        Index("ix_case_center_due", "center_id", "due_at"),
        # The supervision sweep: only cases whose next reminder has come.
        Index("ix_case_next_alert", "next_alert_at"),
        # A handler's own cases.
        Index("ix_case_assignee_status", "assignee_id", "status"),
        # Repeat detection compares a new case with the center's recent cases.
        Index("ix_case_center_created", "center_id", "created_at"),
    )

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

    # 不公开: the employee asked that the case stay off the public board (not secret inside the center).
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # 分流: the departments it went to, the lead (handling) department, the responsible person
    # (a name as written on the routing slip) and, when that person has an account, their user id.
    departments: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    department: Mapped[str | None] = mapped_column(String(100))
    responsible: Mapped[str | None] = mapped_column(String(100))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deliberation_open: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # When each state was last entered (a timestamp per state).
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # 反馈: the reply to the employee (for what cannot be solved, the explanation) and its kind.
    reply: Mapped[str] = mapped_column(Text, default="", server_default="")
    answer_outcome: Mapped[str | None] = mapped_column(String(16))  # resolved | explained

    # 评价: the latest rating (cleared when the case is reopened; every rating stays in the timeline).
    rating_score: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rating_channel: Mapped[str | None] = mapped_column(String(16))  # kiosk | qr | phone | counter
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    review_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # 时限: the policy the case runs under, when its clocks started, and each step's due time.
    sla_policy: Mapped[str | None] = mapped_column(String(64))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first route or answer
    clock_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # answer/resolve clocks (reset on reopening)
    accept_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The earliest due time of the steps still open; None when paused or nothing is open.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_step: Mapped[str | None] = mapped_column(String(16))
    # The due time needed the provisional holiday years (no notice yet): it may move when one arrives.
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # 延期: [{"step", "reason", "at", "by"}] — each with its written reason.
    extensions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # 督办: which step the ladder is counting, how many rungs have fired, when the next one is due.
    alert_step: Mapped[str | None] = mapped_column(String(16))
    alert_fired: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # 合理化建议: whether the suggestion was adopted, and the reward note.
    adoption_status: Mapped[str | None] = mapped_column(String(16))
    reward_note: Mapped[str | None] = mapped_column(Text)

    # 重复诉求: similar earlier cases were found at intake (links in case_repeat_links).
    is_repeat: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    category: Mapped[Category] = relationship()
    center: Mapped[Center] = relationship()  # its time zone: the working-day calendar the case is counted in
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


class CasePause(Base):
    """The case's clock stopped (e.g. 等待员工补交材料), with the reason; ``end_at`` None: still paused."""

    __tablename__ = "case_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by: Mapped[str] = mapped_column(String(64))
    ended_by: Mapped[str | None] = mapped_column(String(64))


class Deliberation(Base):
    """议事: several departments decide a case together; the decision names the lead department."""

    __tablename__ = "deliberations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | decided | withdrawn
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    lead_department: Mapped[str | None] = mapped_column(String(100))
    decision: Mapped[str | None] = mapped_column(Text)

    participants: Mapped[list[DeliberationParticipant]] = relationship(
        back_populates="deliberation", order_by="DeliberationParticipant.id", cascade="all, delete-orphan"
    )


class DeliberationParticipant(Base):
    __tablename__ = "deliberation_participants"
    __table_args__ = (UniqueConstraint("deliberation_id", "department", name="uq_deliberation_department"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deliberation_id: Mapped[int] = mapped_column(ForeignKey("deliberations.id", ondelete="CASCADE"), index=True)
    department: Mapped[str] = mapped_column(String(100))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    invited_by: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    commented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    commented_by: Mapped[str | None] = mapped_column(String(64))
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_off_by: Mapped[str | None] = mapped_column(String(64))

    deliberation: Mapped[Deliberation] = relationship(back_populates="participants")


class CaseRepeatLink(Base):
    """重复诉求: at intake, an earlier case this one resembles (same employee or others)."""

    __tablename__ = "case_repeat_links"
    __table_args__ = (UniqueConstraint("case_id", "earlier_case_id", name="uq_case_repeat_link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    earlier_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    same_employee: Mapped[bool] = mapped_column(Boolean, default=False)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShowcaseEntry(Base):
    """案例专栏: an anonymised summary of a handled case, public once a supervisor approves it."""

    __tablename__ = "showcase_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    title: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="requested")  # requested | approved | rejected
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)


class SlaPolicyRecord(Base):
    """An admin's edit of an SLA policy; shipped policies without a row come from the assets."""

    __tablename__ = "sla_policies"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class CalendarState(Base):
    """Which holiday data the stored deadlines were computed with (one row per data file).

    When a release ships new data (next year's notice), the first supervision pass sees another
    fingerprint and recomputes the deadlines that depended on the provisional years.
    """

    __tablename__ = "calendar_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    last_year: Mapped[int] = mapped_column(Integer)  # the last year of the official notices
    provisional_until: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
