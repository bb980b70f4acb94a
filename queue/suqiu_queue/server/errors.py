"""One JSON error shape for every refusal: a stable ``code`` and a message in Chinese and English.

{"error": {"code": "center_closed", "message": "…", "message_en": "…", "details": {…}}}
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from suqiu_queue.domain.errors import SuqiuError

log = logging.getLogger(__name__)

_HTTP_MESSAGES: dict[int, tuple[str, str, str]] = {
    404: ("not_found", "找不到该地址", "Not found"),
    405: ("method_not_allowed", "不支持该请求方法", "Method not allowed"),
    413: ("body_too_large", "提交的内容过大", "Request body too large"),
    415: ("unsupported_media_type", "不支持的内容类型", "Unsupported media type"),
}


# A value that passed validation but the database cannot store (see the DataError handler).
UNSTORABLE_VALUE = (
    "invalid_value",
    "提交的内容中有无法保存的值（数字超出范围或含有控制字符）",
    "A value in the request cannot be stored (number out of range or a control character)",
)


def error_body(code: str, message: str, message_en: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "message_en": message_en, "details": details or {}}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SuqiuError)
    async def _suqiu(_request: Request, exc: SuqiuError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(error_body(exc.code, exc.message, exc.message_en, exc.details), exc.status, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        malformed = False
        for err in exc.errors():
            if err.get("type") == "json_invalid":
                malformed = True
            problems.append(
                {"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"), "problem": err.get("msg", "")}
            )
        if malformed:
            body = error_body("malformed_json", "提交的内容不是有效的 JSON", "The request body is not valid JSON")
        else:
            fields = "、".join(p["field"] for p in problems if p["field"]) or "请求"
            body = error_body(
                "invalid_request", f"提交的内容有误：{fields}", f"Invalid request: {fields}", {"problems": problems}
            )
        return JSONResponse(body, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # The framework's only 400 is a body it could not parse (e.g. not UTF-8): the same
            # refusal as JSON that does not parse, so the same code and status.
            return JSONResponse(
                error_body("malformed_json", "提交的内容不是有效的 JSON", "The request body could not be parsed"), 422
            )
        code, zh, en = _HTTP_MESSAGES.get(exc.status_code, ("http_error", "请求无法处理", str(exc.detail)))
        return JSONResponse(error_body(code, zh, en), exc.status_code)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _unstorable(_request: Request, exc: Exception) -> JSONResponse:
        # The database refused a value that passed validation (a number beyond its integer range,
        # a NUL character in text on PostgreSQL): bad input, never a server error.
        log.info("value refused by the database: %s", type(exc).__name__)
        return JSONResponse(error_body(*UNSTORABLE_VALUE), 422)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database_unreachable(_request: Request, exc: Exception) -> JSONResponse:
        # The database went away (restart, failover, a dropped connection: connections are not
        # pinged before use, to save a round trip per request). The pool drops the dead
        # connection; clients retry — ticket issue with its idempotency key, so nothing doubles.
        log.warning("database unreachable: %s", exc)
        return JSONResponse(
            error_body(
                "database_unavailable", "服务暂时繁忙，请稍候再试", "The service is briefly unavailable; please retry"
            ),
            503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(
            error_body("internal_error", "服务器内部错误，请稍后再试", "Internal server error; please retry later"), 500
        )


# Paths allowed a larger body than the global limit (e.g. the employee CSV upload, 5 MB).
# Areas register theirs with ``allow_larger_body`` when their views are imported.
LARGER_BODY_LIMITS: dict[str, int] = {}


def allow_larger_body(path: str, max_bytes: int) -> None:
    LARGER_BODY_LIMITS[path] = max_bytes


class BodyLimitMiddleware:
    """Refuse bodies over the limit before the app reads them, declared or chunked."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = max(self.max_bytes, LARGER_BODY_LIMITS.get(scope.get("path", ""), 0))
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = limit + 1
                if declared > limit:
                    await _send_too_large(send, limit)
                    return
        received = 0
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer 413 here and tell the app the client went away. Raising instead would
                    # surface inside the framework's body parsing as a generic 400.
                    refused = True
                    await _send_too_large(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:  # whatever the app answers after the 413 is dropped
                await send(message)

        await self.app(scope, counting_receive, guarded_send)


async def _send_too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        error_body(
            "body_too_large",
            f"提交的内容过大（上限 {limit // 1000} KB）",
            f"Request body too large (limit {limit} bytes)",
        ),
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
