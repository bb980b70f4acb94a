"""心理自测: the self-assessment widget as one kiosk screen.

The widget (``suqiu_kiosk.assessment``) keeps its own rules, pages and idle timer; this screen
starts it for the visit (with how the person was identified, for their own earlier results),
passes on 长辈模式 and the language, and turns its requests for a ticket into the kiosk's own
issue-and-print path (``KioskWindow.assessment_ticket``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..assessment import AssessmentConfig, AssessmentFlowWidget, IdentityProof
from ..assessment.model import Step as AssessmentStep
from ..theme import NORMAL_SCALE
from .base import Screen

if TYPE_CHECKING:
    from ..window import KioskWindow


class AssessmentScreen(Screen):
    step = "assessment"

    def __init__(self, kiosk: KioskWindow, config: AssessmentConfig) -> None:
        super().__init__(kiosk)
        self.outer.setContentsMargins(0, 0, 0, 0)
        self.widget = AssessmentFlowWidget(kiosk.service.client, kiosk.guide.speaker, config)
        self.outer.addWidget(self.widget, 1)
        self._visit_id = 0  # the visit the widget's session belongs to

    @property
    def active(self) -> bool:
        """A session is under way (the widget keeps its own idle time meanwhile)."""
        return self.widget.flow.step != AssessmentStep.ENDED and self._visit_id == self.flow.visit.id

    def enter(self) -> None:
        visit = self.flow.visit
        if self._visit_id != visit.id:
            # A new person. Back here after a ticket could not be issued: same session, same screen.
            self._visit_id = visit.id
            self.widget.set_language(self.language)
            self.widget.start(employee_no=visit.employee_no or None, proof=self._proof())

    def _proof(self) -> IdentityProof | None:
        """How this visit's identification can be shown to the server again, for the person's own
        earlier results: the face match they confirmed ("是"), or the phone number they typed. By 工号
        alone there is none, and the widget asks for the phone's last four digits."""
        visit = self.flow.visit
        if not visit.employee_no:
            return None
        face = self.kiosk.face_screen.recognise if self.kiosk.face_screen is not None else None
        if visit.identified_by == "face" and face is not None and face.match_id is not None and face.token:
            return IdentityProof(match_id=face.match_id, match_token=face.token)
        if visit.phone:
            return IdentityProof(phone_last4=visit.phone[-4:])
        return None

    def end(self) -> None:
        """The visit moved on (its ticket is on screen) or ended: forget the answers. A crisis
        answer not yet handed in is carried on by the widget's courier."""
        self.widget.discard()
        self._visit_id = 0

    def set_busy(self, busy: bool) -> None:
        if self.widget.flow.step == AssessmentStep.RESULT:
            self.widget.care_ticket_busy(busy)

    def show_error(self, message: str) -> None:
        """The ticket asked for from the self-assessment could not be issued."""
        if not message:
            return
        if self.widget.flow.step == AssessmentStep.CRISIS:
            self.widget.crisis_ticket_failed()
        elif self.widget.flow.step == AssessmentStep.RESULT:
            self.widget.care_ticket_failed(message)

    def retranslate(self) -> None:
        self.widget.set_language(self.language)

    def rescale(self, scale: float) -> None:
        self.widget.set_elderly(scale > NORMAL_SCALE)

    def relayout(self, portrait: bool) -> None:
        self.widget.relayout(portrait)

    def wipe(self) -> None:
        self.end()

    def shutdown(self) -> None:
        self.widget.shutdown()
