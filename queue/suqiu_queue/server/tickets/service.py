"""Issuing tickets and moving them through the queue. Rules come from suqiu_queue.domain."""

from __future__ import annotations

import json
import secrets
import threading
import time
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Date, and_, bindparam, func, or_, select, text, update
from sqlalchemy.orm import Session

from suqiu_queue.domain import queueing
from suqiu_queue.domain.enums import Lane, TicketState
from suqiu_queue.domain.errors import Conflict, Forbidden, Invalid, not_found
from suqiu_queue.domain.hours import OpeningHours, local_now, service_date
from suqiu_queue.domain.numbering import format_ticket_number
from suqiu_queue.domain.queueing import QueueEntry, QueuePolicy
from suqiu_queue.domain.waiting import estimate_wait_minutes

from ..db import UTCDateTime, utcnow
from ..errors import UNSTORABLE_VALUE
from ..events.service import emit
from ..org import cache as org_cache
from ..org.models import Category, Center, Counter
from ..org.service import open_counters_for, queue_policy
from ..people.models import Employee
from ..people.service import age_on, employee_by_no, employee_by_phone
from .models import Ticket
from .numbers import allocate, ticket_scope


class _TTLCache:
    """Per-process cache for slow-moving figures (recent service times); 30 s is fresh enough."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.items: dict[Any, tuple[float, Any]] = {}
        self.lock = threading.Lock()

    def get(self, key: Any, load: Any) -> Any:
        now = time.monotonic()
        with self.lock:
            hit = self.items.get(key)
        if hit and hit[0] > now:
            return hit[1]
        value = load()
        with self.lock:
            self.items[key] = (now + self.ttl, value)
        return value


# Sorts after every real ticket: the id and number a ticket about to be issued compares as.
_AFTER_EVERYONE = 2**31 - 1  # the largest INTEGER: ids and numbers are 32-bit columns

_service_times = _TTLCache(30.0)
_open_counters = _TTLCache(5.0)


def _entry(t: Ticket) -> QueueEntry:
    return QueueEntry(ticket_id=t.id, lane=Lane(t.lane), arrived_at=t.issued_at, number=t.number)


def _closed_error(center: Center) -> Conflict:
    return Conflict(
        "center_closed",
        f"{center.name}现在不在服务时间内，请在开放时间再来取号",
        f"{center.name} is closed now; please take a ticket during opening hours",
        details={"opening_hours": center.opening_hours},
    )


def _other_center() -> Forbidden:
    return Forbidden("other_center", "该设备不属于这个中心", "This device belongs to another center")


def choose_lane(requested: str | None, category: Category, employee: Employee | None, day: date) -> Lane:
    try:
        lane = Lane(requested or category.default_lane or Lane.NORMAL)
    except ValueError as exc:
        raise Invalid("invalid_lane", f"无效的通道：{requested}", f"Invalid lane: {requested}") from exc
    elderly_age = (category.priority_rules or {}).get("elderly_age")
    if lane == Lane.NORMAL and employee is not None and elderly_age:
        age = age_on(employee.birth_date, day)
        if age is not None and age >= int(elderly_age):
            lane = Lane.PRIORITY
    return lane


_ID_BY_KEY = select(Ticket.id).where(Ticket.idempotency_key == bindparam("key"))


def find_by_idempotency_key(session: Session, key: str) -> Ticket | None:
    # Almost every key is new: a cheap id lookup first, the full row only for a real retry.
    ticket_id = session.connection().execute(_ID_BY_KEY, {"key": key}).scalar()
    return None if ticket_id is None else session.get(Ticket, ticket_id)


def issue(
    session: Session,
    *,
    now: datetime,
    center_code: str,
    category_code: str,
    source: str,
    lane: str | None = None,
    employee_no: str | None = None,
    phone: str | None = None,
    note: str = "",
    idempotency_key: str | None = None,
    identified_by: str | None = None,
    allowed_center_id: int | None = None,
) -> tuple[Ticket, bool]:
    """Issue a ticket; returns (ticket, created). A repeated idempotency key returns the original.

    Three statements on PostgreSQL: one reads (is this key a retry? how many are ahead?), one takes
    the number, one writes the ticket and its event together (see ``_insert_postgresql``). Each is
    atomic on its own, so the endpoint runs them without BEGIN/COMMIT round trips; the unique
    idempotency key, not a transaction, is what stops a concurrent retry from making a second ticket.
    """
    # Snapshots, not rows: two queries fewer per ticket (see org/cache.py).
    center = org_cache.center_by_code(session, center_code)
    if allowed_center_id is not None and center.id != allowed_center_id:
        raise _other_center()
    category = org_cache.category_by_code(session, category_code)
    employee = None
    if employee_no:
        employee = employee_by_no(session, employee_no)
        identified_by = identified_by or "employee_no"
    elif phone:
        employee = employee_by_phone(session, phone)
        identified_by = identified_by or "phone"
    day = service_date(now, center.timezone)
    chosen_lane = choose_lane(lane, category, employee, day)
    # Counted before the number is taken: allocating locks this category's number row until the
    # write commits, so the lock is never held for the count as well. Later arrivals sort after
    # this ticket, so the figure stands (a concurrent, still uncommitted earlier arrival is
    # invisible either way: it is an estimate).
    probe = SimpleNamespace(
        id=_AFTER_EVERYONE,
        number=_AFTER_EVERYONE,
        lane=chosen_lane.value,
        issued_at=now,
        center_id=center.id,
        service_date=day,
        category_id=category.id,
    )
    existing_id, ahead_at_issue = _existing_and_ahead(session, idempotency_key, probe, queue_policy(center))  # type: ignore[arg-type]
    if existing_id is not None:
        existing = session.get(Ticket, existing_id)
        assert existing is not None
        # A replayed key answers with the original ticket, but only to its own center:
        # another center's kiosk must not read someone's ticket by guessing or reusing a key.
        if allowed_center_id is not None and existing.center_id != allowed_center_id:
            raise _other_center()
        return existing, False
    if not OpeningHours.parse(center.opening_hours).is_open(local_now(now, center.timezone)):
        raise _closed_error(center)
    # Everything the answer says is worked out before the write, so that once the ticket exists
    # nothing can fail on the way back but the connection itself (which the idempotency key covers).
    wait_minutes = _wait_minutes(session, center.id, category, ahead_at_issue)
    ticket = Ticket(
        center_id=center.id,
        category_id=category.id,
        number_category_id=category.id,
        service_date=day,
        lane=chosen_lane.value,
        state=TicketState.WAITING.value,
        employee_id=employee.id if employee else None,
        identified_by=identified_by if employee else None,
        idempotency_key=idempotency_key or None,
        status_token=secrets.token_urlsafe(16),
        note=note.strip(),
        source=source,
        issued_at=now,
        updated_at=now,
        recall_count=0,
        print_failed=False,
    )
    if session.connection().dialect.name == "postgresql":
        _insert_postgresql(session, ticket, category)
    else:
        ticket.number = allocate(session, ticket_scope(center.id, category.id, day))
        ticket.display = format_ticket_number(category.prefix, ticket.number)
        session.add(ticket)
        session.flush()
        emit(session, "ticket.issued", ticket_payload(ticket, category), center_id=center.id)
    # Transient, not mapped: what ticket_view answers for this ticket without asking the database.
    ticket.at_issue = (center, category, ahead_at_issue, wait_minutes)  # type: ignore[attr-defined]
    return ticket, True


def _existing_and_ahead(
    session: Session, key: str | None, probe: Ticket, policy: QueuePolicy
) -> tuple[int | None, int]:
    """One round trip: the ticket an idempotency key already made (if any) and the count ahead."""
    crisis, params = _count_ahead_query(probe, policy)
    row = session.connection().execute(_EXISTING_AND_AHEAD[crisis], {**params, "key": key}).one()
    return row[0], int(row[1] or 0)


# The write, on PostgreSQL, in two statements, each atomic on its own (no BEGIN/COMMIT):
#
# 1. the number: bump the scope's row and commit *without waiting for the disk*
#    (synchronous_commit off for that transaction only). The row lock is released at once, so
#    tickets of the same category no longer queue behind each other's commit flush — they can
#    share one flush. Durable anyway where it matters: WAL is flushed in order, and the ticket's
#    own commit (step 2, synchronous) flushes everything before it, so an acknowledged ticket
#    never loses its number after a crash; a number whose ticket was never acknowledged may be
#    handed out again, harmlessly.
# 2. the ticket and its event together (a failure leaves neither; the number is then skipped — a
#    gap in the day's numbers, never a duplicate).
_NEXT_NUMBER_POSTGRESQL = text(
    """
    WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true))
    INSERT INTO number_sequences (scope, last_value) SELECT :scope, 1 FROM relaxed
    ON CONFLICT (scope) DO UPDATE SET last_value = number_sequences.last_value + 1
    RETURNING last_value
    """
)
# Inside a caller's transaction the relaxed commit would cover the ticket too: never there.
_NEXT_NUMBER_IN_TRANSACTION = text(
    """
    INSERT INTO number_sequences (scope, last_value) VALUES (:scope, 1)
    ON CONFLICT (scope) DO UPDATE SET last_value = number_sequences.last_value + 1
    RETURNING last_value
    """
)

_INSERT_POSTGRESQL = text(
    """
    WITH t AS (
        INSERT INTO tickets (
            center_id, category_id, number_category_id, service_date, number, display, lane, state,
            employee_id, identified_by, idempotency_key, status_token, note, source,
            issued_at, updated_at, recall_count, print_failed
        )
        VALUES (
            :center_id, :category_id, :category_id, :service_date, :number, :display, :lane, :state,
            :employee_id, :identified_by, :idempotency_key, :status_token, :note, :source,
            :issued_at, :issued_at, 0, false
        )
        RETURNING id
    ), e AS (
        INSERT INTO events (center_id, kind, payload, created_at)
        SELECT :center_id, 'ticket.issued', (CAST(:payload AS jsonb) || jsonb_build_object('ticket_id', t.id))::json,
               :created_at
        FROM t
        RETURNING id
    )
    SELECT t.id FROM t, e
    """
).bindparams(
    bindparam("service_date", type_=Date),
    bindparam("issued_at", type_=UTCDateTime),
    bindparam("created_at", type_=UTCDateTime),
)


def _insert_postgresql(session: Session, ticket: Ticket, category: org_cache.CategoryInfo) -> None:
    if any("\x00" in (value or "") for value in (ticket.note, ticket.source, ticket.identified_by)):
        # PostgreSQL refuses NUL in text. Refused here, before the number is taken, the request
        # changes nothing; the answer is the one the database's refusal gets (errors.py).
        raise Invalid(*UNSTORABLE_VALUE)
    connection = session.connection()
    scope = ticket_scope(ticket.center_id, ticket.category_id, ticket.service_date)
    own_commit = connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    statement = _NEXT_NUMBER_POSTGRESQL if own_commit else _NEXT_NUMBER_IN_TRANSACTION
    ticket.number = connection.execute(statement, {"scope": scope}).scalar_one()
    ticket.display = format_ticket_number(category.prefix, ticket.number)
    payload = ticket_payload(ticket, category, counter=None)  # the id is filled in by SQL
    del payload["ticket_id"]
    ticket.id = connection.execute(
        _INSERT_POSTGRESQL,
        {
            "center_id": ticket.center_id,
            "category_id": ticket.category_id,
            "service_date": ticket.service_date,
            "number": ticket.number,
            "display": ticket.display,
            "lane": ticket.lane,
            "state": ticket.state,
            "employee_id": ticket.employee_id,
            "identified_by": ticket.identified_by,
            "idempotency_key": ticket.idempotency_key,
            "status_token": ticket.status_token,
            "note": ticket.note,
            "source": ticket.source,
            "issued_at": ticket.issued_at,
            "payload": json.dumps(payload, ensure_ascii=False),
            "created_at": utcnow(),
        },
    ).scalar_one()
    # The row is written; this object only carries its values back to the answer (never added
    # to the session, so nothing is written twice).


def ticket_payload(ticket: Ticket, category: Category | None = None, counter: Counter | None = None) -> dict[str, Any]:
    """What an event says about a ticket: no names, no free text (boards and kiosks read it)."""
    category = category or ticket.category
    counter = counter if counter is not None else ticket.counter
    return {
        "ticket_id": ticket.id,
        "display": ticket.display,
        "category": category.code,
        "category_name": category.name_zh,
        "lane": ticket.lane,
        "state": ticket.state,
        "counter_id": counter.id if counter else None,
        "counter_number": counter.number if counter else None,
        "recall_count": ticket.recall_count,
        "identified": ticket.employee_id is not None,
    }


# --- reading the queue -------------------------------------------------------------------------


def waiting_tickets(session: Session, center_id: int, day: date, category_id: int | None = None) -> list[Ticket]:
    query = select(Ticket).where(
        Ticket.center_id == center_id, Ticket.service_date == day, Ticket.state == TicketState.WAITING.value
    )
    if category_id is not None:
        query = query.where(Ticket.category_id == category_id)
    return list(session.scalars(query).all())


def _database(session: Session) -> str:
    """Part of every cache key: one process may serve (or test) more than one database."""
    return str(session.get_bind().url)


def recent_service_seconds(session: Session, center_id: int, category_id: int, sample: int = 30) -> list[float]:
    """This center's recent service times: another center's officers say nothing about this hall."""

    def load() -> list[float]:
        rows = session.execute(
            select(Ticket.called_at, Ticket.finished_at)
            .where(
                Ticket.center_id == center_id,
                Ticket.category_id == category_id,
                Ticket.state == TicketState.DONE.value,
                Ticket.called_at.is_not(None),
                Ticket.finished_at.is_not(None),
            )
            .order_by(Ticket.finished_at.desc())
            .limit(sample)
        ).all()
        return [(f - c).total_seconds() for c, f in rows]

    return _service_times.get((_database(session), center_id, category_id), load)


def _sorts_before(moment: str) -> Any:
    """Tickets of one lane that sort before mine: sort_key's terms (effective arrival, real
    arrival, number, id) once the lane's head start is folded into the compared moment."""
    at = bindparam(moment, type_=UTCDateTime)
    mine_at = bindparam("mine_at", type_=UTCDateTime)
    number, ticket_id = bindparam("mine_number"), bindparam("mine_id")
    return or_(
        Ticket.issued_at < at,
        and_(
            Ticket.issued_at == at,
            or_(
                Ticket.issued_at < mine_at,
                and_(
                    Ticket.issued_at == mine_at,
                    or_(Ticket.number < number, and_(Ticket.number == number, Ticket.id < ticket_id)),
                ),
            ),
        ),
    )


def _count_ahead_statement(crisis: bool) -> Any:
    base = (
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.center_id == bindparam("center_id"),
            Ticket.service_date == bindparam("day"),
            Ticket.category_id == bindparam("category_id"),
            Ticket.state == TicketState.WAITING.value,
            Ticket.id != bindparam("mine_id"),
        )
    )
    if crisis:
        return base.where(and_(Ticket.lane == Lane.CRISIS.value, _sorts_before("mine_at_crisis")))
    by_lane = [and_(Ticket.lane == lane.value, _sorts_before(f"at_{lane.value}")) for lane in _NON_CRISIS]
    return base.where(or_(Ticket.lane == Lane.CRISIS.value, *by_lane))


_NON_CRISIS = [lane for lane in Lane if lane != Lane.CRISIS]
# Built once: this runs for every ticket issued, and building the expression costs more than
# the query itself.
_COUNT_AHEAD = {crisis: _count_ahead_statement(crisis) for crisis in (True, False)}


# The same count with the idempotency lookup beside it: one round trip when issuing.
_EXISTING_AND_AHEAD = {
    crisis: select(_ID_BY_KEY.scalar_subquery(), statement.scalar_subquery())
    for crisis, statement in _COUNT_AHEAD.items()
}


def _count_ahead_query(ticket: Ticket, policy: QueuePolicy) -> tuple[bool, dict[str, Any]]:
    """Which prebuilt count applies (crisis or not) and its parameters."""
    mine = _entry(ticket)
    params: dict[str, Any] = {
        "center_id": ticket.center_id,
        "day": ticket.service_date,
        "category_id": ticket.category_id,
        "mine_id": ticket.id,
        "mine_at": ticket.issued_at,
        "mine_number": ticket.number,
    }
    crisis = mine.lane == Lane.CRISIS
    if crisis:
        params["mine_at_crisis"] = ticket.issued_at
    else:
        my_effective = ticket.issued_at - policy.head_start(mine.lane)
        for lane in _NON_CRISIS:
            params[f"at_{lane.value}"] = my_effective + policy.head_start(lane)
    return crisis, params


def count_ahead(session: Session, ticket: Ticket, policy: QueuePolicy) -> int:
    """``people_ahead`` for one ticket, counted in SQL (the day's queue can be long).

    Same rule as ``queueing.sort_key``, ties included: crisis first; otherwise a ticket of lane L
    is ahead of mine when its arrival minus L's head start is earlier than my effective arrival,
    or equal to it and the ticket came earlier (then: lower number, then lower id).
    """
    crisis, params = _count_ahead_query(ticket, policy)
    return int(session.connection().execute(_COUNT_AHEAD[crisis], params).scalar() or 0)


def _wait_minutes(session: Session, center_id: int, category: org_cache.CategoryInfo, ahead: int) -> int:
    counters = _open_counters.get(
        (_database(session), center_id, category.id),
        lambda: open_counters_for(session, center_id, category.id),
    )
    return estimate_wait_minutes(
        ahead,
        recent_service_seconds(session, center_id, category.id),
        counters,
        category.default_service_minutes * 60,
    )


def position_and_wait(
    session: Session, ticket: Ticket, policy: QueuePolicy, category: org_cache.CategoryInfo | None = None
) -> tuple[int, int]:
    if ticket.state != TicketState.WAITING.value:
        return 0, 0
    ahead = count_ahead(session, ticket, policy)
    category = category or org_cache.category_by_id(session, ticket.category_id)
    return ahead, _wait_minutes(session, ticket.center_id, category, ahead)


def ticket_view(session: Session, ticket: Ticket, policy: QueuePolicy | None = None) -> dict[str, Any]:
    at_issue = getattr(ticket, "at_issue", None)
    if at_issue is not None:  # just issued: everything is in hand
        center, category, ahead, minutes = at_issue
    else:
        center = org_cache.center_by_id(session, ticket.center_id)
        category = org_cache.category_by_id(session, ticket.category_id)
        policy = policy or queue_policy(center)  # type: ignore[arg-type]  # CenterInfo has lane_head_start
        ahead, minutes = position_and_wait(session, ticket, policy, category)
    counter = ticket.counter if ticket.counter_id is not None else None
    return {
        "id": ticket.id,
        "display": ticket.display,
        "number": ticket.number,
        "center": center.code,
        "center_name": center.name,
        "category": category.code,
        "category_name": category.name_zh,
        "category_name_en": category.name_en,
        "lane": ticket.lane,
        "state": ticket.state,
        "service_date": ticket.service_date.isoformat(),
        "issued_at": ticket.issued_at.isoformat(),
        "called_at": ticket.called_at.isoformat() if ticket.called_at else None,
        "people_ahead": ahead,
        "estimated_wait_minutes": minutes,
        "counter_number": counter.number if counter else None,
        "recall_count": ticket.recall_count,
        "print_failed": ticket.print_failed,
        "identified": ticket.employee_id is not None,
        "identified_by": ticket.identified_by,
        "status_token": ticket.status_token,
        "case_id": ticket.case_id,
    }


def waiting_summary(session: Session, center: Center, now: datetime) -> list[dict[str, Any]]:
    """Per active category: how many wait, and how long a newcomer would wait."""
    day = service_date(now, center.timezone)
    counts = dict(
        session.execute(
            select(Ticket.category_id, func.count())
            .where(Ticket.center_id == center.id, Ticket.service_date == day, Ticket.state == TicketState.WAITING.value)
            .group_by(Ticket.category_id)
        ).all()
    )
    categories = session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.sort_order)).all()
    summary = []
    for category in categories:
        count = int(counts.get(category.id, 0))
        counters = open_counters_for(session, center.id, category.id)
        minutes = estimate_wait_minutes(
            count,
            recent_service_seconds(session, center.id, category.id),
            counters,
            category.default_service_minutes * 60,
        )
        summary.append(
            {
                "category": category.code,
                "name": category.name_zh,
                "name_en": category.name_en,
                "prefix": category.prefix,
                "waiting": count,
                "estimated_wait_minutes": minutes,
                "open_counters": counters,
            }
        )
    return summary


# --- moving tickets ------------------------------------------------------------------------------


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise not_found("号票", "Ticket", ticket_id)
    return ticket


def _apply(session: Session, ticket: Ticket, action: str, now: datetime, values: dict[str, Any]) -> Ticket:
    """Change state with a compare-and-set on the old state, so two officers cannot both win."""
    new_state = queueing.next_state(TicketState(ticket.state), action)
    values = {"state": new_state.value, "updated_at": now, **values}
    result = session.execute(
        update(Ticket).where(Ticket.id == ticket.id, Ticket.state == ticket.state).values(**values)
    )
    if result.rowcount != 1:
        raise Conflict(
            "ticket_changed", "该号票刚被其他窗口处理，请刷新", "The ticket was just changed by someone else; refresh"
        )
    session.refresh(ticket)
    return ticket


def _check_counter_can_serve(counter: Counter, ticket: Ticket) -> None:
    if counter.center_id != ticket.center_id:
        raise Conflict("other_center", "该号票不属于本中心", "The ticket belongs to another center")


def call_next(session: Session, counter: Counter, now: datetime, actor: str) -> Ticket | None:
    if counter.paused:
        raise Conflict(
            "counter_paused", f"{counter.number}号窗口已暂停，请先恢复", f"Counter {counter.number} is paused"
        )
    center = counter.center
    day = service_date(now, center.timezone)
    category_ids = [c.id for c in counter.categories]
    policy = queue_policy(center)
    # Each lost race means another counter took a ticket, so the queue moved on: trying again is
    # cheap, and a busy hall (or a slow, shared test machine) can lose a few in a row.
    for _attempt in range(20):
        candidates = session.scalars(
            select(Ticket).where(
                Ticket.center_id == center.id,
                Ticket.service_date == day,
                Ticket.state == TicketState.WAITING.value,
                or_(
                    Ticket.target_counter_id == counter.id,
                    and_(Ticket.target_counter_id.is_(None), Ticket.category_id.in_(category_ids)),
                ),
            )
        ).all()
        chosen = queueing.pick_next([_entry(t) for t in candidates], policy)
        if chosen is None:
            return None
        ticket = next(t for t in candidates if t.id == chosen.ticket_id)
        try:
            return call(session, ticket, counter, now, actor)
        except Conflict as exc:
            if exc.code != "ticket_changed":
                raise
            session.expire(ticket)  # someone else called it first: pick again
    raise Conflict("queue_busy", "叫号繁忙，请再试一次", "The queue is busy; please try again")


def call(session: Session, ticket: Ticket, counter: Counter, now: datetime, actor: str) -> Ticket:
    _check_counter_can_serve(counter, ticket)
    if ticket.target_counter_id is not None and ticket.target_counter_id != counter.id:
        # Transferred to one counter: only that counter may call it, by call-next or by hand.
        target = session.get(Counter, ticket.target_counter_id)
        number = target.number if target else ticket.target_counter_id
        raise Conflict(
            "ticket_for_other_counter",
            f"该号票已转到{number}号窗口，只能由该窗口叫号",
            f"This ticket was transferred to counter {number}; only that counter can call it",
            details={"counter_number": number},
        )
    if counter.paused:
        raise Conflict(
            "counter_paused", f"{counter.number}号窗口已暂停，请先恢复", f"Counter {counter.number} is paused"
        )
    _apply(session, ticket, "call", now, {"called_at": now, "counter_id": counter.id, "recall_count": 0})
    emit(session, "ticket.called", ticket_payload(ticket, counter=counter) | {"by": actor}, center_id=ticket.center_id)
    return ticket


def recall(session: Session, ticket: Ticket, now: datetime, actor: str) -> Ticket:
    max_recalls = ticket.center.max_recalls
    if queueing.recall_outcome(ticket.recall_count, max_recalls) == "no_show":
        return no_show(session, ticket, now, actor, reason="recalls_exhausted")
    _apply(session, ticket, "recall", now, {"recall_count": ticket.recall_count + 1})
    emit(session, "ticket.recalled", ticket_payload(ticket) | {"by": actor}, center_id=ticket.center_id)
    return ticket


def no_show(session: Session, ticket: Ticket, now: datetime, actor: str, reason: str = "officer") -> Ticket:
    _apply(session, ticket, "no_show", now, {"finished_at": now})
    emit(
        session, "ticket.no_show", ticket_payload(ticket) | {"by": actor, "reason": reason}, center_id=ticket.center_id
    )
    return ticket


def start(session: Session, ticket: Ticket, now: datetime, actor: str) -> Ticket:
    _apply(session, ticket, "start", now, {"serving_at": now})
    emit(session, "ticket.serving", ticket_payload(ticket) | {"by": actor}, center_id=ticket.center_id)
    return ticket


def done(session: Session, ticket: Ticket, now: datetime, actor: str) -> Ticket:
    _apply(session, ticket, "done", now, {"finished_at": now})
    emit(session, "ticket.done", ticket_payload(ticket) | {"by": actor}, center_id=ticket.center_id)
    return ticket


def transfer(
    session: Session,
    ticket: Ticket,
    now: datetime,
    actor: str,
    *,
    category: Category | None = None,
    counter: Counter | None = None,
) -> Ticket:
    """Back into a queue with the original arrival time: another category and/or one counter."""
    if category is None and counter is None:
        raise Invalid(
            "transfer_target_missing", "请选择转移到的业务类别或窗口", "Choose a category or counter to transfer to"
        )
    if counter is not None:
        _check_counter_can_serve(counter, ticket)
    from_category = ticket.category.code
    values: dict[str, Any] = {
        "counter_id": None,
        "called_at": None,
        "serving_at": None,
        "recall_count": 0,
        "target_counter_id": counter.id if counter else None,
    }
    if category is not None:
        values["category_id"] = category.id
    _apply(session, ticket, "transfer", now, values)
    emit(
        session,
        "ticket.transferred",
        ticket_payload(ticket)
        | {"by": actor, "from_category": from_category, "to_counter_id": counter.id if counter else None},
        center_id=ticket.center_id,
    )
    return ticket


def park(session: Session, ticket: Ticket, now: datetime, actor: str) -> Ticket:
    _apply(session, ticket, "park", now, {"counter_id": None})
    emit(session, "ticket.parked", ticket_payload(ticket) | {"by": actor}, center_id=ticket.center_id)
    return ticket


def resume(session: Session, ticket: Ticket, now: datetime, actor: str) -> Ticket:
    _apply(session, ticket, "resume", now, {"finished_at": None, "recall_count": 0, "called_at": None})
    emit(session, "ticket.resumed", ticket_payload(ticket) | {"by": actor}, center_id=ticket.center_id)
    return ticket


def cancel(session: Session, ticket: Ticket, now: datetime, actor: str) -> Ticket:
    _apply(session, ticket, "cancel", now, {"finished_at": now})
    emit(session, "ticket.cancelled", ticket_payload(ticket) | {"by": actor}, center_id=ticket.center_id)
    return ticket


def set_counter_paused(session: Session, counter: Counter, paused: bool, actor: str) -> Counter:
    counter.paused = paused
    emit(
        session,
        "counter.paused" if paused else "counter.resumed",
        {"counter_id": counter.id, "counter_number": counter.number, "by": actor},
        center_id=counter.center_id,
    )
    return counter


def mark_print_failed(
    session: Session, ticket: Ticket, now: datetime, actor: str, *, failed: bool, reason: str
) -> Ticket:
    ticket.print_failed = failed
    emit(
        session,
        "ticket.print_failed" if failed else "ticket.printed",
        ticket_payload(ticket) | {"reason": reason[:200], "by": actor},
        center_id=ticket.center_id,
    )
    return ticket
