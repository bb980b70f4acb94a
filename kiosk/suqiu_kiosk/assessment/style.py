"""The look of the self-assessment, scoped to its own widget so it reads the same inside the kiosk
window and on its own. Pixel sizes grow with 长辈模式 like the kiosk theme does.

Contrast: body text #14181F on #F3F5F8 (about 16:1), answer text #0B2540 on white (about 15:1),
selected answer white on #0B5CAD (about 6.9:1). The crisis screen is deliberately quiet: soft
teal, no red, nothing flashing.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QGuiApplication

NORMAL_SCALE = 1.0
ELDERLY_SCALE = 1.35
MIN_TOUCH_MM = 15.0
MIN_ASSUMED_DPI = 102.0  # a 21.5" 1080p touchscreen; offscreen Qt reports 96
ANSWER_HEIGHT_PX = 112  # at scale 1.0; well above 15 mm on any kiosk screen
LANDSCAPE_ANSWER_HEIGHT_PX = 88  # a landscape screen is 1080 px high: five answers beside the question

# The answer buttons' colours (text, background), normal and chosen; tests check their contrast.
ANSWER_COLOURS = ("#0B2540", "#FFFFFF")
CHOSEN_COLOURS = ("#FFFFFF", "#0B5CAD")

_PX = re.compile(r"(\d+(?:\.\d+)?)px")

_TEMPLATE = """
QWidget#AssessmentFlow, QWidget#AssessmentFlow QStackedWidget, QWidget[assessmentPage="true"] {
    background: #F3F5F8; color: #14181F;
    font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
    font-size: 26px;
}
QWidget#AssessmentFlow QScrollArea { border: none; background: transparent; }
QWidget#AssessmentFlow QScrollArea > QWidget > QWidget { background: transparent; }
QWidget#AssessmentFlow QLabel { background: transparent; }
QLabel[role="a-title"] { font-size: 48px; font-weight: bold; color: #0B2540; }
QLabel[role="a-hint"] { font-size: 27px; color: #3D4654; }
QLabel[role="a-small"] { font-size: 23px; color: #4A5260; }
QLabel[role="a-progress"] { font-size: 28px; font-weight: bold; color: #0B3D6E; }
QLabel[role="a-scale"] { font-size: 26px; color: #0B5CAD; font-weight: bold; }
QLabel[role="a-instructions"] { font-size: 25px; color: #3D4654; }
QLabel[role="a-question"] { font-size: 44px; font-weight: bold; color: #0B2540; }
QLabel[role="a-error"] {
    font-size: 28px; color: #7A1F00; background: #FFF1E6; border: 2px solid #F0A070;
    border-radius: 14px; padding: 14px 20px;
}
QLabel[role="a-notice"] {
    font-size: 25px; color: #0B3D6E; background: #E7F0FB; border-radius: 14px; padding: 16px 22px;
}
QLabel[role="a-privacy"] {
    font-size: 30px; font-weight: bold; color: #3D2E00; background: #FFF4D6; border: 2px solid #E8C46A;
    border-radius: 14px; padding: 18px 22px;
}
QLabel[role="a-digits"] {
    font-size: 52px; font-weight: bold; color: #0B2540; background: #FFFFFF; border: 3px solid #7F97B5;
    border-radius: 16px; padding: 10px 20px;
}
QProgressBar {
    border: none; border-radius: 9px; background: #D9E1EB; min-height: 18px; max-height: 18px;
}
QProgressBar::chunk { border-radius: 9px; background: #0B5CAD; }

QWidget#AssessmentFlow QPushButton {
    font-size: 30px; border-radius: 18px; padding: 14px 28px; min-height: 76px;
    background: #FFFFFF; color: #0B3D6E; border: 3px solid #0B5CAD;
}
QWidget#AssessmentFlow QPushButton:pressed { background: #DCE8F6; }
QWidget#AssessmentFlow QPushButton:disabled { color: #6B7686; border-color: #B9C2CE; background: #EEF1F5; }
QWidget#AssessmentFlow QPushButton[role="primary"] { background: #0B5CAD; color: #FFFFFF; border: none; font-weight: bold; }
QWidget#AssessmentFlow QPushButton[role="primary"]:pressed { background: #084A8C; }
QWidget#AssessmentFlow QPushButton[role="quiet"] { background: transparent; border: 3px solid #9AA6B6; color: #2B3440; }
QWidget#AssessmentFlow QPushButton[role="key"] { font-size: 40px; font-weight: bold; min-height: 88px; }
QWidget#AssessmentFlow QPushButton[role="answer"] {
    font-size: 36px; text-align: left; padding: 16px 36px; min-height: 60px; /* the page sets the height */
    background: @ANSWER_BG@; color: @ANSWER_TEXT@; border: 3px solid #7F97B5; border-radius: 20px;
}
QWidget#AssessmentFlow QPushButton[role="answer"]:checked {
    background: @CHOSEN_BG@; color: @CHOSEN_TEXT@; border-color: @CHOSEN_BG@; font-weight: bold;
}
QWidget#AssessmentFlow QPushButton[role="answer"]:pressed { background: #CFE0F4; }

QFrame#ChoiceCard { background: #FFFFFF; border: 3px solid #0B5CAD; border-radius: 22px; }
QFrame#ChoiceCard[down="true"] { background: #CFE0F4; }
QFrame#ChoiceCard[featured="true"] { background: #0B5CAD; border-color: #0B5CAD; }
QFrame#ChoiceCard[featured="true"][down="true"] { background: #084A8C; }
QFrame#ChoiceCard[featured="true"] QLabel { color: #FFFFFF; }
QFrame#ChoiceCard[featured="true"] QLabel[role="card-title"] { font-size: 38px; }
QFrame#ChoiceCard[dim="true"] { background: #EEF1F5; border-color: #B9C2CE; }
QFrame#ChoiceCard[dim="true"] QLabel { color: #4A5260; }

QFrame[role="a-card"] { background: #FFFFFF; border: 2px solid #D5DCE6; border-radius: 22px; }
QLabel[role="card-title"] { font-size: 32px; font-weight: bold; color: #0B2540; }
QLabel[role="card-band"] { font-size: 34px; font-weight: bold; color: #0B5CAD; }
QLabel[role="card-body"] { font-size: 27px; color: #23303F; }
QLabel[role="card-date"] { font-size: 28px; font-weight: bold; color: #23303F; }
QLabel[role="card-step"] { font-size: 26px; color: #23303F; }

QWidget[assessmentPage="true"][calm="true"] { background: #EAF4F1; }
QFrame[role="calm-card"] { background: #FFFFFF; border: 2px solid #BFDCD3; border-radius: 24px; }
QLabel[role="calm-title"] { font-size: 50px; font-weight: bold; color: #0E3B3A; }
QLabel[role="calm-body"] { font-size: 32px; color: #16302F; }
QLabel[role="calm-label"] { font-size: 26px; color: #2F5552; }
QLabel[role="calm-name"] { font-size: 38px; font-weight: bold; color: #0E3B3A; }
QLabel[role="hotline"] { font-size: 96px; font-weight: bold; color: #0B4F6C; }
QLabel[role="calm-number"] { font-size: 40px; font-weight: bold; color: #0B4F6C; }
QWidget#AssessmentFlow QPushButton[role="calm"] {
    background: #1F6F66; color: #FFFFFF; border: none; font-weight: bold; min-height: 96px; font-size: 34px;
}
QWidget#AssessmentFlow QPushButton[role="calm"]:pressed { background: #185950; }
QWidget#AssessmentFlow QPushButton[role="calm"]:disabled { background: #9BBFB9; color: #F3F5F8; }
"""


def stylesheet(scale: float = NORMAL_SCALE) -> str:
    text = (
        _TEMPLATE.replace("@ANSWER_TEXT@", ANSWER_COLOURS[0])
        .replace("@ANSWER_BG@", ANSWER_COLOURS[1])
        .replace("@CHOSEN_TEXT@", CHOSEN_COLOURS[0])
        .replace("@CHOSEN_BG@", CHOSEN_COLOURS[1])
    )
    return _PX.sub(lambda m: f"{round(float(m.group(1)) * scale)}px", text)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two ``#RRGGBB`` colours (1 … 21)."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def screen_dpi() -> float:
    screen = QGuiApplication.primaryScreen()
    dpi = screen.physicalDotsPerInch() if screen is not None else 0.0
    return max(dpi, MIN_ASSUMED_DPI)


def mm_to_px(mm: float, dpi: float | None = None) -> int:
    return round(mm / 25.4 * (dpi or screen_dpi()))


def min_touch_px() -> int:
    """15 mm on the kiosk's screen: the smallest a button someone taps may be."""
    return mm_to_px(MIN_TOUCH_MM)
