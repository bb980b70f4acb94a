"""Sending a kept recording to the server once the ticket is issued.

The recording is made before the ticket exists (on the describe screen), so the kiosk keeps a
``PendingVoiceMessage`` and uploads it right after issuing. The idempotency key is made with the
message, so every retry — by the client or by the kiosk after a network drop — stores it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from suqiu_queue.client import SuqiuClient, new_idempotency_key

from ..workers import Task, run_in_background

TRANSCRIPT_OK = "ok"
TRANSCRIPT_EMPTY = "empty"  # the engine heard nothing it could write down
TRANSCRIPT_FAILED = "failed"  # the engine failed on this recording
TRANSCRIPT_UNAVAILABLE = "unavailable"  # no engine on this kiosk


@dataclass(frozen=True)
class PendingVoiceMessage:
    flac: bytes
    duration_s: float
    transcript: str = ""  # what the recognizer heard (the person's corrections go into the ticket text)
    transcript_status: str = TRANSCRIPT_UNAVAILABLE
    idempotency_key: str = field(default_factory=new_idempotency_key)


def upload_voice_message(client: SuqiuClient, ticket_id: int, message: PendingVoiceMessage) -> dict[str, Any]:
    """Blocking: call from a worker. Raises the client's ``ApiError`` / ``ServerUnavailable``."""
    return client.upload_voice_message(
        ticket_id,
        message.flac,
        transcript=message.transcript,
        transcript_status=message.transcript_status,
        idempotency_key=message.idempotency_key,
    )


def upload_in_background(
    client: SuqiuClient,
    ticket_id: int,
    message: PendingVoiceMessage,
    *,
    on_done: Callable[[dict[str, Any]], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
) -> Task:
    return run_in_background(
        lambda: upload_voice_message(client, ticket_id, message), on_done=on_done, on_error=on_error
    )
