"""``suqiu kiosk``: start the touchscreen app.

suqiu kiosk --server http://10.0.0.5:8000 --device-key K --fullscreen --devices real
suqiu kiosk --config /etc/suqiu/kiosk.toml
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import ConfigError, KioskConfig, load

if TYPE_CHECKING:
    from .service import KioskService

# Heavier modules (Qt, requests, drivers) are imported when the kiosk runs, so `suqiu --help`
# stays fast.

log = logging.getLogger("suqiu_kiosk")

PORTRAIT_SIZE = (1080, 1920)
LANDSCAPE_SIZE = (1920, 1080)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", help="server URL, e.g. http://10.0.0.5:8000")
    parser.add_argument("--device-key", help="the kiosk's device key (suqiu device add --kind kiosk)")
    parser.add_argument("--config", type=Path, help="config file written by `suqiu device add --write-config`")
    parser.add_argument("--center", help="center code (default: the key's center)")
    parser.add_argument("--fullscreen", action="store_true", default=None, help="fill the screen (kiosk mode)")
    parser.add_argument("--devices", choices=["real", "fake"], help="real drivers or fakes (default from config: fake)")
    parser.add_argument(
        "--printer", help="printer driver: escpos_usb, escpos_network, escpos_serial, escpos_file, fake"
    )
    parser.add_argument("--idle-seconds", type=float, help="return to the welcome screen after this long (default 60)")
    parser.add_argument("--lang", choices=["zh", "en"], help="starting language (default zh)")
    parser.add_argument("--orientation", choices=["auto", "portrait", "landscape"])
    parser.add_argument("--data-dir", type=Path, help="where the offline outbox lives")


def config_from_args(args: argparse.Namespace) -> KioskConfig:
    return load(
        args.config,
        server=args.server,
        device_key=args.device_key,
        center=args.center,
        fullscreen=args.fullscreen,
        devices=args.devices,
        idle_seconds=args.idle_seconds,
        language=args.lang,
        orientation=args.orientation,
        data_dir=args.data_dir,
        printer=args.printer,
    )


def build_device(config: KioskConfig, kind: str) -> Any:
    """The configured driver, or None when it cannot be had (the kiosk degrades, it does not stop)."""
    from suqiu_devices import DeviceError
    from suqiu_devices.registry import build

    choice = config.device(kind)
    try:
        return build(kind, choice.driver, **choice.options)
    except DeviceError as exc:
        log.warning("%s %r unavailable: %s — continuing without it", kind, choice.driver, exc.message_en)
        return None


def build_voice_input(config: KioskConfig) -> tuple[Any, Any]:
    """(microphone opener, speech recognizer) for the describe screen; (None, None) hides voice input.

    The recognizer starts loading its model on its own thread at once, so the first person to speak
    does not wait for it; without a model the recording is still kept for the officer to hear.
    """
    if config.microphone is None and config.devices == "fake":
        return None, None  # the demo has no voice unless a [microphone] table names a recording to play
    from suqiu_devices.asr import recognizer_or_none
    from suqiu_devices.microphone import microphone_factory

    microphone = config.device("microphone")
    try:
        opener = microphone_factory(microphone.driver, **microphone.options)
    except Exception:  # a broken audio stack must not stop the kiosk from issuing tickets
        log.exception("microphone %r failed to start: voice input hidden", microphone.driver)
        return None, None
    if opener is None:
        return None, None
    recognizer = None
    if config.asr is not None or config.devices == "real":
        asr = config.device("asr")
        try:
            recognizer = recognizer_or_none(asr.driver, **asr.options)
        except Exception:
            log.exception("speech recognition %r failed to start: recordings go without text", asr.driver)
    return opener, recognizer


def load_face(config: KioskConfig) -> Any:
    """The camera and face engine, or None (face login hidden; the log says why). Slow (loads the
    models): run it off the UI thread."""
    if not config.camera and not config.face:
        return None
    from .face import load_face_support

    return load_face_support(config.camera, config.face)


def build_service(config: KioskConfig) -> KioskService:
    from suqiu_queue.client import SuqiuClient

    from .offline import OfflineStore
    from .service import KioskService

    client = SuqiuClient(
        config.server, device_key=config.device_key, timeout=config.http_timeout, retries=config.http_retries
    )
    return KioskService(client, OfflineStore(config.outbox_path), center=config.center, block_size=config.block_size)


def run(config: KioskConfig) -> int:
    os.environ.setdefault("QT_ENABLE_HIGHDPI_SCALING", "1")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from .window import KioskWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("suqiu-kiosk")
    service = build_service(config)
    open_microphone, recognizer = build_voice_input(config)
    window = KioskWindow(
        config,
        service,
        printer=build_device(config, "printer"),
        speaker=build_device(config, "speaker"),
        open_microphone=open_microphone,
        recognizer=recognizer,
    )
    if config.fullscreen:
        screen = app.primaryScreen()
        if screen is not None:
            window.fit_to(screen.geometry().width(), screen.geometry().height())
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint)
        window.setCursor(Qt.CursorShape.BlankCursor)  # a touchscreen shows no mouse pointer
        window.showFullScreen()
    else:
        window.resize(*(LANDSCAPE_SIZE if config.orientation == "landscape" else PORTRAIT_SIZE))
        window.show()
    window.start()
    if config.camera or config.face:
        from .workers import run_in_background

        # The models take a moment to load: the kiosk takes tickets meanwhile, 刷脸识别 appears after.
        run_in_background(lambda: load_face(config), on_done=window.set_face_support)
    code = app.exec()
    window.shutdown()
    close = getattr(recognizer, "close", None)
    if close is not None:
        close()
    service.store.close()
    return int(code)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="suqiu kiosk", description="职工诉求服务中心 自助取号机 (touchscreen kiosk)")
    add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return run_from_args(build_parser().parse_args(argv))


def run_from_args(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = config_from_args(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    return run(config)


if __name__ == "__main__":
    sys.exit(main())
