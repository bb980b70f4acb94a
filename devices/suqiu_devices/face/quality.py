"""Quality gates: is this frame good enough to make or match a template, and if not, what to say.

The measurements come from the engine (``engine.py``: size, pose, sharpness, brightness of the
aligned face); the decision and the words live here, so the rules read in one place and can be
tested without a model. Hints are short, kind, and say what to *do* (靠近一点), not what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

# code -> (Chinese for the screen, English)
HINTS: dict[str, tuple[str, str]] = {
    "ok": ("很好，请保持", "Good, hold still"),
    "no_face": ("请看向屏幕", "Please look at the screen"),
    "several_faces": ("一次只能识别一个人，请其他人稍等", "One person at a time, please"),
    "too_small": ("靠近一点", "Come a little closer"),
    "too_dark": ("光线太暗", "It is too dark here"),
    "turn_to_screen": ("请正对屏幕", "Please face the screen"),
    "blurry": ("请保持不动", "Please hold still"),
}


def hint_text(code: str, language: str = "zh") -> str:
    zh, en = HINTS.get(code, HINTS["no_face"])
    return en if language == "en" else zh


@dataclass(frozen=True)
class QualityGates:
    """Thresholds, calibrated on ``shared/fixtures/faces`` scaled to a 640-pixel camera frame.

    There, sharp faces measured 334-2800 (Laplacian variance of the aligned 112x112 face) and a
    Gaussian blur of sigma 4 at most 30; faces under normal light had a mean grey level of
    105-145 and the same faces at a quarter of the light 25-35.
    """

    min_face_px: float = 80.0  # face box width in the camera frame
    # Faces narrower than this fraction of the largest one are people further back in the hall:
    # they neither block nor join the match.
    crowd_fraction: float = 0.6
    max_abs_u: float = 0.28  # nose off-centre across the face (yaw)
    min_v: float = 0.30  # nose position down the face (pitch), see geometry.Pose
    max_v: float = 0.85
    min_sharpness: float = 40.0
    min_brightness: float = 60.0


@dataclass(frozen=True)
class Measurements:
    face_px: float
    u: float
    v: float
    sharpness: float
    brightness: float


def judge(faces_in_view: int, main: Measurements | None, gates: QualityGates) -> str:
    """The one hint to show, in order of what to fix first; ``"ok"`` when the face may be used."""
    if main is None or faces_in_view == 0:
        return "no_face"
    if faces_in_view > 1:
        return "several_faces"
    if main.face_px < gates.min_face_px:
        return "too_small"
    if main.brightness < gates.min_brightness:
        return "too_dark"
    if abs(main.u) > gates.max_abs_u or not gates.min_v <= main.v <= gates.max_v:
        return "turn_to_screen"
    if main.sharpness < gates.min_sharpness:
        return "blurry"
    return "ok"
