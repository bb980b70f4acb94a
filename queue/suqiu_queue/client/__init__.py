"""The HTTP client the apps use (on ``requests``): typed results, safe retries, the event stream."""

from .api import SuqiuClient, new_idempotency_key
from .errors import ApiError, ClientError, ServerUnavailable
from .events import EventStream
from .models import Category, Event, Identity, LoginResult, Ticket, WaitingInfo

__all__ = [
    "ApiError",
    "Category",
    "ClientError",
    "Event",
    "EventStream",
    "Identity",
    "LoginResult",
    "ServerUnavailable",
    "SuqiuClient",
    "Ticket",
    "WaitingInfo",
    "new_idempotency_key",
]
