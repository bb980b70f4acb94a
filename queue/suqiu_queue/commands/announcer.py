"""``suqiu announcer --center C``: call announcements through the hall's speaker.

    suqiu announcer --center HQ --server http://10.0.0.5:8000 --device-key sqk_…
    suqiu announcer --config /etc/suqiu/announcer.toml     # written by `suqiu device add --write-config`

Runs until Ctrl+C or SIGTERM (systemd). The key may also come from ``$SUQIU_DEVICE_KEY``.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import tomllib
from pathlib import Path
from typing import Any

SPEAKERS = ("auto", "espeak", "pyttsx3", "fake")


def _config(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    with Path(path).open("rb") as handle:
        data = tomllib.load(handle)
    return dict(data.get("device", {}))


def cmd_announcer(args: argparse.Namespace) -> int:
    from suqiu_devices.registry import build
    from suqiu_queue.announcer import Announcer
    from suqiu_queue.client import SuqiuClient

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = _config(args.config)
    server = args.server or config.get("server") or os.environ.get("SUQIU_SERVER", "http://127.0.0.1:8000")
    key = args.device_key or config.get("key") or os.environ.get("SUQIU_DEVICE_KEY", "")
    center = args.center or config.get("center")
    if not center:
        print("请用 --center 指定服务中心 (--center is required, or a --config naming the center)")
        return 2
    if not key:
        print("需要播报设备密钥：--device-key 或 $SUQIU_DEVICE_KEY (an announcer device key is required)")
        return 2

    def open_speaker() -> Any:
        return build("speaker", args.speaker)

    announcer = Announcer(
        SuqiuClient(server, device_key=key), center, open_speaker, repeat=args.repeat, volume=args.volume
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    announcer.start()
    logging.getLogger("suqiu.announcer").info("announcing calls of center %s from %s", center, server)
    stop.wait()
    announcer.stop()
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("announcer", help="call announcements through the hall's speaker (叫号播报)")
    p.add_argument("--center", help="center code, e.g. HQ")
    p.add_argument("--server", help="server URL (default: $SUQIU_SERVER or http://127.0.0.1:8000)")
    p.add_argument("--device-key", help="the announcer's device key (default: $SUQIU_DEVICE_KEY)")
    p.add_argument("--config", metavar="PATH", help="device config file from `suqiu device add --write-config`")
    p.add_argument("--speaker", choices=SPEAKERS, default="auto", help="voice driver (default: auto)")
    p.add_argument("--repeat", type=int, default=2, choices=range(1, 4), metavar="1-3", help="times each call is said")
    p.add_argument("--volume", type=float, default=1.0, help="0.0–1.0")
    p.set_defaults(func=cmd_announcer)
