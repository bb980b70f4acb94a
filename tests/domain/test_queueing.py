"""Queue ordering (priority with aging) and the ticket action table.

The ordering properties are the promises written in docs/queue-rules.md; hypothesis looks for
queues that break them, including queues full of ties (same lane, same second, same number).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suqiu_queue.domain.enums import Lane, TicketState
from suqiu_queue.domain.errors import Conflict, Invalid
from suqiu_queue.domain.queueing import (
    ACTION_LABELS_ZH,
    ACTIONS,
    STATE_LABELS_ZH,
    QueueEntry,
    QueuePolicy,
    next_state,
    order_queue,
    people_ahead,
    pick_next,
    recall_outcome,
)

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# --- strategies ------------------------------------------------------------------------------

policies = st.builds(
    lambda normal, priority, urgent: QueuePolicy({Lane.NORMAL: normal, Lane.PRIORITY: priority, Lane.URGENT: urgent}),
    st.integers(0, 20),
    st.integers(0, 60),
    st.integers(0, 90),
)


@st.composite
def queues(draw: st.DrawFn, max_size: int = 25) -> list[QueueEntry]:
    """Waiting tickets with unique ids; arrivals and numbers drawn from small sets so ties happen."""
    size = draw(st.integers(0, max_size))
    entries = []
    for ticket_id in range(1, size + 1):
        entries.append(
            QueueEntry(
                ticket_id=ticket_id,
                lane=draw(st.sampled_from(list(Lane))),
                arrived_at=at(draw(st.integers(0, 240))),
                number=draw(st.integers(1, 5)),
            )
        )
    return entries


# --- the ordering rule, by example ---------------------------------------------------------------


def test_normal_tickets_are_called_in_arrival_order() -> None:
    a, b, c = (QueueEntry(i, Lane.NORMAL, at(i), number=i) for i in (1, 2, 3))
    assert order_queue([c, a, b]) == [a, b, c]


def test_a_priority_ticket_overtakes_normal_tickets_within_its_head_start() -> None:
    normal = QueueEntry(1, Lane.NORMAL, at(0))
    elderly = QueueEntry(2, Lane.PRIORITY, at(10))  # effective 09:10 - 15 min = 08:55
    assert order_queue([normal, elderly]) == [elderly, normal]


def test_a_normal_ticket_that_waited_longer_than_the_head_start_is_not_overtaken() -> None:
    normal = QueueEntry(1, Lane.NORMAL, at(0))
    elderly = QueueEntry(2, Lane.PRIORITY, at(20))  # effective 09:05: later than 09:00
    urgent = QueueEntry(3, Lane.URGENT, at(31))  # effective 09:01
    assert order_queue([urgent, elderly, normal]) == [normal, urgent, elderly]


def test_crisis_comes_first_whoever_has_waited_longest() -> None:
    old_normal = QueueEntry(1, Lane.NORMAL, at(-600))
    urgent = QueueEntry(2, Lane.URGENT, at(-300))
    crisis = QueueEntry(3, Lane.CRISIS, at(0))
    assert pick_next([old_normal, urgent, crisis]) == crisis


def test_equal_effective_arrival_goes_to_the_earlier_real_arrival() -> None:
    normal = QueueEntry(1, Lane.NORMAL, at(0))
    urgent = QueueEntry(2, Lane.URGENT, at(30))  # effective exactly 09:00 as well
    assert order_queue([urgent, normal]) == [normal, urgent]


def test_same_moment_same_lane_same_number_is_decided_by_ticket_id() -> None:
    # A001 and B001 issued in the same second at two kiosks: the order must not depend on the
    # order the database happened to return them in.
    a = QueueEntry(7, Lane.NORMAL, at(0), number=1)
    b = QueueEntry(9, Lane.NORMAL, at(0), number=1)
    assert order_queue([a, b]) == order_queue([b, a]) == [a, b]
    assert people_ahead(b, [a, b]) == 1
    assert people_ahead(a, [a, b]) == 0


def test_centers_can_change_the_head_starts() -> None:
    policy = QueuePolicy({Lane.NORMAL: 0, Lane.PRIORITY: 60, Lane.URGENT: 0})
    normal = QueueEntry(1, Lane.NORMAL, at(0))
    elderly = QueueEntry(2, Lane.PRIORITY, at(45))
    assert order_queue([normal, elderly], policy) == [elderly, normal]
    assert policy.max_head_start == timedelta(minutes=60)


def test_default_head_starts() -> None:
    policy = QueuePolicy()
    assert policy.head_start(Lane.NORMAL) == timedelta(0)
    assert policy.head_start(Lane.PRIORITY) == timedelta(minutes=15)
    assert policy.head_start(Lane.URGENT) == timedelta(minutes=30)
    assert policy.max_head_start == timedelta(minutes=30)


def test_a_negative_head_start_is_refused() -> None:
    # With a negative head start the no-starvation bound would no longer hold.
    with pytest.raises(Invalid) as caught:
        QueuePolicy({Lane.NORMAL: 0, Lane.PRIORITY: -5, Lane.URGENT: 30})
    assert caught.value.code == "invalid_head_start"


def test_empty_queue() -> None:
    assert pick_next([]) is None
    assert order_queue([]) == []


# --- the ordering rule, as properties ------------------------------------------------------------


@given(queues(), policies)
def test_crisis_tickets_always_come_first_in_arrival_order(entries: list[QueueEntry], policy: QueuePolicy) -> None:
    ordered = order_queue(entries, policy)
    lanes = [e.lane == Lane.CRISIS for e in ordered]
    assert lanes == sorted(lanes, reverse=True), "a non-crisis ticket was put before a crisis ticket"
    crisis_arrivals = [e.arrived_at for e in ordered if e.lane == Lane.CRISIS]
    assert crisis_arrivals == sorted(crisis_arrivals)


@given(queues(), policies)
def test_no_starvation_bound(entries: list[QueueEntry], policy: QueuePolicy) -> None:
    """A normal ticket is never passed by a non-crisis ticket that arrived more than the largest head start after it."""
    position = {e.ticket_id: i for i, e in enumerate(order_queue(entries, policy))}
    for waiting in (e for e in entries if e.lane == Lane.NORMAL):
        for later in entries:
            if later.lane == Lane.CRISIS or later.ticket_id == waiting.ticket_id:
                continue
            if later.arrived_at - waiting.arrived_at > policy.max_head_start:
                assert position[waiting.ticket_id] < position[later.ticket_id], (waiting, later)


@given(queues(), policies, st.randoms(use_true_random=False))
def test_the_order_does_not_depend_on_the_input_order(entries: list[QueueEntry], policy: QueuePolicy, rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    assert order_queue(shuffled, policy) == order_queue(entries, policy)
    if entries:
        assert pick_next(shuffled, policy) == order_queue(entries, policy)[0]


@given(queues(), policies)
def test_the_order_is_total(entries: list[QueueEntry], policy: QueuePolicy) -> None:
    """No two different tickets are ever 'equal': exactly one of them goes first."""
    ordered = order_queue(entries, policy)
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            assert order_queue([second, first], policy) == [first, second]


@settings(max_examples=60)
@given(queues(), policies)
def test_people_ahead_matches_the_call_order(entries: list[QueueEntry], policy: QueuePolicy) -> None:
    ordered = order_queue(entries, policy)
    for index, entry in enumerate(ordered):
        assert people_ahead(entry, entries, policy) == index
        # ``others`` may or may not contain the ticket itself; the answer is the same.
        assert people_ahead(entry, [e for e in entries if e.ticket_id != entry.ticket_id], policy) == index


@given(queues(max_size=12), policies)
def test_calling_one_by_one_gives_the_same_order(entries: list[QueueEntry], policy: QueuePolicy) -> None:
    remaining = list(entries)
    called = []
    while remaining:
        chosen = pick_next(remaining, policy)
        assert chosen is not None
        called.append(chosen)
        remaining.remove(chosen)
    assert called == order_queue(entries, policy)


# --- ticket actions ------------------------------------------------------------------------------

W, C, S, D, N, X, P, K = (
    TicketState.WAITING,
    TicketState.CALLED,
    TicketState.SERVING,
    TicketState.DONE,
    TicketState.NO_SHOW,
    TicketState.TRANSFERRED,
    TicketState.PARKED,
    TicketState.CANCELLED,
)

# The rule, written out independently of the code: (state, action) -> new state. Every pair not
# listed here must be refused.
ALLOWED: dict[tuple[TicketState, str], TicketState] = {
    (W, "call"): C,
    (C, "recall"): C,
    (C, "start"): S,
    (C, "done"): D,
    (S, "done"): D,
    (C, "no_show"): N,
    (W, "transfer"): W,
    (C, "transfer"): W,
    (S, "transfer"): W,
    (P, "transfer"): W,
    (W, "park"): P,
    (C, "park"): P,
    (S, "park"): P,
    (P, "resume"): W,
    (N, "resume"): W,
    (W, "cancel"): K,
    (P, "cancel"): K,
    (C, "cancel"): K,
}
ALL_ACTIONS = sorted({action for _state, action in ALLOWED})
FORBIDDEN = [(state, action) for state in TicketState for action in ALL_ACTIONS if (state, action) not in ALLOWED]


def test_the_action_table_has_exactly_the_documented_actions() -> None:
    assert sorted(ACTIONS) == ALL_ACTIONS
    assert set(ACTION_LABELS_ZH) == set(ALL_ACTIONS)
    assert set(STATE_LABELS_ZH) == set(TicketState)


@pytest.mark.parametrize(("state", "action"), sorted(ALLOWED), ids=lambda v: str(v))
def test_allowed_action(state: TicketState, action: str) -> None:
    assert next_state(state, action) == ALLOWED[(state, action)]


@pytest.mark.parametrize(("state", "action"), FORBIDDEN, ids=lambda v: str(v))
def test_forbidden_action(state: TicketState, action: str) -> None:
    with pytest.raises(Conflict) as caught:
        next_state(state, action)
    error = caught.value
    assert error.code == "ticket_state_conflict"
    assert error.status == 409
    # The officer reads why, in Chinese: the ticket's state and the refused action.
    assert STATE_LABELS_ZH[state] in error.message
    assert ACTION_LABELS_ZH[action] in error.message
    assert error.details == {"state": state.value, "action": action}


def test_finished_tickets_accept_no_action_at_all() -> None:
    for state in (D, K, X):
        assert not [a for a in ALL_ACTIONS if (state, a) in ALLOWED]


def test_unknown_action() -> None:
    with pytest.raises(Conflict) as caught:
        next_state(W, "teleport")
    assert caught.value.code == "unknown_action"


@pytest.mark.parametrize(
    ("recalls_so_far", "max_recalls", "outcome"),
    [(0, 3, "recall"), (2, 3, "recall"), (3, 3, "no_show"), (4, 3, "no_show"), (0, 0, "no_show"), (0, 1, "recall")],
)
def test_recall_turns_into_no_show_after_the_center_limit(recalls_so_far: int, max_recalls: int, outcome: str) -> None:
    assert recall_outcome(recalls_so_far, max_recalls) == outcome
