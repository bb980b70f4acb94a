"""SLA policies as the server uses them: the shipped ones, overridden by admins' edits in the database.

The shipped file (``suqiu_assets/sla_policies.yaml``) is the starting point; an admin's ``PUT`` stores
the whole edited policy in ``sla_policies`` and from then on the database is the truth for that code.
A case keeps the code it was opened under, so an edit applies to its next deadline computation
(the next change of the case) and to every new case.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from suqiu_assets.calendar import fingerprint, holiday_data
from suqiu_assets.sla import sla_policies
from suqiu_queue.domain import sla
from suqiu_queue.domain.calendar import WorkCalendar
from suqiu_queue.domain.errors import Invalid, not_found

from .models import SlaPolicyRecord


@functools.cache
def shipped_policies() -> dict[str, sla.SlaPolicy]:
    return sla.load_policies(sla_policies())


@functools.cache
def calendar_fingerprint() -> str:
    """The shipped holiday data's fingerprint (it changes with a release, never while running)."""
    return fingerprint(holiday_data())


@functools.cache
def calendar_for(timezone: str) -> WorkCalendar:
    """The working-day calendar in a center's time zone (holidays and make-up working days).

    Lenient: past the last notice it may use the provisional years, and ``deadlines.CaseClock``
    flags every result that needed them (``due_provisional``).
    """
    return WorkCalendar.from_data(holiday_data(), timezone=timezone).lenient


def all_policies(session: Session) -> dict[str, sla.SlaPolicy]:
    policies = dict(shipped_policies())
    for record in session.scalars(select(SlaPolicyRecord)).all():
        policies[record.code] = sla.SlaPolicy.from_dict(record.definition)
    return policies


def policy(session: Session, code: str | None) -> sla.SlaPolicy | None:
    if not code:
        return None
    record = session.get(SlaPolicyRecord, code)
    if record is not None:
        return sla.SlaPolicy.from_dict(record.definition)
    return shipped_policies().get(code)


def get_policy(session: Session, code: str) -> sla.SlaPolicy:
    found = policy(session, code)
    if found is None:
        raise not_found("时限规则", "SLA policy", code)
    return found


def policy_out(item: sla.SlaPolicy, *, edited: bool) -> dict[str, Any]:
    out = item.to_dict()
    out["edited"] = edited
    out["steps_label"] = {
        step.value: {"label": sla.SLA_STEP_LABELS_ZH[step], "limit": limit.label_zh}
        for step, limit in item.steps.items()
    }
    return out


def save_policy(session: Session, code: str, raw: dict[str, Any], *, actor: str, now: datetime) -> sla.SlaPolicy:
    """Validate and store an admin's edit of ``code`` (the whole policy, as GET returns it)."""
    if raw.get("code", code) != code:
        raise Invalid("sla_code_mismatch", "时限规则代码不能修改", "The policy code in the body differs from the URL")
    definition = {k: v for k, v in raw.items() if k not in ("edited", "steps_label")} | {"code": code}
    parsed = sla.SlaPolicy.from_dict(definition)
    record = session.get(SlaPolicyRecord, code)
    if record is None:
        record = SlaPolicyRecord(code=code)
        session.add(record)
    record.definition = parsed.to_dict()
    record.updated_at = now
    record.updated_by = actor
    session.flush()
    return parsed


def edited_codes(session: Session) -> set[str]:
    return set(session.scalars(select(SlaPolicyRecord.code)).all())
