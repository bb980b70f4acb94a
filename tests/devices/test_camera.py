"""Cameras: latest-frame semantics, reconnection, the fake that plays videos and image folders,
and the OpenCV driver on a file and on an HTTP stream. Frames carry their number in their pixels,
so a test can tell exactly which frame it got. No model files needed."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from support import free_port
from support.faces import write_video

from suqiu_devices.camera.capture import ThreadedCamera
from suqiu_devices.camera.fake import FakeCamera
from suqiu_devices.camera.opencv import OpenCVCamera
from suqiu_devices.errors import DeviceUnavailable
from suqiu_devices.protocols import Camera
from suqiu_devices.registry import available, build

WAIT = 20.0  # generous: the machine is shared; these are deadlines, not measurements


def numbered(index: int, size: tuple[int, int] = (160, 120)) -> np.ndarray:
    """A frame whose grey level encodes its number (JPEG-safe: steps of 10)."""
    width, height = size
    return np.full((height, width, 3), (index % 25) * 10, dtype=np.uint8)


def number_of(image: np.ndarray) -> int:
    height, width = image.shape[:2]
    centre = image[height // 2 - 10 : height // 2 + 10, width // 2 - 10 : width // 2 + 10]
    return round(float(np.median(centre)) / 10)


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return write_video(tmp_path / "numbered.avi", [numbered(i) for i in range(20)], fps=15)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "frames"
    target.mkdir()
    for i in range(6):
        # Different sizes on purpose: a camera delivers one size, so the fake letterboxes.
        cv2.imwrite(str(target / f"{i:03d}.png"), numbered(i, (160 + 40 * (i % 2), 120)))
    return target


def test_both_drivers_are_registered_and_fit_the_protocol(video: Path) -> None:
    assert {"fake", "opencv"} <= set(available("camera"))
    camera = build("camera", "fake", source=str(video), fps=100)
    try:
        assert isinstance(camera, Camera)
        assert camera.wait_frame(timeout=WAIT) is not None
    finally:
        camera.close()
    with pytest.raises(DeviceUnavailable):
        build("camera", "fake")
    with pytest.raises(DeviceUnavailable):
        build("camera", "fake", source="/nonexistent/video.avi")


def test_fake_plays_an_image_folder_in_order_at_one_size(folder: Path) -> None:
    with FakeCamera(folder, fps=100, size=(200, 120)) as camera:
        seen = []
        last = 0
        while len(seen) < 12:
            frame = camera.wait_frame(last, timeout=WAIT)
            assert frame is not None
            last = frame.seq
            assert frame.image.shape == (120, 200, 3)
            seen.append((frame.seq, number_of(frame.image)))
    # Every frame is the image its sequence number says (seq 1 -> image 0, looping over 6).
    assert all(n == (seq - 1) % 6 for seq, n in seen)


def test_read_gives_the_newest_frame_not_a_backlog(video: Path) -> None:
    """A slow reader that looks again after ten frames gets the tenth, not the first it missed."""
    with FakeCamera(video, fps=100) as camera:
        first = camera.wait_frame(0, timeout=WAIT)
        assert first is not None
        later = camera.wait_frame(first.seq + 9, timeout=WAIT)
        assert later is not None and later.seq >= first.seq + 10
        newest = camera.latest()
        assert newest is not None and newest.seq >= later.seq
        assert number_of(newest.image) == (newest.seq - 1) % 20
        assert camera.read() is not None


def test_unplugged_camera_clears_its_frame_and_comes_back(video: Path) -> None:
    with FakeCamera(video, fps=100, retry_initial_s=0.02, retry_max_s=0.05) as camera:
        assert camera.wait_frame(0, timeout=WAIT) is not None and camera.connects == 1
        camera.unplug()
        assert camera.wait_status("reconnecting", WAIT)
        # A frozen picture must never pass for a live one.
        assert camera.read() is None
        before = camera.frames_delivered
        camera.plug()
        assert camera.wait_status("live", WAIT)
        frame = camera.wait_frame(0, timeout=WAIT)
        assert frame is not None and camera.frames_delivered > before
        assert camera.connects == 2


def test_a_video_that_ends_goes_dark_like_an_unplugged_camera(video: Path) -> None:
    with FakeCamera(video, fps=200, loop=False, retry_initial_s=0.02, retry_max_s=0.05) as camera:
        assert camera.wait_status("reconnecting", WAIT)
        assert camera.frames_delivered == 20
        assert camera.read() is None
        assert "ended" in camera.last_error or "stopped" in camera.last_error


def test_opencv_driver_plays_a_file_at_camera_pace(video: Path) -> None:
    with OpenCVCamera(str(video), fps=100) as camera:
        frames = []
        last = 0
        while len(frames) < 25:  # past the end of the 20-frame file: it reopens and goes on
            frame = camera.wait_frame(last, timeout=WAIT)
            assert frame is not None
            last = frame.seq
            frames.append(frame)
        assert all(f.image.shape == (120, 160, 3) for f in frames)
        assert camera.connects >= 2  # the end of the file counted as a lost source, then reopened


def test_opencv_driver_survives_a_missing_device() -> None:
    camera = OpenCVCamera("/dev/video-that-does-not-exist", retry_initial_s=0.02, retry_max_s=0.05)
    try:
        assert camera.wait_status("reconnecting", WAIT)
        assert camera.read() is None
        assert "cannot open camera" in camera.last_error
    finally:
        camera.close()
    assert camera.status == "closed"


class _Stream:
    """An HTTP server that can be started and stopped on a fixed port (a network camera)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.server: http.server.ThreadingHTTPServer | None = None

    def start(self) -> None:
        handler = functools.partial(_QuietHandler, directory=str(self.folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def stream(video: Path) -> Iterator[_Stream]:
    served = _Stream(video.parent)
    yield served
    served.stop()


def test_opencv_driver_reconnects_to_a_stream_url(stream: _Stream, video: Path) -> None:
    url = f"http://127.0.0.1:{stream.port}/{video.name}"
    camera = OpenCVCamera(url, fps=100, retry_initial_s=0.02, retry_max_s=0.1)
    try:
        # The network camera is not up yet: the kiosk keeps trying, calmly.
        assert camera.wait_status("reconnecting", WAIT)
        assert camera.read() is None
        stream.start()
        frame = camera.wait_frame(0, timeout=WAIT)
        assert frame is not None and frame.image.shape == (120, 160, 3)
        stream.stop()
        # The stream ends and cannot be reopened: the frame is dropped, the camera waits.
        assert camera.wait_status("reconnecting", WAIT)
        assert camera.read() is None
        stream.start()
        assert camera.wait_frame(frame.seq, timeout=WAIT) is not None
        assert camera.connects >= 2
    finally:
        camera.close()


def test_threaded_camera_works_with_any_source() -> None:
    """The reader thread is independent of OpenCV: any object with grab/release will do."""

    class Counter:
        def __init__(self) -> None:
            self.n = 0

        def grab(self) -> np.ndarray:
            self.n += 1
            threading.Event().wait(0.005)
            return numbered(self.n)

        def release(self) -> None:
            pass

    with ThreadedCamera(Counter, name="counter") as camera:
        frame = camera.wait_frame(3, timeout=WAIT)
        assert frame is not None and number_of(frame.image) == frame.seq % 25
