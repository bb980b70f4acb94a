"""``suqiu calendar status|refresh``: which holiday data the deadlines were computed with, and recomputing them.

The supervision runner (``suqiu supervise``, or the server's scheduler) already recomputes the
provisional deadlines at its first pass after a release brought new holiday data. ``refresh`` does
it now; ``refresh --all`` recomputes every open case (after a notice was amended during its year).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from typing import Any


def cmd_status(args: argparse.Namespace) -> int:
    from suqiu_queue.commands.cases import _context
    from suqiu_queue.server.cases import policies
    from suqiu_queue.server.cases.calendar_update import stored_fingerprint

    _engine, sessions, _config = _context(args)
    calendar = policies.calendar_for("Asia/Shanghai")
    current = policies.calendar_fingerprint()
    with sessions() as session:
        stored = stored_fingerprint(session)
    print(f"节假日数据 {calendar.first_year}–{calendar.last_year} 年（国务院通知）", end="")
    if calendar.provisional_until > calendar.last_year:
        print(f"，{calendar.last_year + 1}–{calendar.provisional_until} 年为暂定安排（按法定节假日推算）")
    else:
        print()
    state = "已应用" if stored == current else "尚未应用：下次督办任务运行时重新计算，或运行 suqiu calendar refresh"
    print(f"数据版本 {current}（{state}）")
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    from suqiu_queue.commands.cases import _context
    from suqiu_queue.server.cases.calendar_update import recompute
    from suqiu_queue.server.db import utcnow
    from suqiu_queue.server.supervision.lock import single_runner
    from suqiu_queue.server.supervision.service import JOBS_LOCK

    engine, sessions, config = _context(args)
    holder = f"{socket.gethostname()}:{os.getpid()}"
    # The same lock as the supervision runner: the sweep never works on half-recomputed deadlines.
    with single_runner(engine, name=JOBS_LOCK, holder=holder, now=utcnow()) as mine:
        if not mine:
            print("督办任务正在运行，请稍后再试 (the supervision runner holds the lock; try again)", file=sys.stderr)
            return 1
        result = recompute(sessions, now=utcnow(), config=config, everything=args.all)
    print(
        f"已重新计算 {result.checked} 件诉求的时限，其中 {result.moved} 件有变化 (recomputed {result.checked}, moved {result.moved})"
    )
    return 0


def register(subparsers: Any) -> None:
    calendar = subparsers.add_parser("calendar", help="节假日数据: status, and recomputing deadlines after an update")
    sub = calendar.add_subparsers(dest="calendar_command", required=True)
    status = sub.add_parser("status", help="which years the data covers, and whether the deadlines use it")
    status.set_defaults(func=cmd_status)
    refresh = sub.add_parser("refresh", help="recompute the provisional (or, with --all, every open) deadlines now")
    refresh.add_argument("--all", action="store_true", help="every open case, not only the provisional ones")
    refresh.set_defaults(func=cmd_refresh)
