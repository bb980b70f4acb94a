"""What the apps catch: a refusal from the server, or no server at all."""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    """Base class for everything the client raises."""


class ServerUnavailable(ClientError):
    """The server could not be reached or did not answer in time (the apps go offline calmly)."""

    message = "暂时连不上服务器，请稍候"
    message_en = "The server cannot be reached right now"


class ApiError(ClientError):
    """The server answered with an error body: show ``message`` to people, branch on ``code``."""

    def __init__(
        self, status: int, code: str, message: str, message_en: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message_en}")
        self.status = status
        self.code = code
        self.message = message
        self.message_en = message_en
        self.details = details or {}
