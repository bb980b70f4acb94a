"""The insightface engine with the small real models in ../shared/models on the shared photos:
real ONNX inference, quality gates, model-folder handling. Skips cleanly without ../shared."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from support.faces import FaceScenes, face_photo, person_of, shared_models

from suqiu_devices.errors import DeviceUnavailable
from suqiu_devices.face.models import find_pack, sha256_file
from suqiu_devices.face.quality import Measurements, QualityGates, hint_text, judge
from suqiu_devices.protocols import FaceEngine
from suqiu_devices.registry import build

# The server's calibrated threshold for this recogniser (queue/.../faces/calibration.py).
TEST_MODEL_THRESHOLD = 0.42


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    return build("face", "insightface", model_dir=str(shared_models()))


@pytest.fixture(scope="module")
def scenes(engine) -> FaceScenes:  # type: ignore[no-untyped-def]
    return FaceScenes(engine)


@pytest.fixture(scope="module")
def embeddings(engine) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    from support.faces import FACES

    out = {}
    for path in sorted(FACES.iterdir()):
        faces = engine.embed(face_photo(path.name))
        assert len(faces) == 1, path.name
        out[path.name] = np.asarray(faces[0].embedding)
    return out


def test_the_engine_loads_from_the_configured_folder_and_names_its_model(engine) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(engine, FaceEngine)
    digest = sha256_file(shared_models() / "mobilefacenet_128.onnx")
    assert engine.model_id == f"mobilefacenet_128:{digest[:16]}"
    assert engine.dim == 128
    assert engine.pack.detector.name == "scrfd_500m_bnkps.onnx"  # YuNet in the same folder is ignored
    assert engine.has_liveness_model is False


def test_same_person_matches_and_different_people_do_not(embeddings: dict[str, np.ndarray]) -> None:
    genuine, impostor = [], []
    for a, b in itertools.combinations(sorted(embeddings), 2):
        score = float(embeddings[a] @ embeddings[b])
        (genuine if person_of(a) == person_of(b) else impostor).append((score, a, b))
    assert len(genuine) == 7 and len(impostor) == 48  # 11 photos of 5 people
    assert min(genuine)[0] >= TEST_MODEL_THRESHOLD, min(genuine)
    assert max(impostor)[0] < TEST_MODEL_THRESHOLD, max(impostor)
    for vector in embeddings.values():
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_each_photo_finds_its_own_person_first_in_a_gallery(embeddings: dict[str, np.ndarray]) -> None:
    names = sorted(embeddings)
    matrix = np.stack([embeddings[n] for n in names])
    for i, name in enumerate(names):
        scores = matrix @ embeddings[name]
        scores[i] = -1  # not itself
        assert person_of(names[int(np.argmax(scores))]) == person_of(name)


def test_a_placed_camera_frame_passes_every_gate_and_carries_an_embedding(engine, scenes: FaceScenes) -> None:  # type: ignore[no-untyped-def]
    analysis = engine.analyse(scenes.placed("obama.jpg"))
    assert analysis.ok and analysis.hint == "ok"
    assert analysis.main is not None and len(analysis.main.embedding) == 128
    assert set(analysis.timings_ms) == {"detect", "align", "embed"}
    quality = analysis.main.quality
    assert quality["faces_in_view"] == 1 and abs(quality["u"]) < 0.05
    # The frame's embedding is the photo's person.
    photo = np.asarray(engine.embed(face_photo("obama2.jpg"))[0].embedding)
    assert float(np.asarray(analysis.main.embedding) @ photo) >= TEST_MODEL_THRESHOLD


@pytest.mark.parametrize(
    ("spoil", "hint"),
    [
        (lambda f, s: np.zeros_like(f), "no_face"),
        (lambda f, s: s.placed("obama.jpg", eye_distance=30), "too_small"),
        (lambda f, s: (f * 0.25).astype(np.uint8), "too_dark"),
        (lambda f, s: cv2.GaussianBlur(f, (0, 0), 4), "blurry"),
        (
            lambda f, s: np.hstack([cv2.resize(f, (320, 240)), cv2.resize(s.placed("biden2.jpg"), (320, 240))]),
            "several_faces",
        ),
    ],
    ids=["empty", "far", "dark", "blurred", "two people"],
)
def test_quality_hints_say_what_to_do(engine, scenes: FaceScenes, spoil, hint: str) -> None:  # type: ignore[no-untyped-def]
    frame = spoil(scenes.placed("obama.jpg"), scenes)
    analysis = engine.analyse(frame)
    assert analysis.hint == hint
    assert not analysis.ok
    assert analysis.main is None or analysis.main.embedding is None  # nothing to send


def test_a_small_face_in_the_background_does_not_block_the_person_in_front(engine, scenes: FaceScenes) -> None:  # type: ignore[no-untyped-def]
    front = scenes.placed("obama.jpg")
    behind = cv2.resize(scenes.placed("rose_leslie_img2.jpg"), (160, 120))
    front[10:130, 470:630] = behind
    analysis = engine.analyse(front)
    assert len(analysis.faces) == 2 and analysis.hint == "ok"


def test_pose_gate_and_hint_words() -> None:
    gates = QualityGates()
    good = Measurements(face_px=170, u=0.0, v=0.55, sharpness=800, brightness=120)
    assert judge(1, good, gates) == "ok"
    turned = Measurements(face_px=170, u=0.35, v=0.55, sharpness=800, brightness=120)
    looking_up = Measurements(face_px=170, u=0.0, v=0.2, sharpness=800, brightness=120)
    assert judge(1, turned, gates) == judge(1, looking_up, gates) == "turn_to_screen"
    assert [hint_text(h) for h in ("too_small", "turn_to_screen", "too_dark")] == ["靠近一点", "请正对屏幕", "光线太暗"]
    assert hint_text("too_small", "en") == "Come a little closer"


def test_insightface_sample_with_six_people(engine) -> None:  # type: ignore[no-untyped-def]
    import insightface

    sample = Path(insightface.__file__).parent / "data" / "images" / "t1.jpg"
    if not sample.is_file():
        pytest.skip("insightface's sample image is not in this wheel")
    image = cv2.imread(str(sample))
    assert len(engine.detect(image)) == 6
    assert engine.analyse(image).hint == "several_faces"


# --- model folders ------------------------------------------------------------------------------------------------


def test_no_model_installed_is_a_clear_device_unavailable(tmp_path: Path) -> None:
    with pytest.raises(DeviceUnavailable) as missing:
        build("face", "insightface", model_dir=str(tmp_path / "not-there"))
    assert missing.value.reason == "no_face_model" and "suqiu models install face" in str(missing.value)
    with pytest.raises(DeviceUnavailable) as empty:
        build("face", "insightface", model_dir=str(tmp_path))
    assert empty.value.reason == "no_face_model" and "no face detector" in str(empty.value)
    with pytest.raises(DeviceUnavailable) as unset:
        build("face", "insightface")
    assert unset.value.reason == "no_face_model"


def test_a_pack_of_any_names_works_when_the_files_are_named(tmp_path: Path) -> None:
    models = shared_models()
    pack = tmp_path / "site_pack"
    pack.mkdir()
    (pack / "detector.onnx").symlink_to(models / "scrfd_500m_bnkps.onnx")
    (pack / "embedder.onnx").symlink_to(models / "mobilefacenet_128.onnx")
    with pytest.raises(DeviceUnavailable):
        find_pack(pack)  # names say nothing: the site must say which is which
    engine = build("face", "insightface", model_dir=str(pack), detector="detector.onnx", recogniser="embedder.onnx")
    assert engine.model_id.startswith("embedder:f055d9c9")


def test_a_wrong_file_in_the_recogniser_slot_is_refused(tmp_path: Path) -> None:
    models = shared_models()
    pack = tmp_path / "mixed_up"
    pack.mkdir()
    (pack / "det_500m.onnx").symlink_to(models / "scrfd_500m_bnkps.onnx")
    (pack / "w600k_mbf.onnx").symlink_to(models / "scrfd_500m_bnkps.onnx")  # a detector, misnamed
    with pytest.raises(DeviceUnavailable) as wrong:
        build("face", "insightface", model_dir=str(pack))
    assert wrong.value.reason == "bad_face_model"


def test_a_liveness_file_that_is_not_the_published_model_is_not_used(tmp_path: Path) -> None:
    models = shared_models()
    pack = tmp_path / "pack"
    pack.mkdir()
    for name in ("scrfd_500m_bnkps.onnx", "mobilefacenet_128.onnx"):
        (pack / name).symlink_to(models / name)
    shutil.copy(models / "face_detection_yunet_2023mar.onnx", pack / "liveness.onnx")
    engine = build("face", "insightface", model_dir=str(pack))
    assert engine.pack.liveness == pack / "liveness.onnx"
    assert engine.has_liveness_model is False  # SHA-256 differs from insightface's addon catalog
