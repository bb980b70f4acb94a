"""Colours, fonts and small painted icons shared by the front desk's widgets.

Lanes are always shown by colour *and* text (colour alone fails colour-blind officers and
monochrome screens). The QSS theme in ``suqiu_assets/themes/frontdesk.qss`` styles the rest.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

LANE_COLOURS = {
    "crisis": "#c62828",
    "urgent": "#d9480f",
    "priority": "#6f42c1",
    "normal": "#5c6b7a",
}
LEVEL_COLOURS = {"info": "#33475b", "ok": "#1b7f3b", "warn": "#a15c00", "error": "#c62828"}
FLAG_COLOURS = {"danger": "#c62828", "warning": "#b35c00", "info": "#1f5fbf", "quiet": "#5c6b7a"}
# The counselor's own buttons (心理测评 on a card, 心理测评记录 in the header): quiet teal outline.
COUNSELOR_BUTTON_CSS = (
    "QPushButton { background: white; color: #0f766e; border: 1px solid #0f766e; border-radius: 6px;"
    " font-size: 15px; font-weight: 600; padding: 4px 10px; }"
    "QPushButton:hover { background: #e6f4f2; }"
)

# Fonts that carry Simplified Chinese, best first: Windows, then Linux packages.
CJK_FAMILIES = [
    "Microsoft YaHei UI",
    "Microsoft YaHei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "PingFang SC",
]


def pick_cjk_family() -> str | None:
    available = set(QFontDatabase.families())
    return next((f for f in CJK_FAMILIES if f in available), None)


def apply_app_font(app: QApplication, point_size: int = 12) -> None:
    family = pick_cjk_family()
    font = QFont(family) if family else app.font()
    if not family:
        log.warning("no Chinese font found; install fonts-noto-cjk or fonts-wqy-microhei")
    font.setPointSize(point_size)
    app.setFont(font)


def load_theme(app: QApplication) -> None:
    import suqiu_assets

    try:
        app.setStyleSheet(suqiu_assets.read_text("themes/frontdesk.qss"))
    except (FileNotFoundError, OSError):
        log.warning("front desk theme not found; using Qt's default look")


def scaled_font(base: QFont, factor: float, *, bold: bool | None = None) -> QFont:
    """``base`` made ``factor`` times larger, whether it was sized in points or (by QSS) pixels."""
    font = QFont(base)
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * factor)
    elif font.pixelSize() > 0:
        font.setPixelSize(round(font.pixelSize() * factor))
    if bold is not None:
        font.setBold(bold)
    return font


def badge_icon(text: str, colour: str, size: int = 22) -> QIcon:
    """A round badge with one character in it (实 = identified, ! = print failed)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(1, 1, size - 2, size - 2)
    font = painter.font()
    font.setBold(True)
    font.setPixelSize(int(size * 0.62))
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return QIcon(pixmap)


def chip_css(colour: str, *, filled: bool = True) -> str:
    if filled:
        return f"background:{colour}; color:white; border-radius:6px; padding:2px 8px; font-weight:600;"
    return f"color:{colour}; border:1px solid {colour}; border-radius:6px; padding:1px 7px; font-weight:600;"
