"""The printer faults a kiosk can meet, with the calm sentence the person at the kiosk reads.

Real drivers and the fake raise the same errors, so the kiosk is tested against what it will see.
"""

from __future__ import annotations

from ..errors import DeviceError

# reason code -> (Chinese for the screen, English for the log)
PRINTER_FAULTS: dict[str, tuple[str, str]] = {
    "no_paper": ("打印机缺纸，请联系工作人员", "printer is out of paper"),
    "offline": ("打印机未连接，请联系工作人员", "printer is offline or not connected"),
    "cover_open": ("打印机仓盖未关好，请联系工作人员", "printer cover is open"),
}


def printer_error(reason: str, detail: str = "") -> DeviceError:
    """The DeviceError for a printer fault; unknown reasons still read calmly."""
    message, message_en = PRINTER_FAULTS.get(
        reason, ("打印机暂时无法使用，请联系工作人员", f"printer error ({reason})")
    )
    if detail:
        message_en = f"{message_en}: {detail}"
    return DeviceError(message_en, message, reason=reason)
