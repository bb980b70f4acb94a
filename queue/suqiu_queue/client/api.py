"""``SuqiuClient``: the one way the apps talk to the server.

* Every call has a timeout (connect 3 s, read 10 s by default): the UI never waits forever.
* Only safe calls are retried: GETs, and ticket issue, which always carries an idempotency key
  so a retry after a lost answer returns the same ticket instead of a second one.
* Errors come back as ``ApiError`` (the server said no, with a Chinese message) or
  ``ServerUnavailable`` (no answer; the kiosk goes offline calmly).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .errors import ApiError, ServerUnavailable
from .events import EventStream
from .models import Category, Event, Identity, LoginResult, Ticket, WaitingInfo

DEFAULT_TIMEOUT = (3.05, 10.0)
T = TypeVar("T")


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class SuqiuClient:
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        device_key: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = 2,
        backoff: float = 0.2,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.device_key = device_key
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.http = requests.Session()
        # urllib3 retries GETs on connection errors and 502/503/504; never POSTs (see issue_ticket).
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff,
            status_forcelist=(502, 503, 504),
            allowed_methods=frozenset({"GET", "HEAD"}),
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=8)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)

    # -- plumbing -------------------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.device_key:
            return {"X-Device-Key": self.device_key}
        return {}

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> Any:
        response = self._send_raw(method, path, json=json, params=params, headers=headers, timeout=timeout)
        if not response.content:
            return None
        return response.json()

    def _send_raw(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        timeout: tuple[float, float] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Send with this client's credentials and map failures to ``ServerUnavailable``/``ApiError``;
        the answer comes back as it is (for bodies and answers that are not JSON: uploads, audio)."""
        try:
            response = self.http.request(
                method,
                f"{self.base_url}{path}",
                headers={**self.auth_headers(), **(headers or {})},
                timeout=timeout or self.timeout,
                **kwargs,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ServerUnavailable(str(exc)) from exc
        if response.status_code in (502, 503, 504):
            raise ServerUnavailable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise _api_error(response)
        return response

    def _retrying(self, send: Callable[[], T]) -> T:
        """``send()`` again while the server does not answer, backing off. Only for requests that carry
        an idempotency key, so a repeat after a lost answer cannot do the thing twice."""
        last: ServerUnavailable | None = None
        for attempt in range(self.retries + 1):
            try:
                return send()
            except ServerUnavailable as exc:
                last = exc
                time.sleep(self.backoff * (2**attempt))
        assert last is not None
        raise last

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None} or None)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=body if body is not None else {}, **kwargs)

    def close(self) -> None:
        self.http.close()

    # -- health and identity ----------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return dict(self.get("/healthz"))

    def login(self, username: str, password: str) -> LoginResult:
        data = self.post("/api/v1/auth/login", {"username": username, "password": password})
        self.token = data["token"]
        user = data["user"]
        return LoginResult(
            token=data["token"],
            expires_at=datetime.fromisoformat(data["expires_at"]),
            username=user["username"],
            display_name=user["display_name"],
            role=user["role"],
            center=user.get("center"),
        )

    def me(self) -> dict[str, Any]:
        return dict(self.get("/api/v1/auth/me"))

    # -- organisation -----------------------------------------------------------------------------

    def categories(self) -> list[Category]:
        return [Category.from_json(c) for c in self.get("/api/v1/categories")]

    def center(self, code: str) -> dict[str, Any]:
        return dict(self.get(f"/api/v1/centers/{code}"))

    def centers(self) -> list[dict[str, Any]]:
        return list(self.get("/api/v1/centers"))

    def waiting(self, center: str) -> list[WaitingInfo]:
        return [WaitingInfo.from_json(c) for c in self.get(f"/api/v1/centers/{center}/waiting")["categories"]]

    # -- tickets ------------------------------------------------------------------------------------

    def issue_ticket(
        self,
        center: str,
        category: str,
        *,
        idempotency_key: str | None = None,
        lane: str | None = None,
        employee_no: str | None = None,
        phone: str | None = None,
        note: str = "",
    ) -> Ticket:
        """Issue a ticket. Retried with the same key, so a lost answer never makes two tickets."""
        key = idempotency_key or new_idempotency_key()
        body = {"center": center, "category": category, "idempotency_key": key, "note": note}
        if lane:
            body["lane"] = lane
        if employee_no:
            body["employee_no"] = employee_no
        if phone:
            body["phone"] = phone
        return Ticket.from_json(self._retrying(lambda: self.post("/api/v1/tickets", body)))

    def ticket(self, ticket_id: int) -> Ticket:
        return Ticket.from_json(self.get(f"/api/v1/tickets/{ticket_id}"))

    def report_print(self, ticket_id: int, *, failed: bool, reason: str = "") -> Ticket:
        return Ticket.from_json(
            self.post(f"/api/v1/tickets/{ticket_id}/print-status", {"failed": failed, "reason": reason})
        )

    def identify(self, *, employee_no: str | None = None, phone: str | None = None) -> Identity:
        body = {"employee_no": employee_no} if employee_no else {"phone": phone}
        data = self.post("/api/v1/identify", body)
        return Identity(data["employee_no"], data["masked_name"])

    # -- the officer's queue ------------------------------------------------------------------------

    def queue(self, center: str) -> dict[str, Any]:
        return dict(self.get(f"/api/v1/centers/{center}/queue"))

    def call_next(self, counter_id: int) -> Ticket | None:
        data = self.post(f"/api/v1/counters/{counter_id}/call-next")
        return Ticket.from_json(data["ticket"]) if data.get("ticket") else None

    def call(self, ticket_id: int, counter_id: int) -> Ticket:
        return Ticket.from_json(self.post(f"/api/v1/tickets/{ticket_id}/call", {"counter_id": counter_id}))

    def _action(self, ticket_id: int, action: str) -> Ticket:
        return Ticket.from_json(self.post(f"/api/v1/tickets/{ticket_id}/{action}"))

    def recall(self, ticket_id: int) -> Ticket:
        return self._action(ticket_id, "recall")

    def start(self, ticket_id: int) -> Ticket:
        return self._action(ticket_id, "start")

    def done(self, ticket_id: int) -> Ticket:
        return self._action(ticket_id, "done")

    def no_show(self, ticket_id: int) -> Ticket:
        return self._action(ticket_id, "no-show")

    def park(self, ticket_id: int) -> Ticket:
        return self._action(ticket_id, "park")

    def resume(self, ticket_id: int) -> Ticket:
        return self._action(ticket_id, "resume")

    def cancel(self, ticket_id: int) -> Ticket:
        return self._action(ticket_id, "cancel")

    def transfer(self, ticket_id: int, *, category: str | None = None, counter_id: int | None = None) -> Ticket:
        return Ticket.from_json(
            self.post(f"/api/v1/tickets/{ticket_id}/transfer", {"category": category, "counter_id": counter_id})
        )

    def pause_counter(self, counter_id: int, paused: bool) -> dict[str, Any]:
        return dict(self.post(f"/api/v1/counters/{counter_id}/pause", {"paused": paused}))

    # -- people and cases ---------------------------------------------------------------------------

    def employee(self, employee_no: str) -> dict[str, Any]:
        return dict(self.get(f"/api/v1/employees/{employee_no}"))

    def history(self, employee_no: str, limit: int = 50) -> dict[str, Any]:
        return dict(self.get(f"/api/v1/employees/{employee_no}/history", limit=limit))

    def open_case(
        self,
        *,
        center: str,
        category: str,
        summary: str,
        channel: str = "visit",
        ticket_id: int | None = None,
        employee_no: str | None = None,
        confidential: bool = False,
    ) -> dict[str, Any]:
        body = {
            "center": center,
            "category": category,
            "summary": summary,
            "channel": channel,
            "ticket_id": ticket_id,
            "employee_no": employee_no,
            "confidential": confidential,
        }
        return dict(self.post("/api/v1/cases", body))

    def case(self, case_id: int) -> dict[str, Any]:
        return dict(self.get(f"/api/v1/cases/{case_id}"))

    def add_case_note(self, case_id: int, note: str) -> dict[str, Any]:
        return dict(self.post(f"/api/v1/cases/{case_id}/notes", {"note": note}))

    def arrival_card(self, ticket_id: int) -> dict[str, Any]:
        """The officer's 到访卡片 for a ticket (full name, history, flags); the server audits the read."""
        return dict(self.get(f"/api/v1/tickets/{ticket_id}/arrival-card"))

    def hand_over_case(self, case_id: int, *, department: str, person: str = "", note: str = "") -> dict[str, Any]:
        """转交: hand the case to a department (and optionally a named person)."""
        body = {"department": department, "person": person, "note": note}
        return dict(self.post(f"/api/v1/cases/{case_id}/handover", body))

    # -- kiosk: FAQ, offline number blocks, public ticket status ----------------------------------------

    def faq_search(self, category: str, q: str = "", limit: int = 5) -> list[dict[str, Any]]:
        """Best answers first (each with id, question, answer, category); empty ``q``: the category's top ones."""
        data = self.get("/api/v1/faq/search", category=category or None, q=q.strip() or None, limit=limit)
        return list(data["items"])

    def faq_viewed(self, faq_id: int) -> None:
        """The visitor opened this answer (counted for reports)."""
        self.post(f"/api/v1/faq/{faq_id}/viewed")

    def faq_resolved(self, faq_id: int) -> None:
        """“问题已解决”: the visit ends here without a ticket."""
        self.post(f"/api/v1/faq/{faq_id}/resolved")

    def faq_not_resolved(self, faq_id: int) -> None:
        """“仍需人工”: the visitor goes on to take a ticket."""
        self.post(f"/api/v1/faq/{faq_id}/not-resolved")

    def lease_number_block(self, center: str, category: str, size: int = 20) -> dict[str, Any]:
        """Reserve today's numbers for offline use: ``{category, prefix, service_date, first, last, ...}``.

        Retried with one request key, so a lost answer never burns a second block.
        """
        body = {"center": center, "category": category, "size": size, "request_key": new_idempotency_key()}
        return dict(self._retrying(lambda: self.post("/api/v1/kiosk/number-blocks", body)))

    def number_blocks(self) -> dict[str, Any]:
        """This kiosk's blocks for today, with how many numbers of each were uploaded."""
        return dict(self.get("/api/v1/kiosk/number-blocks"))

    def upload_offline_tickets(self, center: str, tickets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Upload tickets issued offline; per item ``{idempotency_key, status, reason?, ticket?}``.

        ``status`` is accepted, duplicate (already uploaded) or rejected (``reason`` says why).
        Safe to repeat: every item carries its own idempotency key. At most 200 items per call.
        """
        items = [
            {**t, "issued_at": t["issued_at"].isoformat()} if isinstance(t.get("issued_at"), datetime) else dict(t)
            for t in tickets
        ]
        data = self.post(
            "/api/v1/kiosk/offline-tickets",
            {"center": center, "tickets": items},
            timeout=(self.timeout[0], max(self.timeout[1], 60.0)),
        )
        return list(data["results"])

    def ticket_status(self, token: str) -> dict[str, Any]:
        """What the QR code's page shows (no personal data), as JSON."""
        return dict(self.get(f"/api/v1/t/{token}"))

    # -- psychological self-assessment (心理测评) and crisis alerts -------------------------------------

    def assessment_scales(self) -> list[dict[str, Any]]:
        """The questionnaires the site may use: items, options, flags and bands (kiosk, counselor)."""
        return list(self.get("/api/v1/assessments/scales")["scales"])

    def submit_assessment(
        self,
        scale: str,
        points: list[int | None],
        *,
        employee_no: str | None = None,
        ticket_id: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Hand in a kiosk assessment: ``{scale, scale_name, band, band_label, crisis, supportive_text,
        next_steps, created}``. Retried with one idempotency key, so a lost answer stores it once."""
        key = idempotency_key or new_idempotency_key()
        body: dict[str, Any] = {"scale": scale, "points": points, "idempotency_key": key}
        if employee_no:
            body["employee_no"] = employee_no
        if ticket_id is not None:
            body["ticket_id"] = ticket_id
        return dict(self._retrying(lambda: self.post("/api/v1/assessments", body)))

    def assessments(self, *, employee_no: str | None = None, ticket_id: int | None = None) -> dict[str, Any]:
        """A person's (or a ticket's) results with every item answered, newest first (counselor; audited)."""
        return dict(self.get("/api/v1/assessments", employee_no=employee_no, ticket_id=ticket_id))

    def assessment(self, assessment_id: int) -> dict[str, Any]:
        """One result with its items (counselor; audited)."""
        return dict(self.get(f"/api/v1/assessments/{assessment_id}"))

    def assessment_identity_pass(
        self,
        employee_no: str,
        *,
        phone_last4: str | None = None,
        match_id: int | None = None,
        token: str | None = None,
    ) -> str:
        """At the kiosk: prove it is this person (phone's last four digits, or a face match they
        confirmed here) for a short-lived pass to ``my_assessments``. Wrong digits: 403 ``identity_mismatch``."""
        body: dict[str, Any] = {"phone_last4": phone_last4} if phone_last4 is not None else {}
        if match_id is not None:
            body = {"match_id": match_id, "token": token}
        return str(self.post(f"/api/v1/employees/{employee_no}/assessments/mine/pass", body)["pass"])

    def my_assessments(self, employee_no: str, identity_pass: str) -> list[dict[str, Any]]:
        """At the kiosk, with the pass: the person's own ``date, scale, scale_name, band_label, note``."""
        path = f"/api/v1/employees/{employee_no}/assessments/mine"
        return list(self.request("GET", path, headers={"X-Identity-Pass": identity_pass})["results"])

    def crisis_alerts(self, *, only_open: bool = True) -> list[dict[str, Any]]:
        """Crisis alerts of the caller's center: ticket, times, who took it — never answers."""
        return list(self.get("/api/v1/crisis-alerts", open=1 if only_open else 0)["alerts"])

    def acknowledge_crisis_alert(self, alert_id: int) -> dict[str, Any]:
        """我来接手: the counselor takes the alert (409 ``alert_already_acknowledged`` if someone did)."""
        return dict(self.post(f"/api/v1/crisis-alerts/{alert_id}/ack"))

    # -- voice messages (语音留言) --------------------------------------------------------------------

    def upload_voice_message(
        self,
        ticket_id: int,
        audio: bytes,
        *,
        transcript: str = "",
        transcript_status: str | None = None,
        idempotency_key: str | None = None,
        filename: str = "voice.flac",
        content_type: str = "audio/flac",
    ) -> dict[str, Any]:
        """Attach a recording (FLAC, Ogg Opus or WAV) to a ticket this kiosk issued.

        ``transcript_status``: ok, empty, failed or unavailable (no engine). Retried with one
        idempotency key, so a lost answer never stores the message twice.
        """
        fields = {
            "ticket_id": str(ticket_id),
            "transcript": transcript,
            "idempotency_key": idempotency_key or new_idempotency_key(),
        }
        if transcript_status:
            fields["transcript_status"] = transcript_status
        response = self._retrying(
            lambda: self._send_raw(
                "POST",
                "/api/v1/voice-messages",
                data=fields,
                files={"audio": (filename, audio, content_type)},
                timeout=(self.timeout[0], max(self.timeout[1], 30.0)),
            )
        )
        return dict(response.json())

    def voice_messages(self, *, ticket_id: int | None = None, case_id: int | None = None) -> list[dict[str, Any]]:
        """A ticket's or a case's voice messages with transcripts (officers; the server audits the read)."""
        if (ticket_id is None) == (case_id is None):
            raise ValueError("give ticket_id or case_id")
        if ticket_id is not None:
            path = f"/api/v1/tickets/{ticket_id}/voice-messages"
        else:
            path = f"/api/v1/cases/{case_id}/voice-messages"
        return list(self.get(path)["items"])

    def voice_message_audio(self, voice_id: int) -> bytes:
        """The recording's bytes (FLAC or Ogg Opus). Each call is one audited playback."""
        return bytes(self._send_raw("GET", f"/api/v1/voice-messages/{voice_id}/audio").content)

    # -- the closed loop: 分流 → 办理 → 反馈 → 评价 → 归档, clocks, 议事, publication ---------------------
    # Every action answers with the whole case as the case view shows it (timeline, ``sla`` steps and
    # pauses, ``deliberation``, ``repeats``, ``showcase``, ``allowed_actions``). Not retried: POSTs.

    def _case_action(self, case_id: int, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return dict(
            self.post(f"/api/v1/cases/{case_id}/{action}", {k: v for k, v in (body or {}).items() if v is not None})
        )

    def cases(
        self, *, center: str | None = None, status: str | None = None, mine: bool = False, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Cases of a center, newest change first; ``mine=True``: those assigned to me."""
        data = self.get("/api/v1/cases", center=center, status=status, mine=str(mine).lower(), limit=limit)
        return list(data["items"])

    def overdue_cases(self, center: str, department: str | None = None) -> list[dict[str, Any]]:
        """督办 list (supervisors): open cases past a due time, most overdue first, with ``overdue_hours``."""
        return list(self.get("/api/v1/cases/overdue", center=center, department=department)["items"])

    def similar_cases(self, center: str, text: str, employee_no: str | None = None) -> dict[str, Any]:
        """重复诉求 check before registering: ``{threshold, repeat, items: [{case_id, reference, score, ...}]}``."""
        return dict(self.post("/api/v1/cases/similar", {"center": center, "text": text, "employee_no": employee_no}))

    def route_case(
        self,
        case_id: int,
        departments: list[str],
        *,
        responsible: str | None = None,
        assignee: str | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """分流 (转办 when already routed: ``reason`` required); several departments open a 议事."""
        body = {"departments": departments, "responsible": responsible, "assignee": assignee, "reason": reason}
        return self._case_action(case_id, "route", body)

    def start_case(self, case_id: int) -> dict[str, Any]:
        return self._case_action(case_id, "start")

    def answer_case(self, case_id: int, reply: str, *, outcome: str = "resolved") -> dict[str, Any]:
        """反馈: ``outcome="explained"`` when it cannot be solved (the reply is the explanation)."""
        return self._case_action(case_id, "answer", {"reply": reply, "outcome": outcome})

    def rate_case(
        self, case_id: int, score: int, comment: str | None = None, *, channel: str = "phone"
    ) -> dict[str, Any]:
        """评价 taken by an officer: ``channel`` is ``phone`` (回访) or ``counter``."""
        return self._case_action(case_id, "rate", {"score": score, "comment": comment, "channel": channel})

    def rate_by_token(self, token: str, score: int, comment: str | None = None) -> dict[str, Any]:
        """The kiosk (device key) or the receipt's QR page rates the ticket's answered case."""
        return dict(self.post("/api/v1/cases/rate-by-token", {"token": token, "score": score, "comment": comment}))

    def cases_by_token(self, token: str) -> list[dict[str, Any]]:
        """The receipt's cases and whether each can be rated (references and states only)."""
        return list(self.get(f"/api/v1/cases/by-token/{token}")["items"])

    def reopen_case(self, case_id: int, reason: str) -> dict[str, Any]:
        return self._case_action(case_id, "reopen", {"reason": reason})

    def escalate_case(self, case_id: int, reason: str) -> dict[str, Any]:
        """提请民事民议 (after an unsatisfied rating)."""
        return self._case_action(case_id, "escalate", {"reason": reason})

    def archive_case(self, case_id: int, reason: str | None = None) -> dict[str, Any]:
        return self._case_action(case_id, "archive", {"reason": reason})

    def pause_case(self, case_id: int, reason: str) -> dict[str, Any]:
        """Stop the clock with a recorded reason (e.g. 等待员工补交材料)."""
        return self._case_action(case_id, "pause", {"reason": reason})

    def resume_case(self, case_id: int) -> dict[str, Any]:
        return self._case_action(case_id, "resume")

    def extend_case(self, case_id: int, step: str, reason: str) -> dict[str, Any]:
        """延期 of ``step`` (accept / first_response / answer / resolve), with a written reason."""
        return self._case_action(case_id, "extend", {"step": step, "reason": reason})

    def invite_departments(self, case_id: int, departments: list[str]) -> dict[str, Any]:
        return self._case_action(case_id, "deliberation/invite", {"departments": departments})

    def deliberation_comment(self, case_id: int, department: str, comment: str) -> dict[str, Any]:
        return self._case_action(case_id, "deliberation/comments", {"department": department, "comment": comment})

    def deliberation_sign_off(self, case_id: int, department: str, comment: str | None = None) -> dict[str, Any]:
        """会签 for ``department``."""
        return self._case_action(case_id, "deliberation/sign-off", {"department": department, "comment": comment})

    def deliberation_decide(self, case_id: int, lead_department: str, conclusion: str) -> dict[str, Any]:
        """议事结论 (every department signed off); names the lead department."""
        return self._case_action(
            case_id, "deliberation/decide", {"lead_department": lead_department, "conclusion": conclusion}
        )

    def request_publication(self, case_id: int, title: str, summary: str) -> dict[str, Any]:
        """Propose an anonymised summary for the 案例专栏 (no names, staff numbers or phones)."""
        return self._case_action(case_id, "showcase", {"title": title, "summary": summary})

    def decide_publication(self, case_id: int, approve: bool, note: str | None = None) -> dict[str, Any]:
        """Supervisors: approve or reject the publication request."""
        return self._case_action(case_id, "showcase/decision", {"approve": approve, "note": note})

    def set_adoption(self, case_id: int, status: str, reward_note: str | None = None) -> dict[str, Any]:
        """合理化建议: pending / adopted / partly_adopted / not_adopted / implemented, and the reward note."""
        body = {"status": status, "reward_note": reward_note}
        return dict(self.request("PUT", f"/api/v1/cases/{case_id}/adoption", json=body))

    def set_visibility(
        self, case_id: int, *, confidential: bool | None = None, private: bool | None = None
    ) -> dict[str, Any]:
        body = {"confidential": confidential, "private": private}
        return dict(self.request("PUT", f"/api/v1/cases/{case_id}/visibility", json=body))

    def showcase(self, center: str) -> list[dict[str, Any]]:
        """案例专栏: approved, anonymised summaries (public)."""
        return list(self.get("/api/v1/showcase", center=center)["items"])

    def sla_policies(self) -> list[dict[str, Any]]:
        return list(self.get("/api/v1/sla-policies")["items"])

    def save_sla_policy(self, code: str, policy: dict[str, Any]) -> dict[str, Any]:
        """Admins: replace a policy (the shape ``sla_policies()`` returns)."""
        return dict(self.request("PUT", f"/api/v1/sla-policies/{code}", json=policy))

    def supervision_notifications(self, limit: int = 50) -> list[dict[str, Any]]:
        """My in-app 督办 reminders (supervisors: also the center's unassigned ones), newest first."""
        return list(self.get("/api/v1/supervision/notifications", limit=limit)["items"])

    # -- faces: consent-based recognition (embeddings only, never images; see docs/faces.md) --------

    def face_consent_text(self, version: str | None = None) -> dict[str, Any]:
        """The versioned consent text for the separate consent screen."""
        return dict(self.get("/api/v1/faces/consent-text", version=version))

    def face_request_enrolment(
        self,
        *,
        employee_no: str,
        phone_last4: str,
        consent_version: str,
        model: str,
        embeddings: list[list[float]],
    ) -> dict[str, Any]:
        """Kiosk: consent given and identity checked; waits for an officer (``status: pending``)."""
        body = _consented_enrolment(employee_no, consent_version, model, embeddings)
        return dict(self.post("/api/v1/faces/enrolment-requests", {**body, "phone_last4": phone_last4}))

    def face_match(self, *, model: str, embedding: list[float]) -> dict[str, Any]:
        """Kiosk: ``{matched: false}`` or ``{matched: true, match_id, token, masked_name}``."""
        return dict(self.post("/api/v1/faces/match", {"model": model, "embedding": embedding}))

    def face_confirm(self, match_id: int, token: str) -> dict[str, Any]:
        """Kiosk, after "是": ``{employee_no, masked_name, history}`` (the read is audited)."""
        return dict(self.post(f"/api/v1/faces/matches/{match_id}/confirm", {"token": token}))

    def face_decline(self, match_id: int, token: str) -> None:
        self.post(f"/api/v1/faces/matches/{match_id}/decline", {"token": token})

    def face_link_ticket(self, match_id: int, token: str, ticket_id: int) -> dict[str, Any]:
        """Kiosk: mark the confirmed person's ticket as identified by face (the arrival card shows it)."""
        return dict(
            self.post(f"/api/v1/faces/matches/{match_id}/link-ticket", {"token": token, "ticket_id": ticket_id})
        )

    def face_withdraw(
        self,
        *,
        match_id: int | None = None,
        token: str | None = None,
        employee_no: str | None = None,
        phone_last4: str | None = None,
    ) -> dict[str, Any]:
        """Kiosk: withdraw after recognition (match id + token) or with 工号 + phone digits."""
        if match_id is not None:
            body: dict[str, Any] = {"match_id": match_id, "token": token}
        else:
            body = {"employee_no": employee_no, "phone_last4": phone_last4}
        return dict(self.post("/api/v1/faces/withdraw", body))

    def face_pending_enrolments(self, center: str | None = None) -> list[dict[str, Any]]:
        """Officers: kiosk enrolments waiting for confirmation ("待确认人脸登记")."""
        return list(self.get("/api/v1/faces/enrolments", center=center)["items"])

    def face_confirm_enrolment(self, enrolment_id: int) -> dict[str, Any]:
        return dict(self.post(f"/api/v1/faces/enrolments/{enrolment_id}/confirm"))

    def face_reject_enrolment(self, enrolment_id: int) -> dict[str, Any]:
        return dict(self.post(f"/api/v1/faces/enrolments/{enrolment_id}/reject"))

    def face_enrol_at_desk(
        self, *, employee_no: str, consent_version: str, model: str, embeddings: list[list[float]]
    ) -> dict[str, Any]:
        """Officers: enrolment with the officer present (active at once)."""
        body = _consented_enrolment(employee_no, consent_version, model, embeddings)
        return dict(self.post("/api/v1/faces/enrolments", body))

    def face_status(self, employee_no: str) -> dict[str, Any]:
        """Officers: ``{consent, pending_enrolment, templates}`` of one person."""
        return dict(self.get(f"/api/v1/faces/employees/{employee_no}"))

    def face_withdraw_for(self, employee_no: str) -> dict[str, Any]:
        """Officers: withdraw at the front desk on the person's request."""
        return dict(self.post(f"/api/v1/faces/employees/{employee_no}/withdraw"))

    # -- reports ------------------------------------------------------------------------------------

    def report_html(self, center: str, month: str | None = None) -> str:
        """The monthly report as a self-contained page (supervisors, admins); ``month`` like ``2026-10``.
        Long read timeout: the server counts a whole month of tickets and cases."""
        response = self._send_raw(
            "GET",
            f"/api/v1/reports/{center}/html",
            params={"month": month} if month else None,
            timeout=(self.timeout[0], max(self.timeout[1], 60.0)),
        )
        return str(response.text)

    # -- events ---------------------------------------------------------------------------------------

    def events(
        self, *, center: str | None = None, kinds: list[str] | None = None, last_event_id: int | None = None
    ) -> EventStream:
        """An endless iterator of events that reconnects by itself and resumes where it left off."""
        return EventStream(self, center=center, kinds=kinds, last_event_id=last_event_id)

    def iter_events(self, **kwargs: Any) -> Iterator[Event]:
        return iter(self.events(**kwargs))


def _consented_enrolment(
    employee_no: str, consent_version: str, model: str, embeddings: list[list[float]]
) -> dict[str, Any]:
    # Sent only after the person tapped 我同意 on the separate consent screen of that version.
    return {
        "employee_no": employee_no,
        "consent_version": consent_version,
        "consent_accepted": True,
        "model": model,
        "embeddings": embeddings,
    }


def _api_error(response: requests.Response) -> ApiError:
    try:
        error = response.json()["error"]
        return ApiError(
            response.status_code, error["code"], error["message"], error.get("message_en", ""), error.get("details")
        )
    except (ValueError, KeyError, TypeError):
        return ApiError(response.status_code, "http_error", "服务器返回了错误", f"HTTP {response.status_code}")
