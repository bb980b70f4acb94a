"""One visit at the kiosk as a plain state machine (no Qt), so every rule is unit-testable.

    welcome ─tile─▶ identify ─confirm/skip─▶ describe ─next/skip─▶ (faq) ─▶ issuing ─▶ ticket
                                                                     └─resolved─▶ resolved
    welcome ─心理自测─▶ identify ─confirm/skip─▶ assessment ─找心理老师聊聊 / 取心理关爱优先号─▶ issuing ─▶ ticket
                                                   └─完成 / 退出测评 / idle─▶ welcome
    identify ─刷脸识别 / 登记刷脸 / 撤回授权─▶ face ─是, 继续─▶ describe (or assessment)
                                                └─返回, not recognised, 不是─▶ identify

The window listens (``subscribe``) and shows the screen for ``step``; screens call the methods
here. Each visit has an ``id`` and an idempotency key: answers from the server for an older visit
are dropped (``is_current``), and however often "取号" is tapped, one visit makes one ticket.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .service import IssuedTicket, IssueRequest


class Step(StrEnum):
    WELCOME = "welcome"
    IDENTIFY = "identify"
    FACE = "face"  # 刷脸识别, or 登记刷脸 / 撤回授权 (the face screens)
    DESCRIBE = "describe"
    ASSESSMENT = "assessment"
    FAQ = "faq"
    ISSUING = "issuing"
    TICKET = "ticket"
    RESOLVED = "resolved"


class PrintState(StrEnum):
    NONE = "none"
    PRINTING = "printing"
    PRINTED = "printed"
    FAILED = "failed"


class Purpose(StrEnum):
    TICKET = "ticket"  # a category tile: the visit ends in a ticket (or an FAQ answer)
    ASSESSMENT = "assessment"  # 心理自测: the visit may end without any ticket


_visit_ids = itertools.count(1)


@dataclass
class Visit:
    id: int = field(default_factory=lambda: next(_visit_ids))
    idempotency_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    purpose: Purpose = Purpose.TICKET
    category: str = ""
    category_name: str = ""
    lane: str | None = None  # None: the category's own lane
    # Whether the ticket carries the confirmed identity. A ticket taken from inside the
    # self-assessment names the person only if they answered 实名: an anonymous crisis alert
    # followed by a named crisis-lane ticket would name them all the same.
    share_identity: bool = True
    # identification: what was typed, and what the server confirmed
    id_kind: str = "employee_no"  # or "phone"
    id_value: str = ""
    masked_name: str = ""
    found_employee_no: str = ""  # what the server matched, until the person confirms it
    employee_no: str = ""  # set once the person confirmed the masked name
    phone: str = ""
    identified_by: str = ""  # "face" once recognised and confirmed ("是"): the ticket is linked to the match
    face_mode: str = ""  # on the face screens: "recognise", "enrol" or "withdraw"
    voice: Any = None  # the kept recording (suqiu_kiosk.voice.PendingVoiceMessage), sent after the ticket
    topics: list[str] = field(default_factory=list)
    text: str = ""
    faq: list[dict[str, Any]] = field(default_factory=list)
    ticket: IssuedTicket | None = None
    print_state: PrintState = PrintState.NONE
    print_message: str = ""
    error: str = ""  # a calm sentence for the current screen, cleared on the next step

    @property
    def identified(self) -> bool:
        return bool(self.employee_no or self.phone)

    def note(self) -> str:
        """What the officer reads on the arrival card: chosen topics, then the person's words."""
        parts = "、".join(self.topics)
        text = self.text.strip()
        if parts and text:
            return f"{parts}：{text}"[:500]
        return (parts or text)[:500]


class VisitFlow:
    def __init__(self) -> None:
        self.step = Step.WELCOME
        self.visit = Visit()
        self.elderly = False
        self.language = "zh"
        self.busy = False  # a request for this visit is under way: taps on its buttons wait
        self._listeners: list[Callable[[Step], None]] = []
        self._history: list[Step] = []

    # --- observing ---------------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[Step], None]) -> None:
        self._listeners.append(listener)

    def _go(self, step: Step) -> None:
        if step != self.step:
            self._history.append(self.step)
        self.step = step
        self.busy = False
        self.visit.error = ""
        for listener in list(self._listeners):
            listener(step)

    def is_current(self, visit_id: int) -> bool:
        return self.visit.id == visit_id

    # --- kiosk-wide switches -----------------------------------------------------------------------

    def set_elderly(self, on: bool) -> None:
        self.elderly = on

    def set_language(self, language: str) -> None:
        self.language = language

    # --- the steps ---------------------------------------------------------------------------------

    def choose_category(self, code: str, name: str) -> None:
        if self.step != Step.WELCOME:
            return
        self.visit.category, self.visit.category_name = code, name
        self._go(Step.IDENTIFY)

    def choose_assessment(self) -> None:
        """心理自测 on the welcome screen: identify first (only that enables 实名), then the questions."""
        if self.step != Step.WELCOME:
            return
        self.visit.purpose = Purpose.ASSESSMENT
        self._go(Step.IDENTIFY)

    @property
    def _after_identify(self) -> Step:
        return Step.ASSESSMENT if self.visit.purpose == Purpose.ASSESSMENT else Step.DESCRIBE

    def begin_identify(self, kind: str, value: str) -> bool:
        """The person tapped 确认: True if a lookup should start (not while one runs)."""
        if self.step != Step.IDENTIFY or self.busy or not value:
            return False
        self.visit.id_kind, self.visit.id_value = kind, value
        self.visit.masked_name = ""
        self.busy = True
        return True

    def identity_found(self, masked_name: str, employee_no: str) -> None:
        self.busy = False
        self.visit.masked_name = masked_name
        self.visit.found_employee_no = employee_no
        self.visit.employee_no = ""

    def identity_failed(self, message: str) -> None:
        self.busy = False
        self.visit.error = message

    def confirm_identity(self) -> None:
        if self.step != Step.IDENTIFY or not self.visit.masked_name:
            return
        if self.visit.id_kind == "phone":
            self.visit.phone = self.visit.id_value
        self.visit.employee_no = self.visit.found_employee_no
        self._go(self._after_identify)

    def reject_identity(self) -> None:
        self.visit.masked_name = ""
        self.visit.id_value = ""
        self.visit.found_employee_no = ""
        self.visit.employee_no = ""
        self.visit.phone = ""
        self.visit.identified_by = ""

    def skip_identify(self) -> None:
        if self.step != Step.IDENTIFY:
            return
        self.reject_identity()
        self._go(self._after_identify)

    # --- the face screens ----------------------------------------------------------------------------

    def begin_face(self, mode: str) -> None:
        """刷脸识别 ("recognise"), 登记刷脸 ("enrol") or 撤回刷脸授权 ("withdraw") from the identify screen."""
        if self.step != Step.IDENTIFY or self.busy:
            return
        self.reject_identity()
        self.visit.face_mode = mode
        self._go(Step.FACE)

    def face_recognised(self, employee_no: str, masked_name: str) -> None:
        """The person said "是": identified, as by a confirmed 工号 (the history page is showing)."""
        if self.step != Step.FACE:
            return
        self.visit.employee_no = self.visit.found_employee_no = employee_no
        self.visit.masked_name = masked_name
        self.visit.identified_by = "face"

    def face_withdrawn(self) -> None:
        """Consent withdrawn after recognition: still this person for this visit, but no face link."""
        self.visit.identified_by = ""

    def face_done(self) -> None:
        """继续 after recognition: on to describe (or the self-assessment); otherwise back to identify."""
        if self.step != Step.FACE:
            return
        self.visit.face_mode = ""
        self._go(self._after_identify if self.visit.employee_no else Step.IDENTIFY)

    def face_back(self, message: str = "") -> None:
        """返回, not recognised, "不是", enrolment finished or cancelled: the 工号 keypad, calmly."""
        if self.step != Step.FACE:
            return
        self.reject_identity()
        self.visit.face_mode = ""
        self._go(Step.IDENTIFY)
        self.visit.error = message

    def toggle_topic(self, topic: str) -> None:
        if topic in self.visit.topics:
            self.visit.topics.remove(topic)
        else:
            self.visit.topics.append(topic)

    def finish_describe(self, text: str, voice: Any = None) -> bool:
        """下一步: True if an FAQ lookup should start now. ``voice``: a recording made on the screen."""
        if self.step != Step.DESCRIBE or self.busy:
            return False
        self.visit.text = text.strip()
        self.visit.voice = voice
        self.busy = True
        return True

    def skip_describe(self) -> bool:
        if self.step != Step.DESCRIBE or self.busy:
            return False
        self.visit.text = ""
        self.visit.topics.clear()
        self.visit.voice = None  # 跳过 means "nothing to describe": a recording made meanwhile is not sent
        self.busy = True
        return True

    def faq_found(self, entries: list[dict[str, Any]]) -> bool:
        """Answers arrived: show them, or (none) go straight on. True when a ticket is wanted now."""
        self.visit.faq = list(entries)
        if entries:
            self._go(Step.FAQ)
            return False
        return True

    def resolved_by_faq(self) -> bool:
        if self.step != Step.FAQ:
            return False
        self._go(Step.RESOLVED)
        return True

    def request_ticket(self) -> IssueRequest | None:
        """Go to issuing; None when this visit already asked for (or has) its ticket."""
        if self.step in (Step.ISSUING, Step.TICKET, Step.RESOLVED, Step.WELCOME):
            return None
        if self.step == Step.ASSESSMENT and not self.visit.category:
            return None  # only request_assessment_ticket says what a self-assessment's ticket is
        self._go(Step.ISSUING)
        self.busy = True
        share = self.visit.share_identity
        return IssueRequest(
            category=self.visit.category,
            idempotency_key=self.visit.idempotency_key,
            employee_no=(self.visit.employee_no or None) if share else None,
            phone=(self.visit.phone or None) if share else None,
            note=self.visit.note(),
            lane=self.visit.lane,
        )

    def request_assessment_ticket(
        self, category: str, category_name: str, *, lane: str | None, linked: bool
    ) -> IssueRequest | None:
        """From the self-assessment: 找心理老师聊聊 (``lane=None``) or 取心理关爱优先号 (``lane="crisis"``).
        ``linked``: the person answered 实名, so the ticket may name them."""
        if self.step != Step.ASSESSMENT or self.busy:
            return None
        self.visit.category, self.visit.category_name = category, category_name
        self.visit.lane = lane
        self.visit.share_identity = linked
        return self.request_ticket()

    def ticket_issued(self, ticket: IssuedTicket) -> None:
        self.visit.ticket = ticket
        self.visit.print_state = PrintState.NONE
        self._go(Step.TICKET)

    def issue_failed(self, message: str) -> None:
        """Back to the step before issuing, with the reason on screen; the same key is kept."""
        previous = self._history[-1] if self._history else Step.WELCOME
        self._go(previous)
        self.visit.error = message

    def print_started(self) -> bool:
        """The first print, or 重新打印: False while a print is under way or once it came out."""
        if self.step != Step.TICKET or self.busy or self.visit.print_state == PrintState.PRINTED:
            return False
        self.visit.print_state = PrintState.PRINTING
        self.busy = True
        return True

    def print_finished(self, ok: bool, message: str = "") -> None:
        self.busy = False
        self.visit.print_state = PrintState.PRINTED if ok else PrintState.FAILED
        self.visit.print_message = message

    def back(self) -> None:
        if self.busy or self.step in (Step.ISSUING, Step.TICKET, Step.RESOLVED, Step.WELCOME):
            return
        if self.step == Step.ASSESSMENT:
            return  # the self-assessment has its own 上一步 and 退出测评
        if self.step == Step.FACE:
            self.face_back()
            return
        order = [Step.WELCOME, Step.IDENTIFY, Step.DESCRIBE, Step.FAQ]
        target = order[order.index(self.step) - 1]
        if target == Step.WELCOME:
            self.reset(keep_modes=True)
            return
        self._go(target)

    def reset(self, *, keep_modes: bool = False) -> None:
        """Wipe everything entered (idle timeout, 完成, 返回首页). Modes reset for the next person."""
        self.visit = Visit()
        self._history.clear()
        if not keep_modes:
            self.elderly = False
            self.language = "zh"
        self._go(Step.WELCOME)
