"""Device errors carry a message for the person in front of the device and one for the log."""

from __future__ import annotations


class DeviceError(Exception):
    """A device failed during an operation (paper out, cover open, write error)."""

    def __init__(self, message_en: str, message: str = "设备暂时无法使用", *, reason: str = "error") -> None:
        super().__init__(message_en)
        self.message = message  # calm Chinese text for the screen
        self.message_en = message_en
        self.reason = reason  # stable code: "no_paper", "offline", "cover_open", ...


class DeviceUnavailable(DeviceError):
    """The device is absent or its driver/model is not installed: the app hides or degrades the feature."""

    def __init__(self, message_en: str, message: str = "设备不可用", *, reason: str = "unavailable") -> None:
        super().__init__(message_en, message, reason=reason)
