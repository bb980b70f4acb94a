"""``suqiu supervise`` (督办 sweep, its messages, the webhooks) and ``suqiu webhooks dead|replay``.

The server runs the same sweep itself (server/scheduler, on by default). This command is for sites
that turn the scheduler off (``SUQIU_SCHEDULER=0``) and prefer a separate process — as a loop
(``--every 60``, the systemd service in docs/cases.md) or once per timer tick (``--once``). It takes
the same single-runner lock (PostgreSQL advisory lock / SQLite lease) as the scheduler's job, so
running both, or several of either, is safe: one works, the others skip."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import time
from typing import Any


def _context(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    from suqiu_queue.cli import _settings
    from suqiu_queue.server.cases.config import load
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade

    settings = _settings(args)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return engine, make_sessionmaker(engine), load(settings)


def cmd_supervise(args: argparse.Namespace) -> int:
    from suqiu_queue.server.db import utcnow
    from suqiu_queue.server.supervision.service import run_jobs

    engine, sessions, config = _context(args)
    holder = f"{socket.gethostname()}:{os.getpid()}"
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        result = run_jobs(engine, sessions, now=utcnow(), config=config, holder=holder)
        print(f"督办 {utcnow().isoformat(timespec='seconds')} {result.summary()}", flush=True)
        if args.once or stopping:
            return 0
        deadline = time.monotonic() + args.every
        while not stopping and time.monotonic() < deadline:
            time.sleep(min(1.0, args.every))
        if stopping:
            return 0


def cmd_webhooks_dead(args: argparse.Namespace) -> int:
    from suqiu_queue.server.webhooks.service import dead_letters

    _engine, sessions, _config = _context(args)
    with sessions() as session:
        rows = dead_letters(session, limit=args.limit)
        for d in rows:
            print(f"{d.id:>8}  {d.endpoint.name:<20} {d.kind:<24} attempts={d.attempts} {d.last_error or ''}")
        print(f"死信 {len(rows)} 条 ({len(rows)} dead deliveries)")
    return 0


def cmd_webhooks_replay(args: argparse.Namespace) -> int:
    from suqiu_queue.domain.errors import SuqiuError
    from suqiu_queue.server.db import utcnow
    from suqiu_queue.server.webhooks.service import replay, replay_all

    if not args.all and not args.ids:
        print("请给出投递编号，或使用 --all (give delivery ids or --all)", file=sys.stderr)
        return 2
    _engine, sessions, _config = _context(args)
    try:
        with sessions() as session, session.begin():
            if args.all:
                count = replay_all(session, now=utcnow())
            else:
                for delivery_id in args.ids:
                    replay(session, delivery_id, now=utcnow())
                count = len(args.ids)
    except SuqiuError as exc:
        print(f"{exc.message} ({exc.message_en})", file=sys.stderr)
        return 2
    print(f"已重新排队 {count} 条投递，下次 suqiu supervise 时发送 (requeued {count} deliveries)")
    return 0


def register(subparsers: Any) -> None:
    supervise = subparsers.add_parser(
        "supervise", help="督办: remind and escalate on case deadlines, send e-mail/企业微信 and webhooks"
    )
    supervise.add_argument("--once", action="store_true", help="one pass, then exit (for a timer)")
    supervise.add_argument("--every", type=float, default=60.0, help="seconds between passes (default 60)")
    supervise.set_defaults(func=cmd_supervise)

    hooks = subparsers.add_parser("webhooks", help="outbound webhooks: dead letters and replay")
    sub = hooks.add_subparsers(dest="webhooks_command", required=True)
    dead = sub.add_parser("dead", help="list dead deliveries")
    dead.add_argument("--limit", type=int, default=100)
    dead.set_defaults(func=cmd_webhooks_dead)
    again = sub.add_parser("replay", help="requeue dead deliveries (sent at the next `suqiu supervise` pass)")
    again.add_argument("ids", nargs="*", type=int, help="delivery ids")
    again.add_argument("--all", action="store_true", help="every dead delivery of active endpoints")
    again.set_defaults(func=cmd_webhooks_replay)
