"""Render a TicketSlip to the ESC/POS byte stream a thermal ticket printer understands.

The bytes are built here, without python-escpos, so the real drivers and the fake send exactly the
same stream and a test can read it. Chinese text is encoded as GB18030 after switching the printer
into its Chinese character mode (``FS &``): ESC/POS printers sold in China (Xprinter, Gprinter,
HPRT, Epson TM-T82/TM-T88 CN models, ...) carry a GB18030/GBK font and read double-byte text in
that mode. python-escpos's "magic encoding" only uses GB18030 for lines holding a basic-range Hanzi,
never selects Chinese mode, and hunts through single-byte code pages for everything else. See
docs/devices.md for which printers fit and how to switch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ..protocols import TicketSlip

ESC = b"\x1b"
GS = b"\x1d"
FS = b"\x1c"
LF = b"\n"

INITIALIZE = ESC + b"@"
CHINESE_MODE_ON = FS + b"&"  # FS &: select Kanji (here GB18030) character mode
CHINESE_MODE_OFF = FS + b"."  # FS .: cancel it
ALIGN_LEFT = ESC + b"a\x00"
ALIGN_CENTER = ESC + b"a\x01"
BOLD_ON = ESC + b"E\x01"
BOLD_OFF = ESC + b"E\x00"
# GS V 65 n / GS V 66 n ("function B"): feed to the cutter, then cut. Feeding first matters: the
# head sits a few millimetres above the blade, so cutting in place would cut through the last line.
FULL_CUT = GS + b"VA\x00"
PARTIAL_CUT = GS + b"VB\x00"

# Columns of the normal font (12 x 24 dots) across the printable width at 203 dpi.
COLUMNS_BY_PAPER_MM = {58: 32, 80: 48}


def char_size(width: int, height: int) -> bytes:
    """GS ! n: magnify characters 1-8 times in each direction (applies to Hanzi too)."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError("character magnification is 1..8")
    return GS + b"!" + bytes([((width - 1) << 4) | (height - 1)])


def feed_lines(lines: int) -> bytes:
    """ESC d n: print and feed n lines."""
    return ESC + b"d" + bytes([max(0, min(lines, 255))])


def qr_code(data: str, *, module_size: int = 6, error_correction: Literal["L", "M", "Q", "H"] = "M") -> bytes:
    """The GS ( k sequence that stores and prints a QR code (model 2) on the printer itself.

    Printing the symbol natively keeps the job small (a raster image would be ~10 KB) and sharp.
    """
    payload = data.encode("ascii")  # status URLs are ASCII; a non-ASCII URL would be a bug upstream
    if not 1 <= module_size <= 16:
        raise ValueError("QR module size is 1..16 dots")
    if len(payload) > 7089:
        raise ValueError("too much data for one QR code")
    ec_level = {"L": 48, "M": 49, "Q": 50, "H": 51}[error_correction]

    def function(body: bytes) -> bytes:
        size = len(body)
        return GS + b"(k" + bytes([size & 0xFF, size >> 8]) + body

    return (
        function(b"1A2\x00")  # fn 165: model 2
        + function(b"1C" + bytes([module_size]))  # fn 167: module size in dots
        + function(b"1E" + bytes([ec_level]))  # fn 169: error correction level
        + function(b"1P0" + payload)  # fn 180: store the data
        + function(b"1Q0")  # fn 181: print the stored symbol
    )


@dataclass(frozen=True)
class SlipLayout:
    """How a slip is laid out for one printer model. The defaults fit an 80 mm Chinese kiosk printer."""

    paper_width_mm: Literal[58, 80] = 80
    encoding: str = "gb18030"  # "gbk" for older printers whose font has only the 2-byte range
    chinese_mode: bool = True  # send FS & first; off for printers that are always in Chinese mode
    number_scale: int = 4  # the ticket number is printed this many times wider and taller
    qr_module_size: int = 6  # dots per QR module: 6 gives a ~25 mm symbol for a short URL
    cut: Literal["full", "partial", "none"] = "full"

    @property
    def columns(self) -> int:
        return COLUMNS_BY_PAPER_MM[self.paper_width_mm]


def format_issued_at(moment: datetime) -> str:
    """ "2026年11月22日 14:05" — the slip shows the center's local time as given, no conversion."""
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def waiting_lines(people_ahead: int, estimated_wait_minutes: int) -> list[str]:
    """What the person most wants to know, in plain words."""
    if people_ahead <= 0:
        return ["前面没有人在等候", "请留意叫号"]
    minutes = max(1, estimated_wait_minutes)
    return [f"前面还有 {people_ahead} 人", f"预计等候约 {minutes} 分钟"]


def render_slip(slip: TicketSlip, layout: SlipLayout | None = None) -> bytes:
    """The complete print job for one ticket, from reset to cut."""
    layout = layout or SlipLayout()

    def text(line: str) -> bytes:
        # GB18030 covers every Unicode character, so nothing raises; with "gbk" an unknown one becomes "?".
        return line.encode(layout.encoding, errors="replace") + LF

    scale = max(1, min(layout.number_scale, 8))
    job = bytearray(INITIALIZE)
    if layout.chinese_mode:
        job += CHINESE_MODE_ON
    job += ALIGN_CENTER
    job += char_size(2, 2) + BOLD_ON + text(slip.center_name) + char_size(1, 1) + BOLD_OFF
    job += text("-" * layout.columns)
    job += text("您的号码")
    job += char_size(scale, scale) + BOLD_ON + text(slip.number) + char_size(1, 1) + BOLD_OFF
    job += char_size(1, 2) + text(slip.category_name) + char_size(1, 1)
    job += text("")
    job += text(f"取号时间：{format_issued_at(slip.issued_at)}")
    for line in waiting_lines(slip.people_ahead, slip.estimated_wait_minutes):
        job += text(line)
    job += text("")
    job += qr_code(slip.status_url, module_size=layout.qr_module_size) + LF
    job += text("扫码查看排队进度")
    job += text("-" * layout.columns)
    job += text(slip.privacy_line)
    if slip.footer:
        job += text(slip.footer)
    if layout.chinese_mode:
        job += CHINESE_MODE_OFF
    if layout.cut == "full":
        job += FULL_CUT
    elif layout.cut == "partial":
        job += PARTIAL_CUT
    else:
        job += feed_lines(4)  # tear-off printers: bring the last line past the tear bar
    return bytes(job)
