"""Kiosk settings: command line over config file over defaults.

``suqiu device add --kind kiosk --write-config kiosk.toml`` writes the ``[device]`` table (server,
key, center). Everything else is optional and has a sensible default; a ``[kiosk]`` table and
``[printer]`` / ``[speaker]`` tables may tune it::

    [device]
    server = "http://10.0.0.5:8000"
    key = "…"
    center = "HQ"

    [kiosk]
    devices = "real"          # or "fake"
    idle_seconds = 60
    language = "zh"           # "en" to start in English
    orientation = "auto"      # "portrait" / "landscape" to force a layout

    [printer]
    driver = "escpos_usb"
    vendor_id = "0x0483"
    product_id = "0x5743"

    [speaker]
    driver = "pyttsx3"
    voice = "cmn-latn-pinyin"

    [assessment]              # 心理自测, see docs/assessment-ui.md for every key
    enabled = true
    counselor_on_duty = "王老师"

    [microphone]              # voice input on the describe screen (docs/voice.md); hidden without one
    driver = "sounddevice"

    [asr]                     # speech to text for it; without a model the recording still goes
    driver = "faster_whisper"
    model_dir = "/var/lib/suqiu/models/whisper-base"

    [camera]                  # 刷脸识别 on the identify screen (docs/faces.md): camera *and* model needed
    driver = "opencv"
    source = 0

    [face]
    model_dir = "/var/lib/suqiu/models/face/buffalo_l"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .assessment.config import AssessmentConfig

DEFAULT_CONFIG_PATHS = (Path("/etc/suqiu/kiosk.toml"), Path.home() / ".config" / "suqiu" / "kiosk.toml")

# The driver used for each kind when ``devices = "real"`` and the config names none. A camera and a
# face model have no default: face login exists only where a site configured both.
REAL_DEFAULTS = {"printer": "escpos_usb", "speaker": "pyttsx3", "microphone": "sounddevice", "asr": "faster_whisper"}


class ConfigError(Exception):
    """The configuration is missing something the kiosk cannot run without."""


@dataclass
class DeviceChoice:
    driver: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class KioskConfig:
    server: str = "http://127.0.0.1:8000"
    device_key: str = ""
    center: str = ""  # empty: asked from the server (the key belongs to one center)
    fullscreen: bool = False
    devices: str = "fake"  # "real" or "fake"
    printer: DeviceChoice | None = None  # None: the default for ``devices``
    speaker: DeviceChoice | None = None
    microphone: DeviceChoice | None = None
    asr: DeviceChoice | None = None
    camera: dict[str, Any] | None = None  # the [camera] table as written (load_face_support reads it)
    face: dict[str, Any] | None = None  # the [face] table
    idle_seconds: float = 60.0  # any screen returns to welcome after this long without a touch
    print_timeout_seconds: float = 15.0  # a printer silent this long counts as failed
    sync_interval_seconds: float = 10.0  # how often to check the server and send offline tickets
    resolved_seconds: float = 8.0  # the "glad we could help" screen stays this long
    block_size: int = 20  # numbers leased per category for offline use
    language: str = "zh"
    orientation: str = "auto"
    data_dir: Path = field(default_factory=lambda: default_data_dir())
    http_timeout: tuple[float, float] = (2.0, 6.0)
    http_retries: int = 1
    assessment: AssessmentConfig = field(default_factory=AssessmentConfig)  # the [assessment] table

    def device(self, kind: str) -> DeviceChoice:
        chosen = {"printer": self.printer, "speaker": self.speaker, "microphone": self.microphone, "asr": self.asr}[
            kind
        ]
        if chosen is not None:
            return chosen
        if self.devices == "fake":
            return DeviceChoice("fake")
        return DeviceChoice(REAL_DEFAULTS[kind])

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "kiosk-outbox.sqlite3"


def default_data_dir() -> Path:
    base = os.environ.get("SUQIU_DATA_DIR")
    if base:
        return Path(base) / "kiosk"
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "suqiu-kiosk"


def read_file(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _device_choice(table: dict[str, Any] | None) -> DeviceChoice | None:
    if not table:
        return None
    options = dict(table)
    driver = options.pop("driver", None)
    if not driver:
        raise ConfigError('a [printer], [speaker], [microphone] or [asr] table needs driver = "…"')
    return DeviceChoice(str(driver), options)


def load(
    path: Path | None = None,
    *,
    server: str | None = None,
    device_key: str | None = None,
    center: str | None = None,
    fullscreen: bool | None = None,
    devices: str | None = None,
    idle_seconds: float | None = None,
    language: str | None = None,
    orientation: str | None = None,
    data_dir: Path | None = None,
    printer: str | None = None,
) -> KioskConfig:
    """Merge the config file (the given one, else the first default that exists) and overrides."""
    data: dict[str, Any] = {}
    if path is not None:
        if not path.exists():
            raise ConfigError(f"配置文件不存在 config file not found: {path}")
        data = read_file(path)
    else:
        for candidate in DEFAULT_CONFIG_PATHS:
            if candidate.exists():
                data = read_file(candidate)
                break
    device = data.get("device", {})
    kiosk = data.get("kiosk", {})
    config = KioskConfig()
    config.server = str(device.get("server", config.server))
    config.device_key = str(device.get("key", ""))
    config.center = str(device.get("center", ""))
    for name in ("fullscreen", "devices", "idle_seconds", "print_timeout_seconds", "sync_interval_seconds"):
        if name in kiosk:
            setattr(config, name, type(getattr(config, name))(kiosk[name]))
    for name in ("resolved_seconds", "block_size", "language", "orientation"):
        if name in kiosk:
            setattr(config, name, type(getattr(config, name))(kiosk[name]))
    if "data_dir" in kiosk:
        config.data_dir = Path(kiosk["data_dir"])
    config.printer = _device_choice(data.get("printer"))
    config.speaker = _device_choice(data.get("speaker"))
    config.microphone = _device_choice(data.get("microphone"))
    config.asr = _device_choice(data.get("asr"))
    config.camera = dict(data["camera"]) if data.get("camera") else None
    config.face = dict(data["face"]) if data.get("face") else None
    try:
        config.assessment = AssessmentConfig.from_mapping(data.get("assessment"))
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc)) from exc
    overrides = {
        "server": server,
        "device_key": device_key,
        "center": center,
        "fullscreen": fullscreen,
        "devices": devices,
        "idle_seconds": idle_seconds,
        "language": language,
        "orientation": orientation,
        "data_dir": data_dir,
    }
    for name, value in overrides.items():
        if value is not None:
            setattr(config, name, value)
    if printer:
        config.printer = DeviceChoice(printer, config.printer.options if config.printer else {})
    config.server = config.server.rstrip("/")
    if not config.device_key:
        raise ConfigError(
            "缺少设备密钥：请用 --device-key 或配置文件提供（suqiu device add --kind kiosk --write-config …）"
            " / no device key: pass --device-key or a config file"
        )
    if config.devices not in ("real", "fake"):
        raise ConfigError("--devices must be real or fake")
    if config.language not in ("zh", "en"):
        raise ConfigError("language must be zh or en")
    if config.orientation not in ("auto", "portrait", "landscape"):
        raise ConfigError("orientation must be auto, portrait or landscape")
    return config
