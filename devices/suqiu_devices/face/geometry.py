"""Head pose from the five landmarks (eyes, nose tip, mouth corners), with numpy only.

Two numbers matter here, both in the face's own *affine frame*: origin between the eyes, one axis
from the left eye to the right eye, the other from the eye midpoint to the mouth midpoint. The nose
tip, written in that frame, is ``(u, v)``:

* ``u`` is 0 for a frontal face and moves towards ±0.5 as the head turns (yaw); ``v`` (about 0.5-0.6
  frontal) moves as the head nods (pitch).
* Both are **affine invariants**: any flat picture of a face — a printed photo or a phone screen —
  that is moved, scaled, rotated, tilted or sheared in front of the camera keeps the same ``(u, v)``
  up to perspective and landmark noise, because all five points lie in one plane. A real head has a
  nose that sticks out of the plane of the eyes and mouth, so turning it moves ``u`` by parallax.
  That is what the liveness challenge (``liveness.py``) measures.

Landmark order is insightface's: left eye, right eye, nose, left mouth corner, right mouth corner
("left" as seen in the image).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LEFT_EYE, RIGHT_EYE, NOSE, LEFT_MOUTH, RIGHT_MOUTH = range(5)


@dataclass(frozen=True)
class Pose:
    u: float  # nose across the face: 0 frontal, negative/positive = turned (yaw)
    v: float  # nose down the face: ~0.55 frontal, smaller = looking up, larger = looking down (pitch)
    eye_distance: float  # pixels between the eyes (a size measure that does not depend on the box)
    roll_degrees: float  # in-plane tilt of the eye line


def as_points(landmarks: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (5, 2) or not np.all(np.isfinite(points)):
        raise ValueError("five finite (x, y) landmarks are needed")
    return points


def pose(landmarks: Sequence[Sequence[float]] | np.ndarray) -> Pose:
    p = as_points(landmarks)
    eye_mid = (p[LEFT_EYE] + p[RIGHT_EYE]) / 2
    mouth_mid = (p[LEFT_MOUTH] + p[RIGHT_MOUTH]) / 2
    across = p[RIGHT_EYE] - p[LEFT_EYE]
    down = mouth_mid - eye_mid
    frame = np.stack([across, down], axis=1)
    if abs(np.linalg.det(frame)) < 1e-6:
        raise ValueError("degenerate landmarks (eyes and mouth on one line)")
    u, v = np.linalg.solve(frame, p[NOSE] - eye_mid)
    roll = float(np.degrees(np.arctan2(across[1], across[0])))
    return Pose(u=float(u), v=float(v), eye_distance=float(np.hypot(*across)), roll_degrees=roll)


def box_center(bbox: Sequence[float]) -> tuple[float, float]:
    x1, y1, x2, y2 = bbox[:4]
    return (x1 + x2) / 2, (y1 + y2) / 2


def box_width(bbox: Sequence[float]) -> float:
    return float(bbox[2] - bbox[0])
