"""Server-Sent Events: ``GET /api/v1/events?center=C``, resumable with ``Last-Event-ID``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from ..context import Ctx, get_ctx
from ..org.service import center_by_code
from ..security import ALL_OFFICERS, Principal, access, require_center
from .broker import replay
from .service import may_hear

router = APIRouter(prefix="/api/v1", tags=["events"])

REPLAY_LIMIT = 1000
HEARTBEAT_SECONDS = 15.0


def format_sse(ev: dict[str, Any]) -> bytes:
    data = json.dumps(ev, ensure_ascii=False, separators=(",", ":"))
    return f"id: {ev['id']}\ndata: {data}\n\n".encode()


@router.get("/events")
async def events(
    request: Request,
    center: str | None = Query(default=None, max_length=64),
    kinds: str | None = Query(default=None, max_length=500, description="comma-separated event kinds"),
    last_event_id: str | None = Header(default=None),
    since: int | None = Query(default=None, ge=0, description="resume after this id (when headers cannot be set)"),
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(*ALL_OFFICERS, "device:kiosk", "device:board", "device:announcer"),
) -> StreamingResponse:
    center_id: int | None = None
    if center:
        with ctx.read() as session:
            center_id = center_by_code(session, center).id
        require_center(principal, center_id)
    elif principal.is_device:
        center_id = principal.center_id  # a device only ever hears its own center
    resume_after: int | None = since
    if last_event_id and last_event_id.strip().isdigit():
        resume_after = int(last_event_id)
    kind_filter = frozenset(k.strip() for k in kinds.split(",") if k.strip()) if kinds else None
    broker = request.app.state.broker
    subscriber = broker.subscribe(center_id, kind_filter)

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 2000\n: connected\n\n"
            # Ids already sent from the backlog. Live events are not filtered by "id > last",
            # because on PostgreSQL a lower id can commit after a higher one.
            replayed: set[int] = set()
            if resume_after is not None:
                backlog = await asyncio.to_thread(replay, ctx.sessions, resume_after, center_id, REPLAY_LIMIT + 1)
                if len(backlog) > REPLAY_LIMIT:
                    # Too far behind to replay: tell the client to reload its state instead.
                    newest = backlog[-1]["id"]
                    replayed = {ev["id"] for ev in backlog}
                    yield format_sse(
                        {"id": newest, "kind": "stream.resync", "center_id": center_id, "payload": {}, "created_at": ""}
                    )
                else:
                    for ev in backlog:
                        if subscriber.wants(ev) and may_hear(principal.role, ev["kind"]):
                            yield format_sse(ev)
                        replayed.add(ev["id"])
            while True:
                try:
                    ev = await asyncio.wait_for(subscriber.queue.get(), timeout=HEARTBEAT_SECONDS)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield b": ping\n\n"
                    continue
                if ev is None:  # server stopping, or we were too slow: the client will resume
                    return
                if ev["id"] in replayed or not may_hear(principal.role, ev["kind"]):
                    continue
                yield format_sse(ev)
        finally:
            broker.unsubscribe(subscriber)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"},
    )
