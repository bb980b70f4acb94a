"""Face endpoints. Kiosks: consent text, enrolment request, match, confirm/decline, link ticket,
withdraw. Officers: pending enrolments, confirm/reject, enrol at the desk, status, withdraw.

Only embeddings travel (lists of floats), never images. Every endpoint declares who may call it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, model_validator

from suqiu_queue.domain.enums import DeviceKind
from suqiu_queue.domain.masking import mask_name

from ..assessments.sealing import data_key
from ..context import Ctx, get_ctx
from ..org.models import Center
from ..people.models import Employee
from ..people.service import employee_by_no
from ..security import ALL_OFFICERS, Principal, access, require_center
from . import config as face_config
from . import service
from .consent_text import CURRENT_VERSION, consent_text

router = APIRouter(prefix="/api/v1", tags=["faces"])

KIOSK = f"device:{DeviceKind.KIOSK}"
EMPLOYEE_NO = r"^[A-Za-z0-9-]+$"
MODEL = r"^[A-Za-z0-9._-]{1,80}:[0-9a-f]{16}$"
Vector = list[float]


class DeskEnrolmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    employee_no: str = Field(min_length=1, max_length=32, pattern=EMPLOYEE_NO)
    consent_version: str = Field(min_length=1, max_length=16)
    # The person tapped 我同意 on the separate consent screen. Anything else stores nothing.
    consent_accepted: bool
    model: str = Field(pattern=MODEL)
    embeddings: list[Vector] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def consented(self) -> Self:
        if self.consent_accepted is not True:
            raise ValueError("consent_accepted must be true")
        return self


class EnrolmentRequestIn(DeskEnrolmentIn):
    """At the kiosk no officer is present: the phone's last four digits stand in for the badge."""

    phone_last4: str = Field(pattern=r"^[0-9]{4}$")


class MatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(pattern=MODEL)
    embedding: Vector = Field(min_length=64, max_length=1024)


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=16, max_length=64)


class LinkIn(TokenIn):
    ticket_id: int


class KioskWithdrawIn(BaseModel):
    """After recognition (match id + token), or with 工号 + the phone's last four digits."""

    model_config = ConfigDict(extra="forbid")

    match_id: int | None = None
    token: str | None = Field(default=None, min_length=16, max_length=64)
    employee_no: str | None = Field(default=None, min_length=1, max_length=32, pattern=EMPLOYEE_NO)
    phone_last4: str | None = Field(default=None, pattern=r"^[0-9]{4}$")

    @model_validator(mode="after")
    def one_way(self) -> KioskWithdrawIn:
        by_match = self.match_id is not None and self.token is not None
        by_number = self.employee_no is not None and self.phone_last4 is not None
        if by_match == by_number:
            raise ValueError("give match_id + token, or employee_no + phone_last4")
        return self


def _key(ctx: Ctx) -> bytes:
    return data_key(ctx.settings.data_dir)


def _verified(session: Any, ctx: Ctx, principal: Principal, employee_no: str, phone_last4: str) -> Employee:
    return service.verify_employee(
        session,
        employee_no=employee_no,
        phone_last4=phone_last4,
        actor=principal.actor,
        config=face_config.load(ctx.settings),
    )


def _enrol(
    ctx: Ctx, session: Any, principal: Principal, body: DeskEnrolmentIn, employee: Employee, *, at_front_desk: bool
) -> service.Enrolment:
    return service.enrol(
        session,
        principal=principal,
        key=_key(ctx),
        config=face_config.load(ctx.settings),
        now=ctx.now(),
        employee=employee,
        model=body.model,
        embeddings=body.embeddings,
        text_version=body.consent_version,
        at_front_desk=at_front_desk,
    )


def _committing_mismatch(ctx: Ctx, work: Any) -> dict[str, Any]:
    """Run ``work(session)`` in one transaction. Wrong phone digits are audited (they count towards
    the lock), so that audit row must commit even though the request then fails."""
    mismatch: service.IdentityMismatch | None = None
    result: dict[str, Any] = {}
    with ctx.tx() as session:
        try:
            result = work(session)
        except service.IdentityMismatch as exc:
            mismatch = exc
    if mismatch is not None:
        raise mismatch
    return result


# --- kiosk -------------------------------------------------------------------------------------------------


@router.get("/faces/consent-text")
def read_consent_text(
    version: str | None = None, ctx: Ctx = Depends(get_ctx), _p: Principal = access(KIOSK, *ALL_OFFICERS)
) -> dict[str, Any]:
    """The text shown on the consent screen (the current version unless another is asked for)."""
    return consent_text(version or CURRENT_VERSION, face_config.load(ctx.settings).retention_days)


@router.post("/faces/enrolment-requests", status_code=201)
def request_enrolment(
    body: EnrolmentRequestIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(KIOSK)
) -> dict[str, Any]:
    """Consent given, 工号 + phone digits checked: the template waits for an officer ("待确认")."""

    def work(session: Any) -> dict[str, Any]:
        employee = _verified(session, ctx, principal, body.employee_no, body.phone_last4)
        enrolment = _enrol(ctx, session, principal, body, employee, at_front_desk=False)
        return {
            "enrolment_id": enrolment.consent.id,
            "status": enrolment.consent.status,
            "masked_name": mask_name(employee.name),
        }

    return _committing_mismatch(ctx, work)


@router.post("/faces/match")
def match(body: MatchIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(KIOSK)) -> dict[str, Any]:
    """1:N against this enterprise's consenting employees. A miss says only ``matched: false``."""
    with ctx.tx() as session:
        outcome = service.match(
            session,
            principal=principal,
            key=_key(ctx),
            config=face_config.load(ctx.settings),
            now=ctx.now(),
            model=body.model,
            embedding=body.embedding,
        )
        if outcome.match is None or outcome.employee is None:
            return {"matched": False}
        return {
            "matched": True,
            "match_id": outcome.match.id,
            "token": outcome.token,
            "masked_name": mask_name(outcome.employee.name),
        }


@router.post("/faces/matches/{match_id}/confirm")
def confirm_match(
    match_id: int, body: TokenIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(KIOSK)
) -> dict[str, Any]:
    """The person said "是": their own history (audited) and their staff number for the ticket."""
    with ctx.tx() as session:
        row, employee = service.confirm_match(
            session,
            principal=principal,
            config=face_config.load(ctx.settings),
            now=ctx.now(),
            match_id=match_id,
            token=body.token,
        )
        center = session.get(Center, row.center_id)
        return {
            "employee_no": employee.employee_no,
            "masked_name": mask_name(employee.name),
            "history": service.own_history(session, employee, center),
        }


@router.post("/faces/matches/{match_id}/decline")
def decline_match(
    match_id: int, body: TokenIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(KIOSK)
) -> dict[str, Any]:
    """ "不是我": nothing is shown; the kiosk falls back to the 工号 quietly."""
    with ctx.tx() as session:
        service.decline_match(session, principal=principal, now=ctx.now(), match_id=match_id, token=body.token)
    return {"declined": True}


@router.post("/faces/matches/{match_id}/link-ticket")
def link_ticket(
    match_id: int, body: LinkIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(KIOSK)
) -> dict[str, Any]:
    with ctx.tx() as session:
        ticket = service.link_ticket(
            session,
            principal=principal,
            config=face_config.load(ctx.settings),
            now=ctx.now(),
            match_id=match_id,
            token=body.token,
            ticket_id=body.ticket_id,
        )
        return {"ticket_id": ticket.id, "identified_by": ticket.identified_by}


@router.post("/faces/withdraw")
def withdraw_at_kiosk(
    body: KioskWithdrawIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(KIOSK)
) -> dict[str, Any]:
    """One tap after recognition, or 工号 + phone digits: the templates are deleted at once."""
    config = face_config.load(ctx.settings)

    def work(session: Any) -> dict[str, Any]:
        if body.match_id is not None and body.token is not None:
            employee = service.confirmed_employee(
                session, principal=principal, config=config, now=ctx.now(), match_id=body.match_id, token=body.token
            )
        else:
            employee = _verified(session, ctx, principal, body.employee_no or "", body.phone_last4 or "")
        deleted = service.withdraw(session, employee, now=ctx.now(), actor=principal.actor, via="kiosk")
        return {"withdrawn": True, "templates_deleted": deleted}

    result = _committing_mismatch(ctx, work)
    service.scrub_storage(ctx.request.app.state.engine)
    return result


# --- officers --------------------------------------------------------------------------------------------------


@router.get("/faces/enrolments")
def list_pending_enrolments(
    center: str | None = None, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*ALL_OFFICERS)
) -> dict[str, Any]:
    """Kiosk enrolments waiting for an officer ("待确认人脸登记"), oldest first, of one center."""
    with ctx.read() as session:
        center_id = principal.center_id
        if center:
            from ..org.service import center_by_code

            center_id = center_by_code(session, center).id
            require_center(principal, center_id)
        rows = service.pending_enrolments(session, center_id)
        return {"items": [service.enrolment_out(c, e) for c, e in rows]}


def _decide_enrolment(ctx: Ctx, principal: Principal, enrolment_id: int, decide: Callable[..., None]) -> dict[str, Any]:
    """Confirm or reject a kiosk enrolment of the officer's own center."""
    with ctx.tx() as session:
        consent = service.get_consent(session, enrolment_id)
        if consent.center_id is not None:
            require_center(principal, consent.center_id)
        decide(session, consent, principal=principal, now=ctx.now())
        return service.enrolment_out(consent, session.get(Employee, consent.employee_id))


@router.post("/faces/enrolments/{enrolment_id}/confirm")
def confirm_enrolment(
    enrolment_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*ALL_OFFICERS)
) -> dict[str, Any]:
    """The officer has checked the person (work badge) at the counter: the template becomes usable."""
    return _decide_enrolment(ctx, principal, enrolment_id, service.confirm_enrolment)


@router.post("/faces/enrolments/{enrolment_id}/reject")
def reject_enrolment(
    enrolment_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*ALL_OFFICERS)
) -> dict[str, Any]:
    return _decide_enrolment(ctx, principal, enrolment_id, service.reject_enrolment)


@router.post("/faces/enrolments", status_code=201)
def enrol_at_front_desk(
    body: DeskEnrolmentIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*ALL_OFFICERS)
) -> dict[str, Any]:
    """Enrolment with the officer present: active at once."""
    with ctx.tx() as session:
        employee = employee_by_no(session, body.employee_no)
        enrolment = _enrol(ctx, session, principal, body, employee, at_front_desk=True)
        return service.enrolment_out(enrolment.consent, employee)


@router.get("/faces/employees/{employee_no}")
def face_status(
    employee_no: str, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*ALL_OFFICERS)
) -> dict[str, Any]:
    with ctx.read() as session:
        return service.employee_status(session, employee_by_no(session, employee_no))


@router.post("/faces/employees/{employee_no}/withdraw")
def withdraw_at_front_desk(
    employee_no: str, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*ALL_OFFICERS)
) -> dict[str, Any]:
    with ctx.tx() as session:
        employee = employee_by_no(session, employee_no)
        deleted = service.withdraw(session, employee, now=ctx.now(), actor=principal.actor, via="frontdesk")
    service.scrub_storage(ctx.request.app.state.engine)
    return {"withdrawn": True, "templates_deleted": deleted}
