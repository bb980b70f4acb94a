"""A real camera through OpenCV: a device index (0, 1, ...) or a stream URL (rtsp://, http://).

``cv2.VideoCapture.read`` blocks until the camera's next frame, so the reader thread is paced by
the camera itself. A one-frame driver buffer keeps the latency at one frame where the backend
allows it. A file path also works (handy for tests); pass ``fps`` to play it at camera speed.
"""

from __future__ import annotations

import time
from typing import Any

from .capture import ThreadedCamera, unavailable

try:
    import cv2
except ImportError as _exc:  # pragma: no cover - only without opencv-python-headless
    raise unavailable(f"opencv-python-headless is not installed ({_exc})") from _exc


class _CaptureGrabber:
    def __init__(self, source: int | str, width: int | None, height: int | None, fps: float | None) -> None:
        self.capture = cv2.VideoCapture(source)
        if not self.capture.isOpened():
            self.capture.release()
            raise unavailable(f"cannot open camera {source!r}")
        self.capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        if width:
            self.capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            self.capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self.interval = 1.0 / fps if fps else 0.0
        self.next_at = time.monotonic()

    def grab(self) -> Any:
        if self.interval:
            delay = self.next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.next_at = max(self.next_at + self.interval, time.monotonic() - self.interval)
        ok, image = self.capture.read()
        return image if ok else None

    def release(self) -> None:
        self.capture.release()


def parse_source(source: int | str) -> int | str:
    """``"0"`` from a config file means device 0; anything else is a URL or a path."""
    if isinstance(source, str) and source.strip().isdigit():
        return int(source.strip())
    return source


class OpenCVCamera(ThreadedCamera):
    def __init__(
        self,
        source: int | str = 0,
        *,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        **options: Any,
    ) -> None:
        self.source = parse_source(source)
        super().__init__(
            lambda: _CaptureGrabber(self.source, width, height, fps), name=f"camera[{self.source}]", **options
        )
