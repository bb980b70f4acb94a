"""Match thresholds per recogniser, keyed by the first 16 hex digits of the model file's SHA-256.

A threshold belongs to one model: cosine scores of different recognisers live on different
scales. An unknown model is refused until the site calibrates it (``bench/face.py --calibrate``
on photos of consenting volunteers, see docs/faces.md) and sets ``[faces] match_threshold``.
"""

from __future__ import annotations

from dataclasses import dataclass

from suqiu_queue.domain.errors import Invalid

from .config import FaceConfig


@dataclass(frozen=True)
class Calibration:
    threshold: float
    source: str


KNOWN: dict[str, Calibration] = {
    # shared/models/mobilefacenet_128.onnx: tests only (origin and licence unknown).
    "f055d9c9a4d826d1": Calibration(
        0.42,
        "11 photos of 5 people (shared/fixtures/faces): same person >= 0.58, different people <= 0.23; "
        "0.42 sits between. Far too few photos to promise a false-accept rate.",
    ),
}


def model_digest(model_id: str) -> str:
    """``"w600k_r50:4c06341c33c2ca1f"`` -> ``"4c06341c33c2ca1f"``."""
    return model_id.rsplit(":", 1)[-1].lower()


def threshold_for(model_id: str, config: FaceConfig) -> float:
    if config.match_threshold is not None:
        return config.match_threshold
    known = KNOWN.get(model_digest(model_id))
    if known is None:
        raise Invalid(
            "face_model_not_calibrated",
            "该人脸识别模型尚未校准阈值，暂不能使用刷脸识别，请使用工号",
            f"Face model {model_id} has no calibrated match threshold; set [faces] match_threshold",
            details={"model": model_id},
        )
    return known.threshold
