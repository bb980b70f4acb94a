"""Camera frames analysed off the UI thread, one at a time, always the newest.

``FaceAnalyser`` runs ``engine.analyse`` on a single worker thread of its own (so HTTP calls on
the shared pool never wait behind it), takes the newest frame each time it is free, and hands
each result to the UI thread as ``analysed(AnalysedFrame)``. A camera that stops delivering for
``stall_seconds`` raises ``camera_lost`` once: the screen then offers the 工号 instead.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from suqiu_devices.protocols import FaceAnalysis

from ..workers import Task, run_in_background, serial_pool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnalysedFrame:
    image: Any  # the BGR frame that was analysed (for the preview)
    analysis: FaceAnalysis


class FaceAnalyser(QObject):
    analysed = Signal(object)  # AnalysedFrame
    camera_lost = Signal()

    def __init__(self, camera: Any, engine: Any, *, stall_seconds: float = 5.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.camera = camera
        self.engine = engine
        self.stall_seconds = stall_seconds
        self._pool = serial_pool()
        self._running = False
        self._task: Task | None = None
        self._last_seq = 0
        self._last_image: Any = None
        self._last_frame_at = 0.0
        self._lost_reported = False

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        if self._running:
            return
        self._running = True
        self._last_frame_at = time.monotonic()
        self._lost_reported = False
        self._next()

    def stop(self, wait_ms: int = 0) -> None:
        self._running = False
        if self._task is not None:
            self._task.discard()
            self._task = None
        if wait_ms:
            self._pool.waitForDone(wait_ms)

    # -- the loop: one job in flight; each job waits for a new frame, then analyses it ---------------

    def _next(self) -> None:
        if self._running:
            self._task = run_in_background(self._work, on_done=self._done, on_error=self._failed, pool=self._pool)

    def _work(self) -> AnalysedFrame | None:  # worker thread
        image = self._wait_for_frame()
        if image is None:
            return None
        return AnalysedFrame(image, self.engine.analyse(image))

    def _wait_for_frame(self) -> Any:
        wait_frame = getattr(self.camera, "wait_frame", None)
        if wait_frame is not None:
            frame = wait_frame(self._last_seq, timeout=0.5)
            if frame is None:
                return None
            self._last_seq = frame.seq
            return frame.image
        image = self.camera.read()
        if image is None or image is self._last_image:
            time.sleep(0.05)
            return None
        self._last_image = image
        return image

    def _done(self, result: AnalysedFrame | None) -> None:  # UI thread
        if result is not None:
            self._last_frame_at = time.monotonic()
            self.analysed.emit(result)
        elif time.monotonic() - self._last_frame_at > self.stall_seconds and not self._lost_reported:
            self._lost_reported = True
            log.warning("no camera frame for %.0f s", self.stall_seconds)
            self.camera_lost.emit()
        self._next()

    def _failed(self, error: BaseException) -> None:  # UI thread
        log.error("face analysis failed", exc_info=error)
        self._next()
