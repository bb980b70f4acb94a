"""What the kiosk does, without any Qt: issue, identify, FAQ, print reports, offline and sync.

``KioskService`` is called from worker threads (see ``workers``) and never from the UI thread.
It keeps the kiosk honest about being online: every call that fails with ``ServerUnavailable``
flips ``online`` to False, and the periodic ``heartbeat`` flips it back, sending the offline
tickets and topping up the number blocks on the way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from suqiu_queue.client import ApiError, ServerUnavailable, SuqiuClient
from suqiu_queue.client.models import Category, Identity, Ticket, WaitingInfo
from suqiu_queue.domain.hours import local_now, service_date

from .offline import Block, OfflineStore, OfflineTicket

log = logging.getLogger(__name__)

# Top a category's offline numbers up when fewer than this many are left.
LOW_WATER = 5
# Voice messages waiting for their ticket (offline) or for the server: kept in memory, at most this many.
VOICE_BACKLOG = 20


class VoiceMessage(Protocol):
    """A recording kept on the describe screen (``suqiu_kiosk.voice.PendingVoiceMessage``)."""

    flac: bytes
    transcript: str
    transcript_status: str
    idempotency_key: str


@dataclass
class _QueuedVoice:
    ticket_key: str  # the visit's idempotency key: finds an offline ticket's server id once synced
    ticket_id: int | None
    display: str
    message: VoiceMessage


@dataclass(frozen=True)
class IssueRequest:
    category: str
    idempotency_key: str
    employee_no: str | None = None
    phone: str | None = None
    note: str = ""
    lane: str | None = None  # None: the category's lane (the server may still choose priority)


@dataclass(frozen=True)
class IssuedTicket:
    """A ticket as the kiosk shows and prints it, whether the server or the kiosk issued it."""

    display: str
    category: str
    category_name: str
    lane: str
    people_ahead: int
    estimated_wait_minutes: int
    issued_at: datetime  # aware UTC
    status_url: str  # what the QR code opens: the ticket's page, or the public board when offline
    online: bool
    idempotency_key: str
    ticket_id: int | None = None  # None until an offline ticket is synced


class OfflineExhausted(Exception):
    """Offline with no leased number left for this category: the person must go to the desk."""


@dataclass
class CenterInfo:
    code: str
    name: str
    timezone: str
    categories: list[Category] = field(default_factory=list)


@dataclass
class SyncReport:
    online: bool
    uploaded: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    leased: int = 0
    pending: int = 0


class KioskService:
    def __init__(
        self,
        client: SuqiuClient,
        store: OfflineStore,
        *,
        center: str = "",
        block_size: int = 20,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.store = store
        self.center_code = center
        self.block_size = block_size
        self.now = now
        self.info: CenterInfo | None = None
        self.online = False
        self.waiting: dict[str, WaitingInfo] = {}
        self._sync_lock = threading.Lock()
        self._voice: list[_QueuedVoice] = []
        self._voice_lock = threading.Lock()

    # --- start-up ---------------------------------------------------------------------------------

    def start(self) -> CenterInfo:
        """Learn the center and its categories; from memory when the server is away."""
        try:
            if not self.center_code:
                self.center_code = str(self._call(self.client.me)["center"])
            center = self._call(self.client.center, self.center_code)
            categories = [c for c in self._call(self.client.categories) if c.active]
            self.info = CenterInfo(
                self.center_code, center["name"], center.get("timezone", "Asia/Shanghai"), categories
            )
            self.store.remember(
                "center",
                {"code": self.center_code, "name": self.info.name, "timezone": self.info.timezone},
            )
            self.store.remember("categories", [c.raw for c in categories])
        except ServerUnavailable:
            remembered = self.store.recall("center")
            if remembered is None:
                raise
            self.center_code = remembered["code"]
            self.info = CenterInfo(
                remembered["code"],
                remembered["name"],
                remembered["timezone"],
                [Category.from_json(c) for c in self.store.recall("categories", [])],
            )
        return self.info

    @property
    def center(self) -> CenterInfo:
        if self.info is None:
            raise RuntimeError("KioskService.start() first")
        return self.info

    def today(self) -> date:
        return service_date(self.now(), self.center.timezone)

    def category(self, code: str) -> Category | None:
        return next((c for c in self.center.categories if c.code == code), None)

    # --- online calls -------------------------------------------------------------------------------

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            result = fn(*args, **kwargs)
        except ServerUnavailable:
            self.online = False
            raise
        self.online = True
        return result

    def refresh_waiting(self) -> dict[str, WaitingInfo]:
        infos = self._call(self.client.waiting, self.center.code)
        self.waiting = {w.category: w for w in infos}
        return self.waiting

    def identify(self, *, employee_no: str | None = None, phone: str | None = None) -> Identity:
        return self._call(self.client.identify, employee_no=employee_no, phone=phone)  # type: ignore[no-any-return]

    def faq_search(self, category: str, q: str = "", limit: int = 3) -> list[dict[str, Any]]:
        return list(self._call(self.client.faq_search, category, q=q, limit=limit))

    def faq_resolved(self, faq_id: int) -> None:
        self._call(self.client.faq_resolved, faq_id)

    def faq_not_resolved(self, faq_id: int) -> None:
        self._call(self.client.faq_not_resolved, faq_id)

    # --- issuing ------------------------------------------------------------------------------------

    def issue(self, request: IssueRequest) -> IssuedTicket:
        """Online when possible; from a leased block when the server cannot be reached.

        The idempotency key is the visit's: a double tap, a retry after a lost answer, or a
        retry after falling back offline all end in the same one ticket.
        """
        try:
            ticket = self._call(
                self.client.issue_ticket,
                self.center.code,
                request.category,
                idempotency_key=request.idempotency_key,
                employee_no=request.employee_no,
                phone=request.phone,
                note=request.note,
                lane=request.lane,
            )
        except ServerUnavailable:
            return self._issue_offline(request)
        return self._from_server(ticket, request.idempotency_key)

    def _from_server(self, ticket: Ticket, key: str) -> IssuedTicket:
        return IssuedTicket(
            display=ticket.display,
            category=ticket.category,
            category_name=ticket.category_name,
            lane=ticket.lane,
            people_ahead=ticket.people_ahead,
            estimated_wait_minutes=ticket.estimated_wait_minutes,
            issued_at=ticket.issued_at,
            status_url=self.status_url(ticket.status_token),
            online=True,
            idempotency_key=key,
            ticket_id=ticket.id,
        )

    def _issue_offline(self, request: IssueRequest) -> IssuedTicket:
        day = self.today()
        now = self.now()
        # A phone number cannot be checked offline; the employee number travels with the ticket
        # and the server matches it when the ticket arrives.
        ticket = self.store.issue(
            idempotency_key=request.idempotency_key,
            category=request.category,
            service_date=day,
            issued_at=now,
            employee_no=request.employee_no,
            note=request.note,
            lane=request.lane,
        )
        if ticket is None:
            raise OfflineExhausted(request.category)
        category = self.category(request.category)
        known = self.waiting.get(request.category)
        # Everyone the kiosk knew was waiting, plus the offline tickets issued before this one.
        ahead = (known.waiting if known else 0) + self.store.issued_since(request.category, day) - 1
        per_person = (known.estimated_wait_minutes / known.waiting) if known and known.waiting else 0
        return IssuedTicket(
            display=ticket.display,
            category=request.category,
            category_name=category.name if category else request.category,
            lane=request.lane or (category.default_lane if category else "normal"),
            people_ahead=max(0, ahead),
            estimated_wait_minutes=round(per_person * max(0, ahead)),
            issued_at=ticket.issued_at,
            status_url=self.board_url(),
            online=False,
            idempotency_key=request.idempotency_key,
        )

    def status_url(self, token: str) -> str:
        return f"{self.client.base_url}/t/{token}"

    def board_url(self) -> str:
        """Offline tickets get their page only once synced; the hall's board works meanwhile."""
        return f"{self.client.base_url}/board?center={self.center.code}"

    def local_time(self, moment: datetime) -> datetime:
        return local_now(moment, self.center.timezone)

    # --- printing outcome ---------------------------------------------------------------------------

    def report_print(self, ticket: IssuedTicket, *, failed: bool, reason: str = "") -> None:
        """Tell the front desk a slip did (not) come out. Offline: remembered and sent on sync."""
        if ticket.online and ticket.ticket_id is not None:
            try:
                self._call(self.client.report_print, ticket.ticket_id, failed=failed, reason=reason)
                return
            except ServerUnavailable:
                log.warning("print status for %s not reported: server unavailable", ticket.display)
                return
        self.store.mark_print(ticket.idempotency_key, failed=failed, reason=reason)

    # --- voice messages ------------------------------------------------------------------------------

    def queue_voice(self, ticket: IssuedTicket, message: VoiceMessage) -> None:
        """Send ``message`` with ``ticket`` (``send_voice``, right after issuing and on each heartbeat)."""
        with self._voice_lock:
            self._voice.append(_QueuedVoice(ticket.idempotency_key, ticket.ticket_id, ticket.display, message))
            while len(self._voice) > VOICE_BACKLOG:
                dropped = self._voice.pop(0)
                log.error("voice message of %s dropped: too many waiting for the server", dropped.display)

    def pending_voice(self) -> int:
        with self._voice_lock:
            return len(self._voice)

    def send_voice(self) -> int:
        """Worker thread: upload what can be. Each message keeps its idempotency key, so a retry after a
        lost answer stores it once. An offline ticket's message waits until the ticket is synced."""
        with self._voice_lock:
            queued = list(self._voice)
        sent = 0
        for item in queued:
            ticket_id = item.ticket_id
            if ticket_id is None:
                offline = self.store.ticket(item.ticket_key)
                ticket_id = offline.server_ticket_id if offline is not None else None
                if ticket_id is None:
                    continue  # not on the server yet
            try:
                self._call(
                    self.client.upload_voice_message,
                    ticket_id,
                    item.message.flac,
                    transcript=item.message.transcript,
                    transcript_status=item.message.transcript_status,
                    idempotency_key=item.message.idempotency_key,
                )
                sent += 1
            except ServerUnavailable:
                break  # keep them all for the next heartbeat
            except ApiError as exc:
                # Refused for good (e.g. too long, the ticket was cancelled): retrying will not help.
                log.error("voice message of %s refused: %s", item.display, exc.message_en)
            with self._voice_lock:
                self._voice = [v for v in self._voice if v is not item]
        return sent

    # --- offline blocks and sync --------------------------------------------------------------------

    def heartbeat(self) -> SyncReport:
        """Send offline tickets, top up number blocks, refresh the waiting figures."""
        with self._sync_lock:
            report = SyncReport(online=False)
            try:
                self._call(self.client.health)
                self._upload(report)
                self.send_voice()
                self._top_up(report)
                self.refresh_waiting()
                report.online = True
            except ServerUnavailable:
                report.online = False
            report.pending = len(self.store.pending())
            return report

    def _upload(self, report: SyncReport) -> None:
        pending = self.store.pending()
        for start in range(0, len(pending), 100):
            batch = pending[start : start + 100]
            results = self._call(self.client.upload_offline_tickets, self.center.code, [t.upload_item() for t in batch])
            by_key = {t.idempotency_key: t for t in batch}
            report.uploaded += len(batch)
            for result in results:
                self._apply_result(by_key.get(result["idempotency_key"]), result, report)

    def _apply_result(self, ticket: OfflineTicket | None, result: dict[str, Any], report: SyncReport) -> None:
        if ticket is None:
            return
        status = result["status"]
        if status in ("accepted", "duplicate"):
            server_ticket = result.get("ticket") or {}
            ticket_id = server_ticket.get("id")
            if ticket.print_failed and ticket_id is not None:
                # The front desk sees the failed slip on the real ticket, as for online ones.
                self._call(self.client.report_print, int(ticket_id), failed=True, reason=ticket.print_reason)
            self.store.mark_synced(ticket.idempotency_key, server_ticket_id=ticket_id, now=self.now())
            if status == "accepted":
                report.accepted += 1
            else:
                report.duplicate += 1
        else:
            reason = str(result.get("reason") or "rejected")
            if reason == "try_again":
                return  # stays pending; the next heartbeat sends it again
            log.error("offline ticket %s rejected by the server: %s", ticket.display, reason)
            self.store.mark_rejected(ticket.idempotency_key, reason)
            report.rejected += 1

    def _top_up(self, report: SyncReport) -> None:
        day = self.today()
        self.store.forget_blocks_before(day)
        for category in self.center.categories:
            if self.store.numbers_left(category.code, day) >= LOW_WATER:
                continue
            try:
                data = self._call(self.client.lease_number_block, self.center.code, category.code, size=self.block_size)
            except ApiError as exc:
                log.warning("no offline numbers for %s: %s", category.code, exc.message_en)
                continue
            self.store.add_block(
                Block(
                    category=data["category"],
                    prefix=data["prefix"],
                    service_date=date.fromisoformat(data["service_date"]),
                    first=int(data["first"]),
                    last=int(data["last"]),
                ),
                now=self.now(),
            )
            report.leased += 1
