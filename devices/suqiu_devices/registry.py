"""Build the configured driver for a device kind by name. ``fake`` works for every kind.

Drivers register themselves with ``@register(kind, name)``; the modules are imported lazily so
an installation without, say, the face models still starts (that feature is then hidden).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from .errors import DeviceUnavailable

_FACTORIES: dict[tuple[str, str], Callable[..., Any]] = {}

# Where each kind's drivers live; imported on first use.
_MODULES: dict[str, list[str]] = {
    "printer": ["suqiu_devices.printer"],
    "speaker": ["suqiu_devices.speaker"],
    "counter_display": ["suqiu_devices.counter_display"],
    "camera": ["suqiu_devices.camera"],
    "face": ["suqiu_devices.face"],
    "microphone": ["suqiu_devices.microphone"],
    "asr": ["suqiu_devices.asr"],
}


def register(kind: str, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(factory: Callable[..., Any]) -> Callable[..., Any]:
        _FACTORIES[(kind, name)] = factory
        return factory

    return decorate


def _load(kind: str) -> None:
    for module in _MODULES.get(kind, []):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def build(kind: str, name: str, **options: Any) -> Any:
    _load(kind)
    factory = _FACTORIES.get((kind, name))
    if factory is None:
        known = sorted(n for k, n in _FACTORIES if k == kind)
        raise DeviceUnavailable(f"no {kind} driver named {name!r} (known: {', '.join(known) or 'none'})")
    return factory(**options)


def available(kind: str) -> list[str]:
    _load(kind)
    return sorted(n for k, n in _FACTORIES if k == kind)
