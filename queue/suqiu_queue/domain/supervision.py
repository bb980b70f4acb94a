"""督办 (electronic supervision): the ladder of reminders and escalations, and the quiet hours.

A :class:`Ladder` is a list of rungs, each at a fraction of a step's time budget: the default
reminds the responsible person at 50 % and 80 %, flags the breach at 100 % (and tells their
supervisor), and escalates to the center's leadership at 150 %. The scheduler stores, per case,
how many rungs have fired and the instant of the next one (``suqiu_queue.domain.sla.instant_at``),
so a sweep only looks at cases whose next rung is due.

Nobody is woken at night for a routine reminder: outside urgent matters, a rung reached during the
quiet hours (22:00–07:00 local by default) is delivered when they end. When a sweep finds several
rungs reached at once (after a night, or a stopped scheduler), only the highest is sent: the
responsible person needs "it is overdue", not also "it is half-way".

Everything here is pure; the server supplies the instants and the local times.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Any

from .errors import Invalid


class AlertLevel(StrEnum):
    REMIND = "remind"  # 提醒
    BREACH = "breach"  # 超期
    ESCALATE = "escalate"  # 升级督办


ALERT_LEVEL_LABELS_ZH: dict[AlertLevel, str] = {
    AlertLevel.REMIND: "督办提醒",
    AlertLevel.BREACH: "超期督办",
    AlertLevel.ESCALATE: "升级督办",
}


class Audience(StrEnum):
    RESPONSIBLE = "responsible"  # 责任人 (the case's assignee)
    SUPERVISOR = "supervisor"  # 责任人的上级
    LEADERSHIP = "leadership"  # 中心领导


AUDIENCE_LABELS_ZH: dict[Audience, str] = {
    Audience.RESPONSIBLE: "责任人",
    Audience.SUPERVISOR: "上级领导",
    Audience.LEADERSHIP: "中心领导",
}

MAX_FRACTION = 5.0  # a rung at 500 % of the budget is a typo, not a policy


def _invalid(zh: str, en: str) -> Invalid:
    return Invalid("invalid_supervision_ladder", f"督办规则有误：{zh}", f"Invalid supervision ladder: {en}")


@dataclass(frozen=True)
class Rung:
    at: float  # fraction of the step's budget: 0.5 = half the time used, 1.0 = due
    level: AlertLevel
    notify: tuple[Audience, ...]

    @property
    def label_zh(self) -> str:
        if self.level is AlertLevel.REMIND:
            return f"时限已过 {round(self.at * 100)}%"
        if self.level is AlertLevel.BREACH:
            return "已超过办理时限"
        return f"超期未办结（时限的 {round(self.at * 100)}%）"


@dataclass(frozen=True)
class Ladder:
    rungs: tuple[Rung, ...]

    @classmethod
    def from_list(cls, raw: Any) -> Ladder:
        """From config: ``[{"at": 0.5, "level": "remind", "notify": ["responsible"]}, ...]``."""
        if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
            raise _invalid("至少要有一级", "needs at least one rung")
        rungs = []
        for item in raw:
            if not isinstance(item, Mapping):
                raise _invalid("每一级应为映射", "each rung must be a mapping")
            at = item.get("at")
            if isinstance(at, bool) or not isinstance(at, int | float) or not 0 < at <= MAX_FRACTION:
                raise _invalid(f"比例应在 0 到 {MAX_FRACTION} 之间：{at!r}", f"'at' must be in (0, {MAX_FRACTION}]")
            try:
                level = AlertLevel(item.get("level", AlertLevel.REMIND))
                notify = tuple(dict.fromkeys(Audience(a) for a in item.get("notify", [Audience.RESPONSIBLE])))
            except (ValueError, TypeError) as exc:
                raise _invalid(f"级别或通知对象无效：{item!r}", f"unknown level or audience: {item!r}") from exc
            if not notify:
                raise _invalid("每一级至少通知一类人员", "each rung notifies somebody")
            unknown = sorted(set(item) - {"at", "level", "notify"})
            if unknown:
                raise _invalid(f"未知字段 {', '.join(unknown)}", f"unknown fields {', '.join(unknown)}")
            rungs.append(Rung(float(at), level, notify))
        if any(b.at <= a.at for a, b in pairwise(rungs)):
            raise _invalid("各级比例必须递增", "rungs must be in increasing order")
        return cls(tuple(rungs))

    def to_list(self) -> list[dict[str, Any]]:
        return [{"at": r.at, "level": r.level.value, "notify": [a.value for a in r.notify]} for r in self.rungs]


DEFAULT_LADDER = Ladder(
    (
        Rung(0.5, AlertLevel.REMIND, (Audience.RESPONSIBLE,)),
        Rung(0.8, AlertLevel.REMIND, (Audience.RESPONSIBLE,)),
        Rung(1.0, AlertLevel.BREACH, (Audience.RESPONSIBLE, Audience.SUPERVISOR)),
        Rung(1.5, AlertLevel.ESCALATE, (Audience.SUPERVISOR, Audience.LEADERSHIP)),
    )
)


def reached(ladder: Ladder, fired: int, instant_of: Callable[[float], datetime | None], now: datetime) -> int:
    """How many rungs have been reached by ``now`` (at least ``fired``, the ones already sent).

    ``instant_of(fraction)`` is when that share of the budget has run (None while paused).
    """
    count = fired
    for rung in ladder.rungs[fired:]:
        at = instant_of(rung.at)
        if at is None or at > now:
            break
        count += 1
    return count


def next_rung_at(ladder: Ladder, fired: int, instant_of: Callable[[float], datetime | None]) -> datetime | None:
    """When the next unsent rung falls due; None when all have fired or the clock is stopped."""
    if fired >= len(ladder.rungs):
        return None
    return instant_of(ladder.rungs[fired].at)


@dataclass(frozen=True)
class QuietHours:
    """Local hours when only urgent matters notify anyone (22:00–07:00 by default; may wrap midnight)."""

    start: time = time(22, 0)
    end: time = time(7, 0)

    @classmethod
    def parse(cls, start: str, end: str) -> QuietHours:
        try:
            return cls(time.fromisoformat(start), time.fromisoformat(end))
        except (TypeError, ValueError) as exc:
            raise Invalid(
                "invalid_quiet_hours", f"免打扰时段格式有误：{start}–{end}", f"Invalid quiet hours: {start}-{end}"
            ) from exc

    def contains(self, local: datetime) -> bool:
        moment = local.time().replace(tzinfo=None)
        if self.start == self.end:
            return False  # an empty window: always allowed
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def ends_after(self, local: datetime) -> datetime:
        """The end of the quiet window ``local`` is in (same zone as ``local``)."""
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end


def send_after(local_now: datetime, quiet: QuietHours, *, urgent: bool) -> datetime | None:
    """None: send now. Otherwise the local instant the notification waits for (end of quiet hours)."""
    if urgent or not quiet.contains(local_now):
        return None
    return quiet.ends_after(local_now)
