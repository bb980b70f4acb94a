"""Organisation (三级单位), centers, counters (窗口) and service categories (业务类别)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow

counter_categories = Table(
    "counter_categories",
    Base.metadata,
    Column("counter_id", ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class OrgUnit(Base):
    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)  # 1 总部, 2 二级单位, 3 基层单位
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)

    parent: Mapped[OrgUnit | None] = relationship(remote_side="OrgUnit.id")


class Center(Base):
    __tablename__ = "centers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    max_recalls: Mapped[int] = mapped_column(Integer, default=3)
    # Minutes of head start per lane (see domain/queueing.py); null means the defaults.
    lane_head_start: Mapped[dict[str, int] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()
    counters: Mapped[list[Counter]] = relationship(back_populates="center", order_by="Counter.number")


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(4), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    icon: Mapped[str] = mapped_column(String(64), default="")
    # The lane a ticket gets when the kiosk asks for none (e.g. 紧急重要 → urgent).
    default_lane: Mapped[str] = mapped_column(String(16), default="normal")
    # Priority rules, e.g. {"elderly_age": 60} → employees that old get the priority lane.
    priority_rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sla_policy: Mapped[str] = mapped_column(String(64), default="")
    default_service_minutes: Mapped[int] = mapped_column(Integer, default=10)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Counter(Base):
    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("center_id", "number", name="uq_counter_center_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # the 窗口号 announced in the hall
    name: Mapped[str] = mapped_column(String(100), default="")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    open: Mapped[bool] = mapped_column(Boolean, default=True)

    center: Mapped[Center] = relationship(back_populates="counters")
    categories: Mapped[list[Category]] = relationship(secondary=counter_categories, order_by="Category.sort_order")
