"""Voice-message endpoints.

* ``POST /voice-messages`` — the kiosk that issued the ticket uploads the recording (multipart:
  ``audio`` file, ``ticket_id``, optional ``transcript``, ``transcript_status``, ``idempotency_key``).
  The body may be up to 4 MB (the global limit is 1 MB); the content is sniffed and decoded.
* ``GET /tickets/{id}/voice-messages``, ``GET /cases/{id}/voice-messages`` — the list with
  transcripts, for officers who handle visitors (audited: transcripts are personal data).
* ``GET /voice-messages/{id}/audio`` — the recording itself; every fetch is one playback and is
  audited. ``Cache-Control: no-store`` so no copy stays in a browser or proxy cache.

Who may listen: reception, handler, counselor, legal and supervisor — the people who serve the
visitor. Not admin: administering the system is no reason to hear someone's voice. Officers act
on their own center only.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from suqiu_queue.domain.enums import DeviceKind, Role
from suqiu_queue.domain.errors import Conflict, Invalid, SuqiuError

from ..assessments.sealing import data_key
from ..audit.service import record
from ..cases.service import get_case
from ..context import Ctx, get_ctx
from ..errors import allow_larger_body
from ..security import Principal, access, require_center
from ..tickets.models import Ticket
from ..tickets.service import get_ticket
from . import audio, service

router = APIRouter(prefix="/api/v1", tags=["voice"])

KIOSK = f"device:{DeviceKind.KIOSK}"
LISTENERS = (Role.RECEPTION, Role.HANDLER, Role.COUNSELOR, Role.LEGAL, Role.SUPERVISOR)
UPLOAD_PATH = "/api/v1/voice-messages"
MAX_TRANSCRIPT = 2000
# The multipart envelope and the small text fields come on top of the audio itself.
allow_larger_body(UPLOAD_PATH, audio.MAX_UPLOAD_BYTES + 64 * 1024)


def _field(form: Any, name: str, limit: int) -> str | None:
    value = form.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("invalid_request", f"提交的内容有误：{name}", f"Field {name} must be text")
    if len(value) > limit:
        raise Invalid("invalid_request", f"提交的内容有误：{name} 过长", f"Field {name} is longer than {limit}")
    return value


async def _read_form(request: Request) -> tuple[bytes, dict[str, str | None]]:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "multipart/form-data":
        raise SuqiuError(
            "unsupported_media_type",
            "请以表单方式上传录音（multipart/form-data，字段 audio）",
            "Upload the recording as multipart/form-data with an 'audio' file field",
            status=415,
        )
    try:
        form = await request.form(max_files=1, max_fields=8)
    except (HTTPException, MultiPartException) as exc:
        raise Invalid("bad_upload", "上传的表单格式有误，请重新上传", "Malformed multipart upload") from exc
    try:
        upload = form.get("audio")
        if not isinstance(upload, UploadFile):
            raise Invalid("audio_missing", "没有收到录音（表单字段 audio）", "No file in form field 'audio'")
        data = await upload.read(audio.MAX_UPLOAD_BYTES + 1)
        fields = {
            "ticket_id": _field(form, "ticket_id", 20),
            "transcript": _field(form, "transcript", MAX_TRANSCRIPT),
            "transcript_status": _field(form, "transcript_status", 16),
            "idempotency_key": _field(form, "idempotency_key", 128),
        }
    finally:
        await form.close()
    return data, fields


def _ticket_id(raw: str | None) -> int:
    if raw is None or not re.fullmatch(r"\d{1,18}", raw.strip()):
        raise Invalid("invalid_request", "提交的内容有误：ticket_id", "ticket_id must be a ticket number id")
    return int(raw)


@router.post(
    "/voice-messages",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "audio": {"type": "string", "format": "binary"},
                            "ticket_id": {"type": "integer"},
                            "transcript": {"type": "string", "maxLength": MAX_TRANSCRIPT},
                            "transcript_status": {"type": "string", "enum": list(service.TRANSCRIPT_STATUSES)},
                            "idempotency_key": {"type": "string", "minLength": 8, "maxLength": 128},
                        },
                        "required": ["audio", "ticket_id"],
                    }
                }
            },
        }
    },
)
async def upload_voice_message(
    request: Request, response: Response, ctx: Ctx = Depends(get_ctx), principal: Principal = access(KIOSK)
) -> dict[str, Any]:
    """Attach a recording to a ticket this kiosk issued. Retried with the same key: the same message, once."""
    data, fields = await _read_form(request)
    ticket_id = _ticket_id(fields["ticket_id"])
    status = fields["transcript_status"] or ("ok" if fields["transcript"] else "unavailable")
    if status not in service.TRANSCRIPT_STATUSES:
        raise Invalid(
            "invalid_request",
            "提交的内容有误：transcript_status",
            f"transcript_status must be one of {service.TRANSCRIPT_STATUSES}",
        )
    key = fields["idempotency_key"]
    if key is not None and len(key) < 8:
        raise Invalid("invalid_idempotency_key", "幂等键至少 8 个字符", "Idempotency key must be at least 8 characters")
    # Decoding a two-minute file takes a moment: off the event loop.
    checked = await run_in_threadpool(audio.check, data)
    reply, created = await run_in_threadpool(
        _store, ctx, principal, ticket_id, checked, fields["transcript"] or "", status, key
    )
    if not created:
        response.status_code = 200
    return {**reply, "created": created}


def _store(
    ctx: Ctx,
    principal: Principal,
    ticket_id: int,
    checked: audio.CheckedAudio,
    transcript: str,
    status: str,
    key: str | None,
) -> tuple[dict[str, Any], bool]:
    for attempt in range(2):
        try:
            with ctx.tx() as session:
                if key is not None:
                    existing = service.find_by_idempotency_key(session, key)
                    if existing is not None:
                        if existing.created_by != principal.actor or existing.ticket_id != ticket_id:
                            raise Conflict("idempotency_key_reused", "该幂等键已被使用", "Idempotency key already used")
                        return service.message_out(existing, session.get(Ticket, existing.ticket_id)), False
                ticket = get_ticket(session, ticket_id)
                require_center(principal, ticket.center_id)
                service.check_ticket_from_kiosk(ticket, principal.id)
                row = service.store(
                    session,
                    now=ctx.now(),
                    ticket=ticket,
                    audio=checked,
                    transcript=transcript,
                    transcript_status=status,
                    key=data_key(ctx.settings.data_dir),
                    actor=principal.actor,
                    idempotency_key=key,
                )
                record(
                    session,
                    actor=principal.actor,
                    action="voice.upload",
                    subject=f"voice_message:{row.id}",
                    detail={
                        "ticket_id": ticket.id,
                        "duration_ms": row.duration_ms,
                        "format": row.uploaded_format,
                        "transcript_status": status,
                    },
                )
                return service.message_out(row, ticket), True
        except IntegrityError:
            # A concurrent retry with the same key won the insert: answer with that message.
            if attempt or key is None:
                raise
    raise AssertionError("unreachable")


@router.get("/tickets/{ticket_id}/voice-messages")
def ticket_voice_messages(
    ticket_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*LISTENERS)
) -> dict[str, Any]:
    with ctx.tx() as session:
        ticket = get_ticket(session, ticket_id)
        require_center(principal, ticket.center_id)
        rows = service.for_ticket(session, ticket.id)
        if rows:
            record(
                session,
                actor=principal.actor,
                action="voice.list",
                subject=f"ticket:{ticket.id}",
                detail={"voice_message_ids": [r.id for r in rows]},
            )
        return {"items": [service.message_out(r, ticket) for r in rows]}


@router.get("/cases/{case_id}/voice-messages")
def case_voice_messages(
    case_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*LISTENERS)
) -> dict[str, Any]:
    with ctx.tx() as session:
        case = get_case(session, case_id)
        require_center(principal, case.center_id)
        rows = service.for_case(session, case)
        if rows:
            record(
                session,
                actor=principal.actor,
                action="voice.list",
                subject=f"case:{case.id}",
                detail={"voice_message_ids": [r.id for r in rows]},
            )
        items = []
        for row in rows:
            ticket = session.get(Ticket, row.ticket_id) if row.ticket_id is not None else None
            items.append({**service.message_out(row, ticket), "case_id": case.id})
        return {"items": items}


@router.get(
    "/voice-messages/{voice_id}/audio",
    response_class=Response,
    responses={200: {"content": {"audio/flac": {}, "audio/ogg": {}}}},
)
def voice_message_audio(
    voice_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*LISTENERS)
) -> Response:
    """The recording (FLAC or Ogg Opus). Each call is one playback in the audit log."""
    with ctx.tx() as session:
        row = service.get(session, voice_id)
        require_center(principal, row.center_id)
        data = service.audio_bytes(row, data_key(ctx.settings.data_dir))
        record(
            session,
            actor=principal.actor,
            action="voice.play",
            subject=f"voice_message:{row.id}",
            detail={"ticket_id": row.ticket_id, "case_id": row.case_id},
        )
        media_type = "audio/flac" if row.format == "flac" else "audio/ogg"
    return Response(
        data,
        media_type=media_type,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )
