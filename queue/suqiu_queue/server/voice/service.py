"""Storing, listing and unsealing voice messages. Views decide who may; this module does the work."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from suqiu_queue.domain.errors import Conflict, Forbidden, not_found

from ..assessments.sealing import SealError, key_id, seal, unseal
from ..cases.models import Case
from ..events.service import emit
from ..tickets.models import Ticket
from .audio import CheckedAudio
from .models import VoiceMessage

MAX_PER_TICKET = 3  # a visitor may try again; more than this is a stuck button or abuse
TRANSCRIPT_STATUSES = ("ok", "empty", "failed", "unavailable")


def _context(token: str) -> str:
    return f"voice-message:{token}"


def check_ticket_from_kiosk(ticket: Ticket, device_id: int) -> None:
    """Only the kiosk that issued the ticket (online or offline) attaches a recording to it."""
    if ticket.source not in (f"device:{device_id}", f"offline:{device_id}"):
        raise Forbidden(
            "voice_ticket_other_device",
            "只能为本机取的号票留言",
            "Voice messages attach only to tickets this kiosk issued",
        )


def find_by_idempotency_key(session: Session, key: str) -> VoiceMessage | None:
    return session.scalar(select(VoiceMessage).where(VoiceMessage.idempotency_key == key))


def store(
    session: Session,
    *,
    now: datetime,
    ticket: Ticket,
    audio: CheckedAudio,
    transcript: str,
    transcript_status: str,
    key: bytes,
    actor: str,
    idempotency_key: str | None = None,
) -> VoiceMessage:
    count = len(session.scalars(select(VoiceMessage.id).where(VoiceMessage.ticket_id == ticket.id)).all())
    if count >= MAX_PER_TICKET:
        raise Conflict(
            "voice_limit_reached",
            f"每张号票最多留 {MAX_PER_TICKET} 段语音",
            f"At most {MAX_PER_TICKET} voice messages per ticket",
        )
    token = secrets.token_hex(16)
    row = VoiceMessage(
        token=token,
        center_id=ticket.center_id,
        ticket_id=ticket.id,
        case_id=ticket.case_id,
        format=audio.format,
        uploaded_format=audio.uploaded_format,
        sample_rate=audio.sample_rate,
        channels=audio.channels,
        duration_ms=round(audio.duration_s * 1000),
        size_bytes=len(audio.data),
        audio_sha256=hashlib.sha256(audio.data).hexdigest(),
        audio_sealed=seal(key, audio.data, _context(token)),
        key_id=key_id(key),
        transcript=transcript.strip(),
        transcript_status=transcript_status,
        idempotency_key=idempotency_key,
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    # Ids and numbers only: the transcript is free text and never travels in an event.
    emit(
        session,
        "voice_message.added",
        {
            "voice_message_id": row.id,
            "ticket_id": ticket.id,
            "ticket": ticket.display,
            "case_id": row.case_id,
            "duration_ms": row.duration_ms,
            "has_transcript": bool(row.transcript),
        },
        center_id=ticket.center_id,
    )
    return row


def get(session: Session, voice_id: int) -> VoiceMessage:
    row = session.get(VoiceMessage, voice_id)
    if row is None:
        raise not_found("语音留言", "Voice message", voice_id)
    return row


def for_ticket(session: Session, ticket_id: int) -> list[VoiceMessage]:
    return list(
        session.scalars(select(VoiceMessage).where(VoiceMessage.ticket_id == ticket_id).order_by(VoiceMessage.id))
    )


def for_case(session: Session, case: Case) -> list[VoiceMessage]:
    """Attached at upload, or left on a ticket that later opened or joined this case."""
    tickets = select(Ticket.id).where(Ticket.case_id == case.id)
    conditions = [VoiceMessage.case_id == case.id, VoiceMessage.ticket_id.in_(tickets)]
    if case.origin_ticket_id is not None:
        conditions.append(VoiceMessage.ticket_id == case.origin_ticket_id)
    return list(session.scalars(select(VoiceMessage).where(or_(*conditions)).order_by(VoiceMessage.id)))


def audio_bytes(row: VoiceMessage, key: bytes) -> bytes:
    try:
        return unseal(key, row.audio_sealed, _context(row.token), row.key_id)
    except SealError as exc:
        # sealing.py words its errors for assessments; say what is actually unreadable here.
        raise SealError(
            exc.code,
            "语音留言无法解密（数据密钥不符或数据损坏）",
            f"Voice message cannot be unsealed: {exc.message_en}",
        ) from exc


def message_out(row: VoiceMessage, ticket: Ticket | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "ticket_id": row.ticket_id,
        "ticket": ticket.display if ticket is not None else None,
        "case_id": row.case_id if row.case_id is not None else (ticket.case_id if ticket is not None else None),
        "format": row.format,
        "content_type": "audio/flac" if row.format == "flac" else "audio/ogg",
        "duration_s": row.duration_ms / 1000,
        "size_bytes": row.size_bytes,
        "sample_rate": row.sample_rate,
        "transcript": row.transcript,
        "transcript_status": row.transcript_status,
        "created_at": row.created_at.isoformat(),
        "audio_url": f"/api/v1/voice-messages/{row.id}/audio",
    }
