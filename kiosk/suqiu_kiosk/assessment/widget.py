"""``AssessmentFlowWidget``: the whole self-assessment as one widget the kiosk window shows.

    widget = AssessmentFlowWidget(client, speaker, AssessmentConfig(center="HQ"))
    widget.finished.connect(...)                # Outcome: the server's kind words; the person is done
    widget.cancelled.connect(...)               # left midway or timed out: nothing was stored
    widget.crisis_ticket_requested.connect(...)  # tapped 取心理关爱优先号 (issued here unless configured off)
    widget.crisis_ticket_issued.connect(...)     # the crisis-lane Ticket, e.g. to print it
    widget.care_ticket_requested.connect(...)    # 找心理老师聊聊 on the result screen
    widget.start(employee_no="E1001", ticket_id=42)   # both optional: 实名 needs employee_no
    widget.start(employee_no="E1001", proof=IdentityProof(phone_last4="0001"))  # see IdentityProof

Every HTTP call runs on a worker (``suqiu_kiosk.workers``); answers for a session that has ended
meanwhile are dropped. The widget keeps its own idle timer: no touch for ``idle_seconds`` before
the answers are handed in forgets them (``cancelled``); on the result or crisis screen it ends
the session (``finished``).

An identified person may also look at their own earlier results (``查看我以前的自测结果`` on the
first page): a privacy screen first — with the phone's last four digits when the kiosk has no other
proof (``IdentityProof``) — then the list, from the server's pass-guarded endpoint. The list is kept
only in memory and closes after ``mine_idle_seconds`` untouched; the session ends with it.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from suqiu_devices.protocols import Speaker
from suqiu_queue.client import ApiError, ServerUnavailable, SuqiuClient

from ..workers import Task, run_in_background
from .config import AssessmentConfig
from .courier import AlertCourier
from .model import AssessmentFlow, IdentityProof, Outcome, ScaleInfo, Step, Submission
from .screens import (
    PASS_DIGITS,
    ConsentPage,
    CrisisPage,
    ItemPage,
    MessagePage,
    MinePage,
    MinePrivacyPage,
    PickPage,
    ResultPage,
)
from .speech import ReadAloud, question_speech
from .style import ELDERLY_SCALE, NORMAL_SCALE, stylesheet
from .texts import tr

log = logging.getLogger(__name__)

USER_INPUT = {QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress}
ELDERLY_RATE = 0.8


class AssessmentFlowWidget(QWidget):
    finished = Signal(object)  # Outcome
    cancelled = Signal()
    crisis_ticket_requested = Signal()
    crisis_ticket_issued = Signal(object)  # suqiu_queue.client.Ticket
    care_ticket_requested = Signal()
    step_changed = Signal(str)

    def __init__(
        self,
        client: SuqiuClient,
        speaker: Speaker | None,
        config: AssessmentConfig | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("AssessmentFlow")
        self.client = client
        self.config = config or AssessmentConfig()
        self.flow = AssessmentFlow()
        self.voice = ReadAloud(speaker)
        self.language = "zh"
        self.elderly = False
        self.tasks: list[Task] = []
        self._loading = False
        self._sending = False
        self.crisis_ticket_state = "offer"  # offer | busy | done | failed
        self._typed = ""  # the phone's last digits being typed on the privacy screen
        self._mine_busy = False
        self._mine_error = ""

        self.stack = QStackedWidget()
        self.message_page = MessagePage()
        self.pick_page = PickPage()
        self.consent_page = ConsentPage()
        self.item_page = ItemPage()
        self.result_page = ResultPage()
        self.crisis_page = CrisisPage()
        self.mine_privacy_page = MinePrivacyPage()
        self.mine_page = MinePage()
        for page in (
            self.message_page,
            self.pick_page,
            self.consent_page,
            self.item_page,
            self.result_page,
            self.crisis_page,
            self.mine_privacy_page,
            self.mine_page,
        ):
            self.stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.setStyleSheet(stylesheet(NORMAL_SCALE))

        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.timeout.connect(self.idle_timeout)
        self.alert_retry_timer = QTimer(self)
        self.alert_retry_timer.setSingleShot(True)
        self.alert_retry_timer.timeout.connect(self._send_next)
        # A crisis answer still undelivered when the session ends is carried on from here.
        self.courier = AlertCourier(client, interval=self.config.alert_retry_seconds, parent=self)

        self._connect()
        self.flow.subscribe(self._on_step)
        self._filtering = False

    def _connect(self) -> None:
        self.message_page.retry_button.clicked.connect(self._retry)
        self.message_page.leave_button.clicked.connect(self.leave)
        self.pick_page.scale_chosen.connect(lambda ids: self.flow.choose(list(ids)))
        self.pick_page.leave_button.clicked.connect(self.leave)
        self.consent_page.anonymous_card.clicked.connect(lambda: self.flow.choose_mode(linked=False))
        self.consent_page.linked_card.clicked.connect(lambda: self.flow.choose_mode(linked=True))
        self.consent_page.back_button.clicked.connect(self.flow.back)
        self.consent_page.leave_button.clicked.connect(self.leave)
        self.item_page.answered.connect(self.flow.answer)
        self.item_page.back_button.clicked.connect(self.flow.back)
        self.item_page.read_button.clicked.connect(self.read_aloud)
        self.item_page.leave_button.clicked.connect(self.item_page.confirm_frame.show)
        self.item_page.confirm_yes.clicked.connect(self.leave)
        self.result_page.done_button.clicked.connect(self.finish)
        self.result_page.counselor_button.clicked.connect(self._talk_to_counselor)
        self.crisis_page.ticket_button.clicked.connect(self.request_crisis_ticket)
        self.crisis_page.done_button.clicked.connect(self.finish)
        self.pick_page.mine_button.clicked.connect(self.flow.open_mine)
        self.mine_privacy_page.pad.pressed.connect(self._type_digit)
        self.mine_privacy_page.back_button.clicked.connect(self.flow.close_mine)
        self.mine_privacy_page.continue_button.clicked.connect(self.show_mine)
        self.mine_page.close_button.clicked.connect(self.flow.close_mine)

    # --- what the kiosk calls ---------------------------------------------------------------------------

    def start(
        self, *, employee_no: str | None = None, ticket_id: int | None = None, proof: IdentityProof | None = None
    ) -> None:
        """A new person. ``employee_no`` only if the kiosk identified them (it enables 实名 and their
        own earlier results); ``ticket_id``: their ticket of today, linked to a 实名 result; ``proof``:
        how the kiosk identified them, so the earlier results need no digits (face, or a typed phone)."""
        self._drop_tasks()
        self.crisis_ticket_state = "offer"
        self.flow.start(employee_no=employee_no, ticket_id=ticket_id, proof=proof)
        self._watch_touches(True)
        if not self.flow.scales:
            self.load_scales()

    def discard(self) -> None:
        """The kiosk ends the session itself (its own idle wipe, shutdown): forget it, signal nothing."""
        self._end()

    def leave(self) -> None:
        """The person leaves midway: every answer is forgotten, nothing is sent."""
        if self.flow.step in (Step.RESULT, Step.CRISIS):
            self.finish()
            return
        self._end()
        self.cancelled.emit()

    def finish(self) -> None:
        if self.flow.step not in (Step.RESULT, Step.CRISIS):
            return
        outcome = self.flow.outcome()
        self._end()
        self.finished.emit(outcome)

    def set_language(self, language: str) -> None:
        self.language = language if language in ("zh", "en") else "zh"
        self._render()

    def set_elderly(self, on: bool) -> None:
        """长辈模式: larger text and touch targets, slower voice."""
        self.elderly = on
        self.item_page.set_scale(ELDERLY_SCALE if on else NORMAL_SCALE)
        self.setStyleSheet(stylesheet(ELDERLY_SCALE if on else NORMAL_SCALE))
        self._render()

    def relayout(self, portrait: bool) -> None:
        """The screen is portrait (1080×1920, the default) or landscape (1920×1080)."""
        self.consent_page.relayout(portrait)
        self.item_page.relayout(portrait)
        self.crisis_page.relayout(portrait)
        self.mine_privacy_page.relayout(portrait)

    def show_crisis_ticket(self, ticket: dict[str, Any]) -> None:
        """With ``issue_crisis_ticket = false`` the kiosk issues the ticket and hands it back here."""
        self.flow.crisis_ticket_issued(ticket)
        self.crisis_ticket_state = "done"
        self._render()

    def crisis_ticket_failed(self) -> None:
        """With ``issue_crisis_ticket = false``: the kiosk could not issue it; the person may tap again."""
        if self.flow.step == Step.CRISIS:
            self._crisis_ticket_failed(RuntimeError("issued by the kiosk"))

    def care_ticket_busy(self, busy: bool) -> None:
        """The kiosk is issuing the 心理关爱 ticket asked for with 找心理老师聊聊 (result screen)."""
        self.result_page.set_ticket_busy(busy, self.language)

    def care_ticket_failed(self, message: str) -> None:
        """The kiosk could not issue the ticket asked for on the result screen: say why, calmly."""
        self.result_page.set_ticket_busy(False, self.language)
        self.result_page.show_error(message)

    def shutdown(self) -> None:
        self._end()
        self.courier.close()
        self.voice.close()

    # --- scales -----------------------------------------------------------------------------------------

    def load_scales(self) -> None:
        if self._loading:
            return
        self._loading = True
        self._render()
        self._task(self.client.assessment_scales, self._scales_loaded, self._scales_failed, any_session=True)

    def _scales_loaded(self, data: list[dict[str, Any]]) -> None:
        self._loading = False
        self.flow.set_scales(ScaleInfo.from_json(d) for d in data)
        self._render()

    def _scales_failed(self, error: BaseException) -> None:
        self._loading = False
        log.warning("could not load the scales: %s", error)
        self._render()

    # --- steps ------------------------------------------------------------------------------------------

    def _on_step(self, step: Step) -> None:
        self.voice.stop()  # whatever was being read is about a screen that is gone
        if step != Step.MINE:
            self.mine_page.clear()  # the list leaves no trace in the widgets once closed
        if step != Step.MINE_PRIVACY:
            self._typed, self._mine_error = "", ""
        if step in (Step.SUBMITTING, Step.CRISIS):
            self._send_next()
        self._render()
        self._restart_idle()
        self.step_changed.emit(str(step))

    def _render(self) -> None:
        step, language = self.flow.step, self.language
        if step == Step.LOADING:
            if self._loading:
                self.message_page.show_message(tr("loading", language))
            else:
                self.message_page.show_message(
                    tr("load_failed", language), retry=tr("retry", language), leave=tr("leave", language)
                )
            self.stack.setCurrentWidget(self.message_page)
        elif step == Step.PICK:
            self.pick_page.render(self.flow, language, offer_mine=self.config.past_results)
            self.stack.setCurrentWidget(self.pick_page)
        elif step == Step.CONSENT:
            self.consent_page.render(self.flow, language)
            self.stack.setCurrentWidget(self.consent_page)
        elif step == Step.ITEM:
            self.item_page.render(self.flow, language, can_read=self.voice.available)
            self.stack.setCurrentWidget(self.item_page)
        elif step == Step.SUBMITTING:
            self.message_page.show_message(tr("submitting", language))
            self.stack.setCurrentWidget(self.message_page)
        elif step == Step.FAILED:
            self.message_page.show_message(
                self.flow.session.error or tr("submit_failed", language),
                tr("submit_failed_hint", language),
                retry=tr("retry", language),
                leave=tr("leave", language),
            )
            self.stack.setCurrentWidget(self.message_page)
        elif step == Step.RESULT:
            self.result_page.render(self.flow, language, self.config)
            self.stack.setCurrentWidget(self.result_page)
        elif step == Step.CRISIS:
            self.crisis_page.render(self.flow, language, self.config, ticket_state=self.crisis_ticket_state)
            self.stack.setCurrentWidget(self.crisis_page)
        elif step == Step.MINE_PRIVACY:
            self.mine_privacy_page.render(
                self.flow, language, typed=self._typed, busy=self._mine_busy, error=self._mine_error
            )
            self.stack.setCurrentWidget(self.mine_privacy_page)
        elif step == Step.MINE:
            self.mine_page.render(self.flow, language, idle_seconds=self.config.mine_idle_seconds)
            self.stack.setCurrentWidget(self.mine_page)
        else:
            self.message_page.show_message("")
            self.stack.setCurrentWidget(self.message_page)

    def _retry(self) -> None:
        if self.flow.step == Step.LOADING:
            self.load_scales()
        else:
            self.flow.retry()

    def read_aloud(self) -> None:
        question = self.flow.question
        if question is not None:
            self.voice.read(
                question_speech(question, self.language),
                rate=self.config.speech_rate * (ELDERLY_RATE if self.elderly else 1.0),
            )

    def _talk_to_counselor(self) -> None:
        self.care_ticket_requested.emit()

    # --- the person's own earlier results ---------------------------------------------------------------

    def _type_digit(self, key: str) -> None:
        if self.flow.step != Step.MINE_PRIVACY or self._mine_busy:
            return
        if key == "BACK":
            self._typed = self._typed[:-1]
        elif key == "CLEAR":
            self._typed = ""
        elif key.isdigit() and len(self._typed) < PASS_DIGITS:
            self._typed += key
        self._mine_error = ""
        self._render()

    def show_mine(self) -> None:
        """继续 on the privacy screen: a pass if there is none yet (the digits, or the kiosk's proof),
        then the list. Both calls run on a worker; nothing is written anywhere but memory."""
        session = self.flow.session
        employee_no = session.employee_no
        if self.flow.step != Step.MINE_PRIVACY or self._mine_busy or not employee_no:
            return
        digits = self._typed
        if self.flow.mine_needs_digits and len(digits) != PASS_DIGITS:
            return
        known, proof = session.identity_pass, session.proof

        def fetch() -> tuple[str, list[dict[str, Any]]]:
            identity_pass = known
            if not identity_pass:
                if proof is not None and proof.by_face:
                    identity_pass = self.client.assessment_identity_pass(
                        employee_no, match_id=proof.match_id, token=proof.match_token
                    )
                else:
                    last4 = digits or (proof.phone_last4 if proof is not None else "")
                    identity_pass = self.client.assessment_identity_pass(employee_no, phone_last4=last4)
            return identity_pass, self.client.my_assessments(employee_no, identity_pass)

        self._mine_busy, self._mine_error = True, ""
        self._render()
        self._task(fetch, self._mine_fetched, self._mine_failed)

    def _mine_fetched(self, reply: tuple[str, list[dict[str, Any]]]) -> None:
        self._mine_busy = False
        self.flow.session.identity_pass = reply[0]
        self.flow.mine_loaded(reply[1])

    def _mine_failed(self, error: BaseException) -> None:
        self._mine_busy = False
        self._typed = ""
        session = self.flow.session
        if isinstance(error, ApiError):
            if error.code == "not_identified":
                session.identity_pass = ""  # expired: prove it again
            if session.proof is not None and session.proof.by_face and error.status in (404, 409):
                session.proof = None  # the face match has expired: the phone's digits instead
            self._mine_error = error.message if self.language == "zh" else error.message_en or error.message
        else:
            log.warning("could not load the person's earlier results: %s", error)
            self._mine_error = tr("mine_offline", self.language)
        self._render()

    # --- handing in -------------------------------------------------------------------------------------

    def _send_next(self) -> None:
        if self._sending:
            return
        submission = self.flow.next_submission()
        if submission is None or self.flow.step not in (Step.SUBMITTING, Step.CRISIS):
            return
        self._sending = True
        self._task(
            lambda s=submission: self._submit(s),
            lambda reply, s=submission: self._submitted(s, reply),
            self._submit_failed,
        )

    def _submit(self, submission: Submission) -> dict[str, Any]:
        return self.client.submit_assessment(
            submission.scale,
            submission.points,
            employee_no=submission.employee_no,
            ticket_id=submission.ticket_id,
            idempotency_key=submission.idempotency_key,
        )

    def _submitted(self, submission: Submission, reply: dict[str, Any]) -> None:
        self._sending = False
        step_before = self.flow.step
        self.flow.submitted(submission.scale, reply)
        if self.flow.step == step_before:
            # No new step (more to hand in, or the crisis screen now confirmed): carry on, redraw.
            self._send_next()
            self._render()

    def _submit_failed(self, error: BaseException) -> None:
        self._sending = False
        if isinstance(error, ApiError):
            log.error("the server refused an assessment: %s", error)
            message = error.message
        else:
            message = tr("submit_failed", self.language)
        step_before = self.flow.step
        self.flow.submit_failed(message)
        if self.flow.step == Step.CRISIS:
            if step_before == Step.CRISIS:
                self._render()
            # The alert must get through: try again while the person is on the crisis screen.
            if isinstance(error, ServerUnavailable):
                self.alert_retry_timer.start(round(self.config.alert_retry_seconds * 1000))

    # --- the crisis-lane ticket -------------------------------------------------------------------------

    def request_crisis_ticket(self) -> None:
        if self.flow.step != Step.CRISIS or self.crisis_ticket_state in ("busy", "done"):
            return
        # Busy first: whoever issues it (here or the kiosk), a second tap must not ask again.
        self.crisis_ticket_state = "busy"
        self._render()
        self.crisis_ticket_requested.emit()
        if not self.config.issue_crisis_ticket:
            return
        linked = bool(self.flow.session.linked)
        employee_no = self.flow.session.employee_no if linked else None
        key = self.flow.crisis_ticket_key
        center = self.config.center
        category = self.config.care_category

        def issue() -> Any:
            code = center or str(self.client.me()["center"])
            return self.client.issue_ticket(code, category, lane="crisis", employee_no=employee_no, idempotency_key=key)

        self._task(issue, self._crisis_ticket_issued, self._crisis_ticket_failed)

    def _crisis_ticket_issued(self, ticket: Any) -> None:
        self.flow.crisis_ticket_issued(ticket.raw)
        self.crisis_ticket_state = "done"
        self._render()
        self.crisis_ticket_issued.emit(ticket)

    def _crisis_ticket_failed(self, error: BaseException) -> None:
        log.warning("crisis-lane ticket failed: %s", error)
        self.crisis_ticket_state = "failed"
        self._render()

    # --- idle ---------------------------------------------------------------------------------------------

    def _watch_touches(self, on: bool) -> None:
        app = QCoreApplication.instance()
        if app is None or on == self._filtering:
            return
        if on:
            app.installEventFilter(self)
        else:
            app.removeEventFilter(self)
        self._filtering = on

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() in USER_INPUT
            and isinstance(watched, QWidget)
            and (watched is self or self.isAncestorOf(watched))
        ):
            self._restart_idle()
        return False

    def _restart_idle(self) -> None:
        step = self.flow.step
        if step == Step.ENDED:
            self.idle_timer.stop()
            return
        if step == Step.CRISIS:
            seconds = self.config.crisis_idle_seconds
        elif step in (Step.MINE_PRIVACY, Step.MINE):
            seconds = self.config.mine_idle_seconds  # someone's own results: closed soon after they walk away
        else:
            seconds = self.config.idle_seconds
        self.idle_timer.start(round(seconds * 1000))

    def idle_timeout(self) -> None:
        step = self.flow.step
        if step == Step.SUBMITTING:
            self._restart_idle()  # the server has the answers in hand: wait for its reply
        elif step in (Step.RESULT, Step.CRISIS):
            self.finish()
        elif step != Step.ENDED:
            self.leave()

    # --- plumbing ----------------------------------------------------------------------------------------

    def _task(self, fn: Any, on_done: Any, on_error: Any, *, any_session: bool = False) -> None:
        session_id = self.flow.session.id

        def done(result: Any) -> None:
            if any_session or self.flow.is_current(session_id):
                on_done(result)

        def failed(error: BaseException) -> None:
            if any_session or self.flow.is_current(session_id):
                on_error(error)

        self.tasks = [t for t in self.tasks if not t.done.is_set()]
        self.tasks.append(run_in_background(fn, on_done=done, on_error=failed))

    def _drop_tasks(self) -> None:
        for task in self.tasks:
            task.discard()
        self.tasks = []
        self._sending = False
        self._loading = False
        self._mine_busy = False
        self.alert_retry_timer.stop()

    def _end(self) -> None:
        undelivered = self.flow.undelivered_crisis()
        self._drop_tasks()
        self._typed, self._mine_error = "", ""
        self.mine_page.clear()
        if undelivered:
            # The person is leaving (ticket taken, timed out, kiosk wiped) but the counselors have
            # not been told yet: the courier keeps trying after this session is gone.
            self.courier.take(undelivered)
        self.idle_timer.stop()
        self.voice.stop()
        self._watch_touches(False)
        self.item_page.confirm_frame.hide()
        if self.flow.step != Step.ENDED:
            self.flow.discard()


__all__ = ["AssessmentFlowWidget", "Outcome"]
