"""Run blocking work (HTTP) off the UI thread and bring results and errors back onto it.

Anki's ``QueryOp`` idea without a global main window: one ``Runner`` per window, handed to
whoever needs it. Results are delivered through a Qt signal, so callbacks always run on the
thread that owns the runner (the UI thread) — never on the worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Delivery(QObject):
    """Lives on the UI thread; its signal, emitted from a worker, is queued back to its own slot.

    The receiver must be a QObject's slot: a plain Python callable as receiver could run on the
    emitting (worker) thread.
    """

    finished = Signal(object, object)  # (result, error)

    def __init__(self, parent: QObject, callback: Callable[[object, object], None]) -> None:
        super().__init__(parent)
        self.callback = callback
        self.finished.connect(self.deliver)

    @Slot(object, object)
    def deliver(self, result: object, error: object) -> None:
        self.callback(result, error)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], delivery: _Delivery) -> None:
        super().__init__()
        self.fn = fn
        self.delivery = delivery
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # delivered to the UI thread, never lost in a worker
            self.delivery.finished.emit(None, exc)
        else:
            self.delivery.finished.emit(result, None)


class Runner(QObject):
    """``run(fn, on_done, on_error)``: fn on a worker; the callbacks on the UI thread."""

    _soon = Signal(object)

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 4) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._pending: set[_Delivery] = set()
        self._closed = False
        self._soon.connect(self._run_soon)

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        owner: QObject | None = None,
    ) -> None:
        """``owner``: the widget the callbacks draw on; if it is gone by then, they are dropped."""

        def finished(result: object, error: object) -> None:
            self._pending.discard(delivery)
            delivery.deleteLater()
            if self._closed or (owner is not None and not shiboken6.isValid(owner)):
                return  # the window was closed while the request was out
            if isinstance(error, BaseException):
                if on_error is not None:
                    on_error(error)
                else:
                    log.error("background task failed", exc_info=error)
            elif on_done is not None:
                on_done(result)

        delivery = _Delivery(self, finished)
        self._pending.add(delivery)
        self.pool.start(_Job(fn, delivery))

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the UI thread; safe to call from any thread."""
        self._soon.emit(fn)

    @Slot(object)
    def _run_soon(self, fn: object) -> None:
        if callable(fn) and not self._closed:
            fn()

    def close(self, msecs: int = 5000) -> None:
        """From now on results are dropped (the widgets are going away); wait for the workers."""
        self._closed = True
        self.pool.waitForDone(msecs)

    @property
    def active(self) -> int:
        return len(self._pending)

    def wait(self, msecs: int = 5000) -> bool:
        """Wait for the workers (on shutdown and in tests); callbacks still need the event loop."""
        return self.pool.waitForDone(msecs)
