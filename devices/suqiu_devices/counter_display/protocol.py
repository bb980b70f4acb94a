"""The frame format spoken to the LED strip above a counter (over RS-485/RS-232 or TCP).

    STX | address | command | payload | ETX | checksum
    0x02  2 ASCII    1 ASCII   bytes    0x03  2 ASCII hex digits (uppercase)
          digits     D/C/B

- address "00".."99": one strip on a shared RS-485 bus; "00" is broadcast (every strip).
- D (display): payload is the text in GB18030 (GB2312 for the common characters, which is
  what Chinese LED controllers store); C (clear): empty; B (brightness): two ASCII digits 00..15.
- checksum: XOR of every byte between STX and ETX (address, command and payload), written as two
  uppercase hex digits, so the whole frame stays printable apart from STX/ETX.

No escaping is needed: GB18030 multi-byte sequences use only bytes >= 0x30, and control
characters are removed from the text, so 0x02/0x03 never occur inside a frame. This mirrors the
framing of common Chinese LED controller protocols; docs/devices.md has an example in hex.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

STX = 0x02
ETX = 0x03
ACK = 0x06
NAK = 0x15
BROADCAST = 0
MAX_BRIGHTNESS = 15


class Command(StrEnum):
    DISPLAY = "D"
    CLEAR = "C"
    BRIGHTNESS = "B"


class FrameError(ValueError):
    pass


def checksum(body: bytes) -> bytes:
    value = 0
    for byte in body:
        value ^= byte
    return f"{value:02X}".encode("ascii")


def clean_text(text: str) -> str:
    """One line of printable text: control characters (newlines too) become spaces, ends trimmed."""
    return "".join(" " if ord(char) < 0x20 or ord(char) == 0x7F else char for char in text).strip()


def encode_frame(address: int, command: Command, payload: bytes = b"") -> bytes:
    if not 0 <= address <= 99:
        raise ValueError("address is 0..99")
    if STX in payload or ETX in payload:
        raise FrameError("payload must not contain STX/ETX")
    body = f"{address:02d}".encode("ascii") + command.value.encode("ascii") + payload
    return bytes([STX]) + body + bytes([ETX]) + checksum(body)


def display_frame(address: int, text: str, *, encoding: str = "gb18030") -> bytes:
    return encode_frame(address, Command.DISPLAY, clean_text(text).encode(encoding, errors="replace"))


def clear_frame(address: int) -> bytes:
    return encode_frame(address, Command.CLEAR)


def brightness_frame(address: int, level: int) -> bytes:
    if not 0 <= level <= MAX_BRIGHTNESS:
        raise ValueError(f"brightness is 0..{MAX_BRIGHTNESS}")
    return encode_frame(address, Command.BRIGHTNESS, f"{level:02d}".encode("ascii"))


@dataclass(frozen=True)
class Frame:
    address: int
    command: Command
    payload: bytes

    def text(self, encoding: str = "gb18030") -> str:
        return self.payload.decode(encoding)


def decode_frame(frame: bytes) -> Frame:
    """Parse one complete frame (what a controller does); raises FrameError on any damage."""
    if len(frame) < 6 or frame[0] != STX or frame[-3] != ETX:
        raise FrameError("not a frame")
    body, received = frame[1:-3], frame[-2:]
    if checksum(body) != received:
        raise FrameError(f"checksum {received!r} != {checksum(body)!r}")
    try:
        address = int(body[:2].decode("ascii"))
        command = Command(body[2:3].decode("ascii"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise FrameError("bad address or command") from exc
    return Frame(address, command, body[3:])


def split_frames(stream: bytes) -> tuple[list[bytes], bytes]:
    """Cut a byte stream into complete frames; returns (frames, unfinished rest)."""
    frames = []
    while True:
        start = stream.find(bytes([STX]))
        if start < 0:
            return frames, b""
        end = stream.find(bytes([ETX]), start)
        if end < 0 or len(stream) < end + 3:
            return frames, stream[start:]
        frames.append(stream[start : end + 3])
        stream = stream[end + 3 :]
