"""Voice messages. The audio is sealed with AES-GCM (the data key of assessments/sealing.py);
the transcript is what the kiosk's recognizer heard, kept beside it for officers to read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class VoiceMessage(Base):
    __tablename__ = "voice_messages"
    __table_args__ = (
        Index("ix_voice_ticket", "ticket_id"),
        Index("ix_voice_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random, never shown: binds the ciphertext to this row (the AES-GCM associated data).
    token: Mapped[str] = mapped_column(String(32), unique=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # Set when the ticket already had a case at upload; later cases find it through the ticket.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    format: Mapped[str] = mapped_column(String(16))  # flac | ogg_opus (as stored)
    uploaded_format: Mapped[str] = mapped_column(String(16))  # flac | ogg_opus | wav (as received)
    sample_rate: Mapped[int] = mapped_column(Integer)
    channels: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)  # of the stored audio, before sealing
    audio_sha256: Mapped[str] = mapped_column(String(64))
    audio_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(16))
    transcript: Mapped[str] = mapped_column(Text, default="")
    # ok | empty (nothing recognised) | failed (the engine failed) | unavailable (no engine installed)
    transcript_status: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
