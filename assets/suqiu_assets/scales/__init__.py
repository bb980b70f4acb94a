"""Questionnaire definitions (心理测评量表), one YAML file per scale.

This module only reads files; ``suqiu_queue.domain.assessment.build_catalog`` validates them and
decides which ones the site may use (licensed scales such as SCL-90 need a configured licence).
A site adds its own or licensed scales by putting ``<id>.yaml`` files into a directory named by
``SUQIU_SCALES_DIR``; the shipped ones are read through ``importlib.resources``.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

SITE_DIR_SETTING = "SUQIU_SCALES_DIR"


def shipped_names() -> list[str]:
    return sorted(p.name for p in resources.files(__name__).iterdir() if p.name.endswith(".yaml"))


def read_shipped(name: str) -> Any:
    return _parse(name, resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))


def _parse(source: str, text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{source}: 不是有效的 YAML (not valid YAML): {exc}") from exc


def definitions(site_dir: str | Path | None = None) -> list[tuple[str, Any]]:
    """``(source name, parsed mapping)`` for every shipped scale, then every file in ``site_dir``.

    ``site_dir`` defaults to ``$SUQIU_SCALES_DIR``; a named directory that does not exist is an
    error rather than silently fewer scales.
    """
    found: list[tuple[str, Any]] = [(name, read_shipped(name)) for name in shipped_names()]
    directory = site_dir if site_dir is not None else os.environ.get(SITE_DIR_SETTING, "")
    if directory:
        path = Path(directory)
        if not path.is_dir():
            raise FileNotFoundError(f"{SITE_DIR_SETTING}={directory}: 量表目录不存在 (no such directory)")
        for file in sorted(path.glob("*.yaml")):
            found.append((str(file), _parse(str(file), file.read_text(encoding="utf-8"))))
    return found
