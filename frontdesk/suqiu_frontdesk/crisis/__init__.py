"""For counselors: crisis alerts that pop up (``CrisisAlertPanel``, fed by ``on_event``) and the
``CounselorView`` with a person's results over time and the items answered. See
docs/assessment-ui.md for wiring them into the front desk."""

from .alerts import Alert, AlertBook, CrisisAlertPanel, CrisisAlertPopup
from .chart import ChartPoint, TrendChart
from .counselor_view import CounselorView

__all__ = [
    "Alert",
    "AlertBook",
    "ChartPoint",
    "CounselorView",
    "CrisisAlertPanel",
    "CrisisAlertPopup",
    "TrendChart",
]
