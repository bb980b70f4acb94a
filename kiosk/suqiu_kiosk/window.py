"""The kiosk window: header, screens, offline banner; and the actions the screens call.

Every blocking call goes through ``workers.run_in_background``; results for a visit that has
ended in the meantime (idle wipe, 完成) are dropped by checking the visit id.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget

from suqiu_devices.protocols import Printer, Speaker
from suqiu_queue.client import ApiError, ServerUnavailable, SuqiuClient
from suqiu_queue.client.models import Category

from . import speech
from .config import KioskConfig
from .flow import Step, VisitFlow
from .keyboard import lexicon
from .printing import PrintResult, TicketPrinter
from .screens.assessment import AssessmentScreen
from .screens.base import Screen
from .screens.describe import DescribeScreen
from .screens.face import FaceScreen
from .screens.faq import FaqScreen
from .screens.identify import IdentifyScreen
from .screens.resolved import ResolvedScreen
from .screens.ticket import TicketScreen
from .screens.welcome import WelcomeScreen
from .service import CenterInfo, IssuedTicket, KioskService, OfflineExhausted, SyncReport
from .texts import tr
from .theme import ELDERLY_SCALE, NORMAL_SCALE, stylesheet
from .widgets import button, label
from .workers import Task, run_in_background, serial_pool

log = logging.getLogger(__name__)

WEEKDAYS_ZH = "一二三四五六日"
USER_INPUT = {QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress}
# Event kinds that change what the welcome tiles show.
WAITING_EVENTS = ("ticket.", "category.", "counter.")


class _EventRelay(QObject):
    received = Signal(str)


class KioskWindow(QWidget):
    ready_changed = Signal(bool)
    online_changed = Signal(bool)

    def __init__(
        self,
        config: KioskConfig,
        service: KioskService,
        *,
        printer: Printer | None = None,
        speaker: Speaker | None = None,
        listen_events: bool = True,
        open_microphone: Any = None,
        recognizer: Any = None,
        face: Any = None,
    ) -> None:
        super().__init__()
        self.setObjectName("KioskWindow")
        self.setWindowTitle("职工诉求服务中心 · 自助取号")
        self.config = config
        self.service = service
        self.printer = printer
        # Voice input on the describe screen (hidden without a microphone) and face login (hidden
        # until set_face_support brings a camera and a face model).
        self.open_microphone = open_microphone
        self.recognizer = recognizer
        self.face: Any = None
        self.face_screen: FaceScreen | None = None
        self.flow = VisitFlow()
        self.flow.language = config.language
        self.guide = speech.Guide(speaker)
        self.ticket_printer = TicketPrinter(printer, service, timeout=config.print_timeout_seconds)
        self.printer_pool = serial_pool()
        self.waiting: dict[str, Any] = {}
        self.ready = False
        self.online = False
        self.portrait = True
        self.scale = NORMAL_SCALE
        self.visit_tasks: list[Task] = []
        self.print_task: Task | None = None
        self.heartbeat_task: Task | None = None
        self.last_sync: SyncReport | None = None
        self._greeted_visit = 0
        self._listen_events = listen_events
        self._event_stream: Any = None
        self._event_thread: threading.Thread | None = None
        self._event_relay = _EventRelay()
        self._event_relay.received.connect(self._on_event)

        self._build()
        self.flow.subscribe(self._on_step)

        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.setInterval(int(config.idle_seconds * 1000))
        self.idle_timer.timeout.connect(self.idle_timeout)
        self.resolved_timer = QTimer(self)
        self.resolved_timer.setSingleShot(True)
        self.resolved_timer.setInterval(int(config.resolved_seconds * 1000))
        self.resolved_timer.timeout.connect(self.finish_visit)
        self.heartbeat_timer = QTimer(self)
        self.heartbeat_timer.setInterval(int(config.sync_interval_seconds * 1000))
        self.heartbeat_timer.timeout.connect(self.heartbeat)
        self.waiting_timer = QTimer(self)  # debounces bursts of queue events into one refresh
        self.waiting_timer.setSingleShot(True)
        self.waiting_timer.setInterval(300)
        self.waiting_timer.timeout.connect(self.refresh_waiting)
        self.clock_timer = QTimer(self)
        self.clock_timer.setInterval(20_000)
        self.clock_timer.timeout.connect(self._tick_clock)
        self.clock_timer.start()

        self.set_elderly(False)
        self._tick_clock()
        if face is not None:
            self.set_face_support(face)

    # --- building the window ---------------------------------------------------------------------

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)

        header = QFrame()
        header.setObjectName("Header")
        bar = QHBoxLayout(header)
        bar.setContentsMargins(28, 12, 28, 12)
        bar.setSpacing(16)
        self.center_label = QLabel("职工诉求服务中心")
        self.center_label.setObjectName("CenterName")
        self.center_label.setWordWrap(True)  # a long center name wraps instead of widening the window
        self.clock_label = QLabel("")
        self.elderly_button = button("")
        self.elderly_button.setCheckable(True)
        self.elderly_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.elderly_button.toggled.connect(self.set_elderly)
        self.language_button = button("")
        self.language_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.language_button.clicked.connect(self.toggle_language)
        bar.addWidget(self.center_label, 1)
        bar.addWidget(self.clock_label)
        bar.addWidget(self.elderly_button)
        bar.addWidget(self.language_button)
        root.addWidget(header)

        self.offline_banner = label("", None, name="OfflineBanner")
        self.offline_banner.hide()
        root.addWidget(self.offline_banner)

        self.stack = QStackedWidget()
        self.screens: dict[str, Screen] = {}
        screens: list[Screen] = [
            WelcomeScreen(self),
            IdentifyScreen(self),
            DescribeScreen(self),
            FaqScreen(self),
            TicketScreen(self),
            ResolvedScreen(self),
        ]
        self.assessment: AssessmentScreen | None = None
        if self.config.assessment.enabled:
            # Inside the kiosk, the tickets the self-assessment asks for are issued (online or from
            # the offline numbers) and printed by the kiosk itself, like every other ticket.
            settings = dataclasses.replace(
                self.config.assessment,
                issue_crisis_ticket=False,
                center=self.config.assessment.center or self.config.center,
            )
            self.assessment = AssessmentScreen(self, settings)
            self._connect_assessment(self.assessment)
            screens.append(self.assessment)
        for screen in screens:
            self.screens[screen.step] = screen
            self.stack.addWidget(screen)
        root.addWidget(self.stack, 1)

        self.footer = label("", None, name="Footer")
        self.footer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        root.addWidget(self.footer)
        self._retranslate_chrome()

    @property
    def welcome(self) -> WelcomeScreen:
        return self.screens["welcome"]  # type: ignore[return-value]

    def current_screen(self) -> Screen:
        return self.stack.currentWidget()  # type: ignore[return-value]

    # --- start and stop ----------------------------------------------------------------------------

    def start(self) -> None:
        """Learn the center (in the background), then listen and keep the kiosk in sync."""
        lexicon.preload()
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        run_in_background(self.service.start, on_done=self._started, on_error=self._start_failed)

    def _started(self, info: CenterInfo) -> None:
        self.center_label.setText(info.name)
        self._tick_clock()
        self.welcome.set_categories(info.categories)
        self.ready = True
        self.ready_changed.emit(True)
        marker = os.environ.get("SUQIU_KIOSK_READY_MARKER")
        if marker:
            # For bench/kiosk.py: the welcome tiles are about to be painted.
            QTimer.singleShot(0, lambda: print(f"{marker} {time.monotonic():.3f}", flush=True))
        self._set_online(self.service.online)
        self.heartbeat()
        self.heartbeat_timer.start()
        if self._listen_events:
            self._start_events()

    def _start_failed(self, error: BaseException) -> None:
        # No server and nothing remembered: say so calmly and try again shortly.
        log.warning("kiosk could not start: %s", error)
        self._set_online(False)
        self.welcome.show_error(tr("offline_no_numbers", self.flow.language))
        QTimer.singleShot(int(self.config.sync_interval_seconds * 1000), self.start)

    def _start_events(self) -> None:
        client = SuqiuClient(self.service.client.base_url, device_key=self.service.client.device_key)
        self._event_stream = client.events(center=self.service.center.code)
        stream = self._event_stream

        def listen() -> None:
            try:
                for event in stream:
                    self._event_relay.received.emit(event.kind)
            except ApiError as exc:
                log.error("event stream refused: %s", exc.message_en)
            finally:
                client.close()

        self._event_thread = threading.Thread(target=listen, name="suqiu-kiosk-events", daemon=True)
        self._event_thread.start()

    def shutdown(self) -> None:
        for timer in (self.idle_timer, self.heartbeat_timer, self.clock_timer, self.waiting_timer, self.resolved_timer):
            timer.stop()
        if self._event_stream is not None:
            self._event_stream.stop()
        if self._event_thread is not None:
            self._event_thread.join(timeout=5)
        self.printer_pool.waitForDone(int(self.config.print_timeout_seconds * 1000) + 1000)
        if self.assessment is not None:
            self.assessment.shutdown()  # before the guide: the speaker is shared, and the guide closes it
        describe: DescribeScreen = self.screens["describe"]  # type: ignore[assignment]
        describe.shutdown()
        if self.face_screen is not None:
            self.face_screen.shutdown()
        if self.face is not None:
            self.face.close()
        self.guide.close()
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def closeEvent(self, event: Any) -> None:
        self.shutdown()
        super().closeEvent(event)

    # --- being online ------------------------------------------------------------------------------

    def _set_online(self, online: bool) -> None:
        changed = online != self.online
        self.online = online
        self.offline_banner.setVisible(not online)
        if changed:
            self.online_changed.emit(online)

    def heartbeat(self) -> None:
        if self.heartbeat_task is not None and not self.heartbeat_task.done.is_set():
            return
        self.heartbeat_task = run_in_background(self.service.heartbeat, on_done=self._heartbeat_done)

    def _heartbeat_done(self, report: SyncReport) -> None:
        self.last_sync = report
        if report.accepted or report.duplicate or report.rejected:
            log.info(
                "offline tickets sent: %d accepted, %d duplicate, %d rejected",
                report.accepted,
                report.duplicate,
                report.rejected,
            )
        self._set_online(report.online)
        if report.online:
            self._apply_waiting(self.service.waiting)

    def _on_event(self, kind: str) -> None:
        if kind.startswith(WAITING_EVENTS):
            self.waiting_timer.start()

    def refresh_waiting(self) -> None:
        run_in_background(self.service.refresh_waiting, on_done=self._apply_waiting, on_error=self._network_error)

    def _apply_waiting(self, waiting: dict[str, Any]) -> None:
        self.waiting = dict(waiting)
        self._set_online(True)
        self.welcome.update_waiting()

    def _network_error(self, error: BaseException) -> None:
        if isinstance(error, ServerUnavailable):
            self._set_online(False)
        else:
            log.warning("background call failed: %s", error)

    # --- idle, modes, language ---------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in USER_INPUT:
            self.touched()
            if self.flow.step == Step.WELCOME and self._greeted_visit != self.flow.visit.id:
                # The first touch of a new visitor: a greeting, once per visit — after the tap has
                # done its work, so a tap on 长辈模式 is greeted slowly.
                QTimer.singleShot(0, self._greet_once)
        return False

    def _greet_once(self) -> None:
        if self._greeted_visit != self.flow.visit.id:
            self._greeted_visit = self.flow.visit.id
            self.guide.greet(self.flow.language, elderly=self.flow.elderly)

    def touched(self) -> None:
        self.idle_timer.start(self._idle_ms())

    def _idle_ms(self) -> int:
        seconds = self.config.idle_seconds
        ticket = self.flow.visit.ticket
        if self.flow.step == Step.TICKET and ticket is not None and ticket.lane == "crisis":
            # Taken from the self-assessment's crisis screen: the person is waiting for the
            # counselor, so the number and the hotline stay up as long as the crisis screen would.
            seconds = max(seconds, self.config.assessment.crisis_idle_seconds)
        return round(seconds * 1000)

    def idle_timeout(self) -> None:
        """Nobody touched the kiosk for a while: wipe what was entered and go home."""
        if self.flow.step == Step.ISSUING:
            # The ticket may already exist on the server: show it before anything is wiped.
            self.touched()
            return
        if self.flow.step == Step.ASSESSMENT and self.assessment is not None and self.assessment.active:
            # The self-assessment keeps its own, longer idle time (a question may take a while to
            # read) and says when it is over (cancelled / finished).
            self.touched()
            return
        if self.flow.step != Step.WELCOME or self.flow.elderly or self.flow.language != self.config.language:
            self.finish_visit()

    def set_elderly(self, on: bool) -> None:
        self.flow.set_elderly(on)
        if self.elderly_button.isChecked() != on:
            self.elderly_button.blockSignals(True)
            self.elderly_button.setChecked(on)
            self.elderly_button.blockSignals(False)
        self.scale = ELDERLY_SCALE if on else NORMAL_SCALE
        self.setStyleSheet(stylesheet(self.scale))
        for screen in self.screens.values():
            screen.rescale(self.scale)
        self._retranslate_chrome()
        self._fit_header()
        if on:
            self._greeted_visit = self.flow.visit.id
            self.guide.greet(self.flow.language, elderly=True)
            self.guide.say(tr("welcome_title", self.flow.language), elderly=True)

    def toggle_language(self) -> None:
        self.set_language("en" if self.flow.language == "zh" else "zh")

    def set_language(self, language: str) -> None:
        self.flow.set_language(language)
        self._retranslate_chrome()
        for screen in self.screens.values():
            screen.retranslate()

    def _retranslate_chrome(self) -> None:
        language = self.flow.language
        self.elderly_button.setText(tr("elderly_mode_on" if self.flow.elderly else "elderly_mode", language))
        self.language_button.setText(tr("switch_language", language))
        self.offline_banner.setText(tr("offline_banner", language))
        self.footer.setText(tr("privacy_footer", language))
        self._tick_clock()

    def _tick_clock(self) -> None:
        if self.service.info is None:
            return
        now = self.service.local_time(self.service.now())
        if self.flow.language == "en":
            self.clock_label.setText(now.strftime("%a %d %b  %H:%M"))
        else:
            self.clock_label.setText(f"{now.month}月{now.day}日 星期{WEEKDAYS_ZH[now.weekday()]}  {now:%H:%M}")

    def fit_to(self, width: int, height: int) -> None:
        """Lay out for a screen of this size *before* taking it: the portrait layouts are taller
        than a landscape screen, and Qt would otherwise stretch the window to fit them."""
        self._orient(width, height)
        super().resize(width, height)

    def resize(self, *args: Any) -> None:  # type: ignore[override]
        size = args[0] if len(args) == 1 else None
        width, height = (size.width(), size.height()) if size is not None else (int(args[0]), int(args[1]))
        self.fit_to(width, height)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._orient(self.width(), self.height())

    def _fit_header(self) -> None:
        # A portrait screen in 长辈模式 has no room for the clock beside the center's name.
        self.clock_label.setVisible(not (self.portrait and self.flow.elderly))

    def _orient(self, width: int, height: int) -> None:
        forced = self.config.orientation
        portrait = forced == "portrait" or (forced == "auto" and height >= width)
        if portrait == self.portrait:
            return
        self.portrait = portrait
        self._fit_header()
        for screen in self.screens.values():
            screen.relayout(portrait)
        # The window's minimum size was set from the old layouts; recompute it now.
        self.stack.updateGeometry()
        root = self.layout()
        root.invalidate()
        root.activate()

    # --- moving between screens --------------------------------------------------------------------

    def _on_step(self, step: Step) -> None:
        if step == Step.ISSUING:
            self._set_busy(True)
            return
        if step != Step.ASSESSMENT and self.assessment is not None and self.assessment.active:
            self.assessment.end()  # its ticket is on screen now: the answers are forgotten
        if step != Step.FACE and self.face_screen is not None:
            self.face_screen.stop()  # the camera is on only while a face screen is showing
        screen = self.screens[step.value]
        if step == Step.WELCOME:
            for other in self.screens.values():
                other.wipe()
            self.set_elderly(self.flow.elderly)
            self.set_language(self.flow.language)
        if step == Step.ASSESSMENT:
            self.guide.new_screen()  # before the widget starts: its first page has guidance of its own
        screen.enter()
        self.stack.setCurrentWidget(screen)
        if step in (Step.TICKET, Step.ASSESSMENT):
            # The ticket speaks for itself once issued (see _ticket_issued); the self-assessment
            # speaks per page (_assessment_step).
            return
        self.guide.step(step.value, self.flow.language, elderly=self.flow.elderly)

    def _set_busy(self, busy: bool) -> None:
        screen = self.current_screen()
        setter = getattr(screen, "set_busy", None)
        if setter is not None:
            setter(busy)

    def _visit_task(self, fn: Any, on_done: Any, on_error: Any = None) -> Task:
        """A task whose answer only matters while this visit lasts."""
        visit_id = self.flow.visit.id

        def done(result: Any) -> None:
            if self.flow.is_current(visit_id):
                on_done(result)

        def failed(error: BaseException) -> None:
            if isinstance(error, ServerUnavailable):
                self._set_online(False)
            if self.flow.is_current(visit_id) and on_error is not None:
                on_error(error)

        task = run_in_background(fn, on_done=done, on_error=failed)
        self.visit_tasks.append(task)
        return task

    def choose_category(self, category: Category) -> None:
        if not self.ready:
            return
        name = category.name_en if self.flow.language == "en" and category.name_en else category.name
        self.flow.choose_category(category.code, name)

    def go_back(self) -> None:
        self.flow.back()

    # --- 刷脸识别 ---------------------------------------------------------------------------------------

    def set_face_support(self, face: Any) -> None:
        """A camera and a face model are ready (loaded off the UI thread at start): offer face login.
        None: no face login on this kiosk (the log says why)."""
        if face is None or self.face is not None:
            return
        self.face = face
        screen = FaceScreen(self, face)
        recognise = screen.recognise
        recognise.recognised.connect(self._face_recognised)
        recognise.finished.connect(self.face_done)
        recognise.declined.connect(lambda: self.face_back())  # "不是": straight to the keypad, nothing said
        recognise.fallback.connect(lambda _reason: self.face_back(tr("face_not_recognised", self.flow.language)))
        recognise.withdrawn.connect(self.flow.face_withdrawn)
        screen.consent.accepted.connect(self._face_consented)
        screen.consent.declined.connect(self.face_back)
        screen.enrol.finished.connect(self.face_back)
        screen.enrol.cancelled.connect(self.face_back)
        screen.withdraw.cancelled.connect(self.face_back)
        self.face_screen = screen
        self.screens[screen.step] = screen
        self.stack.addWidget(screen)
        screen.rescale(self.scale)
        screen.relayout(self.portrait)
        identify: IdentifyScreen = self.screens["identify"]  # type: ignore[assignment]
        identify.set_face_available(True)

    def begin_face(self, mode: str) -> None:
        if self.face_screen is not None:
            self.flow.begin_face(mode)

    def _face_recognised(self, employee_no: str, masked_name: str) -> None:
        self.flow.face_recognised(employee_no, masked_name)
        if self.face_screen is not None:
            self.face_screen.recognised()

    def _face_consented(self, version: str) -> None:
        if self.face_screen is not None and self.flow.step == Step.FACE:
            self.face_screen.pages.setCurrentWidget(self.face_screen.enrol)
            self.face_screen.enrol.begin(version)

    def face_done(self) -> None:
        self.flow.face_done()

    def face_back(self, message: str = "") -> None:
        if self.flow.step != Step.FACE:
            return
        self.flow.face_back(message)
        if message:
            self.screens["identify"].show_error(message)

    # --- 心理自测 -------------------------------------------------------------------------------------

    def _connect_assessment(self, screen: AssessmentScreen) -> None:
        widget = screen.widget
        widget.cancelled.connect(self._assessment_over)
        widget.finished.connect(lambda _outcome: self._assessment_over())
        widget.care_ticket_requested.connect(lambda: self.assessment_ticket(lane=None))
        widget.crisis_ticket_requested.connect(lambda: self.assessment_ticket(lane="crisis"))
        widget.step_changed.connect(self._assessment_step)

    def start_assessment(self) -> None:
        """The 心理自测 tile: identify (optional, it enables 实名), then the self-assessment."""
        if not self.ready or self.assessment is None:
            return
        self.flow.choose_assessment()

    def _assessment_over(self) -> None:
        """完成, 退出测评, or the self-assessment's own idle time: the visit ends, nothing is kept."""
        if self.flow.step == Step.ASSESSMENT:
            self.finish_visit()

    def _assessment_step(self, step: str) -> None:
        key = f"assessment-{step}"
        if self.flow.step == Step.ASSESSMENT and self.flow.elderly and key in speech.STEP_GUIDANCE:
            self.guide.step(key, self.flow.language, elderly=True)

    def assessment_ticket(self, *, lane: str | None) -> None:
        """找心理老师聊聊 (a 心理关爱 ticket) or 取心理关爱优先号 (the crisis lane), through the kiosk's
        own path: issued online or from the offline numbers, shown on the ticket screen, printed."""
        if self.assessment is None:
            return
        code = self.assessment.widget.config.care_category
        category = self.service.category(code) if self.service.info is not None else None
        if category is None:
            name = code
        else:
            name = category.name_en if self.flow.language == "en" and category.name_en else category.name
        linked = bool(self.assessment.widget.flow.session.linked)
        request = self.flow.request_assessment_ticket(code, name, lane=lane, linked=linked)
        if request is None:
            return  # a second tap, or not on the self-assessment: one visit, one ticket
        self._visit_task(lambda: self.service.issue(request), self._ticket_issued, self._issue_failed)

    def identify(self, kind: str, value: str) -> None:
        if not self.flow.begin_identify(kind, value):
            return
        screen: IdentifyScreen = self.screens["identify"]  # type: ignore[assignment]
        screen.set_busy(True)
        call = (
            (lambda: self.service.identify(phone=value))
            if kind == "phone"
            else (lambda: self.service.identify(employee_no=value))
        )
        self._visit_task(call, self._identified, self._identify_failed)

    def _identified(self, identity: Any) -> None:
        self.flow.identity_found(identity.masked_name, identity.employee_no)
        screen: IdentifyScreen = self.screens["identify"]  # type: ignore[assignment]
        screen.show_identity()
        if self.flow.elderly:
            self.guide.new_screen()
            self.guide.say(tr("is_this_you", self.flow.language, masked_name=identity.masked_name), elderly=True)

    def _identify_failed(self, error: BaseException) -> None:
        if isinstance(error, ServerUnavailable):
            message = tr("identify_offline", self.flow.language)
        elif isinstance(error, ApiError) and error.status in (404, 422):
            message = tr("identify_not_found", self.flow.language)
        elif isinstance(error, ApiError):
            message = error.message if self.flow.language == "zh" else error.message_en or error.message
        else:
            message = tr("identify_offline", self.flow.language)
        self.flow.identity_failed(message)
        screen: IdentifyScreen = self.screens["identify"]  # type: ignore[assignment]
        screen.show_error(message)
        screen.show_identity()

    def confirm_identity(self) -> None:
        self.flow.confirm_identity()

    def reject_identity(self) -> None:
        self.flow.reject_identity()

    def skip_identify(self) -> None:
        self.flow.skip_identify()

    def toggle_topic(self, topic: str) -> None:
        self.flow.toggle_topic(topic)

    def finish_describe(self, text: str) -> None:
        describe: DescribeScreen = self.screens["describe"]  # type: ignore[assignment]
        if self.flow.finish_describe(text, describe.voice_pending()):
            self._set_busy(True)
            self._lookup_faq()

    def skip_describe(self) -> None:
        if self.flow.skip_describe():
            self._set_busy(True)
            self._lookup_faq()

    def _lookup_faq(self) -> None:
        visit = self.flow.visit
        query = " ".join([*visit.topics, visit.text]).strip()
        self._visit_task(
            lambda: self.service.faq_search(visit.category, q=query, limit=3),
            self._faq_found,
            lambda _error: self._faq_found([]),  # no answers to offer: straight on to a ticket
        )

    def _faq_found(self, entries: list[dict[str, Any]]) -> None:
        if self.flow.faq_found(entries):
            self.issue_ticket()

    def faq_resolved(self, faq_id: int) -> None:
        if self.flow.resolved_by_faq():
            run_in_background(lambda: self.service.faq_resolved(faq_id), on_error=self._network_error)
            self.resolved_timer.start()

    def faq_not_resolved(self) -> None:
        if self.flow.step != Step.FAQ:
            return
        for entry in self.flow.visit.faq:
            faq_id = int(entry["id"])
            run_in_background(lambda i=faq_id: self.service.faq_not_resolved(i), on_error=self._network_error)
        self.issue_ticket()

    def issue_ticket(self) -> None:
        request = self.flow.request_ticket()
        if request is None:
            return  # a second tap: this visit's ticket is already on its way
        self._visit_task(lambda: self.service.issue(request), self._ticket_issued, self._issue_failed)

    def _ticket_issued(self, ticket: IssuedTicket) -> None:
        self._set_online(ticket.online and self.service.online)
        visit = self.flow.visit
        face_link = visit.identified_by == "face" and visit.share_identity and ticket.ticket_id is not None
        voice = visit.voice
        self.flow.ticket_issued(ticket)
        if ticket.lane == "crisis":
            self.touched()  # the longer idle time of a crisis-lane ticket starts now
        if face_link and self.face_screen is not None and ticket.ticket_id is not None:
            self.face_screen.recognise.link_ticket(ticket.ticket_id)  # the card says 人脸识别
        if voice is not None:
            # Kept in memory until the server has it (offline: once the ticket itself is synced).
            self.service.queue_voice(ticket, voice)
            run_in_background(self.service.send_voice, on_error=self._network_error)
        self.guide.new_screen()
        self.guide.say(
            speech.ticket_sentence(ticket.display, ticket.people_ahead, self.flow.language), elderly=self.flow.elderly
        )
        self.start_print()

    def _issue_failed(self, error: BaseException) -> None:
        language = self.flow.language
        if isinstance(error, OfflineExhausted):
            message = tr("offline_no_numbers", language)
        elif isinstance(error, ApiError):
            message = tr("issue_failed", language, reason=error.message if language == "zh" else error.message_en)
        else:
            log.error("issuing failed", exc_info=error)
            message = tr("issue_failed", language, reason=tr("please_wait", language))
        self.flow.issue_failed(message)
        self.current_screen().show_error(message)

    def start_print(self) -> None:
        if not self.flow.print_started():
            return
        ticket = self.flow.visit.ticket
        assert ticket is not None
        visit_id = self.flow.visit.id
        self.screens["ticket"].enter()

        def finished(result: PrintResult) -> None:
            if not self.flow.is_current(visit_id):
                return  # the visit ended; the outcome was reported to the server anyway
            self.flow.print_finished(result.ok, result.message)
            self.screens["ticket"].enter()
            if not result.ok:
                self.guide.say(
                    speech.print_failed_sentence(ticket.display, self.flow.language), elderly=self.flow.elderly
                )

        self.print_task = run_in_background(
            lambda: self.ticket_printer.print_and_report(ticket),
            on_done=finished,
            on_error=lambda error: finished(PrintResult(False, "error", "打印机暂时无法使用，请联系工作人员")),
            pool=self.printer_pool,
        )

    def reprint(self) -> None:
        self.start_print()

    def finish_visit(self) -> None:
        """完成 / 返回首页 / idle: forget this visit entirely and greet the next person."""
        self.resolved_timer.stop()
        if self.face_screen is not None:
            self.face_screen.wipe()  # a face match ends with the visit
        for task in self.visit_tasks:
            task.discard()
        self.visit_tasks.clear()
        self.guide.new_screen()
        self.flow.reset()
