"""Face settings: environment variable > ``[faces]`` table of the server config file > default.

    [faces]
    retention_days = 730          # delete a template after this long without a visit
    match_threshold = 0.42        # cosine; overrides the calibrated value for every model
    pending_days = 7              # a kiosk enrolment no officer confirmed is deleted after this

Environment: ``SUQIU_FACE_RETENTION_DAYS``, ``SUQIU_FACE_MATCH_THRESHOLD``, ``SUQIU_FACE_PENDING_DAYS``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from ..settings import Settings


@dataclass(frozen=True)
class FaceConfig:
    retention_days: int = 730
    pending_days: int = 7
    match_threshold: float | None = None  # None: the calibrated value of the model (calibration.py)
    # The best person must lead the second-best by this much: two similar-looking colleagues
    # are an ambiguity, not a match.
    match_margin: float = 0.05
    confirm_seconds: int = 120  # a match must be confirmed ("是") within this time
    link_seconds: int = 1800  # and its ticket linked within this time of the confirmation
    min_frames: int = 3
    max_frames: int = 10
    # Wrong phone digits this many times within an hour locks face enrolment/withdrawal at the
    # kiosk for that staff number (4 digits are guessable otherwise).
    max_verify_failures: int = 5


def _config_file(settings: Settings) -> Path:
    explicit = os.environ.get("SUQIU_CONFIG")
    return Path(explicit) if explicit else Path(settings.data_dir) / "suqiu.toml"


def load(settings: Settings) -> FaceConfig:
    values: dict[str, object] = {}
    path = _config_file(settings)
    if path.is_file():
        with path.open("rb") as fh:
            values.update(tomllib.load(fh).get("faces", {}))
    for f in fields(FaceConfig):
        env = os.environ.get(f"SUQIU_FACE_{f.name.upper()}")
        if env is not None:
            values[f.name] = env
    parsed: dict[str, object] = {}
    for f in fields(FaceConfig):
        if f.name not in values:
            continue
        raw = values[f.name]
        if f.name == "match_threshold":
            parsed[f.name] = float(str(raw)) if str(raw).strip() else None
        elif f.type in ("float", float) or f.name == "match_margin":
            parsed[f.name] = float(str(raw))
        else:
            parsed[f.name] = int(str(raw))
    return FaceConfig(**parsed)  # type: ignore[arg-type]
