"""Face consent, enrolment, matching, withdrawal and retention.

The rules, in the order a person meets them:

1. **Consent** is given on its own screen and recorded with the text version, the time, the kiosk
   and how identity was verified. Without ``consent_accepted`` and the current version, nothing
   is stored.
2. **Enrolment** at the kiosk needs 工号 + the last four digits of the phone on file, and stays
   *pending* (template stored, never matched) until an officer confirms the person at the counter;
   at the front desk the officer's presence is the verification. A face that already matches
   someone else is refused, so nobody enrols as another person with their own face either.
3. **Matching** compares the kiosk's embedding (never an image) with the active templates of the
   kiosk's enterprise and model; the best person must clear the calibrated threshold and lead the
   next person by a margin. The kiosk gets a masked name and a one-time token; only after the
   person says "是" does it get their history, and only then may it link their ticket.
4. **Withdrawal** (kiosk, front desk) and **expiry** (a scheduled job) delete the templates in the
   same transaction that ends the consent.

Every enrolment, match, history read, withdrawal and deletion writes an audit row; events carry
ids only, never names.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from suqiu_queue.domain.enums import CASE_STATE_LABELS_ZH, CaseState, TicketState
from suqiu_queue.domain.errors import Conflict, Forbidden, Invalid, NotFound, SuqiuError
from suqiu_queue.domain.hours import local_now
from suqiu_queue.domain.masking import mask_name
from suqiu_queue.domain.queueing import STATE_LABELS_ZH

from ..assessments.sealing import SealError, key_id, seal, unseal
from ..audit.models import AuditEntry
from ..audit.service import record
from ..cases.models import Case
from ..db import utcnow
from ..events.service import emit, restrict_kind
from ..org.models import Center, OrgUnit
from ..people.models import Employee
from ..people.service import employee_by_no
from ..security import ALL_OFFICERS, Principal
from ..tickets.models import Ticket
from ..tickets.service import ticket_payload
from .calibration import threshold_for
from .config import FaceConfig
from .consent_text import CURRENT_VERSION
from .gallery import CACHE, Gallery, build_gallery
from .models import FaceConsent, FaceGalleryState, FaceMatch, FaceTemplate

ENROL_PENDING = "face.enrol_pending"
ENROLLED = "face.enrolled"
ENROL_REJECTED = "face.enrol_rejected"
WITHDRAWN = "face.withdrawn"
TICKET_IDENTIFIED = "ticket.identified"
for _kind in (ENROL_PENDING, ENROLLED, ENROL_REJECTED, WITHDRAWN):
    # Officers' business only: the hall's board and the announcer have nothing to do with it.
    restrict_kind(_kind, ALL_OFFICERS)

LIVE = ("pending", "active")
# How a case's state reads to the person it belongs to (officers see 受理/分流/办理/...).
CASE_STATUS_FOR_PERSON = {
    CaseState.ACCEPTED: "已受理",
    CaseState.ROUTED: "已转交办理部门",
    CaseState.IN_PROGRESS: "办理中",
    CaseState.ANSWERED: "已答复，待您评价",
    CaseState.RATED: "已评价",
    CaseState.ARCHIVED: "已办结",
}
HISTORY_ITEMS = 10
MIN_DIM, MAX_DIM = 64, 1024


# --- small helpers ---------------------------------------------------------------------------------


def _context(employee_id: int, model: str) -> str:
    # AES-GCM associated data: a sealed template cannot be moved to another person or model.
    return f"face-template:{employee_id}:{model}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def enterprise_of(session: Session, org_unit_id: int | None) -> int | None:
    """The top org unit (总部) above ``org_unit_id``: templates are matched within one enterprise."""
    seen: set[int] = set()
    unit = session.get(OrgUnit, org_unit_id) if org_unit_id is not None else None
    while unit is not None and unit.parent_id is not None and unit.id not in seen:
        seen.add(unit.id)
        unit = session.get(OrgUnit, unit.parent_id)
    return unit.id if unit is not None else None


def bump_gallery(session: Session) -> None:
    updated = session.execute(
        update(FaceGalleryState).where(FaceGalleryState.id == 1).values(version=FaceGalleryState.version + 1)
    )
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.add(FaceGalleryState(id=1, version=1))
        session.flush()


def gallery_version(session: Session) -> int:
    return int(session.scalar(select(FaceGalleryState.version).where(FaceGalleryState.id == 1)) or 0)


def live_consent(session: Session, employee_id: int) -> FaceConsent | None:
    return session.scalar(
        select(FaceConsent)
        .where(FaceConsent.employee_id == employee_id, FaceConsent.status.in_(LIVE))
        .order_by(FaceConsent.id.desc())
        .limit(1)
    )


def pending_enrolment(session: Session, employee_id: int) -> bool:
    """For the arrival card: does this person have a kiosk enrolment waiting for an officer?
    ("待确认人脸登记")."""
    return (
        session.scalar(
            select(func.count())
            .select_from(FaceConsent)
            .where(FaceConsent.employee_id == employee_id, FaceConsent.status == "pending")
        )
        or 0
    ) > 0


def normalised(vector: Sequence[float], dim: int | None = None) -> np.ndarray:
    values = np.asarray(vector, dtype=np.float32).reshape(-1)
    if not MIN_DIM <= values.size <= MAX_DIM or (dim is not None and values.size != dim):
        raise Invalid("bad_embedding", "人脸数据格式不正确", "Embedding has the wrong length")
    if not np.all(np.isfinite(values)):
        raise Invalid("bad_embedding", "人脸数据格式不正确", "Embedding contains non-finite values")
    norm = float(np.linalg.norm(values))
    if norm < 1e-6:
        raise Invalid("bad_embedding", "人脸数据格式不正确", "Embedding is all zeros")
    return values / norm


def seal_template(key: bytes, vector: np.ndarray, employee_id: int, model: str) -> tuple[bytes, str]:
    return seal(key, vector.astype("<f4").tobytes(), _context(employee_id, model)), key_id(key)


def unseal_template(key: bytes, template: FaceTemplate) -> np.ndarray:
    try:
        raw = unseal(key, template.sealed, _context(template.employee_id, template.model), template.key_id)
    except SealError as exc:
        raise SealError(
            exc.code,
            "人脸模板无法解密（数据密钥不对或数据已损坏）",
            f"Face template {template.id} cannot be unsealed: {exc.message_en}",
        ) from exc
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


# --- identity checks ---------------------------------------------------------------------------------


def _phone_digits(phone: str | None) -> str:
    return "".join(ch for ch in (phone or "") if ch.isdigit())


def verify_employee(
    session: Session, *, employee_no: str, phone_last4: str, actor: str, config: FaceConfig
) -> Employee:
    """工号 + the last four digits of the phone on file. Failures are audited and, after
    ``max_verify_failures`` in an hour, lock the staff number at kiosks (the counter still helps)."""
    employee = employee_by_no(session, employee_no)
    subject = f"employee:{employee.id}"
    # The audit log stamps rows with the wall clock, so the window is measured on that clock too.
    since = utcnow() - timedelta(hours=1)
    failures = (
        session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.action == "face.verify_failed",
                AuditEntry.subject == subject,
                AuditEntry.at >= since,
            )
        )
        or 0
    )
    if failures >= config.max_verify_failures:
        raise Forbidden(
            "verify_locked",
            "核对失败次数过多，请到窗口请工作人员办理",
            "Too many failed checks for this staff number; please ask at a counter",
        )
    digits = _phone_digits(employee.phone)
    if len(digits) < 4:
        raise Invalid(
            "no_phone_on_file",
            "系统中没有您的手机号，请到窗口请工作人员办理",
            "No phone number on file; please ask at a counter",
        )
    if not hmac.compare_digest(digits[-4:], _phone_digits(phone_last4)):
        record(session, actor=actor, action="face.verify_failed", subject=subject)
        raise IdentityMismatch(
            "identity_mismatch", "工号和手机号后四位不一致，请再核对一下", "Staff number and phone digits do not match"
        )
    return employee


class IdentityMismatch(SuqiuError):
    """Wrong digits. Raised *after* the failure is audited: the caller commits, then re-raises."""

    status = 403


# --- enrolment ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    consent: FaceConsent
    template: FaceTemplate
    employee: Employee


def _mean_template(embeddings: Sequence[Sequence[float]], threshold: float, config: FaceConfig) -> np.ndarray:
    if not config.min_frames <= len(embeddings) <= config.max_frames:
        raise Invalid(
            "enrol_frames",
            f"需要 {config.min_frames} 到 {config.max_frames} 张清晰的正面画面",
            f"Enrolment needs {config.min_frames}-{config.max_frames} good frames",
        )
    vectors = np.stack([normalised(e) for e in embeddings]) if len({len(e) for e in embeddings}) == 1 else None
    if vectors is None:
        raise Invalid("bad_embedding", "人脸数据格式不正确", "Embeddings of different lengths")
    mean = vectors.mean(axis=0)
    mean /= max(float(np.linalg.norm(mean)), 1e-12)
    # Every two frames must show the same person (a mean of two people would match both a little).
    if float((vectors @ vectors.T).min()) < threshold:
        raise Invalid(
            "enrol_frames_inconsistent",
            "采集的画面不像同一个人，请重新采集",
            "The enrolment frames do not show one person",
        )
    return mean


def _refuse_if_someone_else(
    session: Session,
    *,
    key: bytes,
    model: str,
    enterprise_id: int | None,
    employee_id: int,
    template: np.ndarray,
    threshold: float,
) -> None:
    """Nobody enrols as someone else: a face that already matches another person is refused."""
    rows = session.scalars(
        select(FaceTemplate).where(
            FaceTemplate.model == model,
            FaceTemplate.enterprise_id.is_(None)
            if enterprise_id is None
            else FaceTemplate.enterprise_id == enterprise_id,
            FaceTemplate.employee_id != employee_id,
        )
    ).all()
    for row in rows:
        if float(unseal_template(key, row) @ template) >= threshold:
            raise Conflict(
                "face_belongs_to_other",
                "这张脸已经登记在别人名下，无法登记，请到窗口咨询",
                "This face is already enrolled for another person",
            )


def _delete_templates(session: Session, consent: FaceConsent, *, actor: str, reason: str) -> int:
    ids = list(session.scalars(select(FaceTemplate.id).where(FaceTemplate.consent_id == consent.id)).all())
    if not ids:
        return 0
    if session.get_bind().dialect.name == "sqlite":
        # Overwrite freed pages with zeros so the ciphertext does not linger in the file.
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")
    session.execute(delete(FaceTemplate).where(FaceTemplate.id.in_(ids)))
    record(
        session,
        actor=actor,
        action="face.template_deleted",
        subject=f"employee:{consent.employee_id}",
        detail={"consent_id": consent.id, "templates": len(ids), "reason": reason},
    )
    return len(ids)


def _end(session: Session, consent: FaceConsent, *, status: str, now: datetime, actor: str, via: str) -> int:
    was_active = consent.status == "active"
    deleted = _delete_templates(session, consent, actor=actor, reason=status)
    consent.status = status
    consent.ended_at = now
    consent.ended_by = actor
    consent.ended_via = via
    if was_active or deleted:
        bump_gallery(session)
    return deleted


def enrol(
    session: Session,
    *,
    principal: Principal,
    key: bytes,
    config: FaceConfig,
    now: datetime,
    employee: Employee,
    model: str,
    embeddings: Sequence[Sequence[float]],
    text_version: str,
    at_front_desk: bool,
) -> Enrolment:
    """A consent and its template. At the kiosk, after the consent screen and the 工号 + phone-digits
    check, it waits for an officer (pending); at the front desk the officer present checks the
    person's work badge, so it is active at once."""
    actor, center_id = principal.actor, principal.center_id
    active = at_front_desk  # the officer's own check is the confirmation
    if at_front_desk:
        channel, device_id, verified_by = "frontdesk", None, f"officer:{actor}"
    else:
        channel, device_id, verified_by = "kiosk", principal.id, "employee_no+phone_last4"
    if text_version != CURRENT_VERSION:
        raise Invalid(
            "consent_version_outdated",
            "授权说明已更新，请重新阅读后再同意",
            f"Consent text {text_version!r} is not the current one ({CURRENT_VERSION})",
        )
    threshold = threshold_for(model, config)
    template = _mean_template(embeddings, threshold, config)
    enterprise_id = enterprise_of(session, employee.org_unit_id)
    existing = live_consent(session, employee.id)
    if existing is not None and existing.status == "active":
        raise Conflict(
            "already_enrolled",
            "您已经登记过人脸。如需重新登记，请先撤回授权",
            "Already enrolled; withdraw first to enrol again",
        )
    _refuse_if_someone_else(
        session,
        key=key,
        model=model,
        enterprise_id=enterprise_id,
        employee_id=employee.id,
        template=template,
        threshold=threshold,
    )
    if existing is not None:  # an earlier enrolment still waiting for an officer: this one replaces it
        _end(session, existing, status="replaced", now=now, actor=actor, via=channel)
    consent = FaceConsent(
        employee_id=employee.id,
        text_version=text_version,
        status="active" if active else "pending",
        channel=channel,
        center_id=center_id,
        device_id=device_id,
        verified_by=verified_by,
        granted_at=now,
        confirmed_at=now if active else None,
        confirmed_by=actor if active else None,
        last_used_at=now,
    )
    session.add(consent)
    session.flush()
    sealed, sealed_key_id = seal_template(key, template, employee.id, model)
    row = FaceTemplate(
        consent_id=consent.id,
        employee_id=employee.id,
        enterprise_id=enterprise_id,
        model=model,
        dim=int(template.size),
        status="active" if active else "pending",
        sealed=sealed,
        key_id=sealed_key_id,
        frames=len(embeddings),
        created_at=now,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor,
        action="face.enrol" if active else "face.enrol_requested",
        subject=f"employee:{employee.id}",
        detail={
            "consent_id": consent.id,
            "text_version": text_version,
            "channel": channel,
            "verified_by": verified_by,
            "model": model,
            "frames": len(embeddings),
        },
    )
    if active:
        bump_gallery(session)
        emit(session, ENROLLED, {"consent_id": consent.id}, center_id=center_id)
    else:
        emit(session, ENROL_PENDING, {"consent_id": consent.id}, center_id=center_id)
    return Enrolment(consent, row, employee)


def get_consent(session: Session, consent_id: int) -> FaceConsent:
    consent = session.get(FaceConsent, consent_id)
    if consent is None:
        raise NotFound("enrolment_not_found", "找不到这条人脸登记", f"Face enrolment {consent_id} not found")
    return consent


def _require_pending(consent: FaceConsent) -> None:
    if consent.status != "pending":
        raise Conflict(
            "enrolment_not_pending", "这条人脸登记不在待确认状态", f"Enrolment is {consent.status}, not pending"
        )


def confirm_enrolment(session: Session, consent: FaceConsent, *, principal: Principal, now: datetime) -> None:
    """The officer has seen the person (and their work badge): the template becomes matchable."""
    _require_pending(consent)
    consent.status = "active"
    consent.confirmed_at = now
    consent.confirmed_by = principal.actor
    consent.verified_by = f"{consent.verified_by},officer:{principal.actor}"
    consent.last_used_at = now
    session.execute(update(FaceTemplate).where(FaceTemplate.consent_id == consent.id).values(status="active"))
    bump_gallery(session)
    record(
        session,
        actor=principal.actor,
        action="face.enrol",
        subject=f"employee:{consent.employee_id}",
        detail={"consent_id": consent.id, "verified_by": consent.verified_by},
    )
    emit(session, ENROLLED, {"consent_id": consent.id}, center_id=consent.center_id)


def reject_enrolment(session: Session, consent: FaceConsent, *, principal: Principal, now: datetime) -> None:
    _require_pending(consent)
    _end(session, consent, status="rejected", now=now, actor=principal.actor, via="frontdesk")
    record(
        session,
        actor=principal.actor,
        action="face.enrol_rejected",
        subject=f"employee:{consent.employee_id}",
        detail={"consent_id": consent.id},
    )
    emit(session, ENROL_REJECTED, {"consent_id": consent.id}, center_id=consent.center_id)


def enrolment_out(consent: FaceConsent, employee: Employee | None) -> dict[str, Any]:
    """For officers (full name, as on the arrival card)."""
    return {
        "id": consent.id,
        "status": consent.status,
        "text_version": consent.text_version,
        "channel": consent.channel,
        "verified_by": consent.verified_by,
        "granted_at": consent.granted_at.isoformat(),
        "confirmed_at": consent.confirmed_at.isoformat() if consent.confirmed_at else None,
        "ended_at": consent.ended_at.isoformat() if consent.ended_at else None,
        "employee_no": employee.employee_no if employee else None,
        "name": employee.name if employee else None,
        "masked_name": mask_name(employee.name) if employee else None,
    }


def pending_enrolments(session: Session, center_id: int | None) -> list[tuple[FaceConsent, Employee]]:
    query = (
        select(FaceConsent, Employee)
        .join(Employee, Employee.id == FaceConsent.employee_id)
        .where(FaceConsent.status == "pending")
    )
    if center_id is not None:
        query = query.where(FaceConsent.center_id == center_id)
    return [(c, e) for c, e in session.execute(query.order_by(FaceConsent.granted_at)).all()]


# --- matching ----------------------------------------------------------------------------------------------


def _load_gallery(session: Session, key: bytes, model: str, enterprise_id: int | None) -> Gallery:
    rows = session.scalars(
        select(FaceTemplate)
        .join(FaceConsent, FaceConsent.id == FaceTemplate.consent_id)
        .where(
            FaceTemplate.model == model,
            FaceTemplate.status == "active",
            FaceConsent.status == "active",
            # Templates of people without an org unit can be matched at every center of this server.
            (FaceTemplate.enterprise_id == enterprise_id) | FaceTemplate.enterprise_id.is_(None),
        )
    ).all()
    if not rows:
        return build_gallery(np.zeros((0, 1), dtype=np.float32), [], [])
    vectors = np.stack([unseal_template(key, row) for row in rows])
    return build_gallery(vectors, [r.employee_id for r in rows], [r.consent_id for r in rows])


def gallery_for(session: Session, key: bytes, model: str, enterprise_id: int | None) -> Gallery:
    version = gallery_version(session)
    cache_key = (str(session.get_bind().url), key_id(key), model, str(enterprise_id))
    return CACHE.get(cache_key, version, lambda: _load_gallery(session, key, model, enterprise_id))


@dataclass(frozen=True)
class MatchOutcome:
    match: FaceMatch | None
    token: str | None
    employee: Employee | None
    score: float | None


def match(
    session: Session,
    *,
    principal: Principal,
    key: bytes,
    config: FaceConfig,
    now: datetime,
    model: str,
    embedding: Sequence[float],
) -> MatchOutcome:
    threshold = threshold_for(model, config)
    probe = normalised(embedding)
    center = session.get(Center, principal.center_id) if principal.center_id is not None else None
    if center is None:
        raise Forbidden("kiosk_without_center", "该取号机未绑定中心", "This kiosk is not bound to a center")
    enterprise_id = enterprise_of(session, center.org_unit_id)
    hits = gallery_for(session, key, model, enterprise_id).search(probe, k=2)
    best = hits[0] if hits else None
    clear = best is not None and best.score >= threshold
    if clear and len(hits) > 1 and best.score - hits[1].score < config.match_margin:  # type: ignore[union-attr]
        clear = False  # two people too alike: let the person type their 工号
    if not clear or best is None:
        record(
            session,
            actor=principal.actor,
            action="face.match",
            detail={"matched": False, "model": model, "best_score": round(best.score, 3) if best else None},
        )
        return MatchOutcome(None, None, None, best.score if best else None)
    employee = session.get(Employee, best.employee_id)
    if employee is None or not employee.active:
        record(
            session,
            actor=principal.actor,
            action="face.match",
            detail={"matched": False, "model": model, "reason": "inactive"},
        )
        return MatchOutcome(None, None, None, best.score)
    token = secrets.token_urlsafe(24)
    row = FaceMatch(
        token_hash=_digest(token),
        device_id=principal.id,
        center_id=center.id,
        employee_id=employee.id,
        consent_id=best.consent_id,
        score=best.score,
        created_at=now,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="face.match",
        subject=f"employee:{employee.id}",
        detail={"matched": True, "match_id": row.id, "score": round(best.score, 3), "model": model},
    )
    return MatchOutcome(row, token, employee, best.score)


def _own_match(session: Session, match_id: int, token: str, principal: Principal) -> FaceMatch:
    row = session.get(FaceMatch, match_id)
    if row is None or row.device_id != principal.id or not hmac.compare_digest(row.token_hash, _digest(token)):
        raise NotFound("match_not_found", "识别结果已失效，请重新识别", "Match not found or not yours")
    return row


def confirm_match(
    session: Session, *, principal: Principal, config: FaceConfig, now: datetime, match_id: int, token: str
) -> tuple[FaceMatch, Employee]:
    """The person said "是": they get their own history, and the kiosk may link their ticket."""
    row = _own_match(session, match_id, token, principal)
    if row.declined_at is not None:
        raise Conflict("match_declined", "这次识别已被否认", "This match was declined")
    if row.confirmed_at is None and now - row.created_at > timedelta(seconds=config.confirm_seconds):
        raise Conflict("match_expired", "识别结果已过期，请重新识别", "The match expired; recognise again")
    consent = session.get(FaceConsent, row.consent_id)
    if consent is None or consent.status != "active":
        raise Conflict("consent_ended", "人脸授权已撤回", "The face consent has ended")
    employee = session.get(Employee, row.employee_id)
    assert employee is not None
    if row.confirmed_at is None:
        row.confirmed_at = now
        consent.last_used_at = now
        record(
            session,
            actor=principal.actor,
            action="face.match_confirmed",
            subject=f"employee:{employee.id}",
            detail={"match_id": row.id},
        )
    record(
        session,
        actor=principal.actor,
        action="employee.history_read",
        subject=f"employee:{employee.id}",
        detail={"via": "face_match", "match_id": row.id},
    )
    return row, employee


def confirmed_employee(
    session: Session, *, principal: Principal, config: FaceConfig, now: datetime, match_id: int, token: str
) -> Employee:
    """The person behind a match they confirmed a moment ago (for the one-tap withdrawal)."""
    row = _own_match(session, match_id, token, principal)
    if row.confirmed_at is None or now - row.confirmed_at > timedelta(seconds=config.link_seconds):
        raise Conflict("match_not_confirmed", "请先确认是本人", "Confirm the match first")
    employee = session.get(Employee, row.employee_id)
    assert employee is not None
    return employee


def decline_match(session: Session, *, principal: Principal, now: datetime, match_id: int, token: str) -> None:
    row = _own_match(session, match_id, token, principal)
    if row.confirmed_at is not None:
        raise Conflict("match_confirmed", "这次识别已确认", "This match was already confirmed")
    if row.declined_at is None:
        row.declined_at = now
        record(
            session,
            actor=principal.actor,
            action="face.match_declined",
            subject=f"employee:{row.employee_id}",
            detail={"match_id": row.id, "score": round(row.score, 3)},
        )


def link_ticket(
    session: Session,
    *,
    principal: Principal,
    config: FaceConfig,
    now: datetime,
    match_id: int,
    token: str,
    ticket_id: int,
) -> Ticket:
    """Mark the confirmed person's ticket "人脸识别" so the arrival card shows who and how."""
    row = _own_match(session, match_id, token, principal)
    if row.confirmed_at is None:
        raise Conflict("match_not_confirmed", "请先确认是本人", "Confirm the match first")
    if now - row.confirmed_at > timedelta(seconds=config.link_seconds):
        raise Conflict("match_expired", "识别结果已过期，请重新识别", "The match expired; recognise again")
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.center_id != row.center_id or ticket.source != principal.actor:
        raise NotFound("ticket_not_found", "找不到这张号票", f"Ticket {ticket_id} was not issued by this kiosk")
    if ticket.employee_id not in (None, row.employee_id):
        raise Conflict("ticket_other_person", "这张号票属于别人", "The ticket belongs to someone else")
    if ticket.state in (TicketState.DONE.value, TicketState.CANCELLED.value, TicketState.NO_SHOW.value):
        raise Conflict("ticket_closed", "这张号票已结束", "The ticket is closed")
    ticket.employee_id = row.employee_id
    ticket.identified_by = "face"
    ticket.updated_at = now
    row.ticket_id = ticket.id
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="face.ticket_linked",
        subject=f"employee:{row.employee_id}",
        detail={"match_id": row.id, "ticket_id": ticket.id},
    )
    emit(session, TICKET_IDENTIFIED, ticket_payload(ticket), center_id=ticket.center_id)
    return ticket


def own_history(
    session: Session, employee: Employee, center: Center | None, limit: int = HISTORY_ITEMS
) -> list[dict[str, Any]]:
    """What the person sees at the kiosk about themselves: dates, numbers, categories, status —
    no case text, no outcome (the hall can see the screen); a confidential case says only that."""
    timezone = center.timezone if center is not None else "Asia/Shanghai"
    tickets = session.scalars(
        select(Ticket).where(Ticket.employee_id == employee.id).order_by(Ticket.issued_at.desc()).limit(limit)
    ).all()
    cases = session.scalars(
        select(Case).where(Case.employee_id == employee.id).order_by(Case.created_at.desc()).limit(limit)
    ).all()
    items: list[dict[str, Any]] = [
        {
            "type": "ticket",
            "at": t.issued_at.isoformat(),
            "date": local_now(t.issued_at, timezone).date().isoformat(),
            "label": t.display,
            "category_name": t.category.name_zh,
            "status": t.state,
            "status_label": STATE_LABELS_ZH[TicketState(t.state)],
        }
        for t in tickets
        if t.case_id is None
    ]
    items += [
        {
            "type": "case",
            "at": c.created_at.isoformat(),
            "date": local_now(c.created_at, timezone).date().isoformat(),
            "label": c.reference,
            "category_name": "（保密事项）" if c.confidential else c.category.name_zh,
            "status": c.status,
            "status_label": CASE_STATUS_FOR_PERSON.get(CaseState(c.status), CASE_STATE_LABELS_ZH[CaseState(c.status)]),
        }
        for c in cases
    ]
    items.sort(key=lambda item: item["at"], reverse=True)
    return items[:limit]


# --- withdrawal and retention ---------------------------------------------------------------------------------


def withdraw(session: Session, employee: Employee, *, now: datetime, actor: str, via: str) -> int:
    """End the person's consent and delete every template of theirs, now. Returns templates deleted."""
    consents = session.scalars(
        select(FaceConsent).where(FaceConsent.employee_id == employee.id, FaceConsent.status.in_(LIVE))
    ).all()
    if not consents:
        raise NotFound("no_face_consent", "您没有登记人脸，无需撤回", "No face consent to withdraw")
    deleted = 0
    for consent in consents:
        deleted += _end(session, consent, status="withdrawn", now=now, actor=actor, via=via)
        emit(session, WITHDRAWN, {"consent_id": consent.id}, center_id=consent.center_id)
    # Belt and braces: no template of this person may survive a withdrawal, whatever its consent.
    strays = session.execute(delete(FaceTemplate).where(FaceTemplate.employee_id == employee.id))
    deleted += int(strays.rowcount or 0)  # type: ignore[attr-defined]
    record(
        session,
        actor=actor,
        action="face.withdraw",
        subject=f"employee:{employee.id}",
        detail={"consents": [c.id for c in consents], "templates_deleted": deleted, "via": via},
    )
    return deleted


def scrub_storage(engine: Engine) -> None:
    """After deleting templates, on SQLite: fold the write-ahead log into the file and truncate it,
    so deleted (and, with ``secure_delete``, zeroed) pages leave no old copy behind in the WAL.

    PostgreSQL keeps dead row versions until VACUUM and its WAL until archived; there the
    templates are ciphertext under the data key, and ``suqiu keys rotate`` makes any such copy
    unreadable (docs/faces.md). Best effort: a busy database is scrubbed at its next checkpoint.
    """
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
    except Exception:  # a checkpoint that cannot run now runs at the next automatic one
        pass
    finally:
        raw.close()


@dataclass
class ExpiryReport:
    expired: int = 0
    left_enterprise: int = 0
    unconfirmed: int = 0
    templates_deleted: int = 0
    matches_purged: int = 0


def expire(session: Session, *, now: datetime, config: FaceConfig, actor: str = "job:faces.expire") -> ExpiryReport:
    """The scheduled retention job: no visit for ``retention_days``, left the enterprise, or a kiosk
    enrolment no officer confirmed within ``pending_days`` — templates deleted, consent ended."""
    report = ExpiryReport()
    keep_since = now - timedelta(days=config.retention_days)
    pending_since = now - timedelta(days=config.pending_days)
    consents = session.scalars(select(FaceConsent).where(FaceConsent.status.in_(LIVE))).all()
    for consent in consents:
        employee = session.get(Employee, consent.employee_id)
        if employee is None or not employee.active:
            report.templates_deleted += _end(session, consent, status="ended", now=now, actor=actor, via="job")
            report.left_enterprise += 1
            reason = "employee_inactive"
        elif consent.status == "pending" and consent.granted_at < pending_since:
            report.templates_deleted += _end(session, consent, status="expired", now=now, actor=actor, via="job")
            report.unconfirmed += 1
            reason = "unconfirmed"
        else:
            last_ticket = session.scalar(
                select(func.max(Ticket.issued_at)).where(Ticket.employee_id == consent.employee_id)
            )
            last_visit = max(consent.last_used_at, last_ticket) if last_ticket else consent.last_used_at
            if last_visit >= keep_since:
                continue
            report.templates_deleted += _end(session, consent, status="expired", now=now, actor=actor, via="job")
            report.expired += 1
            reason = "no_visit"
        record(
            session,
            actor=actor,
            action="face.expired",
            subject=f"employee:{consent.employee_id}",
            detail={"consent_id": consent.id, "reason": reason},
        )
    # Matches are one-time tokens; a day later they only say who stood at a kiosk (the audit log
    # keeps that), so they go too.
    purged = session.execute(delete(FaceMatch).where(FaceMatch.created_at < now - timedelta(days=1)))
    report.matches_purged = int(purged.rowcount or 0)  # type: ignore[attr-defined]
    return report


def reseal_templates(session: Session, old_key: bytes, new_key: bytes) -> int:
    """Key rotation: decrypt every template with the old key and seal it with the new one."""
    count = 0
    for row in session.scalars(select(FaceTemplate)).all():
        vector = unseal_template(old_key, row)
        row.sealed, row.key_id = seal_template(new_key, vector, row.employee_id, row.model)
        count += 1
    session.flush()
    bump_gallery(session)
    CACHE.clear()
    return count


def employee_status(session: Session, employee: Employee) -> dict[str, Any]:
    consent = live_consent(session, employee.id)
    templates = session.scalar(
        select(func.count()).select_from(FaceTemplate).where(FaceTemplate.employee_id == employee.id)
    )
    return {
        "employee_no": employee.employee_no,
        "consent": enrolment_out(consent, employee) if consent else None,
        "pending_enrolment": consent is not None and consent.status == "pending",
        "templates": int(templates or 0),
    }
