"""危机预警 on a counselor's desk: a pop-up that cannot be missed and a list of the day's alerts.

The front desk's event thread forwards every event to ``CrisisAlertPanel.on_event`` (any thread;
it is queued to the UI thread here). The server already sends ``crisis.*`` events to counselors
only (``crisis.escalated`` also to supervisors); the panel shows what an alert says — ticket
number, time, whether a counselor took it, whether it went to the supervisor — and never what
was answered. Opening the result is a separate, audited step (``CounselorView``).

``AlertBook`` is the Qt-free part: what the alerts are, given events and API rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from suqiu_queue.client import ApiError, SuqiuClient

from ..workers import Runner

log = logging.getLogger(__name__)

ALERT, ACKNOWLEDGED, ESCALATED = "crisis.alert", "crisis.acknowledged", "crisis.escalated"
KEEP_DONE = 20  # acknowledged alerts kept in the list, newest first, for the rest of the shift


def utc_now() -> datetime:
    return datetime.now(UTC)


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


@dataclass
class Alert:
    id: int
    ticket_id: int | None
    ticket_display: str | None
    created_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None  # who, when the server said (our own acknowledgement, or a list row)
    mine: bool = False  # this desk took it
    escalated_at: datetime | None = None
    waited_minutes: int | None = None

    @property
    def open(self) -> bool:
        return self.acknowledged_at is None

    @property
    def state(self) -> str:
        """open | escalated | mine | taken — what the row says."""
        if self.acknowledged_at is not None:
            return "mine" if self.mine else "taken"
        return "escalated" if self.escalated_at is not None else "open"

    def waited(self, now: datetime) -> int:
        """Whole minutes since the alert was raised (until it was taken)."""
        end = self.acknowledged_at or now
        return max(0, int((end - self.created_at).total_seconds() // 60))


class AlertBook:
    """The center's crisis alerts as this desk knows them, from events and ``GET /crisis-alerts``."""

    def __init__(self, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.clock = clock
        self.alerts: dict[int, Alert] = {}

    def apply(self, kind: str, payload: Mapping[str, Any], created_at: Any = None) -> str | None:
        """One event. Returns what changed: "new", "acknowledged", "escalated", or None (not ours)."""
        if kind not in (ALERT, ACKNOWLEDGED, ESCALATED) or payload.get("alert_id") is None:
            return None
        alert_id = int(payload["alert_id"])
        when = _when(created_at) or self.clock()
        alert = self.alerts.get(alert_id)
        if kind == ACKNOWLEDGED:
            if alert is None or not alert.open:
                return None
            alert.acknowledged_at = when
            return "acknowledged"
        is_new = alert is None
        if alert is None:
            alert = Alert(
                id=alert_id,
                ticket_id=payload.get("ticket_id"),
                ticket_display=payload.get("ticket_display"),
                created_at=when,
            )
            self.alerts[alert_id] = alert
        if kind == ESCALATED and alert.escalated_at is None:
            alert.escalated_at = when
            if payload.get("waited_minutes") is not None:
                alert.waited_minutes = int(payload["waited_minutes"])
                if is_new:  # first heard of it now (a supervisor): it was raised that long ago
                    alert.created_at = when - timedelta(minutes=alert.waited_minutes)
            return "new" if is_new else "escalated"
        return "new" if is_new else None

    def merge(self, rows: list[Mapping[str, Any]]) -> None:
        """Rows from ``GET /crisis-alerts`` (e.g. after logging in): the server's word wins."""
        for row in rows:
            created = _when(row.get("created_at")) or self.clock()
            alert = self.alerts.get(int(row["id"]))
            if alert is None:
                alert = Alert(int(row["id"]), row.get("ticket_id"), row.get("ticket_display"), created)
                self.alerts[alert.id] = alert
            alert.created_at = created
            alert.acknowledged_at = _when(row.get("acknowledged_at")) or alert.acknowledged_at
            alert.acknowledged_by = row.get("acknowledged_by") or alert.acknowledged_by
            alert.escalated_at = _when(row.get("escalated_at")) or alert.escalated_at

    def close_missing(self, known_open: set[int], rows: list[Mapping[str, Any]]) -> None:
        """``rows`` is the server's complete list of open alerts, asked for when ``known_open`` were
        the alerts open here: one of those missing from it was taken meanwhile (e.g. while this desk
        was disconnected). Alerts heard of after asking are left alone — the list may predate them."""
        still_open = {int(row["id"]) for row in rows}
        for alert_id in known_open - still_open:
            alert = self.alerts.get(alert_id)
            if alert is not None and alert.open:
                self.taken_by_someone_else(alert_id, {})

    def taken_by_me(self, row: Mapping[str, Any]) -> Alert | None:
        self.merge([row])
        alert = self.alerts.get(int(row["id"]))
        if alert is not None:
            alert.mine = True
        return alert

    def taken_by_someone_else(self, alert_id: int, details: Mapping[str, Any]) -> None:
        alert = self.alerts.get(alert_id)
        if alert is not None:
            alert.acknowledged_at = _when(details.get("acknowledged_at")) or alert.acknowledged_at or self.clock()
            alert.acknowledged_by = details.get("acknowledged_by") or alert.acknowledged_by
            alert.mine = False

    def open_alerts(self) -> list[Alert]:
        """Oldest first: the one waiting longest is the one to go to."""
        return sorted((a for a in self.alerts.values() if a.open), key=lambda a: (a.created_at, a.id))

    def shown(self) -> list[Alert]:
        """Open ones first (oldest first), then the latest taken ones."""
        done = sorted((a for a in self.alerts.values() if not a.open), key=lambda a: a.created_at, reverse=True)
        return self.open_alerts() + done[:KEEP_DONE]


def ticket_text(alert: Alert) -> str:
    return f"号票 {alert.ticket_display}" if alert.ticket_display else "未关联号票（匿名测评）"


def local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M")


def state_text(alert: Alert, now: datetime) -> str:
    state = alert.state
    if state == "mine":
        return "由您接手"
    if state == "taken":
        # The server names the taker by account id ("user:3"), not a name worth showing.
        return "已有其他老师接手"
    minutes = alert.waited(now)
    waited = f"已等待 {minutes} 分钟" if minutes else "刚刚发出"
    return f"已上报主管 · {waited}" if state == "escalated" else f"待接手 · {waited}"


STYLE = """
QWidget#crisisPanel, QWidget#crisisRows, QWidget#crisisPanel QScrollArea { background: #FFFFFF; }
QLabel#crisisPanelTitle { font-size: 20px; font-weight: 700; color: #1F3A5F; }
QLabel#crisisPanelEmpty { font-size: 16px; color: #5C6B7A; }
QLabel#crisisPanelError { font-size: 15px; color: #8A1C1C; }
QFrame#crisisRow { background: #F7F9FB; border: 1px solid #D9E0E8; border-radius: 8px; }
QFrame#crisisRow[state="open"] { background: #FDECEC; border: 2px solid #C62828; }
QFrame#crisisRow[state="escalated"] { background: #FDECEC; border: 2px solid #8E0000; }
QFrame#crisisRow QLabel { background: transparent; }
QLabel#crisisTicket { font-size: 20px; font-weight: 700; color: #1F2A37; }
QLabel#crisisTime { font-size: 15px; color: #33475B; }
QLabel#crisisState { font-size: 15px; font-weight: 700; color: #8A1C1C; }
QFrame#crisisRow[state="mine"] QLabel#crisisState, QFrame#crisisRow[state="taken"] QLabel#crisisState { color: #1B7F3B; }
QPushButton#crisisAck {
    background: #C62828; color: white; border: none; border-radius: 6px; font-size: 16px;
    font-weight: 700; padding: 6px 14px; min-height: 34px;
}
QPushButton#crisisAck:disabled { background: #E3A3A3; }
QPushButton#crisisView {
    background: white; color: #1F3A5F; border: 1px solid #1F3A5F; border-radius: 6px; font-size: 15px;
    padding: 6px 12px; min-height: 34px;
}
"""


class AlertRow(QFrame):
    def __init__(self, alert_id: int) -> None:
        super().__init__()
        self.setObjectName("crisisRow")
        self.alert_id = alert_id
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        text = QVBoxLayout()
        text.setSpacing(2)
        self.ticket = QLabel()
        self.ticket.setObjectName("crisisTicket")
        self.time = QLabel()
        self.time.setObjectName("crisisTime")
        self.state = QLabel()
        self.state.setObjectName("crisisState")
        for label in (self.ticket, self.time, self.state):
            text.addWidget(label)
        layout.addLayout(text, 1)
        self.ack_button = QPushButton("我来接手")
        self.ack_button.setObjectName("crisisAck")
        self.view_button = QPushButton("查看测评")
        self.view_button.setObjectName("crisisView")
        layout.addWidget(self.ack_button)
        layout.addWidget(self.view_button)

    def update_from(self, alert: Alert, *, can_take: bool, taking: bool, now: datetime) -> None:
        if self.property("state") != alert.state:
            self.setProperty("state", alert.state)
            for widget in (self, self.state):
                widget.style().unpolish(widget)
                widget.style().polish(widget)
        self.ticket.setText(ticket_text(alert))
        self.time.setText(f"{local_time(alert.created_at)} 自助机心理测评提示需要立即关心")
        self.state.setText(state_text(alert, now))
        self.ack_button.setVisible(can_take and alert.open)
        self.ack_button.setEnabled(not taking)
        self.ack_button.setText("正在接手……" if taking else "我来接手")
        self.view_button.setVisible(alert.state == "mine" and alert.ticket_id is not None)


class CrisisAlertPopup(QDialog):
    """Stays on top until answered. Says which ticket and since when — never what was answered."""

    take = Signal(int)
    later = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crisisPopup")
        self.setWindowTitle("危机预警")
        self.setModal(False)
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self.setStyleSheet(
            "QDialog#crisisPopup { background: #FFFFFF; border: 4px solid #C62828; }"
            "QLabel { background: transparent; color: #1F2A37; }"
            "QLabel#popupTitle { font-size: 24px; font-weight: 800; color: #C62828; }"
            "QLabel#popupTicket { font-size: 44px; font-weight: 800; }"
            "QLabel#popupBody { font-size: 17px; }"
            "QLabel#popupPrivacy { font-size: 14px; color: #5C6B7A; }"
            "QLabel#popupMore { font-size: 15px; color: #8A1C1C; font-weight: 700; }"
            "QPushButton { font-size: 18px; padding: 8px 18px; min-height: 40px; border-radius: 6px; }"
            "QPushButton#popupTake { background: #C62828; color: white; border: none; font-weight: 700; }"
            "QPushButton#popupLater { background: white; color: #33475B; border: 1px solid #9AA6B6; }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 22)
        layout.setSpacing(10)
        self.title = QLabel("危机预警 · 请尽快前往接待")
        self.title.setObjectName("popupTitle")
        self.ticket = QLabel()
        self.ticket.setObjectName("popupTicket")
        self.body = QLabel()
        self.body.setObjectName("popupBody")
        self.body.setWordWrap(True)
        self.more = QLabel()
        self.more.setObjectName("popupMore")
        self.privacy = QLabel("作答内容不在此显示；接手后可在“心理测评”中查看（查看会记入审计）。")
        self.privacy.setObjectName("popupPrivacy")
        self.privacy.setWordWrap(True)
        self.take_button = QPushButton("我来接手")
        self.take_button.setObjectName("popupTake")
        self.later_button = QPushButton("稍后处理")
        self.later_button.setObjectName("popupLater")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.later_button)
        buttons.addWidget(self.take_button)
        for widget in (self.title, self.ticket, self.body, self.more, self.privacy):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.alert_id: int | None = None
        self.take_button.clicked.connect(lambda: self.alert_id is not None and self.take.emit(self.alert_id))
        self.later_button.clicked.connect(lambda: self.alert_id is not None and self.later.emit(self.alert_id))
        self.setMinimumWidth(460)

    def show_alert(self, alert: Alert, *, others: int, now: datetime, can_take: bool) -> None:
        self.alert_id = alert.id
        self.ticket.setText(alert.ticket_display or "未关联号票")
        where = "请到取号处或心理关爱窗口找到这位职工。" if alert.ticket_display else "匿名测评：请到自助机附近查看。"
        self.body.setText(f"{local_time(alert.created_at)} 自助机心理测评提示有人需要立即关心。{where}")
        self.more.setText(f"另有 {others} 条危机预警未接手" if others else "")
        self.more.setVisible(bool(others))
        self.title.setText("危机预警 · 已上报主管" if alert.escalated_at else "危机预警 · 请尽快前往接待")
        self.take_button.setVisible(can_take)
        self.take_button.setEnabled(True)
        self.take_button.setText("我来接手")
        if not self.isVisible():
            self.show()
        self.raise_()


class CrisisAlertPanel(QWidget):
    """The list (for a side panel or a tab) plus the pop-up. Feed it events with ``on_event``."""

    alert_arrived = Signal(object)  # Alert: e.g. play a sound, flash the taskbar
    alert_taken = Signal(object)  # Alert this desk acknowledged
    view_requested = Signal(object)  # Alert whose result the counselor wants to open (ticket_id)
    open_count_changed = Signal(int)
    _incoming = Signal(object)

    def __init__(
        self,
        client: SuqiuClient,
        *,
        runner: Runner | None = None,
        role: str = "counselor",
        popup: bool = True,
        clock: Callable[[], datetime] = utc_now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("crisisPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        self.client = client
        self.runner = runner or Runner(self)
        self.role = role
        self.clock = clock
        self.book = AlertBook(clock=clock)
        self._taking: set[int] = set()
        self._snoozed: set[int] = set()  # 稍后处理: stays in the list, does not pop up again
        self.popup = CrisisAlertPopup(self) if popup else None
        if self.popup is not None:
            self.popup.take.connect(self.acknowledge)
            self.popup.later.connect(self.snooze)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        self.title = QLabel("危机预警")
        self.title.setObjectName("crisisPanelTitle")
        self.error = QLabel()
        self.error.setObjectName("crisisPanelError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.empty = QLabel("目前没有危机预警")
        self.empty.setObjectName("crisisPanelEmpty")
        layout.addWidget(self.title)
        layout.addWidget(self.error)
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        holder = QWidget()
        holder.setObjectName("crisisRows")
        self.rows_box = QVBoxLayout(holder)
        self.rows_box.setContentsMargins(0, 0, 0, 0)
        self.rows_box.setSpacing(8)
        self.rows_box.addWidget(self.empty)
        self.rows_box.addStretch(1)
        area.setWidget(holder)
        layout.addWidget(area, 1)
        self.rows: dict[int, AlertRow] = {}

        self._incoming.connect(self._apply_event)
        # "已等待 N 分钟" keeps counting while an alert waits.
        self.tick = QTimer(self)
        self.tick.setInterval(30_000)
        self.tick.timeout.connect(self.render)
        self.tick.start()
        self.render()

    @property
    def can_take(self) -> bool:
        return self.role == "counselor"

    # --- feeding it ---------------------------------------------------------------------------------

    def on_event(self, event: Any) -> None:
        """Any thread. ``event``: a ``suqiu_queue.client.Event`` (or a dict with kind/payload/created_at)."""
        kind = event.get("kind") if isinstance(event, Mapping) else getattr(event, "kind", "")
        if str(kind).startswith("crisis."):
            self._incoming.emit(event)

    @Slot(object)
    def _apply_event(self, event: Any) -> None:
        if isinstance(event, Mapping):
            kind, payload, created = event.get("kind", ""), event.get("payload") or {}, event.get("created_at")
        else:
            kind, payload, created = event.kind, event.payload, event.created_at
        if self.role != "counselor" and kind == ALERT:
            return  # supervisors act on escalations only
        if kind == ACKNOWLEDGED and payload.get("alert_id") in self._taking:
            return  # most likely our own: the answer to our request says who took it
        change = self.book.apply(kind, payload, created)
        if change is None:
            return
        alert = self.book.alerts[int(payload["alert_id"])]
        if change == "escalated":
            self._snoozed.discard(alert.id)  # nobody went: it pops up again
        self.render()
        if change in ("new", "escalated"):
            self.alert_arrived.emit(alert)

    def refresh(self) -> None:
        """Load the open alerts (after logging in or reconnecting): none is missed while away."""

        asked_while_open = {a.id for a in self.book.open_alerts()}

        def loaded(rows: list[dict[str, Any]]) -> None:
            before = {a.id for a in self.book.open_alerts()}
            self.book.merge(rows)
            self.book.close_missing(asked_while_open, rows)
            self.error.hide()
            self.render()
            for alert in self.book.open_alerts():
                if alert.id not in before:
                    self.alert_arrived.emit(alert)

        self.runner.run(lambda: self.client.crisis_alerts(only_open=True), loaded, self._failed, owner=self)

    # --- acting -------------------------------------------------------------------------------------

    def acknowledge(self, alert_id: int) -> None:
        """我来接手: the counselor takes the alert; the others' pop-ups close (crisis.acknowledged)."""
        if alert_id in self._taking or not self.can_take:
            return
        self._taking.add(alert_id)
        self.render()

        def done(row: dict[str, Any]) -> None:
            self._taking.discard(alert_id)
            alert = self.book.taken_by_me(row)
            self.error.hide()
            self.render()
            if alert is not None:
                self.alert_taken.emit(alert)

        def failed(error: BaseException) -> None:
            self._taking.discard(alert_id)
            if isinstance(error, ApiError) and error.code == "alert_already_acknowledged":
                self.book.taken_by_someone_else(alert_id, error.details)
                self.error.hide()
            else:
                self._failed(error)
            self.render()

        self.runner.run(lambda: self.client.acknowledge_crisis_alert(alert_id), done, failed, owner=self)

    def _failed(self, error: BaseException) -> None:
        log.warning("crisis alerts: %s", error)
        self.error.setText(getattr(error, "message", "") or "暂时连不上服务器，请稍后再试")
        self.error.show()

    # --- drawing ------------------------------------------------------------------------------------

    def render(self) -> None:
        now = self.clock()
        shown = [a for a in self.book.shown() if self.role == "counselor" or a.escalated_at is not None]
        keep = {a.id for a in shown}
        for alert_id in [i for i in self.rows if i not in keep]:
            row = self.rows.pop(alert_id)
            self.rows_box.removeWidget(row)
            row.deleteLater()
        for index, alert in enumerate(shown):
            row = self.rows.get(alert.id)
            if row is None:
                row = AlertRow(alert.id)
                row.ack_button.clicked.connect(lambda _=False, i=alert.id: self.acknowledge(i))
                row.view_button.clicked.connect(
                    lambda _=False, i=alert.id: self.view_requested.emit(self.book.alerts[i])
                )
                self.rows[alert.id] = row
            if self.rows_box.indexOf(row) != index:
                self.rows_box.removeWidget(row)
                self.rows_box.insertWidget(index, row)
            row.update_from(alert, can_take=self.can_take, taking=alert.id in self._taking, now=now)
        self.empty.setVisible(not shown)
        open_alerts = [a for a in self.book.open_alerts() if self.role == "counselor" or a.escalated_at]
        self.title.setText(f"危机预警（{len(open_alerts)} 条待接手）" if open_alerts else "危机预警")
        self.open_count_changed.emit(len(open_alerts))
        self._render_popup(open_alerts, now)

    def _render_popup(self, open_alerts: list[Alert], now: datetime) -> None:
        if self.popup is None:
            return
        waiting = [a for a in open_alerts if a.id not in self._snoozed]
        if not waiting:
            self.popup.hide()
            return
        current = waiting[0]  # the one waiting longest
        self.popup.show_alert(current, others=len(open_alerts) - 1, now=now, can_take=self.can_take)
        taking = current.id in self._taking
        self.popup.take_button.setEnabled(not taking)
        self.popup.take_button.setText("正在接手……" if taking else "我来接手")

    def snooze(self, alert_id: int) -> None:
        """稍后处理: the pop-up closes for this alert; it stays (red) in the list until someone takes it."""
        self._snoozed.add(alert_id)
        self.render()

    def shutdown(self) -> None:
        self.tick.stop()
        if self.popup is not None:
            self.popup.hide()
