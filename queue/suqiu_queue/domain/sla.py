"""时限: how long each step of a case may take, and when it is due.

An :class:`SlaPolicy` (one per category, shipped in ``suqiu_assets/sla_policies.yaml`` and edited by
admins afterwards) gives each step a budget in one of four units. The budget is spent only while
the step's clock runs:

* ``calendar_hours`` — every hour counts (紧急重要: first response within 48 hours, nights too);
* ``calendar_days`` — whole days counted from the day after the start, as statutory petition
  periods are (信访: decide within 15 days, resolve within 60); with ``end_on_working_day`` a
  period that would end on a rest day ends on the next working day instead;
* ``working_days`` — whole working days from the day after the start (政策咨询: 3 working days),
  using the :class:`~.calendar.WorkCalendar` with its make-up working weekends;
* ``business_hours`` — only office hours on working days count.

The clock stops while the step is paused — only with a recorded reason (e.g. waiting for the
employee's documents) — and pauses never overlap. A step may be extended as often as its policy
allows (statutory petitions: once, by 30 days), and only with a written reason.

Everything here is a pure function of its arguments: the server stores the start, the pauses and
the extensions, and asks this module for the due time, the remaining budget and the fraction
elapsed (for the 50 %/80 % supervision reminders), the instants of several fractions in one walk
(``instants_at``, for the sweep), and the whole working days left before a due time
(``working_days_left``, for people).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from .calendar import WorkCalendar
from .errors import Conflict, Invalid

MIN_EXTENSION_REASON_CHARS = 4  # "材料不全" is the shortest honest written reason
MAX_WITHIN = {  # generous ceilings: anything above is a typo in an admin form, not a policy
    "calendar_hours": 24 * 366,
    "calendar_days": 366,
    "working_days": 250,
    "business_hours": 8 * 250,
}
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


class SlaStep(StrEnum):
    ACCEPT = "accept"  # 受理: decide whether the matter is accepted
    FIRST_RESPONSE = "first_response"  # 首次响应: first contact with the employee
    ANSWER = "answer"  # 答复: the reply (反馈) reaches the employee
    RESOLVE = "resolve"  # 办结: the matter is settled


SLA_STEP_LABELS_ZH: dict[SlaStep, str] = {
    SlaStep.ACCEPT: "受理",
    SlaStep.FIRST_RESPONSE: "首次响应",
    SlaStep.ANSWER: "答复",
    SlaStep.RESOLVE: "办结",
}


class SlaUnit(StrEnum):
    CALENDAR_HOURS = "calendar_hours"
    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"
    BUSINESS_HOURS = "business_hours"


SLA_UNIT_LABELS_ZH: dict[SlaUnit, str] = {
    SlaUnit.CALENDAR_HOURS: "小时",
    SlaUnit.CALENDAR_DAYS: "日",
    SlaUnit.WORKING_DAYS: "个工作日",
    SlaUnit.BUSINESS_HOURS: "个工作小时",
}


def _invalid_policy(code: str, what_zh: str, what_en: str) -> Invalid:
    return Invalid("invalid_sla_policy", f"时限规则 {code} 有误：{what_zh}", f"SLA policy {code} is invalid: {what_en}")


def _positive_int(value: Any, code: str, where: str, ceiling: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ceiling:
        raise _invalid_policy(
            code,
            f"{where} 应为 1 到 {ceiling} 之间的整数：{value!r}",
            f"{where} must be an integer 1..{ceiling}: {value!r}",
        )
    return value


@dataclass(frozen=True)
class ExtensionRule:
    """How a step may be extended: by ``within`` more of the step's unit, at most ``max_count`` times."""

    within: int
    max_count: int = 1


@dataclass(frozen=True)
class StepLimit:
    within: int
    unit: SlaUnit
    end_on_working_day: bool = False
    extension: ExtensionRule | None = None

    @property
    def label_zh(self) -> str:
        return f"{self.within} {SLA_UNIT_LABELS_ZH[self.unit]}".replace(" 个", "个")

    def budget(self, extensions: int = 0) -> timedelta:
        """The clock time the step may use, with ``extensions`` granted extensions."""
        amount = self.within + (self.extension.within * extensions if self.extension else 0)
        if self.unit in (SlaUnit.CALENDAR_HOURS, SlaUnit.BUSINESS_HOURS):
            return timedelta(hours=amount)
        return timedelta(days=amount)


@dataclass(frozen=True)
class SlaPolicy:
    code: str
    name: str
    name_en: str
    steps: Mapping[SlaStep, StepLimit]

    def limit(self, step: SlaStep | str) -> StepLimit:
        try:
            return self.steps[SlaStep(step)]
        except (KeyError, ValueError) as exc:
            label = SLA_STEP_LABELS_ZH[SlaStep(step)] if step in set(SlaStep) else str(step)
            raise Invalid(
                "sla_step_not_in_policy",
                f"时限规则「{self.name}」没有“{label}”这一步",
                f"SLA policy {self.code} has no step '{step}'",
            ) from exc

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SlaPolicy:
        """From the shipped/admin-edited shape; raises :class:`Invalid` with the reason."""
        code = raw.get("code") if isinstance(raw, Mapping) else None
        if not isinstance(code, str) or not CODE_PATTERN.match(code):
            raise _invalid_policy(str(code), "代码应为小写字母、数字和下划线", "code must be lower_snake_case")
        name = raw.get("name")
        name_en = raw.get("name_en", "")
        if not isinstance(name, str) or not name.strip():
            raise _invalid_policy(code, "缺少中文名称", "missing name")
        if not isinstance(name_en, str):
            raise _invalid_policy(code, "英文名称应为文字", "name_en must be text")
        raw_steps = raw.get("steps")
        if not isinstance(raw_steps, Mapping) or not raw_steps:
            raise _invalid_policy(code, "至少要有一个步骤的时限", "needs at least one step")
        steps: dict[SlaStep, StepLimit] = {}
        for key, spec in raw_steps.items():
            try:
                step = SlaStep(key)
            except ValueError as exc:
                allowed = ", ".join(s.value for s in SlaStep)
                raise _invalid_policy(
                    code, f"未知的步骤 {key}（可用：{allowed}）", f"unknown step {key} ({allowed})"
                ) from exc
            steps[step] = _parse_limit(code, step, spec)
        known = {"code", "name", "name_en", "description", "description_en", "steps"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise _invalid_policy(code, f"未知的字段 {', '.join(unknown)}", f"unknown fields {', '.join(unknown)}")
        return cls(code=code, name=name.strip(), name_en=name_en.strip(), steps=steps)

    def to_dict(self) -> dict[str, Any]:
        steps: dict[str, Any] = {}
        for step, limit in self.steps.items():
            spec: dict[str, Any] = {"within": limit.within, "unit": limit.unit.value}
            if limit.end_on_working_day:
                spec["end_on_working_day"] = True
            if limit.extension:
                spec["extension"] = {"within": limit.extension.within, "max_count": limit.extension.max_count}
            steps[step.value] = spec
        return {"code": self.code, "name": self.name, "name_en": self.name_en, "steps": steps}


def _parse_limit(code: str, step: SlaStep, spec: Any) -> StepLimit:
    where = step.value
    if not isinstance(spec, Mapping):
        raise _invalid_policy(code, f"{where} 应为映射", f"{where} must be a mapping")
    try:
        unit = SlaUnit(spec.get("unit"))
    except ValueError as exc:
        allowed = ", ".join(u.value for u in SlaUnit)
        raise _invalid_policy(
            code, f"{where} 的单位无效（可用：{allowed}）", f"{where}: invalid unit ({allowed})"
        ) from exc
    within = _positive_int(spec.get("within"), code, f"{where}.within", MAX_WITHIN[unit])
    end_on_working_day = spec.get("end_on_working_day", False)
    if not isinstance(end_on_working_day, bool):
        raise _invalid_policy(
            code, f"{where}.end_on_working_day 应为 true/false", f"{where}.end_on_working_day must be a bool"
        )
    if end_on_working_day and unit is not SlaUnit.CALENDAR_DAYS:
        # Working-day and office-hour periods already end on a working day; hours run round the clock.
        raise _invalid_policy(
            code,
            f"{where}：只有按自然日计算的时限才能设置“遇节假日顺延”",
            f"{where}: end_on_working_day only applies to calendar_days",
        )
    extension = None
    raw_extension = spec.get("extension")
    if raw_extension is not None:
        if not isinstance(raw_extension, Mapping):
            raise _invalid_policy(code, f"{where}.extension 应为映射", f"{where}.extension must be a mapping")
        extension = ExtensionRule(
            within=_positive_int(raw_extension.get("within"), code, f"{where}.extension.within", MAX_WITHIN[unit]),
            max_count=_positive_int(raw_extension.get("max_count", 1), code, f"{where}.extension.max_count", 3),
        )
    unknown = sorted(set(spec) - {"within", "unit", "end_on_working_day", "extension"})
    if unknown:
        raise _invalid_policy(
            code, f"{where} 有未知字段 {', '.join(unknown)}", f"{where}: unknown fields {', '.join(unknown)}"
        )
    return StepLimit(within=within, unit=unit, end_on_working_day=end_on_working_day, extension=extension)


def load_policies(raw: Mapping[str, Any]) -> dict[str, SlaPolicy]:
    """All policies of a ``{"policies": [...]}`` document, by code (codes must be unique)."""
    items = raw.get("policies") if isinstance(raw, Mapping) else None
    if not isinstance(items, Sequence) or isinstance(items, str) or not items:
        raise Invalid("invalid_sla_policy", "时限规则列表为空", "The list of SLA policies is empty")
    policies: dict[str, SlaPolicy] = {}
    for item in items:
        policy = SlaPolicy.from_dict(item)
        if policy.code in policies:
            raise _invalid_policy(policy.code, "代码重复", "duplicate code")
        policies[policy.code] = policy
    return policies


# ----- pauses and extensions ---------------------------------------------------------------------


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise Invalid("naive_datetime", f"{what}缺少时区信息", f"{what} has no time zone: {moment.isoformat()}")


@dataclass(frozen=True)
class Pause:
    """The clock stopped from ``start`` until ``end`` (``None``: still paused)."""

    reason: str
    start: datetime
    end: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.end is None


def validate_pauses(pauses: Sequence[Pause]) -> tuple[Pause, ...]:
    """Pauses in order, each with a reason, none overlapping; only the last may still be open."""
    ordered = tuple(sorted(pauses, key=lambda p: p.start))
    previous_end: datetime | None = None
    for index, pause in enumerate(ordered):
        if not pause.reason or not pause.reason.strip():
            raise Invalid("pause_reason_required", "暂停计时必须写明原因", "A pause needs a recorded reason")
        _require_aware(pause.start, "暂停开始时间")
        if pause.end is not None:
            _require_aware(pause.end, "暂停结束时间")
            if pause.end <= pause.start:
                raise Invalid("pause_invalid", "暂停的结束时间必须晚于开始时间", "A pause must end after it starts")
        elif index != len(ordered) - 1:
            raise Conflict(
                "pause_overlap", "上一次暂停尚未恢复，不能再次暂停", "A pause is still open; resume it first"
            )
        if previous_end is not None and pause.start < previous_end:
            raise Conflict("pause_overlap", "暂停时段不能重叠", "Pauses must not overlap")
        previous_end = pause.end
    return ordered


def pause(pauses: Sequence[Pause], *, reason: str, at: datetime) -> tuple[Pause, ...]:
    """Stop the clock at ``at``. Refused without a reason, or while already paused."""
    current = validate_pauses(pauses)
    if not reason or not reason.strip():
        raise Invalid("pause_reason_required", "暂停计时必须写明原因", "A pause needs a recorded reason")
    _require_aware(at, "暂停时间")
    if current and current[-1].is_open:
        raise Conflict("already_paused", "计时已经暂停，请先恢复", "The clock is already paused; resume it first")
    if current and current[-1].end is not None and at < current[-1].end:
        raise Conflict("pause_overlap", "暂停时段不能重叠", "Pauses must not overlap")
    return (*current, Pause(reason=reason.strip(), start=at))


def resume(pauses: Sequence[Pause], *, at: datetime) -> tuple[Pause, ...]:
    """Restart the clock at ``at``: closes the open pause."""
    current = validate_pauses(pauses)
    if not current or not current[-1].is_open:
        raise Conflict("not_paused", "计时没有暂停，无需恢复", "The clock is not paused")
    _require_aware(at, "恢复时间")
    last = current[-1]
    if at <= last.start:
        raise Invalid("pause_invalid", "恢复时间必须晚于暂停时间", "Resume must come after the pause started")
    return (*current[:-1], Pause(reason=last.reason, start=last.start, end=at))


@dataclass(frozen=True)
class Extension:
    """One granted extension (延期), with the written reason it was granted for."""

    reason: str
    at: datetime


def extend(
    policy: SlaPolicy, step: SlaStep | str, extensions: Sequence[Extension], *, reason: str, at: datetime
) -> tuple[Extension, ...]:
    """Grant one more extension of ``step``, if the policy allows it, with a written reason."""
    limit = policy.limit(step)
    if limit.extension is None:
        raise Conflict(
            "extension_not_allowed",
            f"「{policy.name}」的{SLA_STEP_LABELS_ZH[SlaStep(step)]}时限不能延期",
            f"The {step} deadline of {policy.code} cannot be extended",
        )
    if len(extensions) >= limit.extension.max_count:
        raise Conflict(
            "extension_limit_reached",
            f"已延期 {len(extensions)} 次，按规定不能再延期",
            f"Already extended {len(extensions)} time(s); no further extension is allowed",
            details={"max_count": limit.extension.max_count},
        )
    text = (reason or "").strip()
    if len(text) < MIN_EXTENSION_REASON_CHARS:
        raise Invalid(
            "extension_reason_required",
            f"延期必须书面说明理由（至少 {MIN_EXTENSION_REASON_CHARS} 个字）",
            f"An extension needs a written reason (at least {MIN_EXTENSION_REASON_CHARS} characters)",
        )
    _require_aware(at, "延期时间")
    return (*extensions, Extension(reason=text, at=at))


# ----- the clock ---------------------------------------------------------------------------------

Span = tuple[datetime, datetime]
ONE_DAY = timedelta(days=1)
ONE_WEEK = timedelta(days=7)


def _counting_spans(limit: StepLimit, start: datetime, calendar: WorkCalendar) -> Iterator[Span]:
    """The endless, ordered stretches of time during which the step's clock may run."""
    if limit.unit is SlaUnit.CALENDAR_HOURS:
        # Chunked only so the walk can stop; every moment counts.
        chunk = timedelta(days=1)
        at = start
        while True:
            yield at, at + chunk
            at += chunk
    elif limit.unit is SlaUnit.BUSINESS_HOURS:
        yield from calendar.business_spans(start)
    elif limit.unit is SlaUnit.CALENDAR_DAYS:
        # Day-counted periods start the day after the start day (期间开始的当日不计算在内). Every
        # day counts, so a week is one stretch (the walk is cheaper; the sums are the same).
        day = calendar.local_date(start) + ONE_DAY
        while True:
            yield calendar.local_midnight(day), calendar.local_midnight(day + ONE_WEEK)
            day += ONE_WEEK
    else:
        # Working days, from the day after the start day; consecutive working days are one stretch.
        day = calendar.local_date(start) + ONE_DAY
        while True:
            if not calendar.is_working_day(day):  # raises past the data, as every single day would
                day += ONE_DAY
                continue
            first = day
            day += ONE_DAY
            # Look ahead only as far as the data goes: a run is closed at the last covered day, so a
            # deadline inside the data never fails for want of the next year.
            while calendar.covers(day) and calendar.is_working_day(day):
                day += ONE_DAY
            yield calendar.local_midnight(first), calendar.local_midnight(day)


def _without_pauses(spans: Iterator[Span], pauses: Sequence[Pause]) -> Iterator[Span]:
    """``spans`` with the paused stretches cut out; stops at an open pause (the clock is stopped)."""
    for span_start, span_end in spans:
        cursor = span_start
        for p in pauses:
            p_end = p.end
            if p_end is not None and p_end <= cursor:
                continue
            if p.start >= span_end:
                break
            if p.start > cursor:
                yield cursor, p.start
            if p_end is None:
                return
            cursor = max(cursor, p_end)
            if cursor >= span_end:
                break
        if cursor < span_end:
            yield cursor, span_end


def _walk(limit: StepLimit, start: datetime, calendar: WorkCalendar, pauses: Sequence[Pause]) -> Iterator[Span]:
    return _without_pauses(_counting_spans(limit, start, calendar), pauses)


def _instant_after(
    limit: StepLimit, start: datetime, calendar: WorkCalendar, pauses: Sequence[Pause], budget: timedelta
) -> datetime | None:
    """When ``budget`` of clock time has run; None if an open pause stops the clock first."""
    spent = timedelta(0)
    for span_start, span_end in _walk(limit, start, calendar, pauses):
        length = span_end - span_start
        if spent + length >= budget:
            return span_start + (budget - spent)
        spent += length
    return None


def _clock_time(
    limit: StepLimit, start: datetime, calendar: WorkCalendar, pauses: Sequence[Pause], until: datetime
) -> timedelta:
    spent = timedelta(0)
    if until <= start:
        return spent
    for span_start, span_end in _walk(limit, start, calendar, pauses):
        if span_start >= until:
            break
        spent += min(span_end, until) - span_start
    return spent


def _effective_budget(
    limit: StepLimit, start: datetime, calendar: WorkCalendar, pauses: Sequence[Pause], extensions: int
) -> timedelta:
    """The budget, lengthened when a statutory period must not end on a rest day.

    期间届满的最后一日是法定休假日的，以休假日后的第一日为期间届满的日期: the extra days are added
    to the budget itself, so the due time, the fraction elapsed and the breach all agree.
    """
    budget = limit.budget(extensions)
    if not limit.end_on_working_day:
        return budget
    due = _instant_after(limit, start, calendar, pauses, budget)
    if due is None:
        return budget
    last_day = calendar.local_date(due - timedelta(microseconds=1))
    if calendar.is_working_day(last_day):
        return budget
    # The period now ends at the close (midnight) of the next working day; the clock time between
    # the two ends is what the budget grows by (pauses inside it still do not count).
    new_end = calendar.local_midnight(calendar.next_working_day(last_day) + timedelta(days=1))
    return (
        budget + _clock_time(limit, start, calendar, pauses, new_end) - _clock_time(limit, start, calendar, pauses, due)
    )


def _check_extensions(limit: StepLimit, step: SlaStep | str, extensions: Sequence[Extension]) -> None:
    """Stored extensions the policy does not allow (edited since, or written around it) are refused."""
    if limit.extension is None and extensions:
        raise Conflict("extension_not_allowed", "该时限不能延期", f"The {step} deadline cannot be extended")
    if limit.extension is not None and len(extensions) > limit.extension.max_count:
        raise Conflict("extension_limit_reached", "延期次数超过规定", "More extensions than the policy allows")


@dataclass(frozen=True)
class Deadline:
    """Where one step's clock stands at ``now``."""

    step: SlaStep
    start: datetime
    now: datetime
    budget: timedelta  # clock time allowed, extensions and rest-day roll-over included
    elapsed: timedelta  # clock time used so far (pauses and non-counting time excluded)
    due_at: datetime | None  # None while paused: a stopped clock has no due time
    paused: bool

    @property
    def remaining(self) -> timedelta:
        """Clock time left; negative once overdue (by how much)."""
        return self.budget - self.elapsed

    @property
    def fraction_elapsed(self) -> float:
        """0.0 at the start, 1.0 at the due time, above 1.0 when overdue (for 50 %/80 % reminders)."""
        return self.elapsed / self.budget

    @property
    def is_breached(self) -> bool:
        return self.elapsed >= self.budget


def deadline(
    policy: SlaPolicy,
    step: SlaStep | str,
    start: datetime,
    calendar: WorkCalendar,
    now: datetime,
    pauses: Sequence[Pause] = (),
    extensions: Sequence[Extension] = (),
) -> Deadline:
    limit = policy.limit(step)
    _require_aware(start, "开始时间")
    _require_aware(now, "当前时间")
    ordered = validate_pauses(pauses)
    _check_extensions(limit, step, extensions)
    paused = any(p.start <= now and (p.end is None or now < p.end) for p in ordered)
    # An open pause is, as of ``now``, known to last at least until now: count it so for the budget.
    as_of = tuple(Pause(p.reason, p.start, p.end if p.end is not None else max(now, p.start)) for p in ordered)
    budget = _effective_budget(limit, start, calendar, as_of, len(extensions))
    open_pause = bool(ordered) and ordered[-1].is_open
    due = None if open_pause else _instant_after(limit, start, calendar, ordered, budget)
    return Deadline(
        step=SlaStep(step),
        start=start,
        now=now,
        budget=budget,
        elapsed=_clock_time(limit, start, calendar, ordered, now),
        due_at=due,
        paused=paused,
    )


def due_at(
    policy: SlaPolicy,
    step: SlaStep | str,
    start: datetime,
    calendar: WorkCalendar,
    pauses: Sequence[Pause] = (),
    extensions: Sequence[Extension] = (),
) -> datetime | None:
    """When ``step`` is due (aware, UTC-comparable); None while the clock is paused."""
    limit = policy.limit(step)
    _require_aware(start, "开始时间")
    ordered = validate_pauses(pauses)
    _check_extensions(limit, step, extensions)
    if ordered and ordered[-1].is_open:
        return None
    budget = _effective_budget(limit, start, calendar, ordered, len(extensions))
    return _instant_after(limit, start, calendar, ordered, budget)


def instant_at(
    policy: SlaPolicy,
    step: SlaStep | str,
    start: datetime,
    calendar: WorkCalendar,
    fraction: float,
    pauses: Sequence[Pause] = (),
    extensions: Sequence[Extension] = (),
) -> datetime | None:
    """When ``fraction`` of the step's budget will have run (0.5: the 50 % reminder; 1.0: the due
    time; above 1: that far past it). None while paused. Lets a scheduler store the next reminder
    instant instead of re-computing every open case's fraction on every sweep."""
    return instants_at(policy, step, start, calendar, (fraction,), pauses, extensions)[0]


def instants_at(
    policy: SlaPolicy,
    step: SlaStep | str,
    start: datetime,
    calendar: WorkCalendar,
    fractions: Sequence[float],
    pauses: Sequence[Pause] = (),
    extensions: Sequence[Extension] = (),
) -> tuple[datetime | None, ...]:
    """:func:`instant_at` for several fractions at once, in one walk over the calendar (the
    supervision sweep needs every rung of the ladder and the due time of thousands of cases)."""
    if not all(f > 0 for f in fractions):
        raise Invalid("sla_fraction_invalid", "比例必须大于 0", f"The fractions must be above 0: {fractions}")
    limit = policy.limit(step)
    _require_aware(start, "开始时间")
    ordered = validate_pauses(pauses)
    _check_extensions(limit, step, extensions)
    found: list[datetime | None] = [None] * len(fractions)
    if ordered and ordered[-1].is_open:
        return tuple(found)
    budget = _effective_budget(limit, start, calendar, ordered, len(extensions))
    targets = sorted((budget * fraction, index) for index, fraction in enumerate(fractions))
    spent = timedelta(0)
    next_target = 0
    for span_start, span_end in _walk(limit, start, calendar, ordered):
        length = span_end - span_start
        while next_target < len(targets) and spent + length >= targets[next_target][0]:
            target, index = targets[next_target]
            found[index] = span_start + (target - spent)
            next_target += 1
        if next_target == len(targets):
            break
        spent += length
    return tuple(found)


def working_days_left(due: datetime | None, now: datetime, calendar: WorkCalendar) -> int | None:
    """Whole working days left until ``due``, for a person reading "剩余 N 个工作日"; None without a due time.

    Today is not counted (as a period is counted from the day after its start): on the day a
    3-working-day case arrives it has 3 left; on its last day, 0 ("今天到期"). Once ``due`` has
    passed the value is negative: minus the working days after the due day up to today, and at
    least -1 from the due instant on (a step due at 10:00 is overdue at 11:00 the same day).
    Raises :class:`~.calendar.CalendarOutOfRange` when the days lie outside the calendar.
    """
    if due is None:
        return None
    _require_aware(due, "截止时间")
    _require_aware(now, "当前时间")
    # A due time at local midnight closes the day before ("10月10日 24:00").
    due_day = calendar.local_date(due - timedelta(microseconds=1))
    left = calendar.working_days_between(calendar.local_date(now), due_day)
    if now >= due and left >= 0:
        return -1
    return left


def remaining(
    policy: SlaPolicy,
    step: SlaStep | str,
    start: datetime,
    calendar: WorkCalendar,
    now: datetime,
    pauses: Sequence[Pause] = (),
    extensions: Sequence[Extension] = (),
) -> timedelta:
    return deadline(policy, step, start, calendar, now, pauses, extensions).remaining


def fraction_elapsed(
    policy: SlaPolicy,
    step: SlaStep | str,
    start: datetime,
    calendar: WorkCalendar,
    now: datetime,
    pauses: Sequence[Pause] = (),
    extensions: Sequence[Extension] = (),
) -> float:
    return deadline(policy, step, start, calendar, now, pauses, extensions).fraction_elapsed


def is_breached(
    policy: SlaPolicy,
    step: SlaStep | str,
    start: datetime,
    calendar: WorkCalendar,
    now: datetime,
    pauses: Sequence[Pause] = (),
    extensions: Sequence[Extension] = (),
) -> bool:
    return deadline(policy, step, start, calendar, now, pauses, extensions).is_breached
