"""``suqiu assess list|score|escalate``: the scales, scoring a paper questionnaire from the command
line, and one crisis-escalation pass.

Scoring needs no server and no database: the same definitions and the same pure scoring the
server uses, so a counselor's paper entry and the kiosk always agree. ``escalate`` is what the
server's own scheduler runs every 30 seconds (``crisis_escalation``); the command stays for sites
that run the server with ``SUQIU_SCHEDULER=0`` and a cron job or systemd timer instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def _catalog() -> Any:
    import suqiu_assets.scales
    from suqiu_queue.domain.assessment import build_catalog

    return build_catalog(suqiu_assets.scales.definitions(), os.environ)


def parse_points(text: str) -> list[int]:
    """``"1,0,2"`` (spaces and full-width commas allowed, as typed from a paper form)."""
    parts = [p.strip() for p in text.replace("，", ",").split(",")]
    if not parts or any(not p.lstrip("-").isdigit() for p in parts):
        raise argparse.ArgumentTypeError(
            f"分值应为逗号分隔的整数，例如 1,0,2 (points must be integers like 1,0,2): {text!r}"
        )
    return [int(p) for p in parts]


def cmd_list(args: argparse.Namespace) -> int:
    scales = _catalog().list()
    if args.json:
        rows = [
            {
                "id": s.id,
                "short_name": s.short_name,
                "name": s.name.zh,
                "name_en": s.name.en,
                "items": len(s.items),
                "version": s.version,
            }
            for s in scales
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for s in scales:
        print(f"{s.id:<7}{s.short_name:<8}{len(s.items):>3} 题  {s.name.zh}  {s.name.en}")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from suqiu_queue.domain.assessment import score
    from suqiu_queue.domain.errors import SuqiuError

    try:
        result = score(_catalog().get(args.scale), args.points)
    except SuqiuError as exc:
        print(f"{exc.message} ({exc.message_en})", file=sys.stderr)
        return 2
    print(json.dumps(result.summary(), ensure_ascii=False))
    return 0


def cmd_escalate(args: argparse.Namespace) -> int:
    """One pass of crisis-alert escalation (the server's scheduler does this by itself)."""
    from suqiu_queue.cli import _migrated_sessions, _settings
    from suqiu_queue.server.assessments.service import escalate_unacknowledged
    from suqiu_queue.server.db import utcnow

    minutes = args.minutes if args.minutes is not None else _settings(args).crisis_escalation_minutes
    sessions = _migrated_sessions(args)
    with sessions() as session, session.begin():
        escalated = escalate_unacknowledged(session, utcnow(), minutes)
    print(f"已上报 {len(escalated)} 条超时未接手的危机预警 (escalated {len(escalated)} unacknowledged crisis alerts)")
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("assess", help="psychological self-assessment scales (心理测评量表)")
    sub = parser.add_subparsers(dest="assess_command", required=True)

    listing = sub.add_parser("list", help="list the scales this site may use")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=cmd_list)

    scoring = sub.add_parser("score", help="score a paper questionnaire; prints JSON")
    scoring.add_argument("scale", help="scale id, e.g. phq9 (see `suqiu assess list`)")
    scoring.add_argument(
        "--points",
        required=True,
        type=parse_points,
        help="answers as ticked on the paper form, before any reversal, e.g. 1,0,2,3,0,1,0,0,0",
    )
    scoring.set_defaults(func=cmd_score)

    escalate = sub.add_parser("escalate", help="escalate crisis alerts nobody acknowledged to the supervisors")
    escalate.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="how long an alert may stay unacknowledged (default: SUQIU_CRISIS_ESCALATION_MINUTES, 5)",
    )
    escalate.set_defaults(func=cmd_escalate)
