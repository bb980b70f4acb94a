"""Signed outbound webhooks: queued in the event's transaction, delivered with retries, dead letters replayed.

* **Queued with the change.** ``enqueue`` runs inside the transaction that writes the event, so a
  delivery exists exactly when the change does — no event is missed or invented.
* **Signed.** The body is the JSON document below; the receiver recomputes
  ``HMAC-SHA256(secret, f"{timestamp}.{body}")`` and compares it with the ``v1`` value of the
  ``X-Suqiu-Signature: t=<timestamp>,v1=<hex>`` header, and refuses old timestamps (replays).
  ``X-Suqiu-Delivery`` is the delivery's id: a receiver that sees it twice has seen a retry.
* **Retried.** Anything but a 2xx answer (or no answer within the timeout) is retried after
  30 s, 2 min, 8 min, 32 min, ~2 h; after the last attempt the delivery is *dead* and waits in the
  dead-letter list until an admin replays it (``POST /api/v1/webhooks/deliveries/{id}/replay`` or
  ``suqiu webhooks replay``).

Body::

    {"id": "<delivery uid>", "event_id": 123, "kind": "case.updated", "created_at": "...",
     "payload": {"case_id": 7, "reference": "SQ2026-000007", "status": "routed", "change": "route", ...}}

Payloads are the events' payloads: ids, codes and states, never a name or a case's text.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from suqiu_queue.domain.errors import Conflict, Invalid, not_found

from ..events.models import Event
from .models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(seconds=30)
RETRY_FACTOR = 4
TIMEOUT = (3.05, 10.0)
SIGNATURE_HEADER = "X-Suqiu-Signature"
MAX_ERROR_CHARS = 500


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Suqiu-Signature`` header value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, now: float, tolerance_s: int = 300) -> bool:
    """What a receiver does (also used by the tests' receiver): signature and freshness."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 30 s, 2 min, 8 min, 32 min, ~2 h."""
    return FIRST_RETRY * (RETRY_FACTOR ** max(0, attempts - 1))


def matches(patterns: list[str], kind: str) -> bool:
    for pattern in patterns:
        if pattern == "*" or pattern == kind:
            return True
        if pattern.endswith(".*") and kind.startswith(pattern[:-1]):
            return True
    return False


# --- endpoints ------------------------------------------------------------------------------


def _check_url(url: str) -> str:
    url = url.strip()
    if not url.startswith(("http://", "https://")):
        raise Invalid("webhook_url_invalid", "接收地址必须以 http:// 或 https:// 开头", "The URL must be http(s)")
    return url


def _check_events(events: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(e.strip() for e in events if e.strip()))
    if not cleaned:
        raise Invalid("webhook_events_required", "请至少选择一类事件", "Subscribe to at least one event kind")
    for e in cleaned:
        if not (e == "*" or e.replace(".", "").replace("_", "").replace("*", "").isalnum()):
            raise Invalid("webhook_event_invalid", f"事件类型格式有误：{e}", f"Malformed event kind: {e}")
    return cleaned


def create_endpoint(
    session: Session, *, name: str, url: str, events: list[str], center_id: int | None, actor: str, now: datetime
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        name=name.strip(),
        url=_check_url(url),
        secret=new_secret(),
        events=_check_events(events),
        center_id=center_id,
        active=True,
        created_at=now,
        created_by=actor,
    )
    session.add(endpoint)
    session.flush()
    session.info.pop(_ENDPOINTS, None)
    return endpoint


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise not_found("Webhook 接收端", "Webhook endpoint", endpoint_id)
    return endpoint


def endpoint_out(endpoint: WebhookEndpoint, *, with_secret: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": endpoint.id,
        "name": endpoint.name,
        "url": endpoint.url,
        "events": endpoint.events,
        "center_id": endpoint.center_id,
        "active": endpoint.active,
        "created_at": endpoint.created_at.isoformat(),
    }
    if with_secret:  # shown when created, for the receiver's configuration
        out["secret"] = endpoint.secret
    return out


# --- queueing -----------------------------------------------------------------------------------


_ENDPOINTS = "suqiu_webhook_endpoints"


def _active_endpoints(session: Session) -> list[WebhookEndpoint]:
    # Read once per session (one request, or one batch of the sweep), not once per event.
    cached = session.info.get(_ENDPOINTS)
    if cached is None:
        cached = list(session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True))).all())
        session.info[_ENDPOINTS] = cached
    return cached


def enqueue(session: Session, event: Event, *, now: datetime) -> list[WebhookDelivery]:
    """One pending delivery per active endpoint subscribed to the event (in the event's transaction)."""
    endpoints = [
        e
        for e in _active_endpoints(session)
        if matches(e.events, event.kind) and (e.center_id is None or e.center_id == event.center_id)
    ]
    if not endpoints:
        return []
    session.flush()  # the event's id goes into the body
    deliveries = []
    for endpoint in endpoints:
        delivery = WebhookDelivery(
            uid=secrets.token_hex(16),
            endpoint_id=endpoint.id,
            event_id=event.id,
            kind=event.kind,
            payload=dict(event.payload),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        session.add(delivery)
        deliveries.append(delivery)
    return deliveries


def body_of(delivery: WebhookDelivery) -> bytes:
    document = {
        "id": delivery.uid,
        "event_id": delivery.event_id,
        "kind": delivery.kind,
        "created_at": delivery.created_at.isoformat(),
        "payload": delivery.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


# --- delivering ---------------------------------------------------------------------------------


@dataclass
class DeliveryRun:
    delivered: int = 0
    retried: int = 0
    dead: int = 0


def _post(http: requests.Session, endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[int | None, str]:
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "suqiu-webhooks/1",
        "X-Suqiu-Event": delivery.kind,
        "X-Suqiu-Delivery": delivery.uid,
        SIGNATURE_HEADER: sign(endpoint.secret, int(time.time()), body),
    }
    try:
        response = http.post(endpoint.url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}: {response.text}"[:MAX_ERROR_CHARS]


def deliver_due(
    sessions: sessionmaker[Session], *, now: datetime, http: requests.Session | None = None, batch: int = 100
) -> DeliveryRun:
    """Send every pending delivery whose time has come; one transaction per delivery."""
    run = DeliveryRun()
    http = http or requests.Session()
    with sessions() as session:
        due_ids = list(
            session.scalars(
                select(WebhookDelivery.id)
                .where(
                    WebhookDelivery.status == "pending",
                    or_(WebhookDelivery.next_attempt_at.is_(None), WebhookDelivery.next_attempt_at <= now),
                )
                .order_by(WebhookDelivery.id)
                .limit(batch)
            ).all()
        )
    for delivery_id in due_ids:
        with sessions() as session, session.begin():
            query = select(WebhookDelivery).where(
                WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending"
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            delivery = session.scalar(query)
            if delivery is None:  # someone else took it
                continue
            endpoint = delivery.endpoint
            if not endpoint.active:
                delivery.status = "dead"
                delivery.last_error = "endpoint deactivated"
                run.dead += 1
                continue
            status, error = _post(http, endpoint, delivery)
            delivery.attempts += 1
            delivery.last_status = status
            if not error:
                delivery.status = "delivered"
                delivery.delivered_at = now
                delivery.next_attempt_at = None
                delivery.last_error = None
                run.delivered += 1
            elif delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = "dead"
                delivery.next_attempt_at = None
                delivery.last_error = error
                run.dead += 1
                log.warning("webhook delivery %s to %s is dead: %s", delivery.uid, endpoint.name, error)
            else:
                delivery.next_attempt_at = now + backoff(delivery.attempts)
                delivery.last_error = error
                run.retried += 1
    return run


def delivery_out(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "uid": delivery.uid,
        "endpoint_id": delivery.endpoint_id,
        "endpoint_name": delivery.endpoint.name,
        "event_id": delivery.event_id,
        "kind": delivery.kind,
        "payload": delivery.payload,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "next_attempt_at": delivery.next_attempt_at.isoformat() if delivery.next_attempt_at else None,
        "created_at": delivery.created_at.isoformat(),
        "delivered_at": delivery.delivered_at.isoformat() if delivery.delivered_at else None,
        "replayed_at": delivery.replayed_at.isoformat() if delivery.replayed_at else None,
    }


def dead_letters(session: Session, limit: int = 100) -> list[WebhookDelivery]:
    return list(
        session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.status == "dead").order_by(WebhookDelivery.id).limit(limit)
        ).all()
    )


def replay(session: Session, delivery_id: int, *, now: datetime) -> WebhookDelivery:
    """Give a dead delivery a fresh set of attempts, starting now (the body and its id stay the same)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise not_found("Webhook 投递", "Webhook delivery", delivery_id)
    if delivery.status != "dead":
        raise Conflict(
            "webhook_not_dead",
            "只有投递失败（死信）的记录才能重新投递",
            "Only dead deliveries can be replayed",
            details={"status": delivery.status},
        )
    if not delivery.endpoint.active:
        raise Conflict("webhook_endpoint_inactive", "接收端已停用，不能重新投递", "The endpoint is deactivated")
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.replayed_at = now
    return delivery


def replay_all(session: Session, *, now: datetime) -> int:
    count = 0
    for delivery in dead_letters(session, limit=10_000):
        if delivery.endpoint.active:
            replay(session, delivery.id, now=now)
            count += 1
    return count
