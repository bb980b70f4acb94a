"""Errors that carry a stable code and a message a person can read, in Chinese and English.

The server turns every one of them into the same JSON error body, so the apps can show
``message`` to a person and branch on ``code``.
"""

from __future__ import annotations

from typing import Any


class SuqiuError(Exception):
    """A refused request. ``status`` is the HTTP status the server answers with."""

    status: int = 400

    def __init__(
        self,
        code: str,
        message: str,
        message_en: str,
        *,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message = message
        self.message_en = message_en
        if status is not None:
            self.status = status
        self.details = details or {}


class NotFound(SuqiuError):
    status = 404


class Conflict(SuqiuError):
    status = 409


class Invalid(SuqiuError):
    status = 422


class Forbidden(SuqiuError):
    status = 403


class Unauthorized(SuqiuError):
    status = 401


def not_found(what_zh: str, what_en: str, key: object) -> NotFound:
    return NotFound(
        f"{what_en.lower().replace(' ', '_')}_not_found",
        f"找不到{what_zh}：{key}",
        f"{what_en} not found: {key}",
        details={"key": str(key)},
    )
