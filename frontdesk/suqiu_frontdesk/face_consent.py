"""撤回人脸授权 at the front desk: the face-recognition state of the people on the cards, and the
officer's withdrawal when the person asks for it in person. Free of Qt (the widgets are in
``face_consent_view.py``).

PIPL: consent to face recognition may be withdrawn at the kiosk or at the front desk, and the
templates go at once. Policy stays in the server: the state shown is what ``face_status``
answers, a refusal (401/403) hides the row and its button, and the withdrawal itself is the
server's (it deletes the templates and writes the audit row naming the officer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from suqiu_queue.client import ApiError, Event, SuqiuClient

from .models import FrontDeskModel, Signal

if TYPE_CHECKING:  # the controller builds this object; a run-time import would go round in a circle
    from .controller import Runner

log = logging.getLogger(__name__)

STATE_LABELS = {"enrolled": "已登记人脸", "pending": "待确认", "none": "未登记"}
REFUSED = (401, 403, 404)  # not this officer's to see (or nobody by that 工号): no row at all


@dataclass(frozen=True)
class FaceState:
    """One person's face-recognition state as the server answered it."""

    employee_no: str
    kind: str  # enrolled | pending | none | hidden (the server would not say)
    templates: int = 0
    withdrawing: bool = False

    @classmethod
    def from_status(cls, employee_no: str, data: dict[str, Any]) -> FaceState:
        consent = data.get("consent") or None
        templates = int(data.get("templates") or 0)
        if data.get("pending_enrolment"):
            kind = "pending"
        elif consent is not None or templates:
            kind = "enrolled"
        else:
            kind = "none"
        return cls(employee_no, kind, templates)

    @property
    def visible(self) -> bool:
        return self.kind in STATE_LABELS

    @property
    def label(self) -> str:
        return STATE_LABELS.get(self.kind, "")

    @property
    def can_withdraw(self) -> bool:
        """A live consent (active or waiting for an officer) can be withdrawn; "未登记" has nothing to end."""
        return self.kind in ("enrolled", "pending")


class FaceStates:
    """The states of the people on the cards, by 工号; ``changed`` names whose state moved."""

    def __init__(self) -> None:
        self._states: dict[str, FaceState] = {}
        self.changed: Signal[str] = Signal()

    def get(self, employee_no: str) -> FaceState | None:
        return self._states.get(employee_no)

    def set(self, state: FaceState) -> None:
        if self._states.get(state.employee_no) != state:
            self._states[state.employee_no] = state
            self.changed.emit(state.employee_no)


class FaceConsents:
    """Loads the states for the cards and withdraws consent on the officer's confirmation."""

    def __init__(
        self,
        model: FrontDeskModel,
        client: SuqiuClient,
        runner: Runner,
        *,
        describe: Callable[[BaseException], str],
    ) -> None:
        self.model = model
        self.client = client
        self.runner = runner
        self.describe = describe  # the controller's error_text: the server's own words
        self.states = FaceStates()
        self._asked: dict[str, int] = {}  # per person: only the latest question's answer counts

    def _ask(self, employee_no: str) -> int:
        self._asked[employee_no] = self._asked.get(employee_no, 0) + 1
        return self._asked[employee_no]

    def load(self, employee_no: str) -> None:
        if not employee_no:
            return
        asked = self._ask(employee_no)

        def current() -> bool:
            now = self.states.get(employee_no)
            # An older answer, or one during a withdrawal (whose answer decides and then asks again).
            return self._asked.get(employee_no) == asked and not (now is not None and now.withdrawing)

        def loaded(data: dict[str, Any]) -> None:
            if current():
                self.states.set(FaceState.from_status(employee_no, data))

        def failed(exc: BaseException) -> None:
            if not current():
                return
            if isinstance(exc, ApiError) and exc.status in REFUSED:
                self.states.set(FaceState(employee_no, "hidden"))
            else:  # a passing failure: keep what is shown; the next card load asks again
                log.info("face status of %s not loaded: %s", employee_no, exc)

        self.runner.run(lambda: self.client.face_status(employee_no), loaded, failed)

    def refresh_shown(self) -> None:
        """Ask again for everyone on a card (face events carry ids only, never whose)."""
        shown = {str((c.employee or {}).get("employee_no") or "") for c in self.model.cards}
        for employee_no in sorted(shown - {""}):
            self.load(employee_no)

    def on_event(self, event: Event) -> None:
        # face.enrol_pending already reloads every card, and each card load asks for its state.
        if event.kind.startswith("face.") and event.kind != "face.enrol_pending":
            self.refresh_shown()

    def withdraw(self, employee_no: str, name: str) -> bool:
        """The person asked in person and the officer confirmed: end the consent, delete the templates."""
        before = self.states.get(employee_no)
        if before is not None and before.withdrawing:
            return False  # already on its way: one request, however often it is pressed
        if before is None or not before.can_withdraw:
            self.model.say(f"{name} 目前没有可撤回的人脸授权", "warn")
            return False
        self._ask(employee_no)  # whatever was asked before the withdrawal is out of date
        self.states.set(replace(before, withdrawing=True))
        self.model.say(f"正在撤回 {name} 的人脸授权…", "info")

        def done(reply: dict[str, Any]) -> None:
            # The server has deleted the templates: say so now, then confirm the state from it.
            self.states.set(FaceState(employee_no, "none"))
            self.model.say(f"已撤回 {name} 的人脸授权，人脸模板已删除。下次来访请用工号识别", "ok")
            self.load(employee_no)

        def failed(exc: BaseException) -> None:
            self.states.set(before)  # nothing changed on the server, so nothing changes on screen
            self.model.say(f"人脸授权没有撤回：{self.failure_words(exc, name)}", "error")

        self.runner.run(lambda: self.client.face_withdraw_for(employee_no), done, failed)
        return True

    def failure_words(self, exc: BaseException, name: str) -> str:
        if isinstance(exc, ApiError) and exc.code == "no_face_consent":
            # The server's sentence speaks to the employee at a kiosk; the officer needs this one.
            return f"{name} 目前没有人脸授权，无需撤回（可能已在自助机或其他窗口撤回）"
        return self.describe(exc)
