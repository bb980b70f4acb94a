"""Crisis hand-ins that outlive their session.

A crisis answer must reach the counselors even when the person leaves the crisis screen before the
kiosk could hand it in (the network was down, then they took their priority ticket, or the crisis
screen timed out). The widget gives what is still undelivered to its ``AlertCourier``, which keeps
trying every ``interval`` seconds, independent of any session, until the server has it.

Each submission keeps the idempotency key of its session, so a hand-in that did reach the server
before (its answer lost) is not stored twice. The answers stay in memory only — never on disk —
and are dropped as soon as the server took them.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from suqiu_queue.client import ApiError, ServerUnavailable, SuqiuClient

from ..workers import Task, run_in_background
from .model import Submission

log = logging.getLogger(__name__)


class AlertCourier(QObject):
    delivered = Signal(str)  # the scale id, once the server has taken it

    def __init__(self, client: SuqiuClient, *, interval: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.pending: list[Submission] = []
        self._task: Task | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(max(50, round(interval * 1000)))
        self.timer.timeout.connect(self.send)

    def take(self, submissions: list[Submission]) -> None:
        known = {s.idempotency_key for s in self.pending}
        self.pending.extend(s for s in submissions if s.idempotency_key not in known)
        if self.pending:
            self.timer.start()
            self.send()

    def send(self) -> None:
        if not self.pending or (self._task is not None and not self._task.done.is_set()):
            return
        batch = list(self.pending)
        self._task = run_in_background(lambda: self._deliver(batch), on_done=self._done)

    def _deliver(self, batch: list[Submission]) -> list[Submission]:
        """Worker thread: hand in what can be; returns what the server has taken (or refused for good)."""
        finished: list[Submission] = []
        for submission in batch:
            try:
                self.client.submit_assessment(
                    submission.scale,
                    submission.points,
                    employee_no=submission.employee_no,
                    ticket_id=submission.ticket_id,
                    idempotency_key=submission.idempotency_key,
                )
            except ServerUnavailable:
                break  # still away: try again on the next tick, in the same order
            except ApiError as exc:
                # A refusal will not change by retrying (e.g. a scale the site withdrew): say so loudly.
                log.error("the server refused a crisis hand-in (%s): %s", submission.scale, exc.message_en)
            finished.append(submission)
        return finished

    def _done(self, finished: Any) -> None:
        keys = {s.idempotency_key for s in finished}
        self.pending = [s for s in self.pending if s.idempotency_key not in keys]
        for submission in finished:
            self.delivered.emit(submission.scale)
        if not self.pending:
            self.timer.stop()

    def close(self) -> None:
        self.timer.stop()
        if self.pending:
            log.error(
                "%d crisis hand-in(s) could not reach the server before the kiosk closed; "
                "the person was shown the hotline and told to speak to any member of staff",
                len(self.pending),
            )
