"""心理测评 at the kiosk: pick a scale, choose anonymous or linked, one question per screen, then
kind words and next steps — or, after a crisis answer, a calm screen with the counselor on duty,
the hotline and a priority ticket. See docs/assessment-ui.md for wiring it into the kiosk.

``model`` is Qt-free (the rules); ``widget.AssessmentFlowWidget`` is what the kiosk shows.
"""

from .config import AssessmentConfig
from .model import DEFAULT_SCREENING, AssessmentFlow, Outcome, ScaleInfo, Step
from .widget import AssessmentFlowWidget

__all__ = [
    "DEFAULT_SCREENING",
    "AssessmentConfig",
    "AssessmentFlow",
    "AssessmentFlowWidget",
    "Outcome",
    "ScaleInfo",
    "Step",
]
