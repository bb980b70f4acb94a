"""A counter LED strip in memory: keeps the exact frames a controller would receive and the text shown."""

from __future__ import annotations

from .protocol import Command, brightness_frame, clean_text, clear_frame, decode_frame, display_frame
from .serial_tcp import display_error


class FakeCounterDisplay:
    def __init__(self, *, address: int = 1, encoding: str = "gb18030", fault: str | None = None) -> None:
        """fault: "offline" or "timeout" makes every call fail like an unplugged strip (``set_fault``)."""
        self.address = address
        self.encoding = encoding
        self.frames: list[bytes] = []
        self.text = ""
        self.brightness = 15
        self.fault = fault

    def set_fault(self, reason: str | None) -> None:
        self.fault = reason

    def _receive(self, frame: bytes) -> None:
        if self.fault is not None:
            raise display_error(self.fault, "fake counter display")
        decoded = decode_frame(frame)  # what the controller does with it
        self.frames.append(frame)
        if decoded.command is Command.DISPLAY:
            self.text = decoded.text(self.encoding)
        elif decoded.command is Command.CLEAR:
            self.text = ""
        elif decoded.command is Command.BRIGHTNESS:
            self.brightness = int(decoded.payload)

    def show(self, text: str) -> None:
        self._receive(display_frame(self.address, clean_text(text), encoding=self.encoding))

    def clear(self) -> None:
        self._receive(clear_frame(self.address))

    def set_brightness(self, level: int) -> None:
        self._receive(brightness_frame(self.address, level))

    def close(self) -> None:
        pass
