"""What the public may know about a ticket, given only its random status token.

Deliberately less than the kiosk's ticket view: no name, no note, no phone, no employee
number, no case — a photographed QR code or a forwarded link must reveal nothing personal.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from suqiu_queue.domain.enums import TicketState
from suqiu_queue.domain.hours import local_now, service_date
from suqiu_queue.domain.queueing import STATE_LABELS_ZH

from ..org.service import queue_policy
from ..tickets.models import Ticket
from ..tickets.service import position_and_wait

REFRESH_SECONDS = 15
# secrets.token_urlsafe(16) gives 22 characters of this alphabet; anything else is not a token.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# States after which nothing more will happen to the ticket today (the page stops refreshing).
_FINAL = {TicketState.DONE.value, TicketState.CANCELLED.value}


def find_ticket(session: Session, token: str) -> Ticket | None:
    if not _TOKEN.match(token):
        return None
    return session.scalar(select(Ticket).where(Ticket.status_token == token))


def _headline(ticket: Ticket, ahead: int, minutes: int, expired: bool) -> tuple[str, str, str]:
    """(tone, status line, what to do) in plain words for the person holding the ticket."""
    counter = ticket.counter.number if ticket.counter else None
    state = ticket.state
    if expired and state not in _FINAL:
        day = f"{ticket.service_date.month}月{ticket.service_date.day}日"
        return "muted", "已失效", f"这是 {day} 的号票，当天的排队已经结束。如需办理，请重新取号。"
    if state == TicketState.WAITING.value:
        if ahead == 0:
            return "wait", "等候中", "您是下一位，请留意叫号。"
        # The page shows the figures big underneath; the sentence says what to do meanwhile.
        return "wait", "等候中", f"前面还有 {ahead} 人。请在大厅稍候，叫到您时本页会显示要去的窗口。"
    if state == TicketState.CALLED.value:
        where = f"请到 {counter} 号窗口" if counter else "已叫号"
        again = f"（已第 {ticket.recall_count + 1} 次呼叫）" if ticket.recall_count else ""
        return "go", where, f"已叫到您的号，请尽快前往{again}。"
    if state == TicketState.SERVING.value:
        where = f"正在 {counter} 号窗口办理" if counter else "办理中"
        return "go", where, "工作人员正在为您办理。"
    if state == TicketState.DONE.value:
        return "done", "已完成", "本次办理已完成，感谢您的来访。"
    if state == TicketState.NO_SHOW.value:
        return "muted", "已过号", "叫号时您不在现场。如仍需办理，请到服务台说明，工作人员会为您恢复排队。"
    if state == TicketState.PARKED.value:
        return "wait", "暂时挂起", "工作人员已为您保留号票，请留意叫号，或到服务台咨询。"
    if state == TicketState.CANCELLED.value:
        return "muted", "已取消", "这张号票已取消。如需办理，请重新取号。"
    label = STATE_LABELS_ZH.get(TicketState(state), state) if state in TicketState.__members__.values() else state
    return "wait", label, "请留意叫号。"


def public_status(session: Session, ticket: Ticket, now: datetime) -> dict[str, Any]:
    center = ticket.center
    today = service_date(now, center.timezone)
    expired = ticket.service_date < today
    ahead, minutes = (0, 0) if expired else position_and_wait(session, ticket, queue_policy(center))
    tone, status_text, advice = _headline(ticket, ahead, minutes, expired)
    live = not expired and ticket.state not in _FINAL
    waiting = live and ticket.state == TicketState.WAITING.value
    return {
        "center_name": center.name,
        "display": ticket.display,
        "category": ticket.category.code,
        "category_name": ticket.category.name_zh,
        "state": "expired" if expired and ticket.state not in _FINAL else ticket.state,
        "status_text": status_text,
        "advice": advice,
        "tone": tone,
        "counter_number": ticket.counter.number if ticket.counter else None,
        "people_ahead": ahead if waiting else None,
        "estimated_wait_minutes": minutes if waiting else None,
        "service_date": ticket.service_date.isoformat(),
        "issued_at_local": local_now(ticket.issued_at, center.timezone).strftime("%H:%M"),
        "updated_at_local": local_now(now, center.timezone).strftime("%H:%M:%S"),
        "refresh_seconds": REFRESH_SECONDS if live else None,
    }
