"""Face detection, alignment, embedding, quality and liveness (insightface driver).

``registry.build("face", "insightface", model_dir=...)`` loads a pack from a configured folder and
raises ``DeviceUnavailable`` (reason ``no_face_model`` / ``no_face_engine`` / ``bad_face_model``)
when it cannot; the kiosk then hides face login and logs why. There is deliberately no ``fake``
face engine: a fake that "recognises" people would make the consent and privacy paths untestable
in the way that matters; tests run the real engine on the small shared models instead.

This package's ``__init__`` stays light: the heavy imports happen in ``engine.py`` when a driver
is built.
"""

from __future__ import annotations

from typing import Any

from ..registry import register
from .liveness import ChallengeState, HeadTurnChallenge
from .quality import HINTS, QualityGates, hint_text

__all__ = ["HINTS", "ChallengeState", "HeadTurnChallenge", "QualityGates", "hint_text"]


@register("face", "insightface")
def _insightface(**options: Any) -> Any:
    from .engine import InsightFaceEngine

    model_dir = options.pop("model_dir", None)
    if not model_dir:
        from ..errors import DeviceUnavailable

        raise DeviceUnavailable(
            "no face model folder configured (model_dir)", "人脸识别模型未配置", reason="no_face_model"
        )
    gates = options.pop("gates", None)
    if isinstance(gates, dict):
        gates = QualityGates(**gates)
    return InsightFaceEngine(model_dir, gates=gates, **options)
