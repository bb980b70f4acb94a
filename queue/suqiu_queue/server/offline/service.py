"""Leasing number blocks to kiosks, and accepting the tickets they issued while offline.

The protocol (docs/kiosk-server.md):

1. While online, a kiosk leases a block per category for today. The block is reserved with
   ``allocate(..., count=size)`` on the very sequence online tickets use, so blocks never
   overlap each other or online numbers.
2. While offline, it prints numbers from its block and remembers each ticket with an
   idempotency key and the real arrival time.
3. Back online, it uploads them. Each item is judged on its own: accepted (a real ticket with
   its real arrival time, so the queue stays fair), duplicate (already uploaded: same ticket),
   or rejected with a reason code.

A ticket whose day is already over when it arrives is still recorded on its own day, as
``no_show`` and never called (nobody can be called on a past day), and announced as
``ticket.offline_recorded`` rather than ``ticket.issued`` so that boards and front desks do not
show yesterday's numbers as new arrivals.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suqiu_queue.domain.enums import TicketState
from suqiu_queue.domain.errors import Conflict, Forbidden, Invalid, NotFound
from suqiu_queue.domain.hours import service_date
from suqiu_queue.domain.numbering import format_ticket_number

from ..events.service import emit
from ..org.models import Category, Center
from ..org.service import category_by_code, center_by_code
from ..people.models import Employee
from ..people.service import employee_by_no
from ..tickets.models import Ticket
from ..tickets.numbers import allocate, ticket_scope
from ..tickets.service import choose_lane, find_by_idempotency_key, ticket_payload
from .models import NumberBlock

DEFAULT_BLOCK_SIZE = 20
MAX_BLOCK_SIZE = 100
# A kiosk stuck in a retry loop must not eat a category's numbers for the day.
MAX_LEASED_PER_DAY = 500
# Kiosk clocks drift; a few minutes ahead of the server is a clock, not a forgery.
CLOCK_SKEW = timedelta(minutes=5)

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"

REASONS_ZH = {
    "unknown_category": "没有这个业务类别",
    "invalid_issued_at": "取号时间缺少时区",
    "issued_in_future": "取号时间晚于服务器当前时间",
    "number_not_leased": "该号码不在本机领用的号段内",
    "other_device_block": "该号码属于另一台自助机的号段",
    "wrong_service_date": "该号码属于本机另一天的号段",
    "number_already_used": "该号码已被使用",
    "idempotency_key_conflict": "该上传编号已被另一张号票使用",
    "try_again": "系统繁忙，请稍后重新上传",
}


def source_of(device_id: int) -> str:
    return f"offline:{device_id}"


def device_center(session: Session, center_code: str, device_center_id: int | None) -> Center:
    center = center_by_code(session, center_code)
    if device_center_id is not None and center.id != device_center_id:
        raise Forbidden("other_center", "该设备不属于这个中心", "This device belongs to another center")
    return center


def find_lease(session: Session, request_key: str, device_id: int) -> NumberBlock | None:
    block = session.scalar(select(NumberBlock).where(NumberBlock.request_key == request_key))
    if block is not None and block.device_id != device_id:
        raise Conflict(
            "request_key_conflict", "该请求编号已被其他设备使用", "This request key was used by another device"
        )
    return block


def lease_block(
    session: Session,
    *,
    device_id: int,
    center: Center,
    category_code: str,
    size: int,
    now: datetime,
    request_key: str | None = None,
) -> NumberBlock:
    """Reserve ``size`` numbers of today's sequence for this kiosk (a retried request with the
    same key gets the same block)."""
    if request_key:
        existing = find_lease(session, request_key, device_id)
        if existing is not None:
            return existing
    if not 1 <= size <= MAX_BLOCK_SIZE:
        raise Invalid(
            "invalid_block_size",
            f"号段大小应在 1 到 {MAX_BLOCK_SIZE} 之间",
            f"Block size must be between 1 and {MAX_BLOCK_SIZE}",
        )
    category = category_by_code(session, category_code)
    day = service_date(now, center.timezone)
    leased = session.scalar(
        select(func.coalesce(func.sum(NumberBlock.last - NumberBlock.first + 1), 0)).where(
            NumberBlock.device_id == device_id,
            NumberBlock.category_id == category.id,
            NumberBlock.service_date == day,
        )
    )
    if int(leased or 0) + size > MAX_LEASED_PER_DAY:
        raise Conflict(
            "block_limit_reached",
            f"本机今天领用的{category.name_zh}号码已达上限（{MAX_LEASED_PER_DAY} 个）",
            f"This kiosk has leased the daily maximum of {MAX_LEASED_PER_DAY} numbers for this category",
        )
    last = allocate(session, ticket_scope(center.id, category.id, day), count=size)
    block = NumberBlock(
        device_id=device_id,
        center_id=center.id,
        category_id=category.id,
        service_date=day,
        first=last - size + 1,
        last=last,
        prefix=category.prefix,
        request_key=request_key or None,
        leased_at=now,
    )
    session.add(block)
    session.flush()
    return block


def used_numbers(session: Session, block: NumberBlock) -> int:
    return int(
        session.scalar(
            select(func.count(Ticket.id)).where(
                Ticket.center_id == block.center_id,
                Ticket.number_category_id == block.category_id,
                Ticket.service_date == block.service_date,
                Ticket.number.between(block.first, block.last),
            )
        )
        or 0
    )


def block_out(block: NumberBlock, category_code: str, used: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": block.id,
        "category": category_code,
        "prefix": block.prefix,
        "service_date": block.service_date.isoformat(),
        "first": block.first,
        "last": block.last,
        "size": block.last - block.first + 1,
        "first_display": format_ticket_number(block.prefix, block.first),
        "last_display": format_ticket_number(block.prefix, block.last),
    }
    if used is not None:
        out["uploaded"] = used
    return out


def blocks_of(session: Session, device_id: int, day: date) -> list[tuple[NumberBlock, str]]:
    rows = session.execute(
        select(NumberBlock, Category.code)
        .join(Category, Category.id == NumberBlock.category_id)
        .where(NumberBlock.device_id == device_id, NumberBlock.service_date == day)
        .order_by(NumberBlock.id)
    ).all()
    return [(block, code) for block, code in rows]


# --- uploading offline tickets -------------------------------------------------------------------


@dataclass
class OfflineTicket:
    idempotency_key: str
    category: str
    number: int
    issued_at: datetime
    employee_no: str | None = None
    note: str = ""
    lane: str | None = None


@dataclass
class Outcome:
    idempotency_key: str
    status: str
    reason: str | None = None
    ticket: Ticket | None = None
    warnings: list[str] = field(default_factory=list)


def _rejected(item: OfflineTicket, reason: str) -> Outcome:
    return Outcome(item.idempotency_key, REJECTED, reason)


def _holding_block(
    session: Session, *, device_id: int, center: Center, category: Category, day: date, number: int
) -> NumberBlock | str:
    """This kiosk's block holding ``number`` on ``day``, or the reason it has none."""
    block = session.scalar(
        select(NumberBlock).where(
            NumberBlock.center_id == center.id,
            NumberBlock.category_id == category.id,
            NumberBlock.service_date == day,
            NumberBlock.first <= number,
            NumberBlock.last >= number,
        )
    )
    if block is not None:
        return block if block.device_id == device_id else "other_device_block"
    on_other_day = session.scalar(
        select(NumberBlock.id)
        .where(
            NumberBlock.device_id == device_id,
            NumberBlock.category_id == category.id,
            NumberBlock.first <= number,
            NumberBlock.last >= number,
        )
        .limit(1)
    )
    return "wrong_service_date" if on_other_day is not None else "number_not_leased"


def accept_offline_ticket(
    session: Session, *, device_id: int, center: Center, item: OfflineTicket, now: datetime
) -> Outcome:
    source = source_of(device_id)
    existing = find_by_idempotency_key(session, item.idempotency_key)
    if existing is not None:
        if existing.source == source and existing.center_id == center.id and existing.number == item.number:
            return Outcome(item.idempotency_key, DUPLICATE, ticket=existing)
        return _rejected(item, "idempotency_key_conflict")
    # An inactive category still counts: the person came while it was offered.
    category = session.scalar(select(Category).where(Category.code == item.category))
    if category is None:
        return _rejected(item, "unknown_category")
    if item.issued_at.tzinfo is None:
        return _rejected(item, "invalid_issued_at")
    if item.issued_at > now + CLOCK_SKEW:
        return _rejected(item, "issued_in_future")
    issued_at = min(item.issued_at, now)
    day = service_date(issued_at, center.timezone)
    block = _holding_block(session, device_id=device_id, center=center, category=category, day=day, number=item.number)
    if isinstance(block, str):
        return _rejected(item, block)
    taken = session.scalar(
        select(Ticket.id).where(
            Ticket.center_id == center.id,
            Ticket.number_category_id == category.id,
            Ticket.service_date == day,
            Ticket.number == item.number,
        )
    )
    if taken is not None:
        return _rejected(item, "number_already_used")

    # Never lose the person's place over a detail the kiosk could not check offline.
    warnings: list[str] = []
    employee: Employee | None = None
    if item.employee_no:
        try:
            employee = employee_by_no(session, item.employee_no)
        except NotFound:
            warnings.append("unknown_employee_no")
    try:
        lane = choose_lane(item.lane, category, employee, day)
    except Invalid:
        warnings.append("invalid_lane")
        lane = choose_lane(None, category, employee, day)

    live = day == service_date(now, center.timezone)
    ticket = Ticket(
        center_id=center.id,
        category_id=category.id,
        number_category_id=category.id,
        service_date=day,
        number=item.number,
        display=format_ticket_number(block.prefix, item.number),  # the number that was printed
        lane=lane.value,
        state=(TicketState.WAITING if live else TicketState.NO_SHOW).value,
        employee_id=employee.id if employee else None,
        identified_by="employee_no" if employee else None,
        idempotency_key=item.idempotency_key,
        status_token=secrets.token_urlsafe(16),
        note=item.note.strip(),
        source=source,
        issued_at=issued_at,
        finished_at=None if live else now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    payload = ticket_payload(ticket, category) | {"offline": True, "service_date": day.isoformat()}
    emit(session, "ticket.issued" if live else "ticket.offline_recorded", payload, center_id=center.id)
    return Outcome(item.idempotency_key, ACCEPTED, ticket=ticket, warnings=warnings)
