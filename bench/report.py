"""A year's management report over 100,000 cases in PostgreSQL: how long does it take?

    .venv/bin/python bench/report.py [--cases 100000] [--previous-cases 80000] [--year 2025]
                                     [--out year.pdf year.html] [--month 2025-07 --month-out month.pdf]

Makes a fresh PostgreSQL database with the demo organisation (3,000 employees in 13 units), then
generates in SQL (``INSERT … SELECT … FROM generate_series``, seconds, not minutes):

* ``--cases`` cases in the year and ``--previous-cases`` in the year before (the report compares
  the two), with realistic summaries of 13 topics — the dormitory's air conditioning peaks in
  summer, its heating in winter — categories, channels, employees, answers against due times,
  first responses and ratings;
* 1.2 tickets per case with waits and service times, and the FAQ's daily kiosk outcomes.

Then it times ``build_report`` for the year (cold: jieba's dictionary is loaded on the way, as on
a server's first report) and the PDF rendering. The target of issue 5 is under 60 s for the year.

The last line is machine-readable:
    cases=N previous_cases=N tickets=N report_s=N pdf_s=N db=postgresql
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

PG_BASE = os.environ.get("SUQIU_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TZ = "Asia/Shanghai"

# (category, 4 openings, 4 continuations, weight per 100 in spring/autumn, summer, winter)
TOPICS: list[tuple[str, list[str], list[str], tuple[int, int, int]]] = [
    (
        "logistics",
        ["宿舍楼热水器坏了", "宿舍没有热水", "宿舍卫生间水管漏水", "宿舍门锁坏了"],
        ["报修三次没人来修", "已经一个星期了", "希望尽快安排维修", "影响倒班职工休息"],
        (14, 10, 12),
    ),
    (
        "logistics",
        ["宿舍空调不制冷", "车间休息室空调坏了", "食堂空调温度太高", "宿舍空调漏水"],
        ["天气太热晚上睡不着", "报修后一直没修好", "希望夏季前统一检修", "职工有中暑风险"],
        (5, 22, 1),
    ),
    (
        "logistics",
        ["宿舍暖气不热", "值班室暖气片漏水", "办公楼供暖温度太低", "宿舍楼暖气停了"],
        ["室内只有十几度", "晚上冻得睡不着", "希望尽快检修供暖管道", "老职工身体受不了"],
        (4, 0, 18),
    ),
    (
        "logistics",
        ["职工食堂饭菜价格上涨", "食堂晚餐供应时间太早", "食堂菜品太单一", "食堂卫生条件差"],
        ["夜班职工吃不上热饭", "希望增加菜品种类", "建议公开食材采购价格", "希望加强卫生检查"],
        (10, 8, 8),
    ),
    (
        "opinion",
        ["班车早上六点半发车太早", "夜班下班后没有班车", "班车线路调整后绕路", "班车座位不够"],
        ["倒班职工赶不上", "希望增加一个班次", "有职工只能站着", "通勤时间太长"],
        (8, 6, 7),
    ),
    (
        "policy",
        ["住房公积金提取需要哪些材料", "公积金贷款额度怎么计算", "异地购房提取住房公积金", "公积金缴存基数调整"],
        ["准备在老家购房", "材料交了一个月还没到账", "想了解具体办理流程", "个人缴存比例是否变化"],
        (10, 8, 9),
    ),
    (
        "policy",
        ["社保缴费基数调整", "养老保险视同缴费年限", "医保异地就医备案", "退休后社保待遇计算"],
        ["个人缴费部分如何变化", "原单位工龄怎么认定", "需要准备哪些材料", "希望提供书面说明"],
        (9, 8, 8),
    ),
    (
        "policy",
        ["年休假天数计算", "带薪年休假未休补偿", "探亲假规定", "婚假产假天数"],
        ["是否包括原单位工龄", "部门不批假", "希望明确执行标准", "人事部门答复不一致"],
        (7, 6, 9),
    ),
    (
        "legal",
        ["劳动合同到期未续签", "工伤认定申请", "加班费没有按规定发放", "劳务派遣转正"],
        ["单位也没有通知", "已经提交两个月没有结果", "想了解自己的权益", "希望工会出面协调"],
        (9, 8, 8),
    ),
    (
        "health",
        ["大病医疗补充保险报销", "职工体检项目太少", "职业病体检结果", "门诊费用报销流程"],
        ["报销比例是多少", "希望增加肿瘤筛查项目", "体检报告一直没拿到", "材料太多跑了好几趟"],
        (9, 7, 8),
    ),
    (
        "urgent",
        ["施工现场脚手架存在安全隐患", "车间消防通道被占用", "井场防护设施损坏", "高温作业防暑措施不到位"],
        ["班组反映多次未整改", "随时可能发生事故", "希望立即派人检查", "职工人身安全受威胁"],
        (3, 5, 2),
    ),
    (
        "proposal",
        ["建议在输油泵房加装温度远程监测", "建议优化设备巡检路线", "建议推广节能照明改造", "建议建立技能师带徒机制"],
        ["减少人工巡检", "每年可节约费用", "提高工作效率", "已在班组试行效果好"],
        (7, 6, 6),
    ),
    (
        "care",
        ["最近工作压力大睡眠不好", "家庭矛盾情绪低落", "想找心理咨询师聊聊", "倒班导致焦虑失眠"],
        ["希望得到帮助", "不想让同事知道", "已经持续一个月", "想做个心理测评"],
        (5, 6, 4),
    ),
]
# How employees end what they say (as the officer writes it down): the boilerplate the stop words catch.
CLOSINGS = [
    "希望有关部门尽快协调解决。",
    "请中心帮忙督促落实。",
    "之前反映过一次，一直没有答复。",
    "希望给个明确说法。",
    "",
    "职工意见比较大，希望重视。",
    "请尽快处理并回复。",
]
# Per category: (answer due days, resolve due days, first response due days, longest handling days)
LIMITS = {
    "logistics": (21, 0, 0, 24),
    "opinion": (21, 0, 0, 26),
    "policy": (5, 0, 0, 6),
    "legal": (0, 60, 0, 70),
    "health": (5, 0, 0, 7),
    "urgent": (7, 0, 2, 8),
    "proposal": (21, 0, 0, 30),
    "care": (0, 0, 5, 6),
}


@contextmanager
def fresh_database():  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"suqiu_bench_report_{secrets.token_hex(4)}"
    admin = create_engine(make_url(PG_BASE).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_BASE).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _pool(column: int) -> list[int]:
    """100 topic indices, each repeated by its weight in one season (a weighted draw by index)."""
    pool = [index for index, topic in enumerate(TOPICS) for _ in range(topic[3][column])]
    assert len(pool) == 100, (column, len(pool))
    return pool


def generate(session, *, center_id: int, year: int, report_year: int, cases: int, prefix: str) -> int:  # type: ignore[no-untyped-def]
    """``cases`` cases and 1.2 × as many tickets at the center in ``year`` (local calendar)."""
    from sqlalchemy import select, text

    from suqiu_queue.server.org.models import Category
    from suqiu_queue.server.people.models import Employee

    codes = {c.code: c.id for c in session.scalars(select(Category)).all()}
    employees = list(session.scalars(select(Employee.id).order_by(Employee.id)).all())
    start = datetime(year, 1, 1, tzinfo=ZoneInfo(TZ)).astimezone(UTC)
    days = (datetime(year + 1, 1, 1) - datetime(year, 1, 1)).days
    limits = [LIMITS[t[0]] for t in TOPICS]
    params = {
        "n": cases,
        "start": start,
        "days": days,
        "center": center_id,
        "prefix": prefix,
        "normal": _pool(0),
        "summer": _pool(1),
        "winter": _pool(2),
        "cats": [codes[t[0]] for t in TOPICS],
        "care": TOPICS.index(next(t for t in TOPICS if t[0] == "care")),
        "openings": [o for t in TOPICS for o in t[1]],
        "details": [d for t in TOPICS for d in t[2]],
        "closings": CLOSINGS,
        "answer_due": [lim[0] for lim in limits],
        "resolve_due": [lim[1] for lim in limits],
        "response_due": [lim[2] for lim in limits],
        "longest": [lim[3] for lim in limits],
        "employees": employees,
        # Handling that would end after the report is made (15 January) is still open then.
        "generated_until": datetime(year + 1, 1, 15, 2, 0, tzinfo=UTC)
        if year == report_year
        else start + timedelta(days=400),
    }
    session.execute(
        text(
            """
            WITH base AS (
                SELECT g,
                       CAST(:start AS timestamptz) + make_interval(days => floor(random() * :days)::int)
                           + make_interval(mins => (510 + floor(random() * 540))::int) AS created_at,
                       random() AS r_topic, random() AS r_open, random() AS r_detail, random() AS r_channel,
                       random() AS r_emp, random() AS r_handle, random() AS r_rate, random() AS r_score,
                       random() AS r_resp
                FROM generate_series(1, :n) AS g
            ), topical AS (
                SELECT base.*,
                       CASE
                           WHEN extract(month FROM created_at AT TIME ZONE 'Asia/Shanghai') IN (6, 7, 8)
                               THEN (CAST(:summer AS int[]))[1 + floor(r_topic * 100)::int]
                           WHEN extract(month FROM created_at AT TIME ZONE 'Asia/Shanghai') IN (12, 1, 2)
                               THEN (CAST(:winter AS int[]))[1 + floor(r_topic * 100)::int]
                           ELSE (CAST(:normal AS int[]))[1 + floor(r_topic * 100)::int]
                       END AS topic
                FROM base
            ), handled AS (
                SELECT topical.*,
                       created_at + make_interval(secs => r_handle * r_handle
                           * (CAST(:longest AS int[]))[topic + 1] * 86400) AS answer_moment
                FROM topical
            )
            INSERT INTO cases (
                reference, center_id, employee_id, category_id, channel, summary, status, confidential,
                outcome, created_by, created_at, updated_at, accepted_at, clock_start_at, responded_at,
                answered_at, rated_at, rating_score, answer_due_at, resolve_due_at, first_response_due_at
            )
            SELECT
                :prefix || g,
                :center,
                CASE WHEN r_emp < 0.9
                     THEN (CAST(:employees AS int[]))[1 + floor(r_emp / 0.9 * cardinality(CAST(:employees AS int[])))::int]
                END,
                (CAST(:cats AS int[]))[topic + 1],
                CASE WHEN r_channel < 0.55 THEN 'visit' WHEN r_channel < 0.75 THEN 'phone'
                     WHEN r_channel < 0.95 THEN 'online' ELSE 'letter' END,
                (CAST(:openings AS text[]))[topic * 4 + 1 + floor(r_open * 4)::int] || '，'
                    || (CAST(:details AS text[]))[topic * 4 + 1 + floor(r_detail * 4)::int] || '。'
                    || (CAST(:closings AS text[]))[1 + floor(r_emp * 97)::int % cardinality(CAST(:closings AS text[]))],
                CASE WHEN answer_moment > :generated_until THEN 'in_progress'
                     WHEN r_rate < 0.6 THEN 'rated' ELSE 'answered' END,
                topic = :care,
                '', 'bench', created_at, created_at, created_at, created_at,
                LEAST(created_at + make_interval(secs => r_resp * 30 * 3600),
                      CASE WHEN answer_moment <= :generated_until THEN answer_moment END),
                CASE WHEN answer_moment <= :generated_until THEN answer_moment END,
                CASE WHEN answer_moment <= :generated_until AND r_rate < 0.6
                     THEN answer_moment + interval '1 day' END,
                CASE WHEN answer_moment <= :generated_until AND r_rate < 0.6 THEN
                    CASE WHEN r_score < 0.45 THEN 5 WHEN r_score < 0.75 THEN 4 WHEN r_score < 0.88 THEN 3
                         WHEN r_score < 0.95 THEN 2 ELSE 1 END
                END,
                CASE WHEN (CAST(:answer_due AS int[]))[topic + 1] > 0
                     THEN created_at + make_interval(days => (CAST(:answer_due AS int[]))[topic + 1]) END,
                CASE WHEN (CAST(:resolve_due AS int[]))[topic + 1] > 0
                     THEN created_at + make_interval(days => (CAST(:resolve_due AS int[]))[topic + 1]) END,
                CASE WHEN (CAST(:response_due AS int[]))[topic + 1] > 0
                     THEN created_at + make_interval(days => (CAST(:response_due AS int[]))[topic + 1]) END
            FROM handled
            """
        ),
        params,
    )
    tickets = int(cases * 1.2)
    session.execute(
        text(
            """
            WITH base AS (
                SELECT g,
                       CAST(:start AS timestamptz) + make_interval(days => floor(random() * :days)::int)
                           + make_interval(mins => (510 + floor(random() * 540))::int) AS issued_at,
                       (CAST(:cats AS int[]))[1 + floor(random() * cardinality(CAST(:cats AS int[])))::int] AS category_id,
                       random() AS r_wait, random() AS r_service, random() AS r_state
                FROM generate_series(1, :n) AS g
            ), timed AS (
                SELECT base.*,
                       CASE WHEN r_state < 0.98 THEN issued_at + make_interval(secs => r_wait * r_wait * 2700) END
                           AS called_at
                FROM base
            )
            INSERT INTO tickets (
                center_id, category_id, number_category_id, service_date, number, display, lane, state,
                status_token, note, source, issued_at, called_at, finished_at, recall_count, print_failed,
                updated_at
            )
            SELECT :center, category_id, category_id, CAST(issued_at AT TIME ZONE 'Asia/Shanghai' AS date), g,
                   'B' || g, 'normal',
                   CASE WHEN r_state < 0.92 THEN 'done' WHEN r_state < 0.98 THEN 'no_show' ELSE 'cancelled' END,
                   :prefix || 't' || g, '', 'bench', issued_at, called_at,
                   CASE WHEN r_state < 0.92 THEN called_at + make_interval(secs => 240 + r_service * 1200)
                        WHEN r_state < 0.98 THEN called_at + interval '3 minutes'
                        ELSE issued_at + interval '20 minutes' END,
                   0, false, issued_at
            FROM timed
            """
        ),
        {**params, "n": tickets, "cats": [codes[t[0]] for t in TOPICS]},
    )
    session.execute(
        text(
            """
            INSERT INTO faq_daily_outcomes (day, center_id, faq_id, category, viewed, resolved, not_resolved)
            SELECT CAST(d AS date), :center, f.id, f.category, v.viewed,
                   floor(v.viewed * (0.4 + 0.4 * random()))::int, 0
            FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day') AS d
            CROSS JOIN faq_entries AS f
            CROSS JOIN LATERAL (SELECT floor(random() * 6 + (f.id % 3))::int AS viewed) AS v
            """
        ),
        {"center": center_id, "first": f"{year}-01-01", "last": f"{year}-12-31"},
    )
    session.execute(
        text(
            "UPDATE faq_daily_outcomes SET not_resolved = floor((viewed - resolved) * random())::int "
            "WHERE center_id = :center AND day >= CAST(:first AS date) AND day <= CAST(:last AS date)"
        ),
        {"center": center_id, "first": f"{year}-01-01", "last": f"{year}-12-31"},
    )
    return tickets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--previous-cases", type=int, default=80_000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--out", type=Path, nargs="*", default=[], help="also write the year's report (.pdf/.html)")
    parser.add_argument("--month", help="also write this month's report (with --month-out)")
    parser.add_argument("--month-out", type=Path, nargs="*", default=[])
    args = parser.parse_args(argv)

    from sqlalchemy import select, text

    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.faq.service import seed_faq
    from suqiu_queue.server.migrate import upgrade
    from suqiu_queue.server.org.models import Center
    from suqiu_queue.server.reports import service
    from suqiu_queue.server.reports.render_html import render_html
    from suqiu_queue.server.reports.render_pdf import render_pdf
    from suqiu_queue.server.seed import DEMO_CENTER, seed_demo

    with fresh_database() as url:
        engine = make_engine(url)
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        began = time.perf_counter()
        with sessions() as session, session.begin():
            seed_demo(session, employees=3000)
            seed_faq(session, datetime.now(UTC))
            center = session.scalars(select(Center).where(Center.code == DEMO_CENTER)).one()
            tickets = generate(
                session,
                center_id=center.id,
                year=args.year,
                report_year=args.year,
                cases=args.cases,
                prefix=f"Y{args.year}-",
            )
            generate(
                session,
                center_id=center.id,
                year=args.year - 1,
                report_year=args.year,
                cases=args.previous_cases,
                prefix=f"Y{args.year - 1}-",
            )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))  # fresh statistics, as autovacuum would have made by then
        print(
            f"generated {args.cases:,} + {args.previous_cases:,} cases, {tickets:,} tickets in "
            f"{time.perf_counter() - began:.1f} s",
            file=sys.stderr,
        )

        now = datetime(args.year + 1, 1, 15, 2, 0, tzinfo=UTC)  # the report is made in January
        with sessions() as session:
            center = session.scalars(select(Center).where(Center.code == DEMO_CENTER)).one()
            started = time.perf_counter()
            report = service.build_report(session, center=center, period=service.Period(args.year), now=now)
            report_s = time.perf_counter() - started
            started = time.perf_counter()
            pdf = render_pdf(report)
            pdf_s = time.perf_counter() - started
            for path in args.out:
                path.write_bytes(pdf if path.suffix == ".pdf" else render_html(report).encode())
            if args.month and args.month_out:
                month = service.parse_period(month=args.month, today=now.date())
                data = service.build_report(session, center=center, period=month, now=now)
                for path in args.month_out:
                    path.write_bytes(render_pdf(data) if path.suffix == ".pdf" else render_html(data).encode())
        engine.dispose()
    found = report["topics"]
    print(
        f"year {args.year}: {report['cases']['received']:,} cases received, on time "
        f"{report['sla']['on_time_rate']}, satisfied {report['satisfaction']['satisfied_rate']}, "
        f"wait p90 {report['queue']['wait']['p90_seconds']} s; top topics: "
        + ", ".join(f"{t['label']} {t['documents']}" for t in found["topics"][:5]),
        file=sys.stderr,
    )
    print(
        f"cases={report['cases']['received']} previous_cases={report['cases']['previous_received']} "
        f"tickets={report['queue']['tickets']} report_s={report_s:.2f} pdf_s={pdf_s:.2f} db=postgresql"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
