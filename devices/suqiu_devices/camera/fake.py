"""A fake camera that plays a video file or a folder of images like a live camera.

It behaves like the real one where it matters: frames arrive at the camera's pace (``fps``), all
of one size, through the same reader thread with latest-frame semantics, and it can be unplugged
and plugged back in (``unplug()`` / ``plug()``) to exercise reconnection. A video loops by default;
with ``loop=False`` the camera goes dark at the end, like an unplugged one.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from .capture import ThreadedCamera, unavailable

try:
    import cv2
    import numpy as np
except ImportError as _exc:  # pragma: no cover - only without opencv-python-headless
    raise unavailable(f"opencv-python-headless is not installed ({_exc})") from _exc

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}


def fit(image: Any, size: tuple[int, int]) -> Any:
    """Letterbox ``image`` into ``size`` (width, height), as a camera of that resolution would deliver."""
    width, height = size
    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    resized = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    y = (height - resized.shape[0]) // 2
    x = (width - resized.shape[1]) // 2
    canvas[y : y + resized.shape[0], x : x + resized.shape[1]] = resized
    return canvas


class _Playback:
    def __init__(self, camera: FakeCamera) -> None:
        self.camera = camera
        self.index = 0
        self.capture = None
        if camera.video is not None:
            self.capture = cv2.VideoCapture(str(camera.video))
            if not self.capture.isOpened():
                raise unavailable(f"cannot play {camera.video}")
        self.next_at = time.monotonic()

    def grab(self) -> Any:
        camera = self.camera
        delay = self.next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.next_at += camera.interval
        if not camera.plugged.is_set() or camera.ended:
            return None
        image = self._next()
        if image is None:
            return None
        camera.frames_delivered += 1
        return fit(image, camera.size) if camera.size else image

    def _next(self) -> Any:
        camera = self.camera
        if self.capture is not None:
            ok, image = self.capture.read()
            if not ok:
                if not camera.loop:
                    camera.ended = True
                    return None
                self.capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, image = self.capture.read()
            return image if ok else None
        if self.index >= len(camera.images):
            if not camera.loop:
                camera.ended = True
                return None
            self.index = 0
        image = camera.images[self.index]
        self.index += 1
        return image

    def release(self) -> None:
        if self.capture is not None:
            self.capture.release()


class FakeCamera(ThreadedCamera):
    def __init__(
        self,
        source: str | Path,
        *,
        fps: float = 15.0,
        loop: bool = True,
        size: tuple[int, int] | None = None,
        **options: Any,
    ) -> None:
        path = Path(source)
        self.video: Path | None = None
        self.images: list[Any] = []
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            self.images = [img for img in (cv2.imread(str(p)) for p in files) if img is not None]
            if not self.images:
                raise unavailable(f"no images in {path}")
            size = size or (self.images[0].shape[1], self.images[0].shape[0])
        elif path.is_file():
            self.video = path
        else:
            raise unavailable(f"fake camera source {path} does not exist")
        self.size = tuple(size) if size else None
        self.interval = 1.0 / fps
        self.loop = loop
        self.ended = False
        self.frames_delivered = 0
        self.plugged = threading.Event()
        self.plugged.set()
        super().__init__(self._open, name=f"fake-camera[{path.name}]", **options)

    def _open(self) -> _Playback:
        if not self.plugged.is_set():
            raise unavailable("fake camera is unplugged")
        if self.ended:
            raise unavailable("fake camera's video has ended")
        return _Playback(self)

    def unplug(self) -> None:
        self.plugged.clear()

    def plug(self) -> None:
        self.plugged.set()
