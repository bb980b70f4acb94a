"""One visit at the kiosk as a plain state machine (no Qt), so every rule is unit-testable.

    welcome ─tile─▶ identify ─confirm/skip─▶ describe ─next/skip─▶ (faq) ─▶ issuing ─▶ ticket
                                                                     └─resolved─▶ resolved

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
    DESCRIBE = "describe"
    FAQ = "faq"
    ISSUING = "issuing"
    TICKET = "ticket"
    RESOLVED = "resolved"


class PrintState(StrEnum):
    NONE = "none"
    PRINTING = "printing"
    PRINTED = "printed"
    FAILED = "failed"


_visit_ids = itertools.count(1)


@dataclass
class Visit:
    id: int = field(default_factory=lambda: next(_visit_ids))
    idempotency_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    category: str = ""
    category_name: str = ""
    # identification: what was typed, and what the server confirmed
    id_kind: str = "employee_no"  # or "phone"
    id_value: str = ""
    masked_name: str = ""
    found_employee_no: str = ""  # what the server matched, until the person confirms it
    employee_no: str = ""  # set once the person confirmed the masked name
    phone: str = ""
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
        self._go(Step.DESCRIBE)

    def reject_identity(self) -> None:
        self.visit.masked_name = ""
        self.visit.id_value = ""
        self.visit.found_employee_no = ""
        self.visit.employee_no = ""
        self.visit.phone = ""

    def skip_identify(self) -> None:
        if self.step != Step.IDENTIFY:
            return
        self.reject_identity()
        self._go(Step.DESCRIBE)

    def toggle_topic(self, topic: str) -> None:
        if topic in self.visit.topics:
            self.visit.topics.remove(topic)
        else:
            self.visit.topics.append(topic)

    def finish_describe(self, text: str) -> bool:
        """下一步: True if an FAQ lookup should start now."""
        if self.step != Step.DESCRIBE or self.busy:
            return False
        self.visit.text = text.strip()
        self.busy = True
        return True

    def skip_describe(self) -> bool:
        if self.step != Step.DESCRIBE or self.busy:
            return False
        self.visit.text = ""
        self.visit.topics.clear()
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
        self._go(Step.ISSUING)
        self.busy = True
        return IssueRequest(
            category=self.visit.category,
            idempotency_key=self.visit.idempotency_key,
            employee_no=self.visit.employee_no or None,
            phone=self.visit.phone or None,
            note=self.visit.note(),
        )

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
