"""Cameras: ``opencv`` (device index or RTSP/HTTP URL) and ``fake`` (a video file or image folder).

Both run a reader thread with latest-frame semantics and reconnect on their own (``capture.py``).
OpenCV is imported when a driver is built, so this package imports without it.
"""

from __future__ import annotations

from typing import Any

from ..registry import register


@register("camera", "opencv")
def _opencv(**options: Any) -> Any:
    from .opencv import OpenCVCamera

    return OpenCVCamera(**options)


@register("camera", "fake")
def _fake(**options: Any) -> Any:
    from .fake import FakeCamera

    source = options.pop("source", None)
    if not source:
        from ..errors import DeviceUnavailable

        raise DeviceUnavailable(
            "the fake camera needs source = <video file or image folder>", "摄像头不可用", reason="no_camera"
        )
    return FakeCamera(source, **options)
