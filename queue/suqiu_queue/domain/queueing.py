"""Queue rules: which ticket a counter calls next, and which ticket actions are allowed.

Ordering rule (documented in docs/queue-rules.md):

* Each lane gets a *head start* in minutes (default: normal 0, priority 15, urgent 30).
  A ticket's *effective arrival* is its real arrival minus its lane's head start, and the
  counter calls the ticket with the earliest effective arrival (ties: earlier real arrival,
  then lower number, then lower ticket id, so the order never depends on how rows were read).
* Crisis tickets (危机) always come first, among themselves by arrival: a person at risk is
  never asked to wait behind anyone.
* This is "priority with aging": a normal ticket that has waited longer than the largest head
  start can no longer be passed by a ticket of any non-crisis lane that arrived after it, so no
  normal ticket is starved however many priority tickets keep arriving.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .enums import Lane, TicketState
from .errors import Conflict, Invalid

DEFAULT_HEAD_START_MINUTES: Mapping[Lane, int] = {
    Lane.NORMAL: 0,
    Lane.PRIORITY: 15,
    Lane.URGENT: 30,
}


@dataclass(frozen=True)
class QueuePolicy:
    head_start_minutes: Mapping[Lane, int] = field(default_factory=lambda: dict(DEFAULT_HEAD_START_MINUTES))

    def __post_init__(self) -> None:
        # The no-starvation bound (see the module docstring) only holds for head starts >= 0.
        negative = {str(lane): minutes for lane, minutes in self.head_start_minutes.items() if minutes < 0}
        if negative:
            raise Invalid(
                "invalid_head_start",
                f"通道优先时长不能为负数：{negative}",
                f"Lane head starts must not be negative: {negative}",
                details={"head_start_minutes": negative},
            )

    def head_start(self, lane: Lane) -> timedelta:
        return timedelta(minutes=self.head_start_minutes.get(lane, 0))

    @property
    def max_head_start(self) -> timedelta:
        return max((self.head_start(lane) for lane in Lane if lane != Lane.CRISIS), default=timedelta())


@dataclass(frozen=True)
class QueueEntry:
    """What the ordering rule needs to know about a waiting ticket."""

    ticket_id: int
    lane: Lane
    arrived_at: datetime
    number: int = 0


def sort_key(entry: QueueEntry, policy: QueuePolicy) -> tuple[int, datetime, datetime, int, int]:
    crisis_first = 0 if entry.lane == Lane.CRISIS else 1
    effective = entry.arrived_at - (timedelta() if entry.lane == Lane.CRISIS else policy.head_start(entry.lane))
    # The ticket id comes last: A001 and B001 issued in the same second still have one order.
    return (crisis_first, effective, entry.arrived_at, entry.number, entry.ticket_id)


def order_queue(entries: Iterable[QueueEntry], policy: QueuePolicy | None = None) -> list[QueueEntry]:
    """The waiting tickets in the order a counter would call them."""
    policy = policy or QueuePolicy()
    return sorted(entries, key=lambda e: sort_key(e, policy))


def pick_next(entries: Sequence[QueueEntry], policy: QueuePolicy | None = None) -> QueueEntry | None:
    policy = policy or QueuePolicy()
    if not entries:
        return None
    return min(entries, key=lambda e: sort_key(e, policy))


def people_ahead(me: QueueEntry, others: Iterable[QueueEntry], policy: QueuePolicy | None = None) -> int:
    """How many of ``others`` would be called before ``me`` if nobody else arrived."""
    policy = policy or QueuePolicy()
    mine = sort_key(me, policy)
    return sum(1 for other in others if other.ticket_id != me.ticket_id and sort_key(other, policy) < mine)


# --- ticket actions -----------------------------------------------------------------------

ACTIONS: dict[str, dict[TicketState, TicketState]] = {
    "call": {TicketState.WAITING: TicketState.CALLED},
    "recall": {TicketState.CALLED: TicketState.CALLED},
    "start": {TicketState.CALLED: TicketState.SERVING},
    "done": {TicketState.CALLED: TicketState.DONE, TicketState.SERVING: TicketState.DONE},
    "no_show": {TicketState.CALLED: TicketState.NO_SHOW},
    # Transfer puts the ticket back in a queue (another category or counter) with its
    # original arrival time kept; "transferred" is recorded in the ticket's timeline.
    "transfer": {
        TicketState.WAITING: TicketState.WAITING,
        TicketState.CALLED: TicketState.WAITING,
        TicketState.SERVING: TicketState.WAITING,
        TicketState.PARKED: TicketState.WAITING,
    },
    "park": {
        TicketState.WAITING: TicketState.PARKED,
        TicketState.CALLED: TicketState.PARKED,
        TicketState.SERVING: TicketState.PARKED,
    },
    # A parked ticket, or a no-show who comes back late, returns with the original arrival.
    "resume": {TicketState.PARKED: TicketState.WAITING, TicketState.NO_SHOW: TicketState.WAITING},
    "cancel": {
        TicketState.WAITING: TicketState.CANCELLED,
        TicketState.PARKED: TicketState.CANCELLED,
        TicketState.CALLED: TicketState.CANCELLED,
    },
}

ACTION_LABELS_ZH = {
    "call": "叫号",
    "recall": "重呼",
    "start": "开始办理",
    "done": "完成",
    "no_show": "过号",
    "transfer": "转移",
    "park": "挂起",
    "resume": "恢复",
    "cancel": "取消",
}

STATE_LABELS_ZH = {
    TicketState.WAITING: "等候中",
    TicketState.CALLED: "已叫号",
    TicketState.SERVING: "办理中",
    TicketState.DONE: "已完成",
    TicketState.NO_SHOW: "过号",
    TicketState.TRANSFERRED: "已转移",
    TicketState.PARKED: "挂起",
    TicketState.CANCELLED: "已取消",
}


def next_state(state: TicketState, action: str) -> TicketState:
    """The one function every ticket state change goes through."""
    allowed = ACTIONS.get(action)
    if allowed is None:
        raise Conflict("unknown_action", f"未知操作：{action}", f"Unknown action: {action}")
    if state not in allowed:
        label = ACTION_LABELS_ZH.get(action, action)
        raise Conflict(
            "ticket_state_conflict",
            f"号票当前为“{STATE_LABELS_ZH[state]}”，不能{label}",
            f"A ticket in state '{state}' cannot be '{action}'",
            details={"state": str(state), "action": action},
        )
    return allowed[state]


def recall_outcome(recall_count: int, max_recalls: int) -> str:
    """After ``max_recalls`` recalls without the person coming, a recall becomes a no-show."""
    return "no_show" if recall_count >= max_recalls else "recall"
