"""What the public may know about a ticket, given only its random status token.

Deliberately less than the kiosk's ticket view: no name, no note, no phone, no employee
number — a photographed QR code or a forwarded link must reveal nothing personal. The case
opened from the ticket shows only where it stands, the answer (never for a confidential,
private or 心理关爱 matter) and the rating form: no timeline, notes, departments or names.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from suqiu_queue.domain.enums import CaseState, TicketState
from suqiu_queue.domain.errors import Conflict, Invalid, NotFound
from suqiu_queue.domain.hours import local_now, service_date
from suqiu_queue.domain.lifecycle import UNSATISFIED_MAX_SCORE, CaseAction, allowed_actions
from suqiu_queue.domain.queueing import STATE_LABELS_ZH

from ..cases import deadlines
from ..cases.config import LoopConfig
from ..cases.models import Case
from ..cases.service import ANSWER_OUTCOME_LABELS_ZH, act, is_public, rate, rateable_cases_for_ticket, snapshot_of
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


# --- the case behind the ticket: its answer, the rating form, 申请复核 --------------------------------
#
# The token holder is the person who took the ticket (or someone they showed it to): they may see
# where their own matter stands, read the answer to it and rate it. They never see the timeline,
# internal notes, departments, officers' names or anyone else's case.

STAR_LABELS = {1: "非常不满意", 2: "不满意", 3: "基本满意", 4: "满意", 5: "非常满意"}
MAX_COMMENT = 500  # a phone keyboard's worth; the officers' API allows more, the page needs no more
REVIEW_REASON = "员工扫码申请复核"
# What the employee reads about where the case stands (the officers' 受理/分流/办理 mean little to them).
_STAGE_TEXT = {
    CaseState.ACCEPTED.value: ("正在办理", "工作人员已受理您的诉求，办理完成后会把答复告诉您，届时可在本页评价。"),
    CaseState.ROUTED.value: ("正在办理", "您的诉求已转到相关部门办理，办理完成后会把答复告诉您，届时可在本页评价。"),
    CaseState.IN_PROGRESS.value: ("正在办理", "相关部门正在办理您的诉求，办理完成后会把答复告诉您，届时可在本页评价。"),
    CaseState.ANSWERED.value: ("已答复，请您评价", "请看看下面的答复，并告诉我们您是否满意。"),
    CaseState.RATED.value: ("已评价", "您的意见会帮助我们改进工作。"),
    CaseState.ARCHIVED.value: ("已办结", "这项诉求已经办结归档。如有新的问题，欢迎再次来访。"),
}


def _local_day(moment: datetime | None, timezone: str) -> str | None:
    if moment is None:
        return None
    day = local_now(moment, timezone)
    return f"{day.month}月{day.day}日"


def review_action(case: Case) -> CaseAction | None:
    """What 申请复核 does now, if anything: reopen first (at most twice), then the 民事民议 review."""
    allowed = allowed_actions(snapshot_of(case))
    for action in (CaseAction.REOPEN, CaseAction.ESCALATE):
        if action in allowed:
            return action
    return None


def case_section(case: Case, timezone: str) -> dict[str, Any]:
    """One case as the token holder may see it."""
    state = case.status
    headline, advice = _STAGE_TEXT[state]
    again = state in deadlines.OPEN_STATES and (bool(case.reopen_count) or bool(case.review_requested))
    if again:
        headline = "正在重新办理"
        advice = "您的诉求正在重新办理，办理完成后会再次答复您，届时可在本页评价。"
    if state == CaseState.RATED.value and (case.rating_score or 0) <= UNSATISFIED_MAX_SCORE:
        advice = "很抱歉这次答复没有让您满意。"
    answered = state in deadlines.ANSWERED_STATES and bool(case.reply)
    # The answer is the employee's own; still, a confidential matter or a 心理关爱 one is not put on
    # a page that anyone holding the ticket (or a photo of its QR code) can open.
    show_reply = answered and is_public(case)
    score = case.rating_score if state in (CaseState.RATED.value, CaseState.ARCHIVED.value) else None
    review = review_action(case) if state == CaseState.RATED.value else None
    return {
        "case_id": case.id,
        "reference": case.reference,
        "category_name": case.category.name_zh,
        "state": state,
        "headline": headline,
        "advice": advice,
        "answered_on": _local_day(case.answered_at, timezone) if answered else None,
        "outcome_label": ANSWER_OUTCOME_LABELS_ZH.get(case.answer_outcome or "") if answered else None,
        "reply": case.reply if show_reply else None,
        "reply_withheld": answered and not show_reply,
        "can_rate": state == CaseState.ANSWERED.value,
        "score": score,
        "score_label": STAR_LABELS.get(score) if score else None,
        "review": review.value if review else None,
        "escalated": bool(case.review_requested),
    }


def case_sections(session: Session, ticket: Ticket) -> list[dict[str, Any]]:
    return [case_section(c, ticket.center.timezone) for c in rateable_cases_for_ticket(session, ticket)]


def _case_for_page(session: Session, ticket: Ticket, case_id: int | None) -> Case:
    """The ticket's case named by the form, locked: two taps on 提交 must not both rate it."""
    ids = {c.id for c in rateable_cases_for_ticket(session, ticket)}
    if case_id is None and len(ids) == 1:
        case_id = next(iter(ids))
    if case_id not in ids:
        raise NotFound("case_not_found", "这张号票没有可评价的诉求事项", "No case is linked to this receipt")
    case = session.scalar(
        select(Case).where(Case.id == case_id).with_for_update().execution_options(populate_existing=True)
    )
    assert case is not None  # listed a moment ago, and cases are never deleted
    return case


def parse_score(raw: str | None) -> int:
    try:
        score = int((raw or "").strip())
    except ValueError:
        score = 0
    if score not in STAR_LABELS:
        raise Invalid("rating_score_missing", "请先选择 1 到 5 颗星，再提交评价。", "Choose 1 to 5 stars")
    return score


def _comment(raw: str | None) -> str | None:
    text = (raw or "").strip()
    if len(text) > MAX_COMMENT:
        raise Invalid(
            "rating_comment_too_long",
            f"意见最多 {MAX_COMMENT} 字，请精简后再提交。",
            f"The comment is longer than {MAX_COMMENT} characters",
        )
    return text or None


def rate_from_page(
    session: Session,
    ticket: Ticket,
    *,
    case_id: int | None,
    score: int,
    comment: str | None,
    now: datetime,
    config: LoopConfig,
) -> Case:
    """评价 from the receipt's QR page (channel ``qr``), with calm words when it cannot be done now."""
    case = _case_for_page(session, ticket, case_id)
    if case.status == CaseState.RATED.value:
        raise Conflict("case_already_rated", "您已经评价过了，感谢您的反馈。", "This case has already been rated")
    if case.status == CaseState.ARCHIVED.value:
        raise Conflict(
            "case_archived", "这项诉求已经办结归档，不能再评价。如有疑问，请到服务台咨询。", "The case is archived"
        )
    if case.status != CaseState.ANSWERED.value:
        raise Conflict(
            "case_not_answered", "这项诉求还在办理中，收到答复后就可以在本页评价。", "The case has no reply to rate yet"
        )
    return rate(
        session,
        case,
        now=now,
        actor="public:receipt",
        config=config,
        score=score,
        comment=_comment(comment),
        channel="qr",
    )


def request_review(
    session: Session,
    ticket: Ticket,
    *,
    case_id: int | None,
    text: str | None,
    now: datetime,
    config: LoopConfig,
) -> tuple[Case, CaseAction]:
    """申请复核 after an unsatisfied rating: reopened (重新办理) while the lifecycle allows it, then
    the 民事民议 review. The employee's words, if any, become the recorded reason."""
    case = _case_for_page(session, ticket, case_id)
    action = review_action(case) if case.status == CaseState.RATED.value else None
    if action is None:
        if case.status in deadlines.OPEN_STATES:
            raise Conflict(
                "review_already_requested",
                "您的复核申请已经受理，正在重新办理，请耐心等待答复。",
                "The case is already being handled again",
            )
        raise Conflict(
            "review_not_available",
            "这项诉求暂时不能在线申请复核。如有疑问，请到服务台咨询工作人员。",
            "A review cannot be requested for this case now",
        )
    extra = _comment(text)
    reason = f"{REVIEW_REASON}：{extra}" if extra else REVIEW_REASON
    act(session, case, action, now=now, actor="public:receipt", config=config, reason=reason)
    return case, action
