"""The jobs the server runs by itself. Each calls the same function as its command-line twin, which
keeps working for sites that prefer cron or a systemd timer:

| job | every | same as |
| --- | --- | --- |
| ``crisis_escalation`` | 30 s | ``suqiu assess escalate`` — unacknowledged crisis alerts go to the supervisors |
| ``supervision`` | 60 s | ``suqiu supervise --once`` — 督办 sweep, its messages, the webhooks |
| ``faces_expiry`` | daily | ``suqiu faces expire`` — face templates past their retention are deleted |

A new job is one function here and one line in ``JOBS``.
"""

from __future__ import annotations

from .runner import Job, JobContext

DAY_SECONDS = 24 * 60 * 60.0


def escalate_crisis_alerts(context: JobContext) -> str:
    from ..assessments.service import escalate_unacknowledged

    minutes = context.settings.crisis_escalation_minutes
    with context.sessions() as session, session.begin():
        escalated = escalate_unacknowledged(session, context.now, minutes)
    return f"{len(escalated)} crisis alert(s) unacknowledged after {minutes:g} min escalated"


def supervise(context: JobContext) -> str:
    from ..cases.config import load
    from ..supervision.service import run_jobs

    result = run_jobs(
        context.engine, context.sessions, now=context.now, config=load(context.settings), holder=context.holder
    )
    return str(result.summary())


def expire_face_templates(context: JobContext) -> str:
    from ..faces import config, service

    with context.sessions() as session, session.begin():
        report = service.expire(session, now=context.now, config=config.load(context.settings))
    if report.templates_deleted:
        service.scrub_storage(context.engine)
    return (
        f"expired {report.expired}, left {report.left_enterprise}, unconfirmed {report.unconfirmed}, "
        f"templates deleted {report.templates_deleted}, matches purged {report.matches_purged}"
    )


JOBS: tuple[Job, ...] = (
    Job("crisis_escalation", 30.0, escalate_crisis_alerts),
    Job("supervision", 60.0, supervise),
    Job("faces_expiry", DAY_SECONDS, expire_face_templates),
)
