"""Deciding whether this kiosk offers face login at all, and saying why not in the log.

    face = load_face_support(camera={"driver": "opencv", "source": 0},
                             face={"model_dir": "/var/lib/suqiu/models/face/buffalo_l"})
    if face is None:
        ...  # hide the 刷脸 button; the log says why (no model, no camera, no engine)

Nothing here raises: a kiosk without a camera or without models is still a kiosk.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from suqiu_devices.errors import DeviceError
from suqiu_devices.registry import build

log = logging.getLogger(__name__)


@dataclass
class FaceSupport:
    camera: Any
    engine: Any

    def close(self) -> None:
        try:
            self.camera.close()
        except Exception:  # closing must never take the kiosk down
            log.exception("closing the camera failed")


def load_face_support(camera: dict[str, Any] | None, face: dict[str, Any] | None) -> FaceSupport | None:
    """``camera``: ``{"driver": "opencv" | "fake", ...options}``; ``face``: options of the
    ``insightface`` driver (``model_dir`` at least). None (and a log line) when either is missing."""
    if not face or not face.get("model_dir"):
        log.warning("face login hidden: no face model folder configured ([face] model_dir)")
        return None
    if not camera or not camera.get("driver"):
        log.warning("face login hidden: no camera configured ([camera] driver)")
        return None
    face_options = {k: v for k, v in face.items() if k != "driver"}
    try:
        engine = build("face", str(face.get("driver", "insightface")), **face_options)
    except DeviceError as exc:
        log.warning("face login hidden: %s", exc.message_en)
        return None
    except Exception:  # a broken install must not stop the kiosk from issuing tickets
        log.exception("face login hidden: the face engine failed to start")
        return None
    camera_options = {k: v for k, v in camera.items() if k != "driver"}
    try:
        device = build("camera", str(camera["driver"]), **camera_options)
    except DeviceError as exc:
        log.warning("face login hidden: %s", exc.message_en)
        return None
    log.info("face login available: model %s, camera %s", engine.model_id, camera["driver"])
    return FaceSupport(device, engine)
