"""Storing results, raising and escalating crisis alerts, and small-group-safe statistics.

Policy in one place: who may read what is decided in views.py with ``access(...)``; what a caller
gets back (the kiosk: band and kind words only; counselors: everything) is shaped here.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter as Tally
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import suqiu_assets.scales
from suqiu_queue.domain.assessment import (
    LICENSED_SCALES,
    Catalog,
    Result,
    Scale,
    ScaleDefinitionError,
    build_catalog,
    score,
)
from suqiu_queue.domain.enums import Role
from suqiu_queue.domain.errors import Conflict, SuqiuError, not_found

from ..events.service import emit, restrict_kind
from ..org.models import Center, OrgUnit
from ..people.models import Employee
from ..tickets.models import Ticket
from .models import AssessmentResult, CrisisAlert
from .sealing import key_id, seal, unseal

# Crisis events name a ticket at a center: only counselors (and, once escalated, supervisors)
# hear them. Boards, kiosks and other officers at the same center never do.
CRISIS_ALERT = "crisis.alert"
CRISIS_ACKNOWLEDGED = "crisis.acknowledged"
CRISIS_ESCALATED = "crisis.escalated"
restrict_kind(CRISIS_ALERT, [Role.COUNSELOR])
restrict_kind(CRISIS_ACKNOWLEDGED, [Role.COUNSELOR, Role.SUPERVISOR])
restrict_kind(CRISIS_ESCALATED, [Role.COUNSELOR, Role.SUPERVISOR])

# k-anonymity floor for statistics: a group smaller than this is never shown on its own.
MIN_GROUP_SIZE = 5
OTHER_GROUP_ZH = "其他"

# --- the scale catalogue ---------------------------------------------------------------------------

_catalog_lock = threading.Lock()
_catalog_cache: dict[tuple[str, ...], Catalog] = {}


def _settings_snapshot() -> dict[str, str]:
    names = [suqiu_assets.scales.SITE_DIR_SETTING, *LICENSED_SCALES.values()]
    return {name: os.environ.get(name, "") for name in names}


def catalog() -> Catalog:
    """The scales this site may use, rebuilt only when the licence or site-scale settings change."""
    settings = _settings_snapshot()
    key = tuple(settings.values())
    with _catalog_lock:
        cached = _catalog_cache.get(key)
        if cached is None:
            try:
                cached = build_catalog(suqiu_assets.scales.definitions(), settings)
            except (ScaleDefinitionError, ValueError, OSError) as exc:
                # A broken site file must not take the queue down: only assessments refuse.
                raise SuqiuError(
                    "scale_definitions_broken",
                    f"量表定义文件有误，请联系管理员：{exc}",
                    f"A scale definition file is broken: {exc}",
                    status=500,
                ) from exc
            _catalog_cache[key] = cached
        return cached


# --- storing ---------------------------------------------------------------------------------------


def _context(row_scale: str, version: str) -> str:
    # Binds the sealed answers to their scale and version (AES-GCM associated data).
    return f"assessment:{row_scale}:{version}"


def _sealed_payload(result: Result) -> bytes:
    return json.dumps(
        {
            "answers": list(result.answers),
            "flags": [{"item": f.item, "level": f.level, "label": f.label.zh} for f in result.flags],
            "factor_means": dict(result.factor_means),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


@dataclass
class Stored:
    row: AssessmentResult
    result: Result
    alert: CrisisAlert | None
    created: bool = True


def find_by_idempotency_key(session: Session, idempotency_key: str) -> AssessmentResult | None:
    return session.scalar(select(AssessmentResult).where(AssessmentResult.idempotency_key == idempotency_key))


def store(
    session: Session,
    *,
    now: datetime,
    scale: Scale,
    result: Result,
    key: bytes,
    source: str,
    actor: str,
    center: Center | None,
    employee: Employee | None = None,
    ticket: Ticket | None = None,
    idempotency_key: str | None = None,
    raise_alert: bool = True,
) -> Stored:
    """Write the result; a crisis at a center raises an alert that goes to its counselors only."""
    row = AssessmentResult(
        scale=scale.id,
        scale_version=scale.version,
        source=source,
        center_id=center.id if center else None,
        employee_id=employee.id if employee else None,
        org_unit_id=employee.org_unit_id if employee else None,
        ticket_id=ticket.id if ticket else None,
        raw=result.raw,
        standard=result.standard,
        band=result.band.code,
        crisis=result.crisis,
        answers_sealed=seal(key, _sealed_payload(result), _context(scale.id, scale.version)),
        key_id=key_id(key),
        idempotency_key=idempotency_key,
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    alert = None
    if result.crisis and raise_alert and center is not None:
        alert = CrisisAlert(
            assessment_id=row.id,
            center_id=center.id,
            ticket_id=ticket.id if ticket else None,
            ticket_display=ticket.display if ticket else None,
            created_at=now,
        )
        session.add(alert)
        session.flush()
        emit(session, CRISIS_ALERT, alert_payload(alert, center), center_id=center.id)
    return Stored(row, result, alert)


def alert_payload(alert: CrisisAlert, center: Center) -> dict[str, Any]:
    """Ids, the ticket number and the center: never answers, scores or names."""
    return {
        "alert_id": alert.id,
        "ticket_id": alert.ticket_id,
        "ticket_display": alert.ticket_display,
        "center": center.code,
    }


def kiosk_reply(scale: Scale, result: Result) -> dict[str, Any]:
    """What the employee sees: the band in kind words and what to do next — nothing else."""
    from suqiu_queue.domain.assessment import CRISIS_MESSAGE_ZH, CRISIS_NEXT_STEPS_ZH

    return {
        "scale": scale.id,
        "scale_name": scale.name.zh,
        "band": result.band.code,
        "band_label": result.band.label.zh,
        "crisis": result.crisis,
        "supportive_text": CRISIS_MESSAGE_ZH if result.crisis else result.band.message_zh,
        "next_steps": list(CRISIS_NEXT_STEPS_ZH if result.crisis else result.band.next_steps_zh),
    }


def rescore(row: AssessmentResult, key: bytes) -> Result:
    """Rebuild the Result of a stored row (for idempotent replays) from its sealed answers."""
    scale = catalog().get(row.scale)
    answers = json.loads(unseal(key, row.answers_sealed, _context(row.scale, row.scale_version), row.key_id))
    return score(scale, answers["answers"])


# --- reading (counselors) ---------------------------------------------------------------------------


def results_query(*, employee_id: int | None, ticket_id: int | None) -> Any:
    query = select(AssessmentResult)
    if employee_id is not None:
        query = query.where(AssessmentResult.employee_id == employee_id)
    if ticket_id is not None:
        query = query.where(AssessmentResult.ticket_id == ticket_id)
    return query.order_by(AssessmentResult.created_at.desc(), AssessmentResult.id.desc())


def result_out(session: Session, row: AssessmentResult, key: bytes) -> dict[str, Any]:
    """The counselor's full view: score, band, flags and every item answered."""
    sealed = json.loads(unseal(key, row.answers_sealed, _context(row.scale, row.scale_version), row.key_id))
    scale: Scale | None
    try:
        scale = catalog().get(row.scale)
    except SuqiuError:
        scale = None  # e.g. a licensed scale whose licence has since lapsed: show the numbers only
    same_version = scale is not None and scale.version == row.scale_version
    items = []
    for index, answer in enumerate(sealed["answers"]):
        entry: dict[str, Any] = {"number": index + 1, "points": answer}
        if same_version and scale is not None and index < len(scale.items):
            item = scale.items[index]
            option = item.option(answer) if answer is not None else None
            entry.update(
                text=item.text.zh,
                answer=option.label.zh if option else None,
                scored=item.scored,
                reverse=item.reverse,
                scored_points=item.scored_points(answer) if item.scored and answer is not None else None,
            )
        items.append(entry)
    band_label = None
    if same_version and scale is not None:
        band_label = next((b.label.zh for b in scale.bands if b.code == row.band), None)
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
    employee = session.get(Employee, row.employee_id) if row.employee_id else None
    alert = session.scalar(select(CrisisAlert).where(CrisisAlert.assessment_id == row.id))
    return {
        "id": row.id,
        "scale": row.scale,
        "scale_name": scale.name.zh if scale else row.scale,
        "version": row.scale_version,
        "source": row.source,
        "created_at": row.created_at.isoformat(),
        "employee_no": employee.employee_no if employee else None,
        "ticket_id": row.ticket_id,
        "ticket_display": ticket.display if ticket else None,
        "raw": row.raw,
        "standard": row.standard,
        "band": row.band,
        "band_label": band_label,
        "crisis": row.crisis,
        "flags": sealed["flags"],
        "factor_means": sealed["factor_means"],
        "items": items,
        "alert": alert_out(alert) if alert else None,
    }


OWN_RESULTS_SHOWN = 20
# Shown for a past result that raised a crisis, whatever its band: gentle, and no word for onlookers.
CRISIS_PAST_NOTE_ZH = "如果现在仍觉得很难受，随时可以找心理老师聊聊，或拨打 12356。"


def past_note(message_zh: str) -> str:
    """A supportive line about a past result: the first sentence of the band's kind words, told about
    that time ("您最近可能有些情绪低落，这很常见。" → "那段时间您可能有些情绪低落，这很常见。")."""
    first = message_zh.split("。", 1)[0].strip()
    if not first:
        return ""
    if first.startswith("您最近"):
        first = "那段时间您" + first[len("您最近") :]
    return first + "。"


def own_results(session: Session, employee: Employee, timezone: Any) -> list[dict[str, Any]]:
    """The employee's own history at the kiosk: when, which scale, the band label and one kind line —
    no answers, no scores. Anonymous results are linked to nobody, so they are never among them."""
    query = results_query(employee_id=employee.id, ticket_id=None).limit(OWN_RESULTS_SHOWN)
    cat = catalog()
    out = []
    for row in session.scalars(query).all():
        scale = cat.scales.get(row.scale)
        band = next((b for b in scale.bands if b.code == row.band), None) if scale else None
        out.append(
            {
                "date": row.created_at.astimezone(timezone).date().isoformat(),
                "scale": row.scale,
                "scale_name": scale.name.zh if scale else row.scale,
                "band_label": band.label.zh if band else None,
                "note": CRISIS_PAST_NOTE_ZH if row.crisis else past_note(band.message_zh if band else ""),
            }
        )
    return out


# --- crisis alerts ------------------------------------------------------------------------------------


def alert_out(alert: CrisisAlert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "center_id": alert.center_id,
        "ticket_id": alert.ticket_id,
        "ticket_display": alert.ticket_display,
        "created_at": alert.created_at.isoformat(),
        "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
        "acknowledged_by": alert.acknowledged_by,
        "escalated_at": alert.escalated_at.isoformat() if alert.escalated_at else None,
    }


def get_alert(session: Session, alert_id: int, *, for_update: bool = False) -> CrisisAlert:
    query = select(CrisisAlert).where(CrisisAlert.id == alert_id)
    if for_update:
        query = query.with_for_update()
    alert = session.scalar(query)
    if alert is None:
        raise not_found("危机预警", "Crisis alert", alert_id)
    return alert


def acknowledge(session: Session, alert: CrisisAlert, *, now: datetime, actor: str) -> CrisisAlert:
    if alert.acknowledged_at is not None:
        raise Conflict(
            "alert_already_acknowledged",
            "该危机预警已有心理老师接手",
            "Another counselor has already acknowledged this alert",
            details={"acknowledged_by": alert.acknowledged_by, "acknowledged_at": alert.acknowledged_at.isoformat()},
        )
    alert.acknowledged_at = now
    alert.acknowledged_by = actor
    session.flush()
    center = session.get(Center, alert.center_id)
    assert center is not None
    emit(session, CRISIS_ACKNOWLEDGED, {"alert_id": alert.id, "center": center.code}, center_id=center.id)
    return alert


def open_alerts(session: Session, *, center_id: int | None, only_open: bool) -> Sequence[CrisisAlert]:
    query = select(CrisisAlert)
    if center_id is not None:
        query = query.where(CrisisAlert.center_id == center_id)
    if only_open:
        query = query.where(CrisisAlert.acknowledged_at.is_(None))
    return session.scalars(query.order_by(CrisisAlert.created_at, CrisisAlert.id)).all()


def escalate_unacknowledged(session: Session, now: datetime, minutes: float) -> list[CrisisAlert]:
    """Mark alerts still unacknowledged after ``minutes`` as escalated and tell the supervisors.

    Each alert escalates once. Meant to be called every minute or so by a scheduler (or
    ``suqiu assess escalate``); it commits with the caller's transaction.
    """
    cutoff = now - timedelta(minutes=minutes)
    due = session.scalars(
        select(CrisisAlert)
        .where(
            CrisisAlert.acknowledged_at.is_(None),
            CrisisAlert.escalated_at.is_(None),
            CrisisAlert.created_at <= cutoff,
        )
        .order_by(CrisisAlert.id)
        .with_for_update(skip_locked=True)
    ).all()
    for alert in due:
        alert.escalated_at = now
        center = session.get(Center, alert.center_id)
        assert center is not None
        payload = {
            **alert_payload(alert, center),
            "waited_minutes": int((now - alert.created_at).total_seconds() // 60),
        }
        emit(session, CRISIS_ESCALATED, payload, center_id=center.id)
    session.flush()
    return list(due)


# --- statistics -----------------------------------------------------------------------------------------


def _subtree(units: Sequence[OrgUnit], root_id: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit.id)
    found, stack = set(), [root_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def _aggregate(rows: Sequence[Any], band_codes: Sequence[str]) -> dict[str, Any]:
    tally = Tally(r.band for r in rows)
    mean = Fraction(sum(r.raw for r in rows), len(rows))
    return {
        "people": len(rows),
        "bands": {code: tally.get(code, 0) for code in band_codes},
        "mean_raw": round(float(mean), 1),
    }


def statistics(
    session: Session,
    *,
    scale: Scale,
    org_unit: OrgUnit | None,
    since: datetime | None = None,
    min_group: int = MIN_GROUP_SIZE,
) -> dict[str, Any]:
    """Per org unit: each person's latest result counts once; groups under ``min_group`` people are
    merged into 其他, and if 其他 is still too small it is left out (``suppressed``).

    Anonymous results have no unit and no person to count, so they are not in the statistics.
    """
    query = select(
        AssessmentResult.employee_id, AssessmentResult.org_unit_id, AssessmentResult.band, AssessmentResult.raw
    ).where(AssessmentResult.scale == scale.id, AssessmentResult.employee_id.is_not(None))
    if since is not None:
        query = query.where(AssessmentResult.created_at >= since)
    units = session.scalars(select(OrgUnit)).all()
    if org_unit is not None:
        query = query.where(AssessmentResult.org_unit_id.in_(_subtree(units, org_unit.id)))
    latest: dict[int, Any] = {}
    for row in session.execute(query.order_by(AssessmentResult.created_at, AssessmentResult.id)):
        latest[row.employee_id] = row  # later rows overwrite: each person's latest result
    by_unit: dict[int | None, list[Any]] = {}
    for row in latest.values():
        by_unit.setdefault(row.org_unit_id, []).append(row)
    names: Mapping[int, OrgUnit] = {u.id: u for u in units}
    codes = [b.code for b in scale.bands]
    groups, small = [], []
    for unit_id, rows in by_unit.items():
        if unit_id is not None and len(rows) >= min_group:
            unit = names[unit_id]
            groups.append({"org_unit": unit.code, "org_unit_name": unit.name, **_aggregate(rows, codes)})
        else:
            small.extend(rows)
    groups.sort(key=lambda g: g["org_unit"])
    other = None
    if len(small) >= min_group:
        other = {"org_unit": None, "org_unit_name": OTHER_GROUP_ZH, **_aggregate(small, codes)}
    return {
        "scale": scale.id,
        "org_unit": org_unit.code if org_unit else None,
        "min_group_size": min_group,
        "band_labels": {b.code: b.label.zh for b in scale.bands},
        "groups": groups,
        "other": other,
        "suppressed": bool(small) and other is None,
    }
