"""Shipped data: categories and SLA policies, questionnaires, FAQ seed, calendars, sounds, themes.

Everything is read through ``importlib.resources`` so it works from a wheel or a zip.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml


def read_text(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def read_bytes(name: str) -> bytes:
    return resources.files(__name__).joinpath(name).read_bytes()


def load_yaml(name: str) -> Any:
    return yaml.safe_load(read_text(name))


def categories() -> list[dict[str, Any]]:
    return list(load_yaml("categories.yaml")["categories"])
