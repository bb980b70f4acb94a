"""The kiosk's ticket press, answered without the framework's per-request machinery.

``POST /api/v1/tickets`` is most of the server's traffic. py-spy put routing, dependency solving
and body parsing at about half of a worker's event-loop time per ticket; answering here saves
15–20 % of the server's CPU per ticket (docs/benchmarks.md), and CPU is what decides the latency
tail when many kiosks press at once. This middleware takes the request before the router does when
it is well-formed and allowed, and runs the very same code as the route (``views.issue_and_view``).

It never decides a refusal itself: a body that does not validate, a header that is too long, a
caller that is not allowed, a content type that is not JSON — those requests go on to the
framework with their body, untouched, and get the framework's usual answer. Errors raised while
issuing are answered by the app's own exception handlers, so every answer is the one the route
would give (the API tests exercise both; ``SUQIU_TICKET_FAST_PATH=0`` turns this off).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from suqiu_queue.domain.errors import SuqiuError

from ..context import Ctx
from ..security import authorize
from .views import ISSUERS, TicketIn, issue_and_view, router

PATH = "/api/v1/tickets"
_ALLOWED = frozenset(ISSUERS)
_MAX_KEY_HEADER = 128  # as the route's Header(max_length=128)


class TicketIssueFastPath:
    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api
        self._route: Route | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:  # the client went away (or the body limit answered already)
            return
        replay = _replaying(body, receive)
        request = Request(scope, replay)
        try:
            ticket_in, idempotency_key = _parse(request, body)
            principal = await authorize(request, _ALLOWED)
        except (ValidationError, SuqiuError, ValueError):
            await self.app(scope, replay, send)  # the framework gives the refusal its usual answer
            return
        assert principal is not None
        scope["route"] = self.route()  # the request metrics name the route as usual
        state = self.api.state
        ctx = Ctx(state.sessions, state.settings, state.clock, request)
        try:
            view = await run_in_threadpool(issue_and_view, ctx, ticket_in, principal, idempotency_key)
            response = JSONResponse(view, status_code=201)
        except Exception as exc:  # answered by the app's handlers, as the route's would be
            response = await self._handled(request, exc)
        await response(scope, replay, send)

    def route(self) -> Route | None:
        # The area's own router holds the route with its full path (the app wraps included routers).
        if self._route is None:
            self._route = next(
                (r for r in router.routes if isinstance(r, Route) and r.path == PATH and "POST" in (r.methods or ())),
                None,
            )
        return self._route

    async def _handled(self, request: Request, exc: Exception) -> Any:
        """The answer of the app's handler for this kind of error, as the router would give it.
        Anything only the catch-all handles goes on up to the server-error middleware, which
        answers 500 with that handler and re-raises (logged, and raised in TestClient)."""
        handlers = self.api.exception_handlers
        for cls in type(exc).__mro__:
            if cls is Exception:
                break
            handler = handlers.get(cls)
            if handler is not None:
                return await handler(request, exc)
        raise exc


def _parse(request: Request, body: bytes) -> tuple[TicketIn, str | None]:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        raise ValueError("not JSON")
    keys = request.headers.getlist("idempotency-key")
    if len(keys) > 1 or (keys and len(keys[0]) > _MAX_KEY_HEADER):
        raise ValueError("idempotency key header")
    return TicketIn.model_validate_json(body), (keys[0] if keys else None)


async def _read_body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands out the body already read, then listens for a disconnect as usual."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
