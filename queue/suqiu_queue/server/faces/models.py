"""Face consent (授权同意), encrypted templates (人脸模板), short-lived matches, the gallery version.

What is stored about a face: one numeric template per consent (the mean of several good frames),
sealed with AES-256-GCM; never a photo, never a probe from a match. A template exists only while
its consent is pending or active: withdrawal, expiry, rejection and replacement delete it in the
same transaction that ends the consent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class FaceConsent(Base):
    """One person's consent to face recognition, from the tap on 同意 to its end.

    ``status``: pending (given at the kiosk, waiting for an officer to confirm the person) →
    active → withdrawn | expired | ended; or pending → rejected | replaced.
    """

    __tablename__ = "face_consents"
    __table_args__ = (Index("ix_face_consent_employee_status", "employee_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    text_version: Mapped[str] = mapped_column(String(16))  # the consent text the person saw
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    channel: Mapped[str] = mapped_column(String(16))  # kiosk | frontdesk
    center_id: Mapped[int | None] = mapped_column(ForeignKey("centers.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))  # the kiosk, when given there
    # How identity was verified, e.g. "employee_no+phone_last4,officer:user:7" (no personal data).
    verified_by: Mapped[str] = mapped_column(String(200))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # enrolment or last visit
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(64))
    ended_via: Mapped[str | None] = mapped_column(String(16))  # kiosk | frontdesk | job


class FaceTemplate(Base):
    __tablename__ = "face_templates"
    __table_args__ = (Index("ix_face_template_gallery", "model", "enterprise_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("face_consents.id"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    # The enterprise (top org unit) whose kiosks may match this template.
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    model: Mapped[str] = mapped_column(String(100))  # e.g. "w600k_r50:4c06341c33c2ca1f"
    dim: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | active
    sealed: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM(nonce + ciphertext) of float32 values
    key_id: Mapped[str] = mapped_column(String(16))
    frames: Mapped[int] = mapped_column(Integer)  # how many good frames made it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FaceMatch(Base):
    """A kiosk's match, waiting for the person's "是" (or "不是"). No embedding is kept."""

    __tablename__ = "face_matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("face_consents.id"))
    score: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))


class FaceGalleryState(Base):
    """One row; ``version`` goes up in the same transaction as any change to active templates, so
    every server process knows when its in-memory gallery is stale (one indexed read per match)."""

    __tablename__ = "face_gallery_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
