"""A case's deadlines and its next supervision moment, computed from its stored facts.

Which clock runs when:

* ``accept`` (受理: decide whether to accept) and ``first_response`` start when the case is
  received and stop at its first route or answer (``responded_at``);
* ``answer`` (答复) and ``resolve`` (办结) start when the case is received — again when it is
  reopened or escalated (``clock_start_at``) — and stop when the reply reaches the employee.

Pauses (with their reasons) stop every clock; extensions lengthen the step they were granted for.
``refresh`` stores each step's due time, the earliest one still open (``due_at``: the overdue lists
are indexed on it; None while paused, so a paused case is never "overdue"), whether that due time
needed the provisional holiday years (``due_provisional``) and when the ladder's next rung falls
due (``next_alert_at``: the only thing the supervision sweep queries).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from suqiu_queue.domain import sla
from suqiu_queue.domain.calendar import WorkCalendar, computed
from suqiu_queue.domain.enums import CaseState
from suqiu_queue.domain.errors import SuqiuError
from suqiu_queue.domain.supervision import Ladder, next_rung_at

from .models import Case, CasePause

log = logging.getLogger(__name__)
T = TypeVar("T")
_warned: set[str] = set()


def _warn_once(case: Case, what: str, exc: SuqiuError) -> None:
    # One line per distinct problem (e.g. next year's holiday data is missing), not one per case.
    key = f"{what}:{exc.code}:{exc.message_en}"
    if key not in _warned:
        _warned.add(key)
        log.warning(
            "case %s: no %s: %s (further cases with the same problem are not logged)", case.id, what, exc.message_en
        )


STEP_ORDER = (sla.SlaStep.ACCEPT, sla.SlaStep.FIRST_RESPONSE, sla.SlaStep.ANSWER, sla.SlaStep.RESOLVE)
DUE_COLUMN = {step: f"{step.value}_due_at" for step in STEP_ORDER}
ANSWERED_STATES = frozenset({CaseState.ANSWERED.value, CaseState.RATED.value, CaseState.ARCHIVED.value})
OPEN_STATES = (CaseState.ACCEPTED.value, CaseState.ROUTED.value, CaseState.IN_PROGRESS.value)


def step_start(case: Case, step: sla.SlaStep) -> datetime:
    if step in (sla.SlaStep.ACCEPT, sla.SlaStep.FIRST_RESPONSE):
        return case.created_at
    return case.clock_start_at or case.created_at


def step_open(case: Case, step: sla.SlaStep) -> bool:
    if step in (sla.SlaStep.ACCEPT, sla.SlaStep.FIRST_RESPONSE):
        return case.responded_at is None and case.status in OPEN_STATES
    return case.status not in ANSWERED_STATES


def pauses_of(rows: Sequence[CasePause]) -> tuple[sla.Pause, ...]:
    return tuple(sla.Pause(reason=p.reason, start=p.start_at, end=p.end_at) for p in rows)


def extensions_of(case: Case, step: sla.SlaStep | str) -> tuple[sla.Extension, ...]:
    return tuple(
        sla.Extension(reason=e["reason"], at=datetime.fromisoformat(e["at"]))
        for e in (case.extensions or [])
        if e.get("step") == sla.SlaStep(step).value
    )


class CaseClock:
    """The facts one computation needs: the policy, the center's calendar and the case's pauses.

    Computations use the official holiday data and, only where they reach past it, the provisional
    years (``calendar.computed``); ``provisional`` records the steps whose due time needed them.
    """

    def __init__(self, case: Case, policy: sla.SlaPolicy, calendar: WorkCalendar, pauses: Sequence[CasePause]):
        self.case = case
        self.policy = policy
        self.calendar = calendar
        self.pauses = pauses_of(pauses)
        self.provisional: set[sla.SlaStep] = set()

    def _computed(self, step: sla.SlaStep, rule: Callable[..., T], *given: Any) -> T:
        """``rule(policy, step, start, calendar, *given, pauses, extensions)`` — the shape of every
        clock function in ``domain.sla`` — on the official data, else on the provisional years."""
        start, extensions = step_start(self.case, step), extensions_of(self.case, step)
        value, provisional = computed(
            self.calendar, lambda calendar: rule(self.policy, step, start, calendar, *given, self.pauses, extensions)
        )
        if provisional:
            self.provisional.add(step)
        return value

    def due(self, step: sla.SlaStep) -> datetime | None:
        self.provisional.discard(step)
        try:
            return self._computed(step, sla.due_at)
        except SuqiuError as exc:  # CalendarOutOfRange (past the provisional years too), bad stored data
            _warn_once(self.case, f"{step.value} deadline", exc)
            return None

    def instants(self, step: sla.SlaStep, fractions: Sequence[float]) -> dict[float, datetime | None]:
        """When each share of the step's budget will have run, in one walk (the ladder's rungs)."""
        try:
            found = self._computed(step, sla.instants_at, fractions)
        except SuqiuError:
            # One share lies past the data (say the 150 % rung): the earlier ones may still be known.
            found = tuple(self.instant(step, fraction) for fraction in fractions)
        return dict(zip(fractions, found, strict=True))

    def instant(self, step: sla.SlaStep, fraction: float) -> datetime | None:
        try:
            return self._computed(step, sla.instants_at, (fraction,))[0]
        except SuqiuError as exc:
            _warn_once(self.case, f"{step.value} reminder time", exc)
            return None

    def deadline(self, step: sla.SlaStep, now: datetime) -> sla.Deadline | None:
        try:
            return self._computed(step, sla.deadline, now)
        except SuqiuError:
            return None


def ladder_instants(clock: CaseClock, step: sla.SlaStep, ladder: Ladder) -> Callable[[float], datetime | None]:
    """``instant_of(fraction)`` for the ladder's rungs and the due time, all computed in one walk."""
    fractions = tuple(sorted({*(rung.at for rung in ladder.rungs), 1.0}))
    known = clock.instants(step, fractions)

    def instant_of(fraction: float) -> datetime | None:
        return known[fraction] if fraction in known else clock.instant(step, fraction)

    return instant_of


def clear(case: Case) -> None:
    for column in DUE_COLUMN.values():
        setattr(case, column, None)
    case.due_at = None
    case.due_step = None
    case.due_provisional = False
    case.alert_step = None
    case.alert_fired = 0
    case.next_alert_at = None


def refresh(case: Case, clock: CaseClock | None, *, ladder: Ladder, now: datetime) -> None:
    """Store every step's due time, the earliest open one, and when the ladder next speaks."""
    if clock is None:  # the category has no (known) policy: no deadlines, no supervision
        clear(case)
        case.paused = bool(case.paused)
        return
    case.paused = bool(clock.pauses) and clock.pauses[-1].is_open
    case.due_provisional = False
    open_steps: list[tuple[datetime | None, int, sla.SlaStep]] = []
    for order, step in enumerate(STEP_ORDER):
        if step not in clock.policy.steps:
            setattr(case, DUE_COLUMN[step], None)
            continue
        due = clock.due(step)
        if due is not None or not step_open(case, step):
            # While paused the stored due time stays the last one known (the clock is stopped there).
            setattr(case, DUE_COLUMN[step], due)
        if step_open(case, step):
            open_steps.append((due, order, step))
    if not open_steps:
        case.due_at = None
        case.due_step = None
    elif case.paused:
        case.due_at = None
        case.due_step = min(open_steps, key=lambda item: item[1])[2].value
    else:
        known = [item for item in open_steps if item[0] is not None]
        if known:
            due, _order, step = min(known, key=lambda item: (item[0], item[1]))
            case.due_at, case.due_step = due, step.value
            case.due_provisional = step in clock.provisional
        else:  # beyond the holiday data: no computable deadline
            case.due_at, case.due_step = None, open_steps[0][2].value
    if case.alert_step != case.due_step:
        case.alert_step = case.due_step
        case.alert_fired = 0
    if case.due_step is None or case.paused:
        case.next_alert_at = None
    else:
        case.next_alert_at = next_rung_at(
            ladder, case.alert_fired, ladder_instants(clock, sla.SlaStep(case.due_step), ladder)
        )
    if case.due_at is not None and case.due_at <= now and case.breached_at is None:
        case.breached_at = case.due_at
