"""``suqiu kiosk``: the touchscreen app (PySide6, imported only when the command runs)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    from suqiu_kiosk.app import add_arguments

    parser = subparsers.add_parser("kiosk", help="run the touchscreen kiosk (取号机)")
    add_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from suqiu_kiosk.app import run_from_args

    return run_from_args(args)
