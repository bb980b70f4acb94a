"""Case endpoints: open (一口受理), read, the lifecycle actions, clocks, 议事, ratings, publication, SLA policies.

Every action answers with the case as the case view shows it (``case_detail``), so the front desk
re-renders from one response. Handlers, legal officers and counselors act on cases of their center
or routed to them; supervisors approve publications and see overdue lists; admins edit SLA policies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from suqiu_queue.domain.enums import Role
from suqiu_queue.domain.errors import Conflict, Forbidden, NotFound
from suqiu_queue.domain.lifecycle import CaseAction

from ..audit.service import record
from ..context import Ctx, get_ctx
from ..org.service import category_by_code, center_by_code
from ..people.service import employee_by_no
from ..security import PUBLIC, Principal, access, require_center
from ..status_page.service import find_ticket
from ..tickets.service import get_ticket
from . import config as loop_config
from . import policies, service
from .models import Case

router = APIRouter(prefix="/api/v1", tags=["cases"])

CASE_WORKERS = (Role.RECEPTION, Role.HANDLER, Role.COUNSELOR, Role.LEGAL, Role.SUPERVISOR, Role.ADMIN)
SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)

Text = Field(min_length=1, max_length=4000)
OptionalText = Field(default=None, max_length=4000)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseIn(Body):
    center: str = Field(max_length=64)
    category: str = Field(max_length=64)
    channel: str = Field(default="visit", max_length=16)
    summary: str = Field(min_length=1, max_length=5000)
    ticket_id: int | None = None
    employee_no: str | None = Field(default=None, max_length=32)
    confidential: bool = False
    private: bool = False


class NoteIn(Body):
    note: str = Field(min_length=1, max_length=5000)


class RouteIn(Body):
    departments: list[str] = Field(min_length=1, max_length=20)
    responsible: str | None = Field(default=None, max_length=100)
    assignee: str | None = Field(default=None, max_length=64)  # username of the responsible officer
    reason: str | None = OptionalText


class ReasonIn(Body):
    reason: str | None = OptionalText


class RequiredReasonIn(Body):
    reason: str = Text


class AnswerIn(Body):
    reply: str = Text
    outcome: Literal["resolved", "explained"] = "resolved"
    reason: str | None = OptionalText


class RateIn(Body):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)
    channel: Literal["phone", "counter"] = "phone"


class RateByTokenIn(Body):
    token: str = Field(min_length=1, max_length=64)
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)
    case_id: int | None = None


class ExtendIn(Body):
    step: str = Field(max_length=32)
    reason: str = Text


class DepartmentsIn(Body):
    departments: list[str] = Field(min_length=1, max_length=20)


class CommentIn(Body):
    department: str = Field(min_length=1, max_length=100)
    comment: str = Text


class SignOffIn(Body):
    department: str = Field(min_length=1, max_length=100)
    comment: str | None = OptionalText


class DecideIn(Body):
    lead_department: str = Field(min_length=1, max_length=100)
    conclusion: str = Text


class ShowcaseIn(Body):
    title: str = Field(min_length=1, max_length=100)
    summary: str = Text


class ShowcaseDecisionIn(Body):
    approve: bool
    note: str | None = Field(default=None, max_length=2000)


class AdoptionIn(Body):
    status: str = Field(max_length=32)
    reward_note: str | None = Field(default=None, max_length=2000)


class VisibilityIn(Body):
    confidential: bool | None = None
    private: bool | None = None


class SimilarIn(Body):
    center: str = Field(max_length=64)
    text: str = Field(min_length=1, max_length=5000)
    employee_no: str | None = Field(default=None, max_length=32)


def _config(ctx: Ctx) -> loop_config.LoopConfig:
    return loop_config.for_app(ctx.request.app.state)


def require_case_access(principal: Principal, case: Case) -> None:
    """Admins and HQ staff anywhere; others at their own center, or on a case routed to them."""
    if principal.kind == "user" and case.assignee_id == principal.id:
        return
    require_center(principal, case.center_id)


def _case(session: Session, case_id: int, principal: Principal) -> Case:
    case = service.get_case(session, case_id)
    require_case_access(principal, case)
    return case


# --- literal paths first (before /cases/{case_id}) ---------------------------------------------------


@router.post("/cases", status_code=201)
def open_case(
    body: CaseIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    with ctx.tx() as session:
        center = center_by_code(session, body.center)
        require_center(principal, center.id)
        ticket = get_ticket(session, body.ticket_id) if body.ticket_id is not None else None
        employee = employee_by_no(session, body.employee_no) if body.employee_no else None
        case = service.open_case(
            session,
            now=ctx.now(),
            center=center,
            category=category_by_code(session, body.category),
            channel=body.channel,
            summary=body.summary,
            actor=principal.actor,
            employee=employee,
            ticket=ticket,
            confidential=body.confidential,
            private=body.private,
            config=_config(ctx),
        )
        return service.case_detail(session, case, now=ctx.now())


@router.get("/cases")
def list_cases(
    center: str | None = None,
    status: str | None = Query(default=None, max_length=16),
    mine: bool = False,
    department: str | None = Query(default=None, max_length=100),
    limit: int = Query(default=100, ge=1, le=500),
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(*CASE_WORKERS),
) -> dict[str, Any]:
    """Cases of a center (newest change first); ``mine=true``: only those assigned to the caller."""
    with ctx.tx() as session:
        center_id = principal.center_id
        if center:
            found = center_by_code(session, center)
            require_center(principal, found.id)
            center_id = found.id
        cases = service.list_cases(
            session,
            center_id=None if mine else center_id,
            status=status,
            assignee_id=principal.id if mine else None,
            department=department,
            limit=limit,
        )
        return {"items": [service.case_out(c, now=ctx.now()) for c in cases]}


@router.get("/cases/overdue")
def overdue(
    center: str,
    department: str | None = Query(default=None, max_length=100),
    limit: int = Query(default=100, ge=1, le=500),
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(*SUPERVISORS),
) -> dict[str, Any]:
    """督办 list: open cases past a due time, most overdue first (paused cases are not overdue)."""
    with ctx.tx() as session:
        found = center_by_code(session, center)
        require_center(principal, found.id)
        now = ctx.now()
        cases = service.overdue_cases(session, center_id=found.id, now=now, department=department, limit=limit)
        items = []
        for case in cases:
            item = service.case_out(case, now=now)
            assert case.due_at is not None
            item["overdue_hours"] = round((now - case.due_at).total_seconds() / 3600, 1)
            items.append(item)
        return {"items": items, "generated_at": now.isoformat()}


@router.post("/cases/similar")
def similar(
    body: SimilarIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    """重复诉求 check before registering: the person's and the center's earlier cases most like ``text``."""
    with ctx.tx() as session:
        center = center_by_code(session, body.center)
        require_center(principal, center.id)
        employee = employee_by_no(session, body.employee_no) if body.employee_no else None
        config = _config(ctx)
        found = service.similar_cases(
            session,
            center_id=center.id,
            text=body.text,
            employee_id=employee.id if employee else None,
            config=config,
            now=ctx.now(),
        )
        items = [
            service.repeat_out(case, score, employee is not None and case.employee_id == employee.id, center.timezone)
            for case, score in found
        ]
        return {"threshold": config.repeat_threshold, "repeat": bool(items), "items": items}


def _rateable(session: Session, token: str, case_id: int | None) -> list[Case]:
    ticket = find_ticket(session, token)
    if ticket is None:
        raise NotFound("token_not_found", "二维码无效或已过期", "Unknown receipt token")
    cases = service.rateable_cases_for_ticket(session, ticket)
    if case_id is not None:
        cases = [c for c in cases if c.id == case_id]
    if not cases:
        raise NotFound("case_not_found", "这张号票没有可评价的诉求事项", "No case is linked to this receipt")
    return cases


@router.get("/cases/by-token/{token}")
def cases_by_token(
    token: str, ctx: Ctx = Depends(get_ctx), _principal: Principal | None = access(PUBLIC, "device:kiosk")
) -> dict[str, Any]:
    """What the receipt's QR code may rate: references and states only, never text or names."""
    with ctx.tx() as session:
        return {"items": [service.rating_view(c) for c in _rateable(session, token, None)]}


@router.post("/cases/rate-by-token")
def rate_by_token(
    body: RateByTokenIn, ctx: Ctx = Depends(get_ctx), principal: Principal | None = access(PUBLIC, "device:kiosk")
) -> dict[str, Any]:
    """评价 from the kiosk (scanning the receipt) or the employee's phone (the receipt's QR code)."""
    with ctx.tx() as session:
        cases = _rateable(session, body.token, body.case_id)
        waiting = [c for c in cases if c.status == "answered"]
        if not waiting:
            raise Conflict("case_not_answered", "诉求还没有答复，暂时不能评价", "The case has no reply to rate yet")
        case = waiting[0]
        if principal is not None:
            require_center(principal, case.center_id)
        channel = "kiosk" if principal is not None and principal.role == "device:kiosk" else "qr"
        actor = principal.actor if principal is not None else "public:receipt"
        service.rate(
            session,
            case,
            now=ctx.now(),
            actor=actor,
            config=_config(ctx),
            score=body.score,
            comment=body.comment,
            channel=channel,
        )
        return service.rating_view(case)


@router.get("/showcase")
def showcase(center: str, ctx: Ctx = Depends(get_ctx), _principal: Principal | None = access(PUBLIC)) -> dict[str, Any]:
    """案例专栏: approved, anonymised summaries (no reference, no name: they cannot be traced to a case)."""
    with ctx.tx() as session:
        found = center_by_code(session, center)
        return {"center": found.code, "items": service.public_showcase(session, found)}


@router.get("/sla-policies")
def list_policies(ctx: Ctx = Depends(get_ctx), _principal: Principal = access(*CASE_WORKERS)) -> dict[str, Any]:
    with ctx.tx() as session:
        edited = policies.edited_codes(session)
        items = policies.all_policies(session)
        return {"items": [policies.policy_out(p, edited=code in edited) for code, p in sorted(items.items())]}


@router.get("/sla-policies/{code}")
def read_policy(
    code: str, ctx: Ctx = Depends(get_ctx), _principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    with ctx.tx() as session:
        return policies.policy_out(policies.get_policy(session, code), edited=code in policies.edited_codes(session))


@router.put("/sla-policies/{code}")
def save_policy(
    code: str, body: dict[str, Any], ctx: Ctx = Depends(get_ctx), principal: Principal = access(Role.ADMIN)
) -> dict[str, Any]:
    """Replace the policy ``code`` (as GET returns it). Applies to new cases and at each case's next change."""
    with ctx.tx() as session:
        policies.get_policy(session, code)  # only known codes: categories name them
        saved = policies.save_policy(session, code, body, actor=principal.actor, now=ctx.now())
        record(session, actor=principal.actor, action="sla_policy.update", subject=f"sla_policy:{code}")
        return policies.policy_out(saved, edited=True)


# --- one case ------------------------------------------------------------------------------------


Audit = tuple[str, dict[str, Any] | None]  # (action, detail) of the audit row an endpoint writes


def _case_action(
    ctx: Ctx,
    principal: Principal,
    case_id: int,
    change: Callable[..., Any] | None,
    *args: Any,
    check: Callable[[Case], None] | None = None,
    audit: Audit | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """The shape of every endpoint on one case: load it (the caller must be allowed to act on it),
    ``check`` it, apply ``change(session, case, *args, now=, actor=, **kwargs)``, write the audit
    row, and answer with the case as the case view shows it — all in one transaction.

    The request bodies name their fields as the service functions name their keyword arguments,
    so most endpoints pass ``**body.model_dump()``."""
    with ctx.tx() as session:
        case = _case(session, case_id, principal)
        if check is not None:
            check(case)
        if change is not None:
            change(session, case, *args, now=ctx.now(), actor=principal.actor, **kwargs)
        if audit is not None:
            action, detail = audit
            record(session, actor=principal.actor, action=action, subject=f"case:{case.id}", detail=detail)
        return service.case_detail(session, case, now=ctx.now())


@router.get("/cases/{case_id}")
def read_case(
    case_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    return _case_action(ctx, principal, case_id, None, audit=("case.read", None))


@router.post("/cases/{case_id}/notes", status_code=201)
def add_note(
    case_id: int, body: NoteIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    return _case_action(ctx, principal, case_id, service.add_note, **body.model_dump())


@router.post("/cases/{case_id}/route")
def route(
    case_id: int, body: RouteIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    """分流 (and 转办 when routed again): departments, responsible person; several departments open a 议事."""
    return _case_action(ctx, principal, case_id, service.route, config=_config(ctx), **body.model_dump())


def _lifecycle(
    ctx: Ctx, principal: Principal, case_id: int, action: CaseAction, reason: str | None, **data: Any
) -> dict[str, Any]:
    return _case_action(ctx, principal, case_id, service.act, action, config=_config(ctx), reason=reason, **data)


@router.post("/cases/{case_id}/start")
def start(
    case_id: int,
    body: ReasonIn | None = None,
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(*CASE_WORKERS),
) -> dict[str, Any]:
    return _lifecycle(ctx, principal, case_id, CaseAction.START, body.reason if body else None)


@router.post("/cases/{case_id}/answer")
def answer(
    case_id: int, body: AnswerIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    """反馈: the reply to the employee; ``outcome="explained"`` when it cannot be solved (the explanation)."""
    return _lifecycle(ctx, principal, case_id, CaseAction.ANSWER, body.reason, reply=body.reply, outcome=body.outcome)


@router.post("/cases/{case_id}/reopen")
def reopen(
    case_id: int, body: RequiredReasonIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    return _lifecycle(ctx, principal, case_id, CaseAction.REOPEN, body.reason)


@router.post("/cases/{case_id}/escalate")
def escalate(
    case_id: int, body: RequiredReasonIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    """提请民事民议: the unsatisfied employee's case goes to the review."""
    return _lifecycle(ctx, principal, case_id, CaseAction.ESCALATE, body.reason)


@router.post("/cases/{case_id}/archive")
def archive(
    case_id: int,
    body: ReasonIn | None = None,
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(*CASE_WORKERS),
) -> dict[str, Any]:
    return _lifecycle(ctx, principal, case_id, CaseAction.ARCHIVE, body.reason if body else None)


@router.post("/cases/{case_id}/rate")
def rate(
    case_id: int, body: RateIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    """评价 taken by an officer (回访 by phone, or at the counter)."""
    return _case_action(ctx, principal, case_id, service.rate, config=_config(ctx), **body.model_dump())


@router.post("/cases/{case_id}/pause")
def pause(
    case_id: int, body: RequiredReasonIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    """Stop the clock with a recorded reason (e.g. 等待员工补交材料)."""
    return _case_action(ctx, principal, case_id, service.pause, config=_config(ctx), reason=body.reason)


@router.post("/cases/{case_id}/resume")
def resume(case_id: int, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)) -> dict[str, Any]:
    return _case_action(ctx, principal, case_id, service.resume, config=_config(ctx))


@router.post("/cases/{case_id}/extend")
def extend(
    case_id: int,
    body: ExtendIn,
    ctx: Ctx = Depends(get_ctx),
    principal: Principal = access(Role.HANDLER, Role.LEGAL, Role.COUNSELOR, Role.SUPERVISOR, Role.ADMIN),
) -> dict[str, Any]:
    """延期 (e.g. a statutory petition's resolve step: once, by 30 days) with a written reason."""
    audit = ("case.extend", {"step": body.step})
    return _case_action(ctx, principal, case_id, service.extend, config=_config(ctx), audit=audit, **body.model_dump())


@router.post("/cases/{case_id}/deliberation/invite")
def deliberation_invite(
    case_id: int, body: DepartmentsIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    return _case_action(ctx, principal, case_id, service.invite, **body.model_dump())


@router.post("/cases/{case_id}/deliberation/comments")
def deliberation_comment(
    case_id: int, body: CommentIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    return _case_action(ctx, principal, case_id, service.comment, department=body.department, text=body.comment)


@router.post("/cases/{case_id}/deliberation/sign-off")
def deliberation_sign_off(
    case_id: int, body: SignOffIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    """会签: the department agrees (optionally with its last comment)."""
    return _case_action(
        ctx, principal, case_id, service.comment, department=body.department, text=body.comment or "", sign_off=True
    )


@router.post("/cases/{case_id}/deliberation/decide")
def deliberation_decide(
    case_id: int, body: DecideIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    """议事结论: recorded with every participant's sign-off; names the lead department."""
    return _case_action(ctx, principal, case_id, service.decide, config=_config(ctx), **body.model_dump())


@router.post("/cases/{case_id}/showcase")
def request_showcase(
    case_id: int, body: ShowcaseIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    """Propose an anonymised summary for the 案例专栏 (a supervisor approves it)."""
    return _case_action(ctx, principal, case_id, service.request_publication, **body.model_dump())


@router.post("/cases/{case_id}/showcase/decision")
def decide_showcase(
    case_id: int, body: ShowcaseDecisionIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*SUPERVISORS)
) -> dict[str, Any]:
    audit = ("case.showcase_decision", {"approved": body.approve})
    return _case_action(ctx, principal, case_id, service.decide_publication, audit=audit, **body.model_dump())


@router.put("/cases/{case_id}/adoption")
def adoption(
    case_id: int, body: AdoptionIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    """合理化建议: adoption status (待评估/已采纳/部分采纳/未采纳/已实施) and the reward note."""
    return _case_action(ctx, principal, case_id, service.set_adoption, **body.model_dump())


@router.put("/cases/{case_id}/visibility")
def visibility(
    case_id: int, body: VisibilityIn, ctx: Ctx = Depends(get_ctx), principal: Principal = access(*CASE_WORKERS)
) -> dict[str, Any]:
    """保密 (confidential) / 不公开 (private): either keeps the case off the public board."""

    def reception_keeps_confidentiality(case: Case) -> None:
        if principal.role == Role.RECEPTION and body.confidential is False and case.confidential:
            raise Forbidden("forbidden", "前台不能取消保密设置", "Reception cannot lift confidentiality")

    check = reception_keeps_confidentiality
    return _case_action(ctx, principal, case_id, service.set_visibility, check=check, **body.model_dump())
