"""The small LED strip above a counter: ``fake``, ``serial`` (pyserial) and ``tcp`` drivers.

    build("counter_display", "serial", port="/dev/ttyUSB0", baudrate=9600, address=3)
    build("counter_display", "tcp", host="192.168.1.60", port=5000, address=3)
    display.show("A012 请到3号窗口")

The wire format is in ``protocol.py`` and docs/devices.md.
"""

from __future__ import annotations

from typing import Any

from ..registry import register
from .protocol import Command, decode_frame, display_frame, encode_frame

__all__ = ["Command", "decode_frame", "display_frame", "encode_frame"]


@register("counter_display", "fake")
def _fake(**options: Any) -> Any:
    from .fake import FakeCounterDisplay

    return FakeCounterDisplay(**options)


@register("counter_display", "serial")
def _serial(**options: Any) -> Any:
    from .serial_tcp import serial_display

    return serial_display(**options)


@register("counter_display", "tcp")
def _tcp(**options: Any) -> Any:
    from .serial_tcp import tcp_display

    return tcp_display(**options)
