"""The event-stream thread: reads the server's events and hands each one to the UI thread.

The client's ``EventStream`` already reconnects and resumes with ``Last-Event-ID``; this wraps
it in a thread and turns what it sees into Qt signals (queued to the UI thread because the
receiving slots belong to objects living there).
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from suqiu_queue.client import ApiError, Event, EventStream, SuqiuClient

log = logging.getLogger(__name__)

# What the front desk listens to: the queue, counters, cases, crisis alerts, voice messages and face
# enrolments of its center.
KINDS = ["ticket", "counter", "case", "crisis", "voice_message", "face", "stream"]


class EventPump(QObject):
    """Public signals are emitted on the UI thread, so any Python callable may listen."""

    received = Signal(object)  # suqiu_queue.client.Event
    # ``object``, not ``bool``: PySide6 6.12 on Python 3.11 can over-release the True/False
    # singletons passed through bool-typed signals (a fatal "bool_dealloc" at exit).
    connection_changed = Signal(object)
    failed = Signal(object)  # an ApiError the stream cannot recover from (401/403)
    # Emitted on the reader thread; queued to our own slots on the UI thread.
    _incoming = Signal(object)
    _broken = Signal(object)

    def __init__(self, client: SuqiuClient, center: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # A client of its own: the stream holds its connection open for hours.
        self.client = SuqiuClient(client.base_url, token=client.token, device_key=client.device_key)
        self.center = center
        self.stream: EventStream | None = None
        self._thread: threading.Thread | None = None
        self._connected = False
        # The stream sets a threading.Event when connected; look at it twice a second.
        self._watch = QTimer(self)
        self._watch.setInterval(500)
        self._watch.timeout.connect(self._check_connection)
        self._incoming.connect(self._deliver)
        self._broken.connect(self._fail)

    def start(self, last_event_id: int | None = None) -> None:
        if self._thread is not None:
            return
        self.stream = self.client.events(center=self.center, last_event_id=last_event_id)
        self._thread = threading.Thread(target=self._read, name="frontdesk-events", daemon=True)
        self._thread.start()
        self._watch.start()

    def _read(self) -> None:
        assert self.stream is not None
        try:
            for event in self.stream:
                if _wanted(event):
                    self._incoming.emit(event)
        except ApiError as exc:
            self._broken.emit(exc)
        except Exception:  # keep the thread's death visible in the log, never silent
            log.exception("event stream stopped")

    @Slot(object)
    def _deliver(self, event: object) -> None:
        self.received.emit(event)

    @Slot(object)
    def _fail(self, error: object) -> None:
        self._check_connection()
        self.failed.emit(error)

    @Slot()
    def _check_connection(self) -> None:
        connected = bool(self.stream and self.stream.connected.is_set())
        if connected != self._connected:
            self._connected = connected
            self.connection_changed.emit(connected)

    @property
    def last_event_id(self) -> int | None:
        return self.stream.last_event_id if self.stream else None

    def stop(self, timeout: float = 3.0) -> None:
        self._watch.stop()
        if self.stream is not None:
            self.stream.stop()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.client.close()


def _wanted(event: Event) -> bool:
    return event.kind.split(".", 1)[0] in KINDS
