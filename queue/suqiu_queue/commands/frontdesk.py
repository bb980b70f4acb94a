"""``suqiu frontdesk``: the reception officer's window (PySide6)."""

from __future__ import annotations

import argparse
import os
from typing import Any


def cmd_frontdesk(args: argparse.Namespace) -> int:
    try:
        from suqiu_frontdesk.app import run
    except ImportError as exc:  # PySide6 is an optional extra
        print(f"前台程序需要 PySide6：pip install 'suqiu[apps]' (the front desk needs PySide6: {exc})")
        return 2
    return run(args.server, counter=args.counter, display=args.display, username=args.username or "")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("frontdesk", help="the reception officer's window (queue, arrival cards, cases)")
    p.add_argument(
        "--server",
        default=os.environ.get("SUQIU_SERVER", "http://127.0.0.1:8000"),
        help="server URL (default: $SUQIU_SERVER or http://127.0.0.1:8000)",
    )
    p.add_argument("--counter", type=int, help="counter number (窗口号); otherwise chosen after login and remembered")
    p.add_argument(
        "--display",
        default="none",
        metavar="fake|serial:PORT|tcp:HOST:PORT",
        help="the LED strip above the counter (default: none)",
    )
    p.add_argument("--username", help="prefill the login name")
    p.set_defaults(func=cmd_frontdesk)
