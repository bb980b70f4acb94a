"""Number blocks a kiosk leases while online, to issue real numbers while the server is away."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class NumberBlock(Base):
    """Numbers ``first``..``last`` of one category and local day, reserved for one kiosk.

    Reserved from the same sequence as online tickets, so no other kiosk and no online ticket
    can ever get these numbers.
    """

    __tablename__ = "number_blocks"
    __table_args__ = (
        Index("ix_number_block_lookup", "center_id", "category_id", "service_date"),
        Index("ix_number_block_device", "device_id", "service_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    service_date: Mapped[date] = mapped_column(Date)
    first: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer)
    prefix: Mapped[str] = mapped_column(String(4))
    # The kiosk's key for this lease request: a retried request gets the same block back.
    request_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    leased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
