"""Face test data made at test time from the shared photos (never copied into the repository).

* ``shared_models()`` / ``face_photo(name)``: the shared files, or a clean skip when absent.
* ``FaceScenes``: camera-like 640x480 frames with the face placed where a kiosk camera sees it,
  and MJPG videos for the fake camera:
  - ``head_turn``: two real photos of one person at different head poses (frontal, turned), the
    face aligned on the eyes, blended over several frames there and back. The nose moves against
    eyes and mouth as in a real turn, because the two photos *are* two real poses; the frames in
    between are blends, not real poses (see docs/faces.md for what this does and does not prove).
  - ``still``: one photo, repeated (a photo held still in front of the camera).
  - ``moving_photo``: one photo moved, scaled, rotated and tilted in perspective across frames
    (a photo or phone waved in front of the camera).
  - ``photo_swap``: two photos of the same person at different poses, swapped without transition.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from support import SHARED

MODELS = SHARED / "models"
FACES = SHARED / "fixtures" / "faces"
FRAME_SIZE = (640, 480)  # a typical kiosk camera mode
EYE_DISTANCE = 80.0  # pixels between the eyes in a placed frame: a person ~60 cm from the camera
EYES_AT = (320.0, 200.0)


def require_shared() -> None:
    if not (MODELS / "scrfd_500m_bnkps.onnx").is_file() or not FACES.is_dir():
        pytest.skip(f"the shared face models and photos are not available at {SHARED}: face tests SKIPPED")


def shared_models() -> Path:
    require_shared()
    return MODELS


def face_photo(name: str) -> Any:
    import cv2

    require_shared()
    image = cv2.imread(str(FACES / name))
    assert image is not None, f"cannot read {name}"
    return image


def person_of(file_name: str) -> str:
    """``obama2.jpg`` -> obama, ``rose_leslie_img1.jpg`` -> rose_leslie (the file name gives identity)."""
    stem = Path(file_name).stem.replace("_img", "")
    return stem.rstrip("0123456789")


def write_video(path: Path, frames: list[Any], fps: float = 15.0) -> Path:
    import cv2

    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened(), "cv2.VideoWriter (MJPG) is not available"
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


class FaceScenes:
    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def landmarks(self, image: Any) -> np.ndarray:
        faces = self.engine.detect(image)
        assert faces, "no face in the source photo"
        return np.asarray(faces[0].landmarks, dtype=np.float64)

    def placed(self, name: str, *, eye_distance: float = EYE_DISTANCE, eyes_at: tuple[float, float] = EYES_AT) -> Any:
        """The photo warped (similarity only: a person at the usual distance) into a camera frame."""
        import cv2

        image = face_photo(name)
        points = self.landmarks(image)
        left, right = points[0], points[1]
        across = right - left
        scale = eye_distance / float(np.hypot(*across))
        angle = np.arctan2(across[1], across[0])
        cos, sin = np.cos(-angle) * scale, np.sin(-angle) * scale
        matrix = np.array([[cos, -sin, 0.0], [sin, cos, 0.0]])
        matrix[:, 2] = np.asarray(eyes_at) - matrix[:, :2] @ ((left + right) / 2)
        return cv2.warpAffine(image, matrix, FRAME_SIZE, borderMode=cv2.BORDER_REPLICATE)

    def head_turn(self, frontal: str, turned: str, *, hold: int = 4, steps: int = 10) -> list[Any]:
        import cv2

        a, b = self.placed(frontal), self.placed(turned)
        there = [cv2.addWeighted(a, 1 - t, b, t, 0) for t in np.linspace(0, 1, steps)]
        back = [cv2.addWeighted(b, 1 - t, a, t, 0) for t in np.linspace(0, 1, steps)]
        return [a] * hold + there + [b] * 3 + back + [a] * hold

    def still(self, name: str, count: int = 40) -> list[Any]:
        return [self.placed(name)] * count

    def moving_photo(self, name: str, count: int = 40) -> list[Any]:
        """The photo as a flat card: drifting, growing, rotating and tilting in perspective."""
        import cv2

        base = self.placed(name)
        width, height = FRAME_SIZE
        corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
        frames = []
        for i in range(count):
            t = i / max(1, count - 1)
            phase = 2 * np.pi * t
            tilt = 0.10 * np.sin(phase)  # the card turned about its vertical axis
            nod = 0.06 * np.sin(2 * phase)
            shift = np.float32([30 * np.sin(phase), 15 * np.cos(phase)])
            scale = 1.0 + 0.15 * np.sin(phase / 2)
            centre = np.float32([width / 2, height / 2])
            moved = (corners - centre) * scale + centre + shift
            # Perspective: one edge of the card nearer the camera than the other (tilt and nod).
            moved[[1, 2], 1] += np.float32([-tilt * height, tilt * height])
            moved[[0, 1], 0] += np.float32([nod * width, -nod * width])
            rotation = cv2.getRotationMatrix2D((width / 2, height / 2), 8 * np.sin(phase), 1.0)
            moved = cv2.transform(moved[None], rotation)[0].astype(np.float32)
            homography = cv2.getPerspectiveTransform(corners, moved)
            frames.append(cv2.warpPerspective(base, homography, FRAME_SIZE, borderMode=cv2.BORDER_REPLICATE))
        return frames

    def photo_swap(self, frontal: str, turned: str, *, each: int = 6, rounds: int = 4) -> list[Any]:
        a, b = self.placed(frontal), self.placed(turned)
        frames: list[Any] = []
        for _ in range(rounds):
            frames += [a] * each + [b] * each
        return frames

    def video(self, path: Path, frames: list[Any], fps: float = 15.0) -> Path:
        return write_video(path, frames, fps)
