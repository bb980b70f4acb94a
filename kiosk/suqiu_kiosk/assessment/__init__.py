"""心理测评 at the kiosk: pick a scale, choose anonymous or linked, one question per screen, then
kind words and next steps — or, after a crisis answer, a calm screen with the counselor on duty,
the hotline and a priority ticket. See docs/assessment-ui.md for wiring it into the kiosk.

``model`` and ``config`` are Qt-free (the rules, the settings); ``widget.AssessmentFlowWidget``
is what the kiosk shows. The widget is imported on first use, so reading the kiosk's settings
(``suqiu kiosk --help``, config checks) does not load Qt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import AssessmentConfig
from .model import DEFAULT_SCREENING, AssessmentFlow, IdentityProof, Outcome, ScaleInfo, Step

if TYPE_CHECKING:
    from .widget import AssessmentFlowWidget

__all__ = [
    "DEFAULT_SCREENING",
    "AssessmentConfig",
    "AssessmentFlow",
    "AssessmentFlowWidget",
    "IdentityProof",
    "Outcome",
    "ScaleInfo",
    "Step",
]


def __getattr__(name: str) -> Any:
    if name == "AssessmentFlowWidget":
        from .widget import AssessmentFlowWidget

        return AssessmentFlowWidget
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
