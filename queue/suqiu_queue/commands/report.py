"""``suqiu report --center C --month 2026-10 --out report.pdf``: a center's management report.

Reads the database directly (the machine running it is the server or has its database URL), so a
month-end report can be made by a timer without an officer's login. The format follows the file
name: ``.pdf`` (charts, Chinese font embedded), ``.html`` (the page the front desk shows) or
``.json`` (the data). The read is audited like the API's, with the actor ``cli``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

FORMATS = (".pdf", ".html", ".json")


def cmd_report(args: argparse.Namespace) -> int:
    from suqiu_queue.cli import _migrated_sessions
    from suqiu_queue.domain.errors import SuqiuError
    from suqiu_queue.domain.hours import local_now
    from suqiu_queue.server.audit.service import record
    from suqiu_queue.server.db import utcnow
    from suqiu_queue.server.org.service import center_by_code
    from suqiu_queue.server.reports import service

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        print(
            f"输出文件应以 .pdf、.html 或 .json 结尾 (--out must end in .pdf, .html or .json): {out}", file=sys.stderr
        )
        return 2
    started = time.perf_counter()
    now = utcnow()
    sessions = _migrated_sessions(args)
    try:
        with sessions() as session:
            center = center_by_code(session, args.center)
            today = local_now(now, center.timezone).date()
            period = service.parse_period(month=args.month, year=args.year, today=today)
            report = service.build_report(session, center=center, period=period, now=now)
        payload = _render(report, suffix)
    except SuqiuError as exc:
        print(f"{exc.message} ({exc.message_en})", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(payload)
    with sessions() as session, session.begin():
        record(
            session,
            actor="cli",
            action="report.read",
            subject=f"center:{center.code}",
            detail={"period": period.key, "format": suffix.lstrip(".")},
        )
    elapsed = time.perf_counter() - started
    print(
        f"已生成 {center.name} {period.label}报告：{out}（{report['cases']['received']} 件诉求，{elapsed:.1f} 秒） "
        f"(wrote {out}: {report['cases']['received']} cases, {elapsed:.1f} s)"
    )
    return 0


def _render(report: dict[str, Any], suffix: str) -> bytes:
    if suffix == ".pdf":
        from suqiu_queue.server.reports.render_pdf import render_pdf

        return render_pdf(report)
    if suffix == ".html":
        from suqiu_queue.server.reports.render_html import render_html

        return render_html(report).encode("utf-8")
    return json.dumps(report, ensure_ascii=False, indent=2).encode("utf-8")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report", help="管理报表: a center's month or year report as PDF, HTML or JSON (suqiu[reports] for PDF)"
    )
    p.add_argument("--center", required=True, help="center code, e.g. HQ")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--month", help="2026-10 (default: the current month)")
    when.add_argument("--year", type=int, help="2026: the whole year")
    p.add_argument("--out", required=True, help="report.pdf | report.html | report.json")
    p.set_defaults(func=cmd_report)
