"""What the officer's actions and the server's events do to the model. Free of Qt.

Every action gives feedback at once (the buttons are disabled and the status line says what is
happening), runs the HTTP call on a worker, and shows the server's Chinese message on failure.
Policy stays in the server: this only mirrors what it answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from suqiu_queue.client import ApiError, Event, ServerUnavailable, SuqiuClient, Ticket

from .counter_display import CounterDisplayOutput
from .face_consent import FaceConsents
from .models import FINISHED_STATES, ArrivalCard, FrontDeskModel, QueueTicket

log = logging.getLogger(__name__)

BUSY_LABELS = {
    "call_next": "正在叫号…",
    "call": "正在指定叫号…",
    "recall": "正在重呼…",
    "no_show": "正在标记过号…",
    "done": "正在完成办理…",
    "transfer": "正在转移…",
    "pause": "正在更新窗口状态…",
}


class Runner(Protocol):
    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        owner: Any = None,
    ) -> None: ...

    def call_soon(self, fn: Callable[[], None]) -> None: ...


def error_text(exc: BaseException) -> str:
    """The sentence the officer reads: the server's own Chinese message when there is one."""
    if isinstance(exc, ApiError):
        return exc.message
    if isinstance(exc, ServerUnavailable):
        return "暂时连不上服务器，请稍候再试"
    return f"操作没有成功，请重试（{type(exc).__name__}）"


class FrontDeskController:
    def __init__(
        self,
        model: FrontDeskModel,
        client: SuqiuClient,
        runner: Runner,
        *,
        display: CounterDisplayOutput | None = None,
    ) -> None:
        self.model = model
        self.client = client
        self.runner = runner
        self.display = display
        self._refreshing = False
        self._refresh_again = False
        self._cards_requested: set[int] = set()
        self.event_listeners: list[Callable[[Event], None]] = []  # e.g. open case views, the crisis panel
        # 人脸识别 state on the cards and 撤回人脸授权; any face.* event refreshes the people shown.
        self.faces = FaceConsents(model, client, runner, describe=error_text)
        self.event_listeners.append(self.faces.on_event)

    # -- start-up and reloading -------------------------------------------------------------------

    def start(self) -> None:
        """Load the queue; the ticket already at this counter (after a restart) becomes current."""
        counter = self.model.counter
        self.model.say(f"{self.model.session.display_name}，您好。{counter.label}已就绪，按 F1 叫号", "info")
        self.refresh_queue(restore_current=True)

    def refresh_queue(self, *, restore_current: bool = False) -> None:
        """Reload the queue panel. Bursts of events coalesce into at most one extra reload."""
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        center = self.model.session.center

        def loaded(data: dict[str, Any]) -> None:
            self._refreshing = False
            self.model.set_tickets(data.get("tickets", []))
            if restore_current:
                self._restore_current()
            self._prune_cards()
            self._load_missing_cards()
            if self._refresh_again:
                self._refresh_again = False
                self.refresh_queue()

        def failed(exc: BaseException) -> None:
            self._refreshing = False
            self._refresh_again = False
            self.model.say(f"队列刷新失败：{error_text(exc)}", "error")

        self.runner.run(lambda: self.client.queue(center), loaded, failed)

    def _restore_current(self) -> None:
        active = self.model.active_at_my_counter()
        if active is not None and self.model.current is None:
            self.model.set_current(active)
            self.model.say(f"继续办理 {active.display}", "info")

    def _prune_cards(self) -> None:
        """Drop cards whose visit is over or went elsewhere (in case the event was missed)."""
        current_id = self.model.current.id if self.model.current else None
        for card in list(self.model.cards):
            ticket = self.model.ticket(card.ticket_id)
            # Unknown to this snapshot means newer than it (the queue lists all of today's tickets).
            keep = (
                card.ticket_id == current_id
                or ticket is None
                or (ticket.state == "waiting" and self.model.can_serve(ticket.category, ticket.target_counter_id))
            )
            if not keep:
                self.model.remove_card(card.ticket_id)
                self._cards_requested.discard(card.ticket_id)

    def _load_missing_cards(self) -> None:
        """Cards for identified people this counter may call (each read is audited, so only those)."""
        current = self.model.current
        for t in self.model.tickets:
            servable = t.state == "waiting" and self.model.can_serve(t.category, t.target_counter_id)
            if t.identified and (servable or (current is not None and t.id == current.id)):
                self.load_card(t.id)

    def load_card(self, ticket_id: int, *, force: bool = False) -> None:
        if ticket_id in self._cards_requested and not force:
            return
        self._cards_requested.add(ticket_id)

        def loaded(data: dict[str, Any]) -> None:
            card = ArrivalCard(data)
            if card.employee is None:
                return
            ticket = self.model.ticket(ticket_id)
            if ticket is not None and ticket.state in FINISHED_STATES:
                return  # finished while we were fetching
            self.model.add_card(card)
            self.faces.load(str(card.employee.get("employee_no") or ""))

        def failed(exc: BaseException) -> None:
            self._cards_requested.discard(ticket_id)  # a later event may try again
            self.model.say(f"到访卡片加载失败：{error_text(exc)}", "warn")

        self.runner.run(lambda: self.client.arrival_card(ticket_id), loaded, failed)

    # -- officer actions --------------------------------------------------------------------------

    def _act(
        self,
        name: str,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        *,
        refresh: bool = True,
    ) -> bool:
        """Disable the buttons at once, say what is happening, then report the outcome."""
        if self.model.busy is not None:
            return False
        self.model.set_busy(name)
        self.model.say(BUSY_LABELS.get(name, "正在处理…"), "info")

        def done(result: Any) -> None:
            self.model.set_busy(None)
            on_done(result)
            if refresh:
                self.refresh_queue()

        def failed(exc: BaseException) -> None:
            self.model.set_busy(None)
            self.model.say(error_text(exc), "error")
            if isinstance(exc, ApiError) and exc.code in ("ticket_changed", "ticket_state_conflict"):
                self.refresh_queue(restore_current=True)

        self.runner.run(fn, done, failed)
        return True

    def _became_current(self, ticket: Ticket) -> None:
        current = QueueTicket.from_json(ticket.raw)
        self.model.set_current(current)
        number = self.model.counter.number
        self.model.say(f"已叫号 {current.display}，请到{number}号窗口", "ok")
        if self.display is not None:
            self.display.show_call(current.display)
        if current.identified:
            self.load_card(current.id)

    def _finished(self, message: str, level: str = "ok") -> None:
        current = self.model.current
        if current is not None:
            self.model.remove_card(current.id)
        self.model.set_current(None)
        self.model.say(message, level)
        if self.display is not None:
            self.display.clear()

    def _refuse(self, message: str) -> bool:
        self.model.say(message, "warn")
        return False

    def can_call(self) -> bool:
        """Whether a call may start now; if not, the status line says why."""
        if self.model.paused:
            return self._refuse("窗口已暂停，请先按 F9 恢复服务")
        if self.model.current is not None:
            return self._refuse(f"请先完成或过号当前的 {self.model.current.display}")
        return True

    def call_next(self) -> bool:
        if not self.can_call():
            return False
        counter_id = self.model.counter.id

        def done(ticket: Ticket | None) -> None:
            if ticket is None:
                self.model.say("目前没有可叫的号，稍后新号会自动出现在左侧", "warn")
            else:
                self._became_current(ticket)

        return self._act("call_next", lambda: self.client.call_next(counter_id), done)

    def call_ticket(self, ticket_id: int) -> bool:
        """指定叫号: call one particular waiting ticket to this counter."""
        if not self.can_call():
            return False
        counter_id = self.model.counter.id
        return self._act("call", lambda: self.client.call(ticket_id, counter_id), self._became_current)

    def recall(self) -> bool:
        current = self.model.current
        if current is None:
            return self._refuse("当前没有已叫的号")

        def done(ticket: Ticket) -> None:
            if ticket.state == "no_show":
                self._finished(f"{ticket.display} 多次呼叫未到，已按过号处理", "warn")
                return
            recalls = int(ticket.raw.get("recall_count", 0))
            self.model.update_current(recall_count=recalls, state=ticket.state)
            self.model.say(f"已重呼 {ticket.display}（第 {recalls} 次）", "ok")
            if self.display is not None:
                self.display.show_call(ticket.display)

        return self._act("recall", lambda: self.client.recall(current.id), done)

    def no_show(self) -> bool:
        current = self.model.current
        if current is None:
            return self._refuse("当前没有已叫的号")
        return self._act(
            "no_show",
            lambda: self.client.no_show(current.id),
            lambda t: self._finished(f"{t.display} 已标记过号", "ok"),
        )

    def done(self) -> bool:
        current = self.model.current
        if current is None:
            return self._refuse("当前没有正在办理的号")
        return self._act(
            "done",
            lambda: self.client.done(current.id),
            lambda t: self._finished(f"{t.display} 办理完成", "ok"),
        )

    def transfer(self, *, category: str | None = None, counter_id: int | None = None) -> bool:
        current = self.model.current
        if current is None:
            return self._refuse("当前没有可转移的号")
        if category is None and counter_id is None:
            return self._refuse("请选择转移到的业务类别或窗口")
        session = self.model.session
        target = next((c.label for c in session.counters if c.id == counter_id), None)
        where = target or session.category_name(category or "")

        return self._act(
            "transfer",
            lambda: self.client.transfer(current.id, category=category, counter_id=counter_id),
            lambda t: self._finished(f"{t.display} 已转到{where}，按原取号时间排队", "ok"),
        )

    def toggle_pause(self) -> bool:
        paused = not self.model.paused
        counter_id = self.model.counter.id

        def done(result: dict[str, Any]) -> None:
            self.model.set_paused(bool(result.get("paused", paused)))
            if self.model.paused:
                self.model.say("窗口已暂停，新号不会叫到本窗口；按 F9 恢复", "warn")
                if self.display is not None and self.model.current is None:
                    self.display.show_paused()
            else:
                self.model.say("窗口已恢复服务", "ok")
                if self.display is not None and self.model.current is None:
                    self.display.clear()

        return self._act("pause", lambda: self.client.pause_counter(counter_id, paused), done, refresh=False)

    # -- 待确认人脸登记: the officer checked the person's badge --------------------------------------------

    def settle_face_enrolment(self, ticket_id: int, *, confirm: bool) -> None:
        """Confirm (the badge matches) or reject the kiosk face enrolment of the card's person."""
        card = self.model.card(ticket_id)
        employee_no = str((card.employee or {}).get("employee_no") or "") if card else ""
        if not employee_no:
            self.model.say("这张卡片没有可确认的人脸登记", "warn")
            return
        center = self.model.session.center
        client = self.client

        def work() -> str:
            pending = [p for p in client.face_pending_enrolments(center) if p.get("employee_no") == employee_no]
            if not pending:
                return "none"
            for item in pending:
                if confirm:
                    client.face_confirm_enrolment(int(item["id"]))
                else:
                    client.face_reject_enrolment(int(item["id"]))
            return "confirmed" if confirm else "rejected"

        def done(outcome: str) -> None:
            name = (card.employee or {}).get("name", "") if card else ""
            if outcome == "none":
                self.model.say(f"{name} 没有待确认的人脸登记（可能已由其他窗口处理）", "warn")
            elif outcome == "confirmed":
                self.model.say(f"已确认 {name} 的人脸登记，下次可刷脸识别", "ok")
            else:
                self.model.say(f"已拒绝 {name} 的人脸登记，登记数据已删除", "ok")
            self.load_card(ticket_id, force=True)

        def failed(exc: BaseException) -> None:
            self.model.say(error_text(exc), "error")

        self.runner.run(work, done, failed)

    # -- the server's events ------------------------------------------------------------------------

    def on_connection(self, connected: bool) -> None:
        was = self.model.connected
        self.model.set_connected(connected)
        if connected and not was:
            self.refresh_queue(restore_current=True)  # whatever happened while we were away
        elif was and not connected:
            self.model.say("与服务器的实时连接中断，正在自动重连…", "warn")

    def on_stream_failed(self, exc: BaseException) -> None:
        self.model.set_connected(False)
        self.model.say(f"实时更新已停止：{error_text(exc)}", "error")

    def on_event(self, event: Event) -> None:
        kind = event.kind
        payload = event.payload
        ticket_id = payload.get("ticket_id")
        current = self.model.current
        my_counter = self.model.counter

        if kind == "stream.resync":
            self.refresh_queue(restore_current=True)
        elif kind.startswith("ticket."):
            self.refresh_queue()
        elif kind in ("counter.paused", "counter.resumed") and payload.get("counter_id") == my_counter.id:
            self.model.set_paused(kind == "counter.paused")

        if kind == "ticket.issued":
            if payload.get("identified") and self.model.can_serve(payload.get("category", "")):
                self.load_card(int(ticket_id))
        elif kind == "ticket.transferred" and ticket_id is not None:
            if current is not None and current.id == ticket_id:
                self.model.set_current(None)
            target = payload.get("to_counter_id")
            if payload.get("identified") and self.model.can_serve(payload.get("category", ""), target):
                self.load_card(int(ticket_id), force=True)
            else:
                self.model.remove_card(int(ticket_id))
        elif kind in ("ticket.called", "ticket.recalled") and ticket_id is not None:
            if payload.get("counter_id") != my_counter.id:
                self.model.remove_card(int(ticket_id))  # another counter is serving them
            elif self.model.busy in ("call_next", "call"):
                pass  # our own call: its answer is on the way and sets the current ticket
            elif current is None or current.id != ticket_id:
                # Called to this counter from elsewhere (e.g. a second login at this counter).
                self.runner.run(lambda: self.client.ticket(int(ticket_id)), self._adopt, lambda _e: None)
            elif kind == "ticket.recalled":
                self.model.update_current(recall_count=int(payload.get("recall_count", current.recall_count)))
        elif kind in ("ticket.done", "ticket.no_show", "ticket.cancelled", "ticket.parked") and ticket_id:
            self.model.remove_card(int(ticket_id))
            if current is not None and current.id == ticket_id:
                self.model.set_current(None)
                if self.display is not None:
                    self.display.clear()
        elif kind == "ticket.print_failed" and ticket_id is not None and self.model.card(int(ticket_id)):
            self.load_card(int(ticket_id), force=True)
        elif kind == "ticket.identified" and ticket_id is not None and self.model.card(int(ticket_id)):
            self.load_card(int(ticket_id), force=True)  # now 人脸识别
        elif kind == "voice_message.added" and ticket_id is not None and self.model.card(int(ticket_id)):
            self.load_card(int(ticket_id), force=True)  # the card counts the visit's 语音留言
        elif kind == "face.enrol_pending":
            # Ids only in face events: whose it is shows on the cards themselves (待确认人脸登记).
            for card in list(self.model.cards):
                self.load_card(card.ticket_id, force=True)
        elif kind in ("face.enrolled", "face.enrol_rejected"):
            for card in list(self.model.cards):
                if card.flags.get("face_pending"):
                    self.load_card(card.ticket_id, force=True)

        # crisis.* events are the counselors' crisis panel's (suqiu_frontdesk.crisis), one listener
        # among these: one place takes an alert, so it cannot be taken twice from two widgets.
        for listener in list(self.event_listeners):
            listener(event)

    def _adopt(self, ticket: Ticket) -> None:
        if ticket.state in ("called", "serving") and ticket.counter_number == self.model.counter.number:
            self.model.set_current(QueueTicket.from_json(ticket.raw))
            if ticket.identified:
                self.load_card(ticket.id)
