"""Liveness: a photo or a phone screen held up to the camera must not log anyone in.

Two layers:

1. **The head-turn challenge** (always). The person is asked to turn their head a little to one
   side. A real head moves its nose *out of the plane* of eyes and mouth, so the nose's affine
   coordinate ``u`` (see ``geometry.py``) swings by 0.2 or more for a modest turn. Anything flat —
   a print, a phone, a tablet — keeps ``u`` constant however it is moved, scaled, rotated or tilted
   (all five landmarks lie in one plane; perspective adds at most a few hundredths). The challenge
   also follows the face from frame to frame: a jump in position, size, ``u`` or identity (someone
   swapping two photos taken at different angles) starts the count again.
2. **insightface 2.1's RGB liveness model**, when ``liveness.onnx`` is installed: its per-frame
   live probability must stay above its threshold while the challenge runs.

What this does *not* stop: a video of the person turning their head, replayed on a screen (the
RGB model is meant for that, and it is not installed by default), a 3D mask, or a bent print that
happens to mimic parallax. See docs/faces.md.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..protocols import Face
from . import geometry

PROMPTS = {
    "look": ("请看向屏幕", "Please look at the screen"),
    "turn": ("请慢慢向左或向右转一下头", "Please turn your head slowly to one side"),
    "passed": ("好的，请稍候", "Thank you, one moment"),
    "failed": ("没能确认，请改用工号", "Could not confirm; please use your staff number"),
}


@dataclass(frozen=True)
class ChallengeState:
    status: str  # "waiting" (no usable face yet) | "turning" | "passed" | "failed"
    progress: float  # 0..1 of the required swing
    reason: str = ""  # why it failed: "timeout", "liveness_model"
    resets: int = 0  # how many times continuity broke (a swapped photo shows up here)

    def prompt(self, language: str = "zh") -> str:
        key = {"waiting": "look", "turning": "turn"}.get(self.status, self.status)
        zh, en = PROMPTS[key]
        return en if language == "en" else zh


@dataclass
class _Track:
    us: list[float] = field(default_factory=list)
    centers: list[tuple[float, float]] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    first_embedding: np.ndarray | None = None
    live_scores: list[float] = field(default_factory=list)


class HeadTurnChallenge:
    """Feed it every analysed frame (the main face, or None); it says when the person has turned.

    Thresholds were measured on ``shared/fixtures/faces`` with the small SCRFD-500M detector: a
    frontal and a clearly turned photo of the same person differ by 0.15-0.25 in ``u`` (about
    0.6 x sin(yaw)); one photo moved, rotated by 8 degrees and tilted in strong perspective across
    40 frames wandered by at most 0.10 (landmark noise, not parallax). ``min_swing`` = 0.15 asks
    for a turn of roughly 15 degrees. ``max_step`` is above what a head turning at a natural speed
    moves between two analysed frames (~0.05 at 10 frames/s) and below a swap of two photos.
    """

    def __init__(
        self,
        *,
        min_swing: float = 0.15,
        min_frames: int = 5,
        max_step: float = 0.10,
        max_center_jump: float = 0.35,  # of the face width, between consecutive frames
        max_size_jump: float = 0.25,  # relative change of the face width
        min_identity: float = 0.35,  # cosine to the first frame of the track: the same person throughout
        timeout_s: float = 10.0,
        live_threshold: float = 0.8,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_swing = min_swing
        self.min_frames = min_frames
        self.max_step = max_step
        self.max_center_jump = max_center_jump
        self.max_size_jump = max_size_jump
        self.min_identity = min_identity
        self.timeout_s = timeout_s
        self.live_threshold = live_threshold
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        self.started_at = self.clock()
        self.track = _Track()
        self.resets = 0
        self.state = ChallengeState("waiting", 0.0)

    def feed(self, face: Face | None, *, live_score: float | None = None) -> ChallengeState:
        if self.state.status in ("passed", "failed"):
            return self.state
        if self.clock() - self.started_at > self.timeout_s:
            self.state = ChallengeState("failed", self._progress(), "timeout", self.resets)
            return self.state
        if face is None or len(face.landmarks) != 5:
            # The face left the view: whatever comes back may be someone (or something) else.
            self._restart_track()
            return self._update("waiting")
        try:
            u = geometry.pose(face.landmarks).u
        except ValueError:
            return self._update(self.state.status)
        center = geometry.box_center(face.bbox)
        width = geometry.box_width(face.bbox)
        embedding = np.asarray(face.embedding, dtype=np.float32) if face.embedding is not None else None
        if self.track.us and not self._continuous(u, center, width, embedding):
            self.resets += 1
            self._restart_track()
        track = self.track
        track.us.append(u)
        track.centers.append(center)
        track.widths.append(width)
        if track.first_embedding is None and embedding is not None:
            track.first_embedding = embedding
        if live_score is not None:
            track.live_scores.append(float(live_score))
        if len(track.us) >= self.min_frames and self._swing() >= self.min_swing:
            if track.live_scores and statistics.median(track.live_scores) < self.live_threshold:
                self.state = ChallengeState("failed", self._progress(), "liveness_model", self.resets)
                return self.state
            self.state = ChallengeState("passed", 1.0, "", self.resets)
            return self.state
        return self._update("turning")

    # -- internals ------------------------------------------------------------------------------

    def _continuous(self, u: float, center: tuple[float, float], width: float, embedding: np.ndarray | None) -> bool:
        track = self.track
        last_width = track.widths[-1]
        dx = center[0] - track.centers[-1][0]
        dy = center[1] - track.centers[-1][1]
        if abs(u - track.us[-1]) > self.max_step:
            return False
        if np.hypot(dx, dy) > self.max_center_jump * last_width:
            return False
        if abs(width - last_width) > self.max_size_jump * last_width:
            return False
        same_person = (
            embedding is None
            or track.first_embedding is None
            or float(embedding @ track.first_embedding) >= self.min_identity
        )
        return same_person

    def _restart_track(self) -> None:
        self.track = _Track()

    def _swing(self) -> float:
        # A running median of three: one frame's landmark outlier is not a head turn.
        us = self.track.us
        if len(us) < 3:
            return 0.0
        smoothed = [statistics.median(us[i - 2 : i + 1]) for i in range(2, len(us))]
        return max(smoothed) - min(smoothed)

    def _progress(self) -> float:
        return min(1.0, self._swing() / self.min_swing) if self.min_swing > 0 else 1.0

    def _update(self, status: str) -> ChallengeState:
        self.state = ChallengeState(status, self._progress(), "", self.resets)
        return self.state
