"""Finding the model files in a configured folder — never insightface's implicit ``~/.insightface``.

Any insightface-compatible pack works: ``buffalo_l`` (det_10g + w600k_r50), ``buffalo_s``
(det_500m + w600k_mbf), a licensed pack, or the small test models in ``shared/models``. The folder
holds ONNX files; the detector and the recogniser are picked by name (or named explicitly in the
configuration), and the engine then checks that insightface routes each to the right kind.

Templates are only comparable when the same recogniser made them, so a pack is identified by the
SHA-256 of its recogniser file: ``model_id = "<file stem>:<first 16 hex digits>"``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import DeviceUnavailable

# Files in insightface packs that are neither detector nor recogniser: never loaded (1k3d68 alone
# is 143 MB and would cost seconds and memory for nothing).
IGNORED_PARTS = ("1k3d68", "2d106det", "genderage", "landmark", "liveness", "yunet", "inswapper", "attribute")
DETECTOR_PARTS = ("det_", "scrfd", "retinaface")
RECOGNISER_PARTS = ("w600k", "glint", "arcface", "mobilefacenet", "mbf", "r50", "r100", "recognition", "adaface")
LIVENESS_FILE = "liveness.onnx"


@dataclass(frozen=True)
class ModelPack:
    folder: Path
    detector: Path
    recogniser: Path
    recogniser_sha256: str
    liveness: Path | None

    @property
    def model_id(self) -> str:
        return f"{self.recogniser.stem}:{self.recogniser_sha256[:16]}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _unavailable(message_en: str) -> DeviceUnavailable:
    return DeviceUnavailable(message_en, "人脸识别模型未安装", reason="no_face_model")


def _pick(files: list[Path], parts: tuple[str, ...], what: str, folder: Path) -> Path:
    matches = [f for f in files if any(p in f.name.lower() for p in parts)]
    if not matches:
        raise _unavailable(f"no {what} model in {folder} (looked for names containing {', '.join(parts)})")
    if len(matches) > 1:
        names = ", ".join(f.name for f in matches)
        raise _unavailable(f"several {what} models in {folder} ({names}); name one in the configuration")
    return matches[0]


def find_pack(
    folder: str | Path,
    *,
    detector: str | None = None,
    recogniser: str | None = None,
    liveness: str | None = None,
) -> ModelPack:
    """The pack in ``folder``. Raises ``DeviceUnavailable`` (reason ``no_face_model``) saying why not."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise _unavailable(f"face model folder {root} does not exist (install one with `suqiu models install face`)")
    files = sorted(p for p in root.glob("*.onnx") if p.is_file())
    candidates = [f for f in files if not any(part in f.name.lower() for part in IGNORED_PARTS)]
    det = root / detector if detector else _pick(candidates, DETECTOR_PARTS, "face detector", root)
    rest = [f for f in candidates if f != det]
    rec = root / recogniser if recogniser else _pick(rest, RECOGNISER_PARTS, "face recogniser", root)
    for path in (det, rec):
        if not path.is_file():
            raise _unavailable(f"model file {path} does not exist")
    live = Path(liveness).expanduser() if liveness else _find_liveness(root)
    return ModelPack(root, det, rec, sha256_file(rec), live if live and live.is_file() else None)


def _find_liveness(root: Path) -> Path | None:
    """insightface's liveness addon: beside the pack, or in the shared ``addons`` folder next to it."""
    for candidate in (root / LIVENESS_FILE, root.parent / "addons" / LIVENESS_FILE):
        if candidate.is_file():
            return candidate
    return None
