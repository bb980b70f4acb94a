"""Cases at scale on PostgreSQL: an employee's history, a supervisor's overdue list, the SLA sweep.

    .venv/bin/python bench/cases.py [--cases 1000000] [--open-share 0.05] [--samples 300] [--backlog-hours 1]

A fresh database gets the real schema (migrations), 20 centers, 100,000 employees and ``--cases``
cases generated inside PostgreSQL with ``INSERT ... SELECT generate_series`` (three years of closed
cases, the newest ``--open-share`` still open). The open cases' deadlines and supervision moments
are then computed by the server's own code (``cases.deadlines.refresh`` with the working-day
calendar), as of a sweep that ran ``--backlog-hours`` (1) before "now" — a supervision runner that
was stopped for an hour, so the measured sweep has a real backlog (a runner every minute sees a
sixtieth of it). A second sweep 23 hours later shows the catch-up after a day without a runner.

Measured, each a fresh session doing what the endpoint does (query + ``case_out``):

* history: one employee's cases, newest first (``cases.service.employee_cases``), random employees;
* overdue: a center's overdue list (``cases.service.overdue_cases``, 100 rows), random centers;
* sweep: one ``supervision.service.sweep`` at "now" over all open cases — it finds the due ones by
  index and climbs their ladder (in-app notification rows, events, timeline rows).

* catch-up: the sweep 23 hours later, as the first pass after a day without any runner — many
  cases have passed one or more rungs; each gets its highest rung only.

The last line is machine-readable:
    cases=N history_p95_ms=N overdue_p95_ms=N sweep_s=N catchup_s=N
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

PG_BASE = os.environ.get("SUQIU_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CENTERS = 20
EMPLOYEES = 100_000
# Wednesday 2026-11-25 11:00 in Shanghai: a working day, outside the quiet hours.
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
SUMMARIES = [
    "咨询住房公积金提取条件，准备在老家购房",
    "三号宿舍楼热水器坏了一周，多次报修未处理",
    "劳动合同到期，单位未续签也未通知",
    "工伤认定申请已提交两个月，一直没有结果",
    "建议班车增加早六点半一班，方便倒班职工",
    "咨询大病医疗补充保险报销流程和比例",
    "最近工作压力大，睡眠不好，想找心理咨询师聊聊",
    "施工现场脚手架存在安全隐患，班组反映多次未整改",
    "加班费计算基数低于实际工资，要求补发",
    "建议在输油泵房加装温度远程监测",
]


@contextmanager
def database() -> Iterator[str]:
    name = f"suqiu_bench_cases_{secrets.token_hex(4)}"
    admin = create_engine(make_url(PG_BASE).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_BASE).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def step(label: str, started: float) -> float:
    now = time.perf_counter()
    print(f"  {label}: {now - started:.1f} s", flush=True)
    return now


def populate(engine, sessions, cases: int, open_share: float) -> None:  # type: ignore[no-untyped-def]
    from suqiu_queue.domain.hours import ALWAYS_OPEN
    from suqiu_queue.server.accounts.service import create_user
    from suqiu_queue.server.org.models import Center, OrgUnit
    from suqiu_queue.server.seed import seed_categories

    started = time.perf_counter()
    with sessions() as session, session.begin():
        seed_categories(session)
        unit = OrgUnit(code="B1", name="基准集团", level=1)
        session.add(unit)
        session.flush()
        for i in range(CENTERS):
            center = Center(
                code=f"C{i:02d}", name=f"第{i + 1}职工诉求服务中心", org_unit_id=unit.id, opening_hours=ALWAYS_OPEN
            )
            session.add(center)
            session.flush()
            create_user(
                session, username=f"handler{i}", password="bench-pass-1", role="handler", center=center, actor="bench"
            )
            create_user(
                session,
                username=f"supervisor{i}",
                password="bench-pass-1",
                role="supervisor",
                center=center,
                actor="bench",
            )
    started = step("centers, categories, officers", started)
    with engine.begin() as conn:
        conn.execute(
            text(
                """INSERT INTO employees (employee_no, name, org_unit_id, birth_date, phone, hire_date, active, source, updated_at)
                SELECT 'B' || lpad(g::text, 7, '0'), '职工' || g, 1, DATE '1970-01-01' + (g % 12000),
                       '139' || lpad(g::text, 8, '0'), DATE '2000-01-01' + (g % 8000), true, 'bench', now()
                FROM generate_series(1, :n) g"""
            ),
            {"n": EMPLOYEES},
        )
    started = step(f"{EMPLOYEES} employees", started)
    opened = int(cases * open_share)
    with engine.begin() as conn:
        category_rows = conn.execute(text("SELECT id, sla_policy FROM categories ORDER BY id")).all()
        handler_ids = [
            r[0] for r in conn.execute(text("SELECT id FROM users WHERE role = 'handler' ORDER BY center_id")).all()
        ]
        conn.execute(text("CREATE TEMP TABLE bench_categories (k int, id int, policy text)"))
        conn.execute(
            text("INSERT INTO bench_categories VALUES (:k, :id, :policy)"),
            [{"k": k, "id": cid, "policy": policy} for k, (cid, policy) in enumerate(category_rows)],
        )
        conn.execute(text("CREATE TEMP TABLE bench_handlers (k int, id int)"))
        conn.execute(
            text("INSERT INTO bench_handlers VALUES (:k, :id)"), [{"k": k, "id": h} for k, h in enumerate(handler_ids)]
        )
        # Closed cases over three years; the newest ``opened`` are open, received over the last 20 days.
        conn.execute(
            text(
                """INSERT INTO cases (reference, center_id, employee_id, category_id, channel, summary, status,
                    confidential, outcome, created_by, created_at, updated_at, accepted_at, clock_start_at, sla_policy,
                    responded_at, routed_at, in_progress_at, answered_at, departments, department, responsible,
                    assignee_id, rating_score, rated_at)
                SELECT 'SQB-' || lpad(g::text, 8, '0'),
                       1 + (g % :centers),
                       1 + ((g::bigint * 7919) % :employees),
                       c.id,
                       (ARRAY['visit','visit','visit','phone','letter','online'])[1 + g % 6],
                       (CAST(:summaries AS text[]))[1 + g % 10],
                       CASE WHEN g <= :closed THEN (ARRAY['archived','archived','rated'])[1 + g % 3]
                            ELSE (ARRAY['accepted','routed','in_progress','in_progress'])[1 + g % 4] END,
                       c.policy = 'care_3wd', '', 'bench', t.created, t.created, t.created, t.created, c.policy,
                       CASE WHEN g <= :closed OR g % 4 <> 0 THEN t.created + interval '2 hours' END,
                       CASE WHEN g <= :closed OR g % 4 <> 0 THEN t.created + interval '2 hours' END,
                       CASE WHEN g <= :closed OR g % 4 >= 2 THEN t.created + interval '3 hours' END,
                       CASE WHEN g <= :closed THEN t.created + interval '2 days' END,
                       '["人力资源部"]'::json, '人力资源部', '承办人',
                       h.id,
                       CASE WHEN g <= :closed THEN 1 + (g % 5) END,
                       CASE WHEN g <= :closed THEN t.created + interval '3 days' END
                FROM generate_series(1, :cases) g
                JOIN bench_categories c ON c.k = (g / :centers) % 8  -- independent of the center
                JOIN bench_handlers h ON h.k = g % :centers
                CROSS JOIN LATERAL (SELECT CASE WHEN g <= :closed
                        THEN CAST(:now AS timestamptz) - (interval '1 minute' * ((g::bigint * 104729) % (3 * 365 * 24 * 60)) + interval '30 days')
                        ELSE CAST(:now AS timestamptz) - interval '1 minute' * ((g::bigint * 104729) % (20 * 24 * 60)) END AS created) t"""
            ),
            {
                "centers": CENTERS,
                "employees": EMPLOYEES,
                "summaries": SUMMARIES,
                "closed": cases - opened,
                "cases": cases,
                "now": NOW,
            },
        )
        conn.execute(text("ANALYZE"))
    step(f"{cases} cases ({opened} open)", started)


def schedule_open_cases(sessions, as_of: datetime) -> float:  # type: ignore[no-untyped-def]
    """The open cases' deadlines and next supervision moment, as a sweep at ``as_of`` left them."""
    from suqiu_queue.domain import sla
    from suqiu_queue.domain.supervision import DEFAULT_LADDER, next_rung_at, reached
    from suqiu_queue.server.cases import deadlines, policies
    from suqiu_queue.server.cases.models import Case

    started = time.perf_counter()
    with sessions() as session:
        ids = list(session.scalars(select(Case.id).where(Case.status.in_(deadlines.OPEN_STATES)).order_by(Case.id)))
    all_policies = policies.shipped_policies()
    calendar = policies.calendar_for("Asia/Shanghai")
    for start in range(0, len(ids), 2000):
        with sessions() as session, session.begin():
            for case in session.scalars(select(Case).where(Case.id.in_(ids[start : start + 2000]))):
                clock = deadlines.CaseClock(case, all_policies[case.sla_policy], calendar, [])
                deadlines.refresh(case, clock, ladder=DEFAULT_LADDER, now=as_of)
                if case.due_step is None:
                    continue
                instant_of = deadlines.ladder_instants(clock, sla.SlaStep(case.due_step), DEFAULT_LADDER)
                case.alert_fired = reached(DEFAULT_LADDER, 0, instant_of, as_of)
                case.next_alert_at = next_rung_at(DEFAULT_LADDER, case.alert_fired, instant_of)
    with sessions() as session, session.begin():
        session.execute(text("ANALYZE cases"))
    return time.perf_counter() - started


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[94]


def measure(sessions, samples: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    from suqiu_queue.server.cases.service import case_out, employee_cases, overdue_cases

    rng = random.Random(7)
    history, overdue = [], []
    sizes = []
    for _ in range(samples):
        employee_id = rng.randint(1, EMPLOYEES)
        started = time.perf_counter()
        with sessions() as session:
            rows = [case_out(c) for c in employee_cases(session, employee_id=employee_id, limit=50)]
        history.append((time.perf_counter() - started) * 1000)
        sizes.append(len(rows))
    overdue_sizes = []
    for _ in range(samples):
        center_id = rng.randint(1, CENTERS)
        started = time.perf_counter()
        with sessions() as session:
            rows = [case_out(c) for c in overdue_cases(session, center_id=center_id, now=NOW, limit=100)]
        overdue.append((time.perf_counter() - started) * 1000)
        overdue_sizes.append(len(rows))
    print(f"  history: {statistics.mean(sizes):.1f} cases per employee on average")
    print(f"  overdue: {statistics.mean(overdue_sizes):.0f} rows per list (limit 100)")
    return history, overdue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--open-share", type=float, default=0.05)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--backlog-hours", type=float, default=1.0, help="how long the runner was down before 'now'")
    args = parser.parse_args(argv)

    from suqiu_queue.server.cases.config import LoopConfig
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade
    from suqiu_queue.server.supervision.service import sweep

    with database() as url:
        engine = make_engine(url)
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        print(f"populating {args.cases} cases in PostgreSQL ...", flush=True)
        populate(engine, sessions, args.cases, args.open_share)
        recompute_s = schedule_open_cases(sessions, NOW - timedelta(hours=args.backlog_hours))
        print(f"  deadlines and supervision moments of the open cases (server code): {recompute_s:.1f} s")
        with sessions() as session:
            due = session.execute(
                text("SELECT count(*) FROM cases WHERE next_alert_at <= :now"), {"now": NOW}
            ).scalar_one()
            overdue_total = session.execute(
                text("SELECT count(*) FROM cases WHERE due_at <= :now"), {"now": NOW}
            ).scalar_one()
        print(
            f"  at 'now': {due} cases have a rung due ({args.backlog_hours:g} h of backlog), {overdue_total} are overdue"
        )

        history, overdue = measure(sessions, args.samples)
        print(f"history p50={statistics.median(history):.1f} ms p95={p95(history):.1f} ms")
        print(f"overdue p50={statistics.median(overdue):.1f} ms p95={p95(overdue):.1f} ms")

        started = time.perf_counter()
        result = sweep(sessions, now=NOW, config=LoopConfig())
        sweep_s = time.perf_counter() - started
        print(
            f"sweep: checked={result.checked} fired={result.fired} deferred={result.deferred} "
            f"notifications={result.notifications} levels={result.levels} in {sweep_s:.2f} s"
        )
        started = time.perf_counter()
        idle = sweep(sessions, now=NOW, config=LoopConfig())
        print(f"steady-state sweep (nothing new due): checked={idle.checked} in {time.perf_counter() - started:.3f} s")
        started = time.perf_counter()
        later = sweep(sessions, now=NOW + timedelta(hours=23), config=LoopConfig())
        catchup_s = time.perf_counter() - started
        print(
            f"catch-up sweep after 23 h without a runner: fired={later.fired} deferred={later.deferred} "
            f"notifications={later.notifications} caught_up={later.caught_up} "
            f"(skipped {later.skipped_rungs} lower rungs) levels={later.levels} in {catchup_s:.2f} s"
        )
        engine.dispose()
    print(
        f"cases={args.cases} history_p95_ms={p95(history):.1f} overdue_p95_ms={p95(overdue):.1f} "
        f"sweep_s={sweep_s:.2f} catchup_s={catchup_s:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
