"""The front desk's state, free of Qt: widgets subscribe to it, the controller changes it.

napari's pattern: a test builds the model, changes it, and checks the widget; no server needed.
Every change goes through a method that emits one small, named signal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from suqiu_queue.domain.enums import LANE_LABELS_ZH, Lane

T = TypeVar("T")

ROLE_LABELS_ZH = {
    "reception": "接待员",
    "handler": "经办人",
    "counselor": "心理咨询师",
    "legal": "法律顾问",
    "supervisor": "主管",
    "admin": "管理员",
}

ACTIVE_STATES = frozenset({"called", "serving"})
FINISHED_STATES = frozenset({"done", "no_show", "cancelled"})


def utc_now() -> datetime:
    return datetime.now(UTC)


class Signal(Generic[T]):
    """A tiny observer list. Called on the UI thread only (the controller sees to that)."""

    def __init__(self) -> None:
        self._slots: list[Callable[[T], None]] = []

    def connect(self, slot: Callable[[T], None]) -> None:
        self._slots.append(slot)

    def disconnect(self, slot: Callable[[T], None]) -> None:
        if slot in self._slots:
            self._slots.remove(slot)

    def emit(self, value: T) -> None:
        for slot in list(self._slots):
            slot(value)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class CategoryInfo:
    code: str
    prefix: str
    name: str


@dataclass(frozen=True)
class CounterInfo:
    id: int
    number: int
    name: str
    categories: tuple[str, ...]
    paused: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CounterInfo:
        return cls(
            id=int(data["id"]),
            number=int(data["number"]),
            name=data.get("name", ""),
            categories=tuple(data.get("categories", ())),
            paused=bool(data.get("paused", False)),
        )

    @property
    def label(self) -> str:
        return f"{self.number}号窗口"


@dataclass(frozen=True)
class DeskSession:
    """Who is working where: fixed for the life of the main window."""

    base_url: str
    username: str
    display_name: str
    role: str
    center: str
    center_name: str
    counter: CounterInfo
    counters: tuple[CounterInfo, ...]
    categories: tuple[CategoryInfo, ...]

    @property
    def role_label(self) -> str:
        return ROLE_LABELS_ZH.get(self.role, self.role)

    def category_name(self, code: str) -> str:
        return next((c.name for c in self.categories if c.code == code), code)


@dataclass(frozen=True)
class QueueTicket:
    """One ticket as the queue panel and the current-ticket panel show it (no personal data)."""

    id: int
    display: str
    category: str
    category_name: str
    lane: str
    state: str
    issued_at: datetime
    called_at: datetime | None = None
    counter_number: int | None = None
    target_counter_id: int | None = None
    recall_count: int = 0
    print_failed: bool = False
    identified: bool = False
    order: int | None = None
    case_id: int | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QueueTicket:
        """From a row of ``/centers/{c}/queue`` or a full ticket view (both share these keys)."""
        return cls(
            id=int(data["id"]),
            display=data["display"],
            category=data["category"],
            category_name=data.get("category_name", data["category"]),
            lane=data.get("lane", "normal"),
            state=data["state"],
            issued_at=_dt(data["issued_at"]) or utc_now(),
            called_at=_dt(data.get("called_at")),
            counter_number=data.get("counter_number"),
            target_counter_id=data.get("target_counter_id"),
            recall_count=int(data.get("recall_count", 0)),
            print_failed=bool(data.get("print_failed", False)),
            identified=bool(data.get("identified", False)),
            order=data.get("order"),
            case_id=data.get("case_id"),
        )

    @property
    def lane_label(self) -> str:
        try:
            return LANE_LABELS_ZH[Lane(self.lane)]
        except ValueError:
            return self.lane

    def waited_minutes(self, now: datetime) -> int:
        return max(0, int((now - self.issued_at).total_seconds() // 60))


@dataclass(frozen=True)
class CategoryGroup:
    code: str
    name: str
    prefix: str
    mine: bool
    tickets: tuple[QueueTicket, ...]

    def longest_wait(self, now: datetime) -> int:
        return max((t.waited_minutes(now) for t in self.tickets), default=0)


@dataclass(frozen=True)
class ArrivalCard:
    """The server's card, with the few derived values the widget needs."""

    data: dict[str, Any] = field(repr=False)

    @property
    def ticket_id(self) -> int:
        return int(self.data["ticket"]["id"])

    @property
    def ticket(self) -> dict[str, Any]:
        return dict(self.data["ticket"])

    @property
    def issued_at(self) -> datetime:
        return _dt(self.data["ticket"].get("issued_at")) or datetime.min.replace(tzinfo=UTC)

    @property
    def employee(self) -> dict[str, Any] | None:
        return self.data.get("employee")

    @property
    def flags(self) -> dict[str, Any]:
        return dict(self.data.get("flags") or {})

    @property
    def history(self) -> list[dict[str, Any]]:
        return list(self.data.get("history") or [])

    @property
    def history_total(self) -> int:
        return int(self.data.get("history_total", len(self.history)))

    @property
    def org_path(self) -> str:
        employee = self.employee or {}
        return " / ".join(employee.get("org_unit_path") or [])


# Who gets the crisis tools (suqiu_frontdesk.crisis): counselors take alerts and read results;
# supervisors see the alerts nobody took in time. The server decides what each may see; this only
# decides which widgets to build.
CRISIS_ROLES = frozenset({"counselor"})
ESCALATION_ROLES = frozenset({"supervisor"})


@dataclass(frozen=True)
class StatusLine:
    text: str
    level: str = "info"  # info | ok | warn | error
    at: datetime = field(default_factory=utc_now)


class FrontDeskModel:
    def __init__(self, session: DeskSession, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.session = session
        self.clock = clock
        self.tickets: list[QueueTicket] = []
        self.current: QueueTicket | None = None
        self.paused = session.counter.paused
        self.cards: list[ArrivalCard] = []  # newest first
        self.status = StatusLine("")
        self.busy: str | None = None  # the action in flight, if any
        self.connected = False

        self.queue_changed: Signal[None] = Signal()
        self.current_changed: Signal[QueueTicket | None] = Signal()
        self.paused_changed: Signal[bool] = Signal()
        self.cards_changed: Signal[None] = Signal()
        self.status_changed: Signal[StatusLine] = Signal()
        self.busy_changed: Signal[str | None] = Signal()
        self.connection_changed: Signal[bool] = Signal()

    # -- who may serve what ---------------------------------------------------------------------

    @property
    def counter(self) -> CounterInfo:
        return self.session.counter

    def can_serve(self, category: str, target_counter_id: int | None = None) -> bool:
        """Whether this counter's call-next could reach the ticket (the server's rule, mirrored)."""
        if target_counter_id is not None:
            return target_counter_id == self.counter.id
        return category in self.counter.categories

    # -- the queue ---------------------------------------------------------------------------------

    def set_tickets(self, rows: Iterable[dict[str, Any]]) -> None:
        self.tickets = [QueueTicket.from_json(r) for r in rows]
        self.queue_changed.emit(None)

    def waiting(self) -> list[QueueTicket]:
        waiting = [t for t in self.tickets if t.state == "waiting"]
        return sorted(waiting, key=lambda t: (t.order is None, t.order or 0, t.issued_at))

    def callable_waiting(self) -> list[QueueTicket]:
        """The waiting tickets this counter could call, first the one call-next would pick."""
        return [t for t in self.waiting() if self.can_serve(t.category, t.target_counter_id)]

    def ticket(self, ticket_id: int) -> QueueTicket | None:
        return next((t for t in self.tickets if t.id == ticket_id), None)

    def find_waiting(self, display: str) -> QueueTicket | None:
        wanted = display.strip().upper()
        return next((t for t in self.waiting() if t.display.upper() == wanted), None)

    def active_at_my_counter(self) -> QueueTicket | None:
        """The ticket this counter is calling or serving, according to the last queue load."""
        mine = [t for t in self.tickets if t.state in ACTIVE_STATES and t.counter_number == self.counter.number]
        return max(mine, key=lambda t: t.called_at or t.issued_at, default=None)

    def groups(self) -> list[CategoryGroup]:
        """Waiting tickets per category: this counter's categories first, then the rest of the hall."""
        by_code: dict[str, list[QueueTicket]] = {}
        for t in self.waiting():
            by_code.setdefault(t.category, []).append(t)
        ordered = [c for c in self.session.categories if c.code in self.counter.categories]
        ordered += [c for c in self.session.categories if c.code not in self.counter.categories]
        known = {c.code for c in ordered}
        ordered += [CategoryInfo(code, "", by_code[code][0].category_name) for code in by_code if code not in known]
        groups = []
        for c in ordered:
            tickets = by_code.get(c.code, [])
            mine = c.code in self.counter.categories
            # A ticket transferred to this counter is listed with its category but is ours to call.
            if tickets or mine:
                groups.append(CategoryGroup(c.code, c.name, c.prefix, mine, tuple(tickets)))
        return groups

    # -- the ticket at this counter ------------------------------------------------------------------

    def set_current(self, ticket: QueueTicket | None) -> None:
        if ticket == self.current:
            return
        self.current = ticket
        self.current_changed.emit(ticket)
        self.cards_changed.emit(None)  # the current ticket's card is the expanded one

    def update_current(self, **changes: Any) -> None:
        if self.current is not None:
            self.set_current(replace(self.current, **changes))

    def set_paused(self, paused: bool) -> None:
        if paused != self.paused:
            self.paused = paused
            self.paused_changed.emit(paused)

    # -- arrival cards ------------------------------------------------------------------------------

    def add_card(self, card: ArrivalCard) -> None:
        """Newest on top; a refreshed card replaces the old one in place."""
        for i, existing in enumerate(self.cards):
            if existing.ticket_id == card.ticket_id:
                self.cards[i] = card
                break
        else:
            self.cards.insert(0, card)
        self.cards_changed.emit(None)

    def remove_card(self, ticket_id: int) -> None:
        before = len(self.cards)
        self.cards = [c for c in self.cards if c.ticket_id != ticket_id]
        if len(self.cards) != before:
            self.cards_changed.emit(None)

    def card(self, ticket_id: int) -> ArrivalCard | None:
        return next((c for c in self.cards if c.ticket_id == ticket_id), None)

    def ordered_cards(self) -> list[ArrivalCard]:
        """The card of the ticket being served first (expanded), then the rest newest first."""
        current_id = self.current.id if self.current else None
        newest_first = sorted(self.cards, key=lambda c: c.issued_at, reverse=True)
        return sorted(newest_first, key=lambda c: c.ticket_id != current_id)

    # -- feedback ----------------------------------------------------------------------------------

    def say(self, text: str, level: str = "info") -> None:
        self.status = StatusLine(text, level, self.clock())
        self.status_changed.emit(self.status)

    def set_busy(self, action: str | None) -> None:
        if action != self.busy:
            self.busy = action
            self.busy_changed.emit(action)

    def set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            self.connection_changed.emit(connected)
