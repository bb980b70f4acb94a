"""The face engine on insightface: SCRFD detection, 5-point alignment, ArcFace-style embedding.

    engine = InsightFaceEngine("/var/lib/suqiu/models/face/buffalo_l")
    analysis = engine.analyse(frame)      # faces, the main one, a quality hint, per-stage timings
    if analysis.ok:
        vector = analysis.main.embedding  # unit length; send this, never the image

Models are loaded from the configured folder only (``models.find_pack``); nothing is downloaded.
Every call blocks for tens of milliseconds: call it from a worker thread, never the UI thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DeviceUnavailable
from ..protocols import Face, FaceAnalysis
from . import geometry
from .models import ModelPack, find_pack, sha256_file
from .quality import Measurements, QualityGates, judge

try:
    import cv2
    import onnxruntime
    from insightface.model_zoo import get_model
    from insightface.model_zoo.arcface_onnx import ArcFaceONNX
    from insightface.utils import face_align
    from skimage.transform import SimilarityTransform
except ImportError as _exc:  # pragma: no cover - exercised only on machines without the packages
    raise DeviceUnavailable(
        f"face recognition needs insightface, onnxruntime and opencv-python-headless ({_exc})",
        "人脸识别组件未安装",
        reason="no_face_engine",
    ) from _exc

log = logging.getLogger(__name__)


class InsightFaceEngine:
    """Detector + aligner + embedder from one model folder. Thread-safe (ONNX Runtime sessions are)."""

    name = "insightface"

    def __init__(
        self,
        model_dir: str | Path,
        *,
        detector: str | None = None,
        recogniser: str | None = None,
        liveness: str | None = None,
        det_size: int = 320,
        det_threshold: float = 0.5,
        threads: int = 1,
        gates: QualityGates | None = None,
        liveness_threshold: float = 0.8,
    ) -> None:
        self.pack: ModelPack = find_pack(model_dir, detector=detector, recogniser=recogniser, liveness=liveness)
        self.gates = gates or QualityGates()
        self.det_size = (int(det_size), int(det_size))
        options = onnxruntime.SessionOptions()
        # Leave the UI and the camera thread their share of a small kiosk CPU.
        options.intra_op_num_threads = max(1, int(threads))
        options.inter_op_num_threads = 1
        providers = ["CPUExecutionProvider"]
        try:
            self.detector = get_model(str(self.pack.detector), providers=providers, sess_options=options)
            self.recogniser = get_model(str(self.pack.recogniser), providers=providers, sess_options=options)
        except Exception as exc:  # a broken or foreign ONNX file: say which, do not crash the kiosk
            raise DeviceUnavailable(
                f"cannot load face models from {self.pack.folder}: {exc}",
                "人脸识别模型无法加载",
                reason="bad_face_model",
            ) from exc
        if getattr(self.detector, "taskname", "") != "detection":
            raise DeviceUnavailable(
                f"{self.pack.detector.name} is not a face detector insightface understands",
                "人脸识别模型不匹配",
                reason="bad_face_model",
            )
        if not isinstance(self.recogniser, ArcFaceONNX):
            raise DeviceUnavailable(
                f"{self.pack.recogniser.name} is not an ArcFace-style recogniser",
                "人脸识别模型不匹配",
                reason="bad_face_model",
            )
        self.detector.prepare(ctx_id=-1, input_size=self.det_size, det_thresh=det_threshold)
        self.recogniser.prepare(ctx_id=-1)
        self.crop_size = int(self.recogniser.input_size[0])
        self.dim = int(self.recogniser.output_shape[-1])
        self.model_id = self.pack.model_id
        self.liveness = _load_liveness(self.pack.liveness, liveness_threshold, providers)
        log.info(
            "face engine ready: %s (detector %s, %d-d embeddings, liveness model %s)",
            self.model_id,
            self.pack.detector.name,
            self.dim,
            "yes" if self.liveness is not None else "no",
        )

    @property
    def has_liveness_model(self) -> bool:
        return self.liveness is not None

    # -- stages -----------------------------------------------------------------------------------

    def detect(self, frame: np.ndarray) -> list[Face]:
        """Faces, largest first, without embeddings."""
        _check_frame(frame)
        boxes, points = self.detector.detect(frame, input_size=self.det_size)
        faces = [
            Face(
                bbox=tuple(float(x) for x in boxes[i, :4]),  # type: ignore[arg-type]
                score=float(boxes[i, 4]),
                landmarks=[(float(x), float(y)) for x, y in points[i]] if points is not None else (),
            )
            for i in range(boxes.shape[0])
        ]
        faces.sort(key=lambda f: geometry.box_width(f.bbox), reverse=True)
        return faces

    def align(self, frame: np.ndarray, face: Face) -> np.ndarray:
        """The face warped onto the recogniser's 5-point ArcFace template (e.g. 112x112).

        The same similarity transform as insightface's ``face_align.norm_crop``, through
        scikit-image's current API (the call norm_crop makes is deprecated and warns per frame).
        """
        points = np.asarray(face.landmarks, dtype=np.float32)
        size = self.crop_size
        if size % 112 == 0:
            template = face_align.arcface_dst * (size / 112.0)
        else:
            template = face_align.arcface_dst * (size / 128.0)
            template[:, 0] += 8.0 * size / 128.0
        matrix = _similarity(points, template)
        return cv2.warpAffine(frame, matrix, (size, size), borderValue=0.0)

    def embed_aligned(self, aligned: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """Unit-length embeddings, one row per aligned face."""
        batch = list(aligned) if isinstance(aligned, (list, tuple)) else [aligned]
        vectors = np.asarray(self.recogniser.get_feat(batch), dtype=np.float32).reshape(len(batch), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    # -- the protocol -----------------------------------------------------------------------------

    def embed(self, frame: np.ndarray) -> list[Face]:
        faces = self.detect(frame)
        if not faces:
            return []
        vectors = self.embed_aligned([self.align(frame, f) for f in faces])
        return [_with(face, embedding=vectors[i].tolist()) for i, face in enumerate(faces)]

    def analyse(self, frame: np.ndarray, *, with_embedding: bool = True) -> FaceAnalysis:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        faces = self.detect(frame)
        timings["detect"] = _ms(started)
        if not faces:
            return FaceAnalysis(faces=[], main=None, hint="no_face", ok=False, timings_ms=timings)
        main = faces[0]
        widest = geometry.box_width(main.bbox)
        in_view = sum(1 for f in faces if geometry.box_width(f.bbox) >= self.gates.crowd_fraction * widest)
        started = time.perf_counter()
        aligned = self.align(frame, main)
        timings["align"] = _ms(started)
        measured = self._measure(main, aligned)
        hint = judge(in_view, measured, self.gates)
        quality = {
            "hint": hint,
            "face_px": measured.face_px,
            "u": measured.u,
            "v": measured.v,
            "sharpness": measured.sharpness,
            "brightness": measured.brightness,
            "faces_in_view": in_view,
        }
        embedding = None
        if hint == "ok" and with_embedding:
            started = time.perf_counter()
            embedding = self.embed_aligned(aligned)[0].tolist()
            timings["embed"] = _ms(started)
        live_score = None
        if hint == "ok" and self.liveness is not None:
            started = time.perf_counter()
            result = self.liveness.predict(frame, np.asarray(main.landmarks, dtype=np.float32))
            live_score = result.get("live_score")
            timings["liveness"] = _ms(started)
        main = _with(main, embedding=embedding, quality=quality)
        return FaceAnalysis(
            faces=faces, main=main, hint=hint, ok=hint == "ok", timings_ms=timings, liveness_score=live_score
        )

    def _measure(self, face: Face, aligned: np.ndarray) -> Measurements:
        grey = cv2.cvtColor(aligned, cv2.COLOR_BGR2GRAY)
        try:
            pose = geometry.pose(face.landmarks)
            u, v = pose.u, pose.v
        except ValueError:
            u, v = 1.0, 0.0  # degenerate landmarks: certainly not a usable frontal face
        return Measurements(
            face_px=geometry.box_width(face.bbox),
            u=u,
            v=v,
            sharpness=float(cv2.Laplacian(grey, cv2.CV_64F).var()),
            brightness=float(grey.mean()),
        )


def _load_liveness(path: Path | None, threshold: float, providers: list[str]) -> Any:
    """insightface 2.1's RGB liveness addon, when its model is installed and is the published file."""
    if path is None:
        log.info("no liveness model installed: liveness relies on the head-turn challenge alone")
        return None
    from insightface.addons import ADDON_CATALOG, Liveness

    expected = ADDON_CATALOG["liveness"].sha256
    actual = sha256_file(path)
    if actual != expected:
        log.error("liveness model %s has SHA-256 %s, expected %s: not used", path, actual, expected)
        return None
    return Liveness(path, threshold=threshold, providers=providers)


def _similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    if hasattr(SimilarityTransform, "from_estimate"):
        transform = SimilarityTransform.from_estimate(source, target)
    else:  # scikit-image before 0.26
        transform = SimilarityTransform()
        transform.estimate(source, target)
    return np.asarray(transform.params[0:2, :], dtype=np.float64)


def _check_frame(frame: Any) -> None:
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError("a frame is an HxWx3 uint8 BGR image")


def _with(face: Face, **changes: Any) -> Face:
    values = {"bbox": face.bbox, "score": face.score, "landmarks": face.landmarks, "embedding": face.embedding}
    values["quality"] = dict(face.quality)
    values.update(changes)
    return Face(**values)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
