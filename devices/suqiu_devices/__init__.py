"""Hardware at the edge: camera, face engine, microphone, speech recognition, speaker, printer,
counter LED strip. One small protocol per kind (``protocols.py``), real drivers, and a fake for
each that behaves like the device. ``registry.build(kind, name, **options)`` makes the
configured one; ``fake`` is valid for every kind.

This package imports neither Qt nor the server; heavy libraries are imported inside the driver
modules that need them.
"""

from .errors import DeviceError, DeviceUnavailable

__all__ = ["DeviceError", "DeviceUnavailable"]
