"""Run a blocking call on a worker thread and bring its result or error back to the UI thread.

The one helper every screen uses for HTTP, printing and lookups (the idea of Anki's
``aqt.operations``, without a global main window)::

    run_in_background(lambda: client.identify(phone=p), on_done=self.show_identity, on_error=self.show_error)

``on_done``/``on_error`` always run on the UI thread. A ``Task`` can be ``discard``-ed: its callbacks
are then skipped (the person left the screen, or the kiosk was wiped after an idle minute).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Lives on the UI thread; signals emitted from a worker arrive there as queued calls."""

    finished = Signal(object, object)  # (result, error)


class Task(QRunnable):
    def __init__(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
    ) -> None:
        super().__init__()
        self.setAutoDelete(False)  # Python owns it; _running keeps it alive until the callback ran
        self.fn = fn
        self.on_done = on_done
        self.on_error = on_error
        self.discarded = False
        self.done = threading.Event()
        self.relay = _Relay()
        self.relay.finished.connect(self._deliver)

    def discard(self) -> None:
        self.discarded = True

    def run(self) -> None:  # worker thread
        try:
            result = self.fn()
        except BaseException as exc:
            self.relay.finished.emit(None, exc)
        else:
            self.relay.finished.emit(result, None)

    @Slot(object, object)
    def _deliver(self, result: Any, error: BaseException | None) -> None:  # UI thread
        try:
            if self.discarded:
                return
            if error is not None:
                if self.on_error is not None:
                    self.on_error(error)
                else:
                    log.error("background task failed", exc_info=error)
            elif self.on_done is not None:
                self.on_done(result)
        finally:
            self.done.set()
            _running.discard(self)


_running: set[Task] = set()


def run_in_background(
    fn: Callable[[], Any],
    *,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    pool: QThreadPool | None = None,
) -> Task:
    task = Task(fn, on_done, on_error)
    _running.add(task)
    (pool or QThreadPool.globalInstance()).start(task)
    return task


def serial_pool() -> QThreadPool:
    """A pool with one thread: jobs for one device (the printer) run one after another, in order."""
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    return pool
