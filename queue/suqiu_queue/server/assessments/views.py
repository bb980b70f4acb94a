"""Assessment and crisis-alert endpoints.

Who sees what (PIPL: psychological data is sensitive personal information):
* results and answers — counselors only, every read audited;
* the employee — their own dates, band labels and a kind line, at a kiosk, with an identity
  pass from that kiosk (工号 + phone digits, or a confirmed face match; selfview.py);
* crisis alerts — counselors; supervisors see that alerts exist (never answers);
* statistics — counselors, supervisors and admins, only for groups of at least 5 people.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from suqiu_queue.domain.assessment import score
from suqiu_queue.domain.enums import DeviceKind, Role
from suqiu_queue.domain.errors import Conflict, Invalid, not_found

from ..audit.service import record
from ..context import Ctx, get_ctx
from ..faces import config as face_config
from ..faces.service import IdentityMismatch, confirmed_employee, verify_employee
from ..org.models import Center, OrgUnit
from ..people.service import employee_by_no
from ..security import Principal, access, require_center
from ..tickets.service import get_ticket
from . import selfview, service
from .models import AssessmentResult
from .sealing import data_key

router = APIRouter(prefix="/api/v1", tags=["assessments"])

KIOSK = f"device:{DeviceKind.KIOSK}"
EMPLOYEE_NO = r"^[A-Za-z0-9-]+$"


class ScoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scale: str = Field(min_length=1, max_length=32)
    points: list[int | None] = Field(min_length=1, max_length=200)
    # Given: the paper result is stored for this employee. Absent: scored and forgotten.
    employee_no: str | None = Field(default=None, min_length=1, max_length=32, pattern=EMPLOYEE_NO)


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scale: str = Field(min_length=1, max_length=32)
    points: list[int | None] = Field(min_length=1, max_length=200)
    employee_no: str | None = Field(default=None, min_length=1, max_length=32, pattern=EMPLOYEE_NO)
    ticket_id: int | None = None
    # A kiosk that lost the answer retries with the same key and gets the same result, once.
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=128)


def _center(session: Any, center_id: int | None) -> Center | None:
    return session.get(Center, center_id) if center_id is not None else None


@router.post("/assessments/score")
def score_paper_form(
    body: ScoreIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(Role.COUNSELOR)
) -> dict[str, Any]:
    """A counselor types in a paper questionnaire: points as ticked, before any reversal."""
    scale = service.catalog().get(body.scale)
    result = score(scale, body.points)
    reply: dict[str, Any] = {
        **result.summary(),
        "version": scale.version,
        "flags": [{"item": f.item, "level": f.level, "label": f.label.zh} for f in result.flags],
        "factor_means": dict(result.factor_means),
        "assessment_id": None,
    }
    if body.employee_no is None:
        return reply
    with ctx.tx() as session:
        employee = employee_by_no(session, body.employee_no)
        # The counselor entering the form is the one who knows: no alert is raised for it.
        stored = service.store(
            session,
            now=ctx.now(),
            scale=scale,
            result=result,
            key=data_key(ctx.settings.data_dir),
            source="paper",
            actor=principal.actor,
            center=_center(session, principal.center_id),
            employee=employee,
            raise_alert=False,
        )
        record(
            session,
            actor=principal.actor,
            action="assessment.paper_entry",
            subject=f"employee:{employee.id}",
            detail={"assessment_id": stored.row.id, "scale": scale.id},
        )
        reply["assessment_id"] = stored.row.id
    return reply


@router.post("/assessments", status_code=201)
def submit(
    body: SubmitIn,
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(KIOSK),
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> dict[str, Any]:
    """The kiosk hands in answers. It gets back kind words and next steps, never anyone's data."""
    scale = service.catalog().get(body.scale)
    result = score(scale, body.points)
    key = body.idempotency_key or idempotency_key
    if key is not None and len(key) < 8:
        raise Invalid("invalid_idempotency_key", "幂等键至少 8 个字符", "Idempotency key must be at least 8 characters")
    for attempt in range(2):
        try:
            with ctx.tx() as session:
                if key is not None:
                    existing = service.find_by_idempotency_key(session, key)
                    if existing is not None:
                        if existing.created_by != principal.actor:
                            raise Conflict("idempotency_key_reused", "该幂等键已被使用", "Idempotency key already used")
                        replay = service.rescore(existing, data_key(ctx.settings.data_dir))
                        return {**service.kiosk_reply(scale, replay), "created": False}
                center = _center(session, principal.center_id)
                ticket = get_ticket(session, body.ticket_id) if body.ticket_id is not None else None
                if ticket is not None:
                    require_center(principal, ticket.center_id)
                employee = employee_by_no(session, body.employee_no) if body.employee_no else None
                if ticket is not None and employee is not None and ticket.employee_id not in (None, employee.id):
                    raise Conflict(
                        "ticket_other_employee",
                        "该号票属于另一位职工",
                        "This ticket belongs to another employee",
                    )
                stored = service.store(
                    session,
                    now=ctx.now(),
                    scale=scale,
                    result=result,
                    key=data_key(ctx.settings.data_dir),
                    source="kiosk",
                    actor=principal.actor,
                    center=center,
                    employee=employee,
                    ticket=ticket,
                    idempotency_key=key,
                )
                record(
                    session,
                    actor=principal.actor,
                    action="assessment.submit",
                    subject=f"assessment:{stored.row.id}",
                    detail={
                        "scale": scale.id,
                        "identified": employee is not None,
                        "crisis_alert": stored.alert.id if stored.alert else None,
                    },
                )
                return {**service.kiosk_reply(scale, result), "created": True}
        except IntegrityError:
            # A concurrent retry with the same key won the insert: answer with its result.
            if attempt or key is None:
                raise
    raise AssertionError("unreachable")


@router.get("/assessments/stats")
def statistics(
    scale: str = Query(min_length=1, max_length=32),
    org_unit: str | None = Query(default=None, max_length=64),
    since: datetime | None = Query(default=None, description="only results from this time on (ISO 8601)"),
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(Role.COUNSELOR, Role.SUPERVISOR, Role.ADMIN),
) -> dict[str, Any]:
    """Aggregates by org unit. A group of fewer than 5 people is never shown on its own."""
    definition = service.catalog().get(scale)
    if since is not None and since.tzinfo is None:
        raise Invalid("naive_datetime", "时间需带时区，例如 2026-11-01T00:00:00+08:00", "since needs a time zone")
    with ctx.tx() as session:
        unit = None
        if org_unit:
            unit = session.scalar(select(OrgUnit).where(OrgUnit.code == org_unit))
            if unit is None:
                raise not_found("单位", "Org unit", org_unit)
        out = service.statistics(session, scale=definition, org_unit=unit, since=since)
        record(
            session,
            actor=principal.actor,
            action="assessment.stats_read",
            subject=f"scale:{definition.id}",
            detail={"org_unit": org_unit},
        )
        return out


@router.get("/assessments/scales")
def list_scales(principal: Principal = access(KIOSK, Role.COUNSELOR)) -> dict[str, Any]:
    """The questionnaires this site may use, as the kiosk shows them (declared before
    ``/assessments/{id}``, which would otherwise take the path). Printed form text, no one's data:
    items with their options and flags (so the kiosk knows when to hand in early), and the bands
    (so a counselor's chart can shade them). A licensed scale without its licence is not listed."""
    return {
        "scales": [
            {
                "id": s.id,
                "version": s.version,
                "short_name": s.short_name,
                "name": s.name.zh,
                "name_en": s.name.en,
                "instructions": s.instructions.zh,
                "instructions_en": s.instructions.en,
                "bands_on": s.scoring.bands_on,
                "range": list(s.banded_range),
                "bands": [{"code": b.code, "min": b.min, "max": b.max, "label": b.label.zh} for b in s.bands],
                "items": [
                    {
                        "number": i.number,
                        "text": i.text.zh,
                        "text_en": i.text.en,
                        "scored": i.scored,
                        "options": [
                            {"points": o.points, "label": o.label.zh, "label_en": o.label.en} for o in i.options
                        ],
                        "flags": [{"level": f.level, "min_points": f.min_points} for f in i.flags],
                    }
                    for i in s.items
                ],
            }
            for s in service.catalog().list()
        ]
    }


@router.get("/assessments")
def list_results(
    employee_no: str | None = Query(default=None, min_length=1, max_length=32),
    ticket_id: int | None = Query(default=None),
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(Role.COUNSELOR),
) -> dict[str, Any]:
    """A person's (or a ticket's) results with every item answered. Counselors only; audited."""
    if employee_no is None and ticket_id is None:
        raise Invalid(
            "employee_or_ticket_required",
            "请提供工号或号票",
            "Give employee_no or ticket_id",
        )
    with ctx.tx() as session:
        employee = employee_by_no(session, employee_no) if employee_no else None
        if ticket_id is not None:
            require_center(principal, get_ticket(session, ticket_id).center_id)
        rows = session.scalars(
            service.results_query(employee_id=employee.id if employee else None, ticket_id=ticket_id)
        ).all()
        key = data_key(ctx.settings.data_dir)
        results = [service.result_out(session, row, key) for row in rows]
        record(
            session,
            actor=principal.actor,
            action="assessment.read",
            subject=f"employee:{employee.id}" if employee else f"ticket:{ticket_id}",
            detail={"results": [r["id"] for r in results]},
        )
        return {"employee_no": employee.employee_no if employee else None, "results": results}


@router.get("/assessments/{assessment_id}")
def read_result(
    assessment_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(Role.COUNSELOR)
) -> dict[str, Any]:
    """One result, e.g. opened from a crisis alert. Counselors only; audited."""
    with ctx.tx() as session:
        row = session.get(AssessmentResult, assessment_id)
        if row is None:
            raise not_found("测评结果", "Assessment", assessment_id)
        if row.center_id is not None:
            require_center(principal, row.center_id)
        out = service.result_out(session, row, data_key(ctx.settings.data_dir))
        record(session, actor=principal.actor, action="assessment.read", subject=f"assessment:{row.id}")
        return out


class IdentityProofIn(BaseModel):
    """工号 (in the path) + the phone's last four digits, or a face match confirmed at this kiosk."""

    model_config = ConfigDict(extra="forbid")

    phone_last4: str | None = Field(default=None, pattern=r"^[0-9]{4}$")
    match_id: int | None = None
    token: str | None = Field(default=None, min_length=16, max_length=64)

    @model_validator(mode="after")
    def one_way(self) -> IdentityProofIn:
        by_face = self.match_id is not None and self.token is not None
        if by_face == (self.phone_last4 is not None):
            raise ValueError("give phone_last4, or match_id + token")
        return self


@router.post("/employees/{employee_no}/assessments/mine/pass")
def identity_pass(
    employee_no: str, body: IdentityProofIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(KIOSK)
) -> dict[str, Any]:
    """The person proves at this kiosk that they are this employee; the answer is a pass for
    ``.../assessments/mine``, valid a few minutes, for this kiosk and this employee only."""
    config = face_config.load(ctx.settings)
    now = ctx.now()
    mismatch: IdentityMismatch | None = None
    reply: dict[str, Any] = {}
    with ctx.tx() as session:
        try:
            if body.match_id is not None and body.token is not None:
                employee = confirmed_employee(
                    session, principal=principal, config=config, now=now, match_id=body.match_id, token=body.token
                )
                if employee.employee_no != employee_no:
                    raise selfview.not_identified()
                via = "face"
            else:
                employee = verify_employee(
                    session,
                    employee_no=employee_no,
                    phone_last4=body.phone_last4 or "",
                    actor=principal.actor,
                    config=config,
                )
                via = "phone_digits"
        except IdentityMismatch as exc:
            mismatch = exc  # wrong digits: the failure (audited) commits, it counts towards the lock
        else:
            token, expires = selfview.issue(
                ctx.request.app.state.signing_secret, device_id=principal.id, employee_id=employee.id, via=via, now=now
            )
            record(
                session,
                actor=principal.actor,
                action="assessment.self_identify",
                subject=f"employee:{employee.id}",
                detail={"via": via},
            )
            reply = {"pass": token, "expires_at": expires.isoformat()}
    if mismatch is not None:
        raise mismatch
    return reply


@router.get("/employees/{employee_no}/assessments/mine")
def my_results(
    employee_no: str,
    x_identity_pass: Annotated[str, Header(min_length=8, max_length=1024, description="from .../mine/pass")],
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(KIOSK),
) -> dict[str, Any]:
    """The employee's own past results at the kiosk: date, scale, band label and a kind line.

    Only with a pass from ``.../mine/pass``, issued to this kiosk for this employee a few minutes ago.
    """
    with ctx.tx() as session:
        employee = employee_by_no(session, employee_no)
        checked = selfview.check(
            ctx.request.app.state.signing_secret,
            x_identity_pass,
            device_id=principal.id,
            employee_id=employee.id,
            now=ctx.now(),
        )
        center = _center(session, principal.center_id)
        out = service.own_results(session, employee, ZoneInfo(center.timezone if center else "Asia/Shanghai"))
        record(
            session,
            actor=principal.actor,
            action="assessment.self_read",
            subject=f"employee:{employee.id}",
            detail={"via": checked.via, "results": len(out)},
        )
        return {"employee_no": employee.employee_no, "results": out}


@router.get("/crisis-alerts")
def list_alerts(
    open: int = Query(default=1, ge=0, le=1, description="1: only unacknowledged alerts"),
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(Role.COUNSELOR, Role.SUPERVISOR),
) -> dict[str, Any]:
    """That alerts exist, for which ticket, and who took them. Never answers or scores."""
    with ctx.read() as session:
        alerts = service.open_alerts(session, center_id=principal.center_id, only_open=bool(open))
        return {"alerts": [service.alert_out(a) for a in alerts]}


@router.post("/crisis-alerts/{alert_id}/ack")
def acknowledge_alert(
    alert_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(Role.COUNSELOR)
) -> dict[str, Any]:
    """A counselor takes the alert; the others' pop-ups close (``crisis.acknowledged``)."""
    with ctx.tx() as session:
        alert = service.get_alert(session, alert_id, for_update=True)
        require_center(principal, alert.center_id)
        service.acknowledge(session, alert, now=ctx.now(), actor=principal.actor)
        record(session, actor=principal.actor, action="crisis.acknowledge", subject=f"crisis_alert:{alert.id}")
        return service.alert_out(alert)
