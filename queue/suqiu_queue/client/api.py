"""``SuqiuClient``: the one way the apps talk to the server.

* Every call has a timeout (connect 3 s, read 10 s by default): the UI never waits forever.
* Only safe calls are retried: GETs, and ticket issue, which always carries an idempotency key
  so a retry after a lost answer returns the same ticket instead of a second one.
* Errors come back as ``ApiError`` (the server said no, with a Chinese message) or
  ``ServerUnavailable`` (no answer; the kiosk goes offline calmly).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .errors import ApiError, ServerUnavailable
from .events import EventStream
from .models import Category, Event, Identity, LoginResult, Ticket, WaitingInfo

DEFAULT_TIMEOUT = (3.05, 10.0)


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class SuqiuClient:
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        device_key: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = 2,
        backoff: float = 0.2,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.device_key = device_key
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.http = requests.Session()
        # urllib3 retries GETs on connection errors and 502/503/504; never POSTs (see issue_ticket).
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff,
            status_forcelist=(502, 503, 504),
            allowed_methods=frozenset({"GET", "HEAD"}),
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=8)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)

    # -- plumbing -------------------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.device_key:
            return {"X-Device-Key": self.device_key}
        return {}

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> Any:
        url = f"{self.base_url}{path}"
        try:
            response = self.http.request(
                method,
                url,
                json=json,
                params=params,
                headers={**self.auth_headers(), **(headers or {})},
                timeout=timeout or self.timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ServerUnavailable(str(exc)) from exc
        if response.status_code in (502, 503, 504):
            raise ServerUnavailable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise _api_error(response)
        if not response.content:
            return None
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None} or None)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=body if body is not None else {}, **kwargs)

    def close(self) -> None:
        self.http.close()

    # -- health and identity ----------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return dict(self.get("/healthz"))

    def login(self, username: str, password: str) -> LoginResult:
        data = self.post("/api/v1/auth/login", {"username": username, "password": password})
        self.token = data["token"]
        user = data["user"]
        return LoginResult(
            token=data["token"],
            expires_at=datetime.fromisoformat(data["expires_at"]),
            username=user["username"],
            display_name=user["display_name"],
            role=user["role"],
            center=user.get("center"),
        )

    def me(self) -> dict[str, Any]:
        return dict(self.get("/api/v1/auth/me"))

    # -- organisation -----------------------------------------------------------------------------

    def categories(self) -> list[Category]:
        return [Category.from_json(c) for c in self.get("/api/v1/categories")]

    def center(self, code: str) -> dict[str, Any]:
        return dict(self.get(f"/api/v1/centers/{code}"))

    def centers(self) -> list[dict[str, Any]]:
        return list(self.get("/api/v1/centers"))

    def waiting(self, center: str) -> list[WaitingInfo]:
        return [WaitingInfo.from_json(c) for c in self.get(f"/api/v1/centers/{center}/waiting")["categories"]]

    # -- tickets ------------------------------------------------------------------------------------

    def issue_ticket(
        self,
        center: str,
        category: str,
        *,
        idempotency_key: str | None = None,
        lane: str | None = None,
        employee_no: str | None = None,
        phone: str | None = None,
        note: str = "",
    ) -> Ticket:
        """Issue a ticket. Retried with the same key, so a lost answer never makes two tickets."""
        key = idempotency_key or new_idempotency_key()
        body = {"center": center, "category": category, "idempotency_key": key, "note": note}
        if lane:
            body["lane"] = lane
        if employee_no:
            body["employee_no"] = employee_no
        if phone:
            body["phone"] = phone
        last: ServerUnavailable | None = None
        for attempt in range(self.retries + 1):
            try:
                return Ticket.from_json(self.post("/api/v1/tickets", body))
            except ServerUnavailable as exc:
                last = exc
                time.sleep(self.backoff * (2**attempt))
        assert last is not None
        raise last

    def ticket(self, ticket_id: int) -> Ticket:
        return Ticket.from_json(self.get(f"/api/v1/tickets/{ticket_id}"))

    def report_print(self, ticket_id: int, *, failed: bool, reason: str = "") -> Ticket:
        return Ticket.from_json(
            self.post(f"/api/v1/tickets/{ticket_id}/print-status", {"failed": failed, "reason": reason})
        )

    def identify(self, *, employee_no: str | None = None, phone: str | None = None) -> Identity:
        body = {"employee_no": employee_no} if employee_no else {"phone": phone}
        data = self.post("/api/v1/identify", body)
        return Identity(data["employee_no"], data["masked_name"])

    # -- the officer's queue ------------------------------------------------------------------------

    def queue(self, center: str) -> dict[str, Any]:
        return dict(self.get(f"/api/v1/centers/{center}/queue"))

    def call_next(self, counter_id: int) -> Ticket | None:
        data = self.post(f"/api/v1/counters/{counter_id}/call-next")
        return Ticket.from_json(data["ticket"]) if data.get("ticket") else None

    def call(self, ticket_id: int, counter_id: int) -> Ticket:
        return Ticket.from_json(self.post(f"/api/v1/tickets/{ticket_id}/call", {"counter_id": counter_id}))

    def _action(self, ticket_id: int, action: str) -> Ticket:
        return Ticket.from_json(self.post(f"/api/v1/tickets/{ticket_id}/{action}"))

    def recall(self, ticket_id: int) -> Ticket:
        return self._action(ticket_id, "recall")

    def start(self, ticket_id: int) -> Ticket:
        return self._action(ticket_id, "start")

    def done(self, ticket_id: int) -> Ticket:
        return self._action(ticket_id, "done")

    def no_show(self, ticket_id: int) -> Ticket:
        return self._action(ticket_id, "no-show")

    def park(self, ticket_id: int) -> Ticket:
        return self._action(ticket_id, "park")

    def resume(self, ticket_id: int) -> Ticket:
        return self._action(ticket_id, "resume")

    def cancel(self, ticket_id: int) -> Ticket:
        return self._action(ticket_id, "cancel")

    def transfer(self, ticket_id: int, *, category: str | None = None, counter_id: int | None = None) -> Ticket:
        return Ticket.from_json(
            self.post(f"/api/v1/tickets/{ticket_id}/transfer", {"category": category, "counter_id": counter_id})
        )

    def pause_counter(self, counter_id: int, paused: bool) -> dict[str, Any]:
        return dict(self.post(f"/api/v1/counters/{counter_id}/pause", {"paused": paused}))

    # -- people and cases ---------------------------------------------------------------------------

    def employee(self, employee_no: str) -> dict[str, Any]:
        return dict(self.get(f"/api/v1/employees/{employee_no}"))

    def history(self, employee_no: str, limit: int = 50) -> dict[str, Any]:
        return dict(self.get(f"/api/v1/employees/{employee_no}/history", limit=limit))

    def open_case(
        self,
        *,
        center: str,
        category: str,
        summary: str,
        channel: str = "visit",
        ticket_id: int | None = None,
        employee_no: str | None = None,
        confidential: bool = False,
    ) -> dict[str, Any]:
        body = {
            "center": center,
            "category": category,
            "summary": summary,
            "channel": channel,
            "ticket_id": ticket_id,
            "employee_no": employee_no,
            "confidential": confidential,
        }
        return dict(self.post("/api/v1/cases", body))

    def case(self, case_id: int) -> dict[str, Any]:
        return dict(self.get(f"/api/v1/cases/{case_id}"))

    def add_case_note(self, case_id: int, note: str) -> dict[str, Any]:
        return dict(self.post(f"/api/v1/cases/{case_id}/notes", {"note": note}))

    def arrival_card(self, ticket_id: int) -> dict[str, Any]:
        """The officer's 到访卡片 for a ticket (full name, history, flags); the server audits the read."""
        return dict(self.get(f"/api/v1/tickets/{ticket_id}/arrival-card"))

    def hand_over_case(self, case_id: int, *, department: str, person: str = "", note: str = "") -> dict[str, Any]:
        """转交: hand the case to a department (and optionally a named person)."""
        body = {"department": department, "person": person, "note": note}
        return dict(self.post(f"/api/v1/cases/{case_id}/handover", body))

    # -- kiosk: FAQ, offline number blocks, public ticket status ----------------------------------------

    def faq_search(self, category: str, q: str = "", limit: int = 5) -> list[dict[str, Any]]:
        """Best answers first (each with id, question, answer, category); empty ``q``: the category's top ones."""
        data = self.get("/api/v1/faq/search", category=category or None, q=q.strip() or None, limit=limit)
        return list(data["items"])

    def faq_viewed(self, faq_id: int) -> None:
        """The visitor opened this answer (counted for reports)."""
        self.post(f"/api/v1/faq/{faq_id}/viewed")

    def faq_resolved(self, faq_id: int) -> None:
        """“问题已解决”: the visit ends here without a ticket."""
        self.post(f"/api/v1/faq/{faq_id}/resolved")

    def faq_not_resolved(self, faq_id: int) -> None:
        """“仍需人工”: the visitor goes on to take a ticket."""
        self.post(f"/api/v1/faq/{faq_id}/not-resolved")

    def lease_number_block(self, center: str, category: str, size: int = 20) -> dict[str, Any]:
        """Reserve today's numbers for offline use: ``{category, prefix, service_date, first, last, ...}``.

        Retried with one request key, so a lost answer never burns a second block.
        """
        body = {"center": center, "category": category, "size": size, "request_key": new_idempotency_key()}
        last: ServerUnavailable | None = None
        for attempt in range(self.retries + 1):
            try:
                return dict(self.post("/api/v1/kiosk/number-blocks", body))
            except ServerUnavailable as exc:
                last = exc
                time.sleep(self.backoff * (2**attempt))
        assert last is not None
        raise last

    def number_blocks(self) -> dict[str, Any]:
        """This kiosk's blocks for today, with how many numbers of each were uploaded."""
        return dict(self.get("/api/v1/kiosk/number-blocks"))

    def upload_offline_tickets(self, center: str, tickets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Upload tickets issued offline; per item ``{idempotency_key, status, reason?, ticket?}``.

        ``status`` is accepted, duplicate (already uploaded) or rejected (``reason`` says why).
        Safe to repeat: every item carries its own idempotency key. At most 200 items per call.
        """
        items = [
            {**t, "issued_at": t["issued_at"].isoformat()} if isinstance(t.get("issued_at"), datetime) else dict(t)
            for t in tickets
        ]
        data = self.post(
            "/api/v1/kiosk/offline-tickets",
            {"center": center, "tickets": items},
            timeout=(self.timeout[0], max(self.timeout[1], 60.0)),
        )
        return list(data["results"])

    def ticket_status(self, token: str) -> dict[str, Any]:
        """What the QR code's page shows (no personal data), as JSON."""
        return dict(self.get(f"/api/v1/t/{token}"))

    # -- events ---------------------------------------------------------------------------------------

    def events(
        self, *, center: str | None = None, kinds: list[str] | None = None, last_event_id: int | None = None
    ) -> EventStream:
        """An endless iterator of events that reconnects by itself and resumes where it left off."""
        return EventStream(self, center=center, kinds=kinds, last_event_id=last_event_id)

    def iter_events(self, **kwargs: Any) -> Iterator[Event]:
        return iter(self.events(**kwargs))


def _api_error(response: requests.Response) -> ApiError:
    try:
        error = response.json()["error"]
        return ApiError(
            response.status_code, error["code"], error["message"], error.get("message_en", ""), error.get("details")
        )
    except (ValueError, KeyError, TypeError):
        return ApiError(response.status_code, "http_error", "服务器返回了错误", f"HTTP {response.status_code}")
