"""Liveness: the head-turn challenge that a photo or a phone screen cannot pass.

Two kinds of evidence:
* geometry alone (no models): a rigid head with a nose out of the face plane, turned in yaw and
  projected, passes; any flat arrangement of five points under any affine or perspective motion
  does not (hypothesis draws the motions);
* the real detector on videos made from the shared photos and decoded frame by frame: a still
  photo and a waved photo fail, two photos swapped fail, a real-pose sequence passes.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.faces import FaceScenes, shared_models, write_video

from suqiu_devices.face import geometry
from suqiu_devices.face.liveness import ChallengeState, HeadTurnChallenge
from suqiu_devices.protocols import Face
from suqiu_devices.registry import build

FPS = 15.0
# A head: eyes, nose tip (out of the plane by 0.6 eye distances), mouth corners; x right, y down, z towards the camera.
HEAD = np.array([[-0.5, 0.0, 0.0], [0.5, 0.0, 0.0], [0.0, 0.55, 0.6], [-0.4, 1.05, 0.05], [0.4, 1.05, 0.05]])


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def tick(self) -> None:
        self.now += 1 / FPS


def face_at(points: np.ndarray, embedding: list[float] | None = None) -> Face:
    x1, y1 = points.min(axis=0) - 20
    x2, y2 = points.max(axis=0) + 20
    return Face(bbox=(x1, y1, x2, y2), score=0.9, landmarks=[tuple(p) for p in points], embedding=embedding)


def project(
    head: np.ndarray, yaw_degrees: float, *, scale: float = 80.0, at: tuple[float, float] = (320, 200)
) -> np.ndarray:
    yaw = np.radians(yaw_degrees)
    rotation = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    turned = head @ rotation.T
    depth = 8.0  # the camera is 8 eye distances away: mild perspective
    factor = depth / (depth - turned[:, 2])
    return np.stack([turned[:, 0] * factor, turned[:, 1] * factor], axis=1) * scale + np.asarray(at)


def run(
    challenge: HeadTurnChallenge, faces: list[Face | None], clock: Clock, live: float | None = None
) -> ChallengeState:
    state = challenge.state
    for face in faces:
        state = challenge.feed(face, live_score=live)
        clock.tick()
        if state.status in ("passed", "failed"):
            break
    return state


def test_a_real_head_turning_passes() -> None:
    clock = Clock()
    yaws = list(range(0, 26, 2)) + list(range(24, -1, -2))
    state = run(HeadTurnChallenge(clock=clock), [face_at(project(HEAD, y)) for y in yaws], clock)
    assert state.status == "passed" and state.resets == 0


def test_the_nose_coordinate_follows_the_turn_and_ignores_size_and_place() -> None:
    us = [geometry.pose(project(HEAD, yaw)).u for yaw in (0, 10, 20)]
    assert us[0] == pytest.approx(0.0, abs=1e-6) and 0.08 < us[1] < us[2]
    moved = geometry.pose(project(HEAD, 10, scale=40, at=(100, 400))).u
    assert moved == pytest.approx(us[1], abs=1e-6)


flat_motion = st.tuples(
    st.floats(0.6, 1.6),  # scale
    st.floats(-40, 40),  # rotation in the image plane (degrees)
    st.floats(-0.5, 0.5),  # shear / tilt (affine)
    st.floats(-0.0008, 0.0008),  # perspective terms of a homography
    st.floats(-0.0008, 0.0008),
)


@settings(max_examples=60, deadline=None)
@given(start=flat_motion, end=flat_motion, frontal_u=st.floats(-0.2, 0.2))
def test_no_flat_picture_passes_however_it_is_moved(
    start: tuple[float, ...], end: tuple[float, ...], frontal_u: float
) -> None:
    """A photo is a plane: every landmark is moved by one homography, whatever the hand does."""
    flat = np.array([[-0.5, 0.0], [0.5, 0.0], [frontal_u, 0.55], [-0.4, 1.05], [0.4, 1.05]]) * 80

    def homography(scale: float, angle: float, shear: float, p1: float, p2: float) -> np.ndarray:
        c, s = np.cos(np.radians(angle)) * scale, np.sin(np.radians(angle)) * scale
        return np.array([[c, -s + shear, 320], [s, c, 220], [p1, p2, 1.0]])

    clock = Clock()
    faces = []
    for t in np.linspace(0, 1, 40):
        h = homography(*[a + (b - a) * t for a, b in zip(start, end, strict=True)])
        points = np.c_[flat, np.ones(5)] @ h.T
        faces.append(face_at(points[:, :2] / points[:, 2:]))
    state = run(HeadTurnChallenge(clock=clock, timeout_s=60), faces, clock)
    assert state.status != "passed"


def test_a_jump_restarts_the_count_and_time_runs_out() -> None:
    clock = Clock()
    challenge = HeadTurnChallenge(clock=clock, timeout_s=2.0)
    frontal, turned = face_at(project(HEAD, 0)), face_at(project(HEAD, 25))
    state = run(challenge, [frontal, turned] * 10, clock)  # two pictures, swapped
    assert state.status == "turning" and state.resets >= 10
    state = run(challenge, [frontal] * 40, clock)
    assert state.status == "failed" and state.reason == "timeout"
    assert state.prompt() == "没能确认，请改用工号"


def test_someone_else_stepping_in_restarts_the_count() -> None:
    clock = Clock()
    challenge = HeadTurnChallenge(clock=clock)
    me, other = [1.0] + [0.0] * 127, [0.0, 1.0] + [0.0] * 126
    faces = [face_at(project(HEAD, y), me) for y in range(0, 10, 2)]
    faces += [face_at(project(HEAD, y), other) for y in range(10, 26, 2)]
    state = run(challenge, faces, clock)
    assert state.status == "turning" and state.resets == 1


def test_the_rgb_liveness_score_can_veto_a_turn() -> None:
    clock = Clock()
    yaws = list(range(0, 26, 2))
    state = run(HeadTurnChallenge(clock=clock), [face_at(project(HEAD, y)) for y in yaws], clock, live=0.3)
    assert state.status == "failed" and state.reason == "liveness_model"
    clock = Clock()
    state = run(HeadTurnChallenge(clock=clock), [face_at(project(HEAD, y)) for y in yaws], clock, live=0.95)
    assert state.status == "passed"


# --- the real detector on videos ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    return build("face", "insightface", model_dir=str(shared_models()))


@pytest.fixture(scope="module")
def scenes(engine) -> FaceScenes:  # type: ignore[no-untyped-def]
    return FaceScenes(engine)


def through_video(engine, path: Path) -> tuple[ChallengeState, int]:  # type: ignore[no-untyped-def]
    """Decode the MJPG file frame by frame (as the camera would deliver it) and run the challenge."""
    clock = Clock()
    challenge = HeadTurnChallenge(clock=clock)
    capture = cv2.VideoCapture(str(path))
    frames = 0
    state = challenge.state
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames += 1
            analysis = engine.analyse(frame)
            state = challenge.feed(analysis.main if analysis.ok else None, live_score=analysis.liveness_score)
            clock.tick()
            if state.status in ("passed", "failed"):
                break
    finally:
        capture.release()
    return state, frames


def test_a_still_photo_fails(engine, scenes: FaceScenes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    video = write_video(tmp_path / "still.avi", scenes.still("obama.jpg", 60))
    state, _ = through_video(engine, video)
    assert state.status != "passed" and state.progress < 0.2


@pytest.mark.parametrize("photo", ["obama.jpg", "biden2.jpg", "rose_leslie_img1.jpg"])
def test_a_photo_waved_and_tilted_in_front_of_the_camera_fails(
    engine, scenes: FaceScenes, tmp_path: Path, photo: str
) -> None:  # type: ignore[no-untyped-def]
    video = write_video(tmp_path / "moving.avi", scenes.moving_photo(photo, 60))
    state, frames = through_video(engine, video)
    assert frames == 60 and state.status != "passed"


def test_two_photos_at_different_angles_swapped_fail(engine, scenes: FaceScenes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    video = write_video(tmp_path / "swap.avi", scenes.photo_swap("obama.jpg", "obama2.jpg"))
    state, _ = through_video(engine, video)
    assert state.status != "passed" and state.resets >= 3


def test_a_real_pose_change_passes(engine, scenes: FaceScenes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    video = write_video(tmp_path / "turn.avi", scenes.head_turn("obama.jpg", "obama2.jpg"))
    state, frames = through_video(engine, video)
    assert state.status == "passed" and state.resets == 0
    assert frames < 30  # decided during the turn, not at the end of the video
