"""督办: the sweep that climbs the supervision ladder, and the channels that carry its messages.

The sweep reads only the cases whose ``next_alert_at`` has come (an indexed query, however many
cases are open), works out the highest rung reached, and — unless it is night and the matter is
not urgent, in which case it waits for the end of the quiet hours — writes, in one transaction:
an in-app ``supervision.reminder`` event for the front desk, a timeline row, and one outbox row per
e-mail and 企业微信 message. The outbox is then delivered, with retries; the messages name the
case's reference, category, step, due time and responsible officer, never the employee or the text.

Recipients per rung: ``responsible`` is the case's assignee (without one, the whole center's
front desk sees the in-app reminder); ``supervisor`` is the assignee's supervisor from the contacts
(without one, the center's supervisors); ``leadership`` is the center's leaders from the contacts.

A case that passed several rungs since the last pass (the night, or a runner that was down) gets
the highest one only; the skipped ones are named in its timeline row and event. A pass reads the
due cases as plain rows in batches and writes each batch's rows in bulk (``bulk.py``), so the first
pass after a day without a runner stays within seconds on a million cases (docs/benchmarks.md).

Everything runs from ``run_jobs`` under :func:`~.lock.single_runner`, so any number of servers or
timers may call it: one runs, the others skip. It first recomputes the provisional deadlines when
the holiday data changed (``cases.calendar_update``).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

import requests
from sqlalchemy import Engine, insert, or_, select
from sqlalchemy.orm import Session, sessionmaker

from suqiu_queue.domain import sla
from suqiu_queue.domain.enums import CASE_STATE_LABELS_ZH, CaseState, Role
from suqiu_queue.domain.errors import Invalid, not_found
from suqiu_queue.domain.hours import zone
from suqiu_queue.domain.supervision import (
    ALERT_LEVEL_LABELS_ZH,
    AlertLevel,
    Audience,
    Rung,
    next_rung_at,
    reached,
    send_after,
)

from ..accounts.models import User
from ..cases import deadlines, policies
from ..cases.calendar_update import CalendarUpdate, refresh_if_changed
from ..cases.config import LoopConfig
from ..cases.models import Case, CasePause, CaseTimeline
from ..cases.service import is_urgent
from ..db import utcnow
from ..events.models import Event
from ..events.service import restrict_kind
from ..org.models import Category, Center
from ..webhooks.models import WebhookEndpoint
from ..webhooks.service import deliver_due as deliver_webhooks
from ..webhooks.service import enqueue as enqueue_webhooks
from ..webhooks.service import matches as webhook_matches
from . import bulk
from .lock import single_runner
from .models import SupervisionContact, SupervisionNotification

log = logging.getLogger(__name__)

REMINDER_EVENT = "supervision.reminder"
# The front desk hears reminders; kiosks and boards never do.
restrict_kind(REMINDER_EVENT, [r.value for r in Role])

JOBS_LOCK = "suqiu.jobs"
SWEEP_BATCH = 1000
RETRY_FIRST = timedelta(minutes=1)


# --- contacts ---------------------------------------------------------------------------------


def user_by_username(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise not_found("账号", "User", username)
    return user


def set_contact(
    session: Session,
    user: User,
    *,
    email: str | None,
    mobile: str | None,
    supervisor: User | None,
    leader: bool,
    now: datetime,
) -> SupervisionContact:
    if email and ("@" not in email or " " in email.strip()):
        raise Invalid("email_invalid", f"电子邮箱格式有误：{email}", f"Malformed e-mail address: {email}")
    if supervisor is not None and supervisor.id == user.id:
        raise Invalid("supervisor_self", "上级不能是本人", "A person cannot be their own supervisor")
    contact = session.get(SupervisionContact, user.id)
    if contact is None:
        contact = SupervisionContact(user_id=user.id)
        session.add(contact)
    contact.email = (email or "").strip() or None
    contact.mobile = (mobile or "").strip() or None
    contact.supervisor_id = supervisor.id if supervisor else None
    contact.leader = leader
    contact.updated_at = now
    session.flush()
    return contact


def contact_out(session: Session, contact: SupervisionContact) -> dict[str, Any]:
    user = session.get(User, contact.user_id)
    supervisor = session.get(User, contact.supervisor_id) if contact.supervisor_id else None
    return {
        "username": user.username if user else None,
        "display_name": user.display_name if user else None,
        "email": contact.email,
        "mobile": contact.mobile,
        "supervisor": supervisor.username if supervisor else None,
        "leader": contact.leader,
    }


# --- messages ---------------------------------------------------------------------------------


def format_due(due: datetime | None, timezone: str) -> str:
    """A due time as officers read it: a day that ends at midnight is "当天 24:00", not the next day's 0:00."""
    if due is None:
        return "（计时暂停）"
    local = due.astimezone(zone(timezone))
    if local.hour == 0 and local.minute == 0:
        day = local - timedelta(days=1)
        return f"{day.year}年{day.month}月{day.day}日 24:00"
    return f"{local.year}年{local.month}月{local.day}日 {local.hour:02d}:{local.minute:02d}"


@dataclass(frozen=True)
class Alert:
    case: Any  # a row of SWEEP_COLUMNS (id, reference, status, assignee_id, ...)
    center: Center
    category: Category
    step: sla.SlaStep
    step_limit: str
    rung: Rung
    rung_number: int
    due_at: datetime | None
    responsible: str

    @property
    def headline(self) -> str:
        return f"【{ALERT_LEVEL_LABELS_ZH[self.rung.level]}】诉求 {self.case.reference} {sla.SLA_STEP_LABELS_ZH[self.step]}{self.rung.label_zh}"

    def lines(self) -> list[tuple[str, str]]:
        return [
            ("诉求编号", self.case.reference),
            ("业务类别", self.category.name_zh),
            (
                "当前环节",
                f"{CASE_STATE_LABELS_ZH[CaseState(self.case.status)]}（{sla.SLA_STEP_LABELS_ZH[self.step]}时限：{self.step_limit}）",
            ),
            ("截止时间", format_due(self.due_at, self.center.timezone)),
            ("责任人", self.responsible or "未指定"),
            ("督办级别", f"{ALERT_LEVEL_LABELS_ZH[self.rung.level]} — {self.rung.label_zh}"),
        ]

    def email_body(self) -> str:
        body = "\n".join(f"{k}：{v}" for k, v in self.lines())
        return f"{body}\n\n请登录{self.center.name}前台系统及时办理。\n（本邮件由系统自动发送，请勿直接回复）\n"

    def wecom_markdown(self) -> str:
        color = "info" if self.rung.level is AlertLevel.REMIND else "warning"
        head = f'### <font color="{color}">{ALERT_LEVEL_LABELS_ZH[self.rung.level]}</font> 诉求 {self.case.reference}'
        return head + "\n" + "\n".join(f"> {k}：{v}" for k, v in self.lines())


# --- the sweep --------------------------------------------------------------------------------


@dataclass
class SweepResult:
    checked: int = 0
    fired: int = 0
    deferred: int = 0
    notifications: int = 0
    levels: dict[str, int] = field(default_factory=dict)
    # Catch-up: cases that passed several rungs since the last pass (a runner was down, or the
    # night held them back). Each got the highest rung only; the lower ones are named in its
    # timeline row instead of being sent.
    caught_up: int = 0
    skipped_rungs: int = 0


class _Directory:
    """Who is who for one batch of alerts, loaded in a few queries instead of several per alert."""

    def __init__(self, session: Session, cases: Sequence[Any]) -> None:
        center_ids = {c.center_id for c in cases}
        # Contacts are officers' rows (hundreds, not millions): all of them, once.
        self.contacts = {c.user_id: c for c in session.scalars(select(SupervisionContact))}
        wanted = {c.assignee_id for c in cases if c.assignee_id is not None}
        wanted |= {c.supervisor_id for c in self.contacts.values() if c.supervisor_id is not None}
        self.users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))} if wanted else {}
        self.supervisors: dict[int, list[User]] = {}
        self.leaders: dict[int, list[User]] = {}
        for user in session.scalars(select(User).where(User.center_id.in_(center_ids), User.active.is_(True))):
            if user.role == Role.SUPERVISOR.value:
                self.supervisors.setdefault(user.center_id or 0, []).append(user)
            contact = self.contacts.get(user.id)
            if contact is not None and contact.leader:
                self.leaders.setdefault(user.center_id or 0, []).append(user)

    def recipients(self, case: Any, audiences: tuple[Audience, ...]) -> list[tuple[Audience, User | None]]:
        """(audience, user) pairs; ``None`` user: the center's front desk (no assignee)."""
        found: list[tuple[Audience, User | None]] = []
        seen: set[int] = set()
        assignee = self.users.get(case.assignee_id) if case.assignee_id else None

        def add(audience: Audience, user: User | None) -> None:
            if user is None:
                found.append((audience, None))
            elif user.active and user.id not in seen:
                seen.add(user.id)
                found.append((audience, user))

        for audience in audiences:
            if audience is Audience.RESPONSIBLE:
                add(audience, assignee)
            elif audience is Audience.SUPERVISOR:
                contact = self.contacts.get(assignee.id) if assignee else None
                boss = self.users.get(contact.supervisor_id) if contact and contact.supervisor_id else None
                for user in [boss] if boss is not None else self.supervisors.get(case.center_id, []):
                    add(audience, user)
            else:
                for user in self.leaders.get(case.center_id, []):
                    add(audience, user)
        return found


# What the sweep reads of a case: plain rows, not ORM objects (a catch-up handles thousands).
_CASES = Case.__table__
SWEEP_COLUMNS = (
    _CASES.c.id,
    _CASES.c.reference,
    _CASES.c.center_id,
    _CASES.c.category_id,
    _CASES.c.status,
    _CASES.c.sla_policy,
    _CASES.c.alert_step,
    _CASES.c.alert_fired,
    _CASES.c.assignee_id,
    _CASES.c.responsible,
    _CASES.c.created_at,
    _CASES.c.clock_start_at,
    _CASES.c.responded_at,
    _CASES.c.extensions,
    _CASES.c.breached_at,
    *(_CASES.c[column] for column in deadlines.DUE_COLUMN.values()),
)


class _Batch:
    """One batch of due cases with everything their alerts need, and the rows the alerts write.

    Rows are collected and written with one multi-row statement per table at the end of the batch
    (executemany), instead of an ORM object and an INSERT round trip each.
    """

    def __init__(self, session: Session, cases: Sequence[Any], *, now: datetime, config: LoopConfig) -> None:
        self.session = session
        self.now = now
        self.config = config
        self.policies = policies.all_policies(session)
        center_ids = {c.center_id for c in cases}
        self.centers = {c.id: c for c in session.scalars(select(Center).where(Center.id.in_(center_ids)))}
        self.categories = {c.id: c for c in session.scalars(select(Category))}
        self.pauses: dict[int, list[CasePause]] = {}
        query = select(CasePause).where(CasePause.case_id.in_([c.id for c in cases])).order_by(CasePause.start_at)
        for pause in session.scalars(query):
            self.pauses.setdefault(pause.case_id, []).append(pause)
        self.directory = _Directory(session, cases)
        self.notifications: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.timeline: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []

    def alert(self, alert: Alert, *, skipped: list[int]) -> int:
        """The rows of one alert: in-app and outbox notifications, the event, the timeline row."""
        case, config, now = alert.case, self.config, self.now
        recipients = self.directory.recipients(case, alert.rung.notify)
        base = {
            "case_id": case.id,
            "center_id": case.center_id,
            "step": alert.step.value,
            "rung": alert.rung_number,
            "level": alert.rung.level.value,
            "created_at": now,
            "subject": alert.headline,
            "address": "",
            "body": "",
            "recipient_user_id": None,
            "next_attempt_at": None,
            "sent_at": None,
            "attempts": 0,
        }
        rows = []
        for audience, user in recipients:
            rows.append(
                base
                | {
                    "audience": audience.value if user else "center",
                    "channel": "inapp",
                    "recipient_user_id": user.id if user else None,
                    "status": "sent",
                    "attempts": 1,
                    "sent_at": now,
                }
            )
            contact = self.directory.contacts.get(user.id) if user else None
            if config.email is not None and user is not None and contact is not None and contact.email:
                rows.append(
                    base
                    | {
                        "audience": audience.value,
                        "channel": "email",
                        "recipient_user_id": user.id,
                        "address": contact.email,
                        "body": alert.email_body(),
                        "status": "pending",
                        "next_attempt_at": now,
                    }
                )
        if config.wecom is not None and config.wecom.url_for(alert.center.code):
            rows.append(
                base
                | {
                    "audience": "group",
                    "channel": "wecom",
                    "address": alert.center.code,
                    "body": alert.wecom_markdown(),
                    "status": "pending",
                    "next_attempt_at": now,
                }
            )
        self.notifications.extend(rows)
        user_ids = sorted({u.id for _a, u in recipients if u is not None})
        payload = {
            "case_id": case.id,
            "reference": case.reference,
            "category": alert.category.code,
            "step": alert.step.value,
            "level": alert.rung.level.value,
            "rung": alert.rung_number,
            "due_at": alert.due_at.isoformat() if alert.due_at else None,
            "assignee_id": case.assignee_id,
            "recipient_user_ids": user_ids,
            "urgent": is_urgent(alert.category),
        }
        if skipped:
            payload["skipped_rungs"] = skipped
        self.events.append({"kind": REMINDER_EVENT, "payload": payload, "center_id": case.center_id})
        data: dict[str, Any] = {
            "level": alert.rung.level.value,
            "rung": alert.rung_number,
            "step": alert.step.value,
            "recipients": user_ids,
        }
        note = alert.headline
        if skipped:
            # The catch-up record: the rungs passed while nobody ran, named once instead of sent.
            data["skipped_rungs"] = skipped
            note += "（补发：期间未发送的较低级别提醒不再单独发送）"
        self.timeline.append(
            {
                "case_id": case.id,
                "at": now,
                "actor": "system:supervision",
                "kind": "supervision",
                "note": note,
                "from_status": None,
                "to_status": None,
                "data": data,
            }
        )
        return len(rows)

    def write(self) -> None:
        """Everything the batch decided, in a handful of statements (same transaction)."""
        bulk.update_ladders(self.session, self.updates)
        bulk.insert_rows(self.session, SupervisionNotification.__table__, self.notifications)
        bulk.insert_rows(self.session, CaseTimeline.__table__, self.timeline)
        if self.events:
            self._write_events()

    def _write_events(self) -> None:
        # PostgreSQL: the events table's trigger sends NOTIFY for each row at commit, as emit() does;
        # SQLite's broker picks them up on its next poll (within a second).
        created = utcnow()
        rows = [event | {"created_at": created} for event in self.events]
        if not _webhooks_want(self.session, REMINDER_EVENT):
            bulk.insert_rows(self.session, Event.__table__, rows)
            return
        ids = self.session.scalars(insert(Event).returning(Event.id, sort_by_parameter_order=True), rows).all()
        for event_id, row in zip(ids, rows, strict=True):
            enqueue_webhooks(self.session, Event(id=event_id, **row), now=self.now)


def _webhooks_want(session: Session, kind: str) -> bool:
    """Whether any active webhook subscribes to ``kind`` (then the events' ids are needed for them)."""
    subscriptions = session.scalars(select(WebhookEndpoint.events).where(WebhookEndpoint.active.is_(True)))
    return any(webhook_matches(list(events), kind) for events in subscriptions)


def _due_cases(session: Session, now: datetime, batch: int) -> list[Any]:
    query = (
        select(*SWEEP_COLUMNS)
        .where(_CASES.c.next_alert_at.is_not(None), _CASES.c.next_alert_at <= now)
        .order_by(_CASES.c.next_alert_at, _CASES.c.id)
        .limit(batch)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Another runner (there should be none: run_jobs holds the lock) or an officer's change
        # holding a row: skip it now, it is still due at the next pass.
        query = query.with_for_update(skip_locked=True, of=_CASES)
    return list(session.execute(query).all())


def _climb(case: Any, batch: _Batch, result: SweepResult) -> None:
    """One case: which rungs it has reached, what (if anything) to send now, and its next moment."""
    now, config, ladder = batch.now, batch.config, batch.config.ladder
    result.checked += 1
    update_row = {
        "case_id": case.id,
        "fired": case.alert_fired,
        "next_at": None,
        "breached": case.breached_at,
        "at": now,
    }
    batch.updates.append(update_row)
    policy = batch.policies.get(case.sla_policy or "")
    if policy is None or case.alert_step is None:
        return
    center = batch.centers[case.center_id]
    category = batch.categories[case.category_id]
    step = sla.SlaStep(case.alert_step)
    clock = deadlines.CaseClock(case, policy, policies.calendar_for(center.timezone), batch.pauses.get(case.id, []))
    instant_of = deadlines.ladder_instants(clock, step, ladder)
    count = reached(ladder, case.alert_fired, instant_of, now)
    if count > case.alert_fired:
        wait = send_after(now.astimezone(zone(center.timezone)), config.quiet_hours, urgent=is_urgent(category))
        if wait is not None:
            update_row["next_at"] = wait.astimezone(UTC)
            result.deferred += 1
            return
        rung = ladder.rungs[count - 1]
        alert = Alert(
            case=case,
            center=center,
            category=category,
            step=step,
            step_limit=policy.steps[step].label_zh if step in policy.steps else "",
            rung=rung,
            rung_number=count,
            due_at=getattr(case, deadlines.DUE_COLUMN[step]),
            responsible=case.responsible or "",
        )
        # Only the highest rung reached is sent; the ones passed on the way are recorded with it.
        skipped = list(range(case.alert_fired + 1, count))
        result.notifications += batch.alert(alert, skipped=skipped)
        result.fired += 1
        result.levels[rung.level.value] = result.levels.get(rung.level.value, 0) + 1
        if skipped:
            result.caught_up += 1
            result.skipped_rungs += len(skipped)
        update_row["fired"] = count
    due = instant_of(1.0)
    if due is not None and due <= now and case.breached_at is None:
        update_row["breached"] = due
    update_row["next_at"] = next_rung_at(ladder, update_row["fired"], instant_of)


def sweep(
    sessions: sessionmaker[Session], *, now: datetime, config: LoopConfig, batch: int = SWEEP_BATCH
) -> SweepResult:
    """Climb the ladder for every case whose next rung has come. One transaction per batch.

    A case's notifications and its new ``alert_fired``/``next_alert_at`` commit together, so a pass
    that is re-run (or a second runner) never sends a rung twice.
    """
    result = SweepResult()
    for _round in range(10_000):  # bounded: each round moves every selected case's next_alert_at past now
        with sessions() as session, session.begin():
            cases = _due_cases(session, now, batch)
            if not cases:
                break
            work = _Batch(session, cases, now=now, config=config)
            for case in cases:
                _climb(case, work, result)
            work.write()
    if result.caught_up:
        log.info(
            "supervision catch-up: %d cases had passed several rungs; sent the highest only (%d lower ones skipped)",
            result.caught_up,
            result.skipped_rungs,
        )
    return result


# --- delivering the outbox --------------------------------------------------------------------


Sender = Callable[[SupervisionNotification], None]


def send_email(config: LoopConfig) -> Sender:
    def send(row: SupervisionNotification) -> None:
        assert config.email is not None
        channel = config.email
        message = EmailMessage()
        message["Subject"] = row.subject
        message["From"] = channel.sender if "<" in channel.sender else formataddr(("职工诉求服务中心", channel.sender))
        message["To"] = row.address
        message["Message-ID"] = make_msgid(domain="suqiu")
        message.set_content(row.body, charset="utf-8")
        if channel.ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                channel.host, channel.port, timeout=channel.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout)
        with smtp:
            if channel.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if channel.username:
                smtp.login(channel.username, channel.password)
            smtp.send_message(message)

    return send


def send_wecom(config: LoopConfig, http: requests.Session) -> Sender:
    def send(row: SupervisionNotification) -> None:
        assert config.wecom is not None
        url = config.wecom.url_for(row.address)
        if not url:
            raise RuntimeError(f"no 企业微信 webhook for center {row.address}")
        response = http.post(
            url,
            json={"msgtype": "markdown", "markdown": {"content": row.body}},
            timeout=(3.05, config.wecom.timeout),
        )
        response.raise_for_status()
        answer = response.json()
        if answer.get("errcode", 0) != 0:  # the robot answers 200 with an error code
            raise RuntimeError(f"企业微信 errcode {answer.get('errcode')}: {answer.get('errmsg')}")

    return send


@dataclass
class OutboxRun:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def deliver_notifications(
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    config: LoopConfig,
    http: requests.Session | None = None,
    batch: int = 200,
) -> OutboxRun:
    run = OutboxRun()
    http = http or requests.Session()
    senders: dict[str, Sender] = {}
    if config.email is not None:
        senders["email"] = send_email(config)
    if config.wecom is not None:
        senders["wecom"] = send_wecom(config, http)
    with sessions() as session:
        ids = list(
            session.scalars(
                select(SupervisionNotification.id)
                .where(
                    SupervisionNotification.status == "pending",
                    or_(
                        SupervisionNotification.next_attempt_at.is_(None),
                        SupervisionNotification.next_attempt_at <= now,
                    ),
                )
                .order_by(SupervisionNotification.id)
                .limit(batch)
            ).all()
        )
    for row_id in ids:
        with sessions() as session, session.begin():
            query = select(SupervisionNotification).where(
                SupervisionNotification.id == row_id, SupervisionNotification.status == "pending"
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = session.scalar(query)
            if row is None:
                continue
            sender = senders.get(row.channel)
            row.attempts += 1
            try:
                if sender is None:
                    raise RuntimeError(f"channel {row.channel} is not configured")
                sender(row)
            except Exception as exc:  # any failure of a remote system: retry later, never crash the sweep
                row.last_error = f"{type(exc).__name__}: {exc}"[:500]
                if row.attempts >= config.max_attempts:
                    row.status = "failed"
                    row.next_attempt_at = None
                    run.failed += 1
                    log.warning("supervision %s message %s failed for good: %s", row.channel, row.id, row.last_error)
                else:
                    row.next_attempt_at = now + RETRY_FIRST * (5 ** (row.attempts - 1))
                    run.retried += 1
                continue
            row.status = "sent"
            row.sent_at = now
            row.last_error = None
            row.next_attempt_at = None
            run.sent += 1
    return run


def notification_out(row: SupervisionNotification) -> dict[str, Any]:
    return {
        "id": row.id,
        "case_id": row.case_id,
        "step": row.step,
        "level": row.level,
        "level_label": ALERT_LEVEL_LABELS_ZH[AlertLevel(row.level)],
        "rung": row.rung,
        "audience": row.audience,
        "channel": row.channel,
        "subject": row.subject,
        "status": row.status,
        "attempts": row.attempts,
        "created_at": row.created_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
    }


# --- the jobs together --------------------------------------------------------------------------


@dataclass
class JobsResult:
    ran: bool
    sweep: SweepResult = field(default_factory=SweepResult)
    outbox: OutboxRun = field(default_factory=OutboxRun)
    webhooks_delivered: int = 0
    webhooks_retried: int = 0
    webhooks_dead: int = 0
    calendar: CalendarUpdate | None = None

    def summary(self) -> str:
        if not self.ran:
            return "another runner holds the lock: skipped"
        text = (
            f"checked={self.sweep.checked} fired={self.sweep.fired} deferred={self.sweep.deferred} "
            f"caught_up={self.sweep.caught_up} "
            f"messages_sent={self.outbox.sent} messages_retried={self.outbox.retried} "
            f"messages_failed={self.outbox.failed} webhooks_delivered={self.webhooks_delivered} "
            f"webhooks_retried={self.webhooks_retried} webhooks_dead={self.webhooks_dead}"
        )
        if self.calendar is not None and self.calendar.changed:
            text += f" calendar_recomputed={self.calendar.checked} calendar_moved={self.calendar.moved}"
        return text


def run_jobs(
    engine: Engine,
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    config: LoopConfig,
    holder: str,
    http: requests.Session | None = None,
) -> JobsResult:
    """Sweep, deliver the supervision messages, deliver the webhooks — by one runner at a time.

    First, if the shipped holiday data is not the one the stored deadlines were computed with (a
    release brought next year's notice), the provisional deadlines are recomputed, so the sweep
    climbs the ladder on the new ones.
    """
    with single_runner(engine, name=JOBS_LOCK, holder=holder, now=now) as mine:
        if not mine:
            return JobsResult(ran=False)
        http = http or requests.Session()
        result = JobsResult(ran=True)
        result.calendar = refresh_if_changed(sessions, now=now, config=config)
        result.sweep = sweep(sessions, now=now, config=config)
        result.outbox = deliver_notifications(sessions, now=now, config=config, http=http)
        hooks = deliver_webhooks(sessions, now=now, http=http)
        result.webhooks_delivered, result.webhooks_retried, result.webhooks_dead = (
            hooks.delivered,
            hooks.retried,
            hooks.dead,
        )
        return result
