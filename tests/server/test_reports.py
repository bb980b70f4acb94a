"""Management reports (``/api/v1/reports/…``, ``suqiu report``) on SQLite and PostgreSQL.

The data is written straight into the database with hand-picked moments, so every figure below
is worked out by hand in the comments. The clock is the fake one (2026-11-23), so October 2026 is
a finished month; all local times are Asia/Shanghai (UTC+8).
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from support import PASSWORD, World

from suqiu_queue.cli import main as cli_main
from suqiu_queue.server.audit.models import AuditEntry
from suqiu_queue.server.cases.models import Case
from suqiu_queue.server.faq.models import FaqDailyOutcome, FaqEntry
from suqiu_queue.server.org.models import Category, Center, OrgUnit
from suqiu_queue.server.people.models import Employee
from suqiu_queue.server.reports import topics
from suqiu_queue.server.reports.render_html import render_html
from suqiu_queue.server.reports.service import Period, parse_period
from suqiu_queue.server.tickets.models import Ticket

# Refused periods and the renderings (HTML escaping, the PDF) cannot depend on the database: SQLite
# only. Every figure, computed in SQL, and the audited reads run on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

API = "/api/v1"
SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
D = timedelta(days=1)
_SERIAL = itertools.count(1)  # case references, ticket numbers and tokens unique across Makers


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI).astimezone(UTC)  # type: ignore[misc]


def officer(api: TestClient, role: str) -> dict[str, str]:
    response = api.post(f"{API}/auth/login", json={"username": f"{role}1", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@dataclass
class Maker:
    """Writes cases, tickets and FAQ outcomes with exactly the moments a test needs."""

    session: Session
    world: World

    def _center(self, code: str) -> Center:
        return self.session.scalars(select(Center).where(Center.code == code)).one()

    def _category(self, code: str) -> Category:
        return self.session.scalars(select(Category).where(Category.code == code)).one()

    def employee(self, number: str) -> Employee:
        return self.session.scalars(select(Employee).where(Employee.employee_no == number)).one()

    def case(
        self,
        category: str,
        created: datetime,
        *,
        center: str = "T1",
        employee: str | None = None,
        channel: str = "visit",
        summary: str = "咨询政策",
        answered_after: timedelta | None = None,
        due_after: timedelta | None = None,
        resolve_due_after: timedelta | None = None,
        responded_after: timedelta | None = None,
        response_due_after: timedelta | None = None,
        accept_due_after: timedelta | None = None,
        rating: int | None = None,
        confidential: bool = False,
    ) -> Case:
        serial = next(_SERIAL)
        answered = created + answered_after if answered_after is not None else None
        responded = created + responded_after if responded_after is not None else answered
        status = "rated" if rating is not None else ("answered" if answered else "in_progress")
        case = Case(
            reference=f"R{serial:05d}",
            center_id=self._center(center).id,
            employee_id=self.employee(employee).id if employee else None,
            category_id=self._category(category).id,
            channel=channel,
            summary=summary,
            status=status,
            confidential=confidential,
            created_at=created,
            updated_at=created,
            accepted_at=created,
            answered_at=answered,
            responded_at=responded,
            answer_due_at=created + due_after if due_after is not None else None,
            resolve_due_at=created + resolve_due_after if resolve_due_after is not None else None,
            first_response_due_at=created + response_due_after if response_due_after is not None else None,
            accept_due_at=created + accept_due_after if accept_due_after is not None else None,
            rating_score=rating,
            rated_at=answered + H if rating is not None and answered is not None else None,
            departments=[],
            extensions=[],
        )
        self.session.add(case)
        self.session.flush()
        return case

    def ticket(
        self,
        category: str,
        issued: datetime,
        *,
        center: str = "T1",
        wait: timedelta | None = None,
        service: timedelta | None = None,
        state: str = "done",
    ) -> Ticket:
        serial = next(_SERIAL)
        cat = self._category(category)
        called = issued + wait if wait is not None else None
        finished = called + service if called is not None and service is not None else None
        ticket = Ticket(
            center_id=self._center(center).id,
            category_id=cat.id,
            number_category_id=cat.id,
            service_date=issued.astimezone(SHANGHAI).date(),
            number=serial,
            display=f"{cat.prefix}{serial:03d}",
            state=state,
            status_token=f"tok-{serial}",
            issued_at=issued,
            called_at=called,
            finished_at=finished,
        )
        self.session.add(ticket)
        self.session.flush()
        return ticket

    def faq(self, question: str, category: str) -> FaqEntry:
        entry = FaqEntry(category=category, question=question, answer="答案", keywords=[])
        self.session.add(entry)
        self.session.flush()
        return entry

    def faq_day(self, entry: FaqEntry, day: date, viewed: int, resolved: int, not_resolved: int, center: str = "T1"):  # type: ignore[no-untyped-def]
        self.session.add(
            FaqDailyOutcome(
                day=day,
                center_id=self._center(center).id,
                faq_id=entry.id,
                category=entry.category,
                viewed=viewed,
                resolved=resolved,
                not_resolved=not_resolved,
            )
        )


@pytest.fixture
def october(sessions: sessionmaker[Session], world: World) -> World:
    """October 2026 at T1, with its edges, September, and T2 around it (figures worked out below)."""
    with sessions() as session, session.begin():
        make = Maker(session, world)
        # --- October cases at T1 (7) -------------------------------------------------------------
        # c1: the first half hour of October (still 30 September in UTC); answered in 2 h, due 72 h.
        make.case(
            "policy", local(2026, 10, 1, 0, 30), employee="E1001", answered_after=2 * H, due_after=72 * H, rating=5
        )
        # c2: answered after 100 h against 72 h: late.
        make.case(
            "policy", local(2026, 10, 5, 10), employee="E1002", answered_after=100 * H, due_after=72 * H, rating=2
        )
        # c3: by phone, answered in 10 h of 21 days.
        make.case(
            "opinion",
            local(2026, 10, 10, 14),
            employee="E1003",
            channel="phone",
            answered_after=10 * H,
            due_after=21 * D,
            rating=4,
        )
        # c4: a letter, open, resolve due in 60 days (not overdue); responded after 3 days to a 1-day accept limit.
        make.case(
            "legal",
            local(2026, 10, 20, 9),
            channel="letter",
            resolve_due_after=60 * D,
            responded_after=3 * D,
            accept_due_after=1 * D,
        )
        # c5: online, open, due after 2 days: overdue when October ends.
        make.case("logistics", local(2026, 10, 2, 9), channel="online", due_after=2 * D)
        # c6: 心理关爱, confidential; answered in 1 h, no answer limit, first response within 3 days.
        make.case(
            "care",
            local(2026, 10, 15, 9),
            employee="E1001",
            answered_after=H,
            response_due_after=3 * D,
            rating=3,
            confidential=True,
        )
        # c7: the last minute of October, answered half an hour later — in November.
        make.case(
            "policy",
            local(2026, 10, 31, 23, 59),
            employee="E1002",
            answered_after=timedelta(minutes=30),
            due_after=72 * H,
        )
        # --- outside October at T1 ---------------------------------------------------------------
        # c8: the first instant of November.
        make.case("policy", local(2026, 11, 1, 0, 0), employee="E1001")
        # p1: 30 September 23:30, open, due 3 October: overdue at the end of October too.
        make.case("policy", local(2026, 9, 30, 23, 30), due_after=72 * H)
        # p2: 10 September, answered 3 October (in the period) after its 1 October due time: late.
        make.case("opinion", local(2026, 9, 10, 10), answered_after=23 * D, due_after=21 * D)
        # --- another center ----------------------------------------------------------------------
        make.case("policy", local(2026, 10, 5, 10), center="T2", answered_after=H, due_after=72 * H, rating=1)

        # --- tickets: policy waits 1..10 min (the 10th a no-show), services 2,4..18 min; one legal ---
        for k in range(1, 10):
            make.ticket("policy", local(2026, 10, 8, 9, k), wait=timedelta(minutes=k), service=timedelta(minutes=2 * k))
        make.ticket(
            "policy",
            local(2026, 10, 8, 9, 30),
            wait=timedelta(minutes=10),
            service=timedelta(minutes=3),
            state="no_show",
        )
        make.ticket("policy", local(2026, 10, 8, 9, 40), state="waiting")
        make.ticket("legal", local(2026, 10, 8, 10), wait=timedelta(minutes=30), service=timedelta(minutes=20))
        # outside: 30 September, 1 November, and the other center
        make.ticket("policy", local(2026, 9, 30, 15), wait=timedelta(minutes=99), service=timedelta(minutes=99))
        make.ticket("policy", local(2026, 11, 1, 9), wait=timedelta(minutes=99), service=timedelta(minutes=99))
        make.ticket(
            "policy", local(2026, 10, 8, 9), center="T2", wait=timedelta(minutes=99), service=timedelta(minutes=99)
        )

        # --- FAQ: entry A (policy) resolves 6+3, entry B (logistics) 1 --------------------------------
        a = make.faq("年休假怎么计算？", "policy")
        b = make.faq("宿舍报修找谁？", "logistics")
        make.faq_day(a, date(2026, 10, 3), viewed=10, resolved=6, not_resolved=2)
        make.faq_day(a, date(2026, 10, 20), viewed=5, resolved=3, not_resolved=1)
        make.faq_day(b, date(2026, 10, 5), viewed=4, resolved=1, not_resolved=3)
        make.faq_day(a, date(2026, 9, 30), viewed=9, resolved=7, not_resolved=0)  # previous month
        make.faq_day(a, date(2026, 11, 1), viewed=30, resolved=20, not_resolved=0)  # next month
        make.faq_day(a, date(2026, 10, 3), viewed=60, resolved=50, not_resolved=0, center="T2")
    return world


def get_report(api: TestClient, role: str = "supervisor", center: str = "T1", **params: Any) -> dict[str, Any]:
    response = api.get(f"{API}/reports/{center}", params=params, headers=officer(api, role))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"].startswith("no-store")
    return response.json()


def by_code(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["code"]: r for r in rows}


# --- the figures ---------------------------------------------------------------------------------


def test_received_cases_by_category_channel_and_org_unit(api: TestClient, october: World) -> None:
    report = get_report(api, month="2026-10")
    assert report["period"]["label"] == "2026年10月" and report["period"]["complete"] is True
    cases = report["cases"]
    assert cases["received"] == 7  # c1..c7: not c8 (November), p1/p2 (September), nor T2's
    assert cases["previous_received"] == 2  # p1, p2
    assert cases["closed"] == 5  # c1, c2, c3, c6 rated; c7 answered
    assert cases["closed_rate"] == round(5 / 7, 4)
    counts = {code: (r["count"], r["previous"], r["closed"]) for code, r in by_code(cases["by_category"]).items()}
    assert counts == {
        "policy": (3, 1, 3),
        "opinion": (1, 1, 1),
        "legal": (1, 0, 0),
        "logistics": (1, 0, 0),
        "care": (1, 0, 1),
    }
    assert [r["name"] for r in cases["by_category"]][:2] == ["政策咨询", "意见建议"]  # the categories' own order
    assert {c["code"]: c["count"] for c in cases["by_channel"]} == {"visit": 4, "phone": 1, "letter": 1, "online": 1}
    assert [(u["name"], u["parent"], u["count"]) for u in cases["by_org_unit"]] == [
        ("测试车间", "测试分公司", 5),  # c1, c2, c3, c6, c7
        ("未识别身份", None, 2),  # c4, c5 came without an employee
    ]
    assert [(u["name"], u["count"]) for u in cases["by_second_level_unit"]] == [("测试分公司", 5), ("未识别身份", 2)]


def test_daily_trend_follows_the_centers_calendar(api: TestClient, october: World) -> None:
    trend = get_report(api, month="2026-10")["trend"]
    assert len(trend) == 31 and trend[0]["label"] == "1日" and trend[-1]["label"] == "31日"
    cases = {t["label"]: t["cases"] for t in trend if t["cases"]}
    # c1 at 00:30 local on the 1st is 30 September in UTC; c7 at 23:59 on the 31st is the 31st.
    assert cases == {"1日": 1, "2日": 1, "5日": 1, "10日": 1, "15日": 1, "20日": 1, "31日": 1}
    assert {t["label"]: t["tickets"] for t in trend if t["tickets"]} == {"8日": 12}


def test_sla_compliance_and_handling_times(api: TestClient, october: World) -> None:
    sla = get_report(api, month="2026-10")["sla"]
    # Answered in October: c1, c2, c3, c6 and p2 (c7 was answered in November).
    assert sla["answered"] == 5
    assert sla["answered_with_deadline"] == 4  # c6 (心理关爱) has no answer limit
    assert sla["answered_without_deadline"] == 1
    assert sla["answered_on_time"] == 2  # c1, c3 (c2 and p2 were late)
    assert sla["on_time_rate"] == 0.5
    # Responses with a limit: c6 on time (1 h of 3 days), c4 late (3 days of 1).
    assert (sla["responded_with_deadline"], sla["responded_on_time"], sla["response_on_time_rate"]) == (2, 1, 0.5)
    assert sla["overdue_open"] == 2  # c5 (due 4 Oct) and p1 (due 3 Oct), still unanswered at the end of October
    # Handling: 1 h, 2 h, 10 h, 100 h, 23 days → mean 478,800 s; P90 (nearest rank of 5) is the largest.
    assert sla["handling"] == {"count": 5, "mean_seconds": 478800.0, "p90_seconds": 1987200.0}
    rows = by_code(sla["by_category"])
    assert (rows["policy"]["answered"], rows["policy"]["answered_on_time"], rows["policy"]["on_time_rate"]) == (
        2,
        1,
        0.5,
    )
    assert rows["policy"]["handling"] == {"count": 2, "mean_seconds": 183600.0, "p90_seconds": 360000.0}
    assert rows["policy"]["overdue_open"] == 1 and rows["logistics"]["overdue_open"] == 1
    assert (rows["opinion"]["answered"], rows["opinion"]["on_time_rate"]) == (2, 0.5)  # c3 on time, p2 late
    assert rows["care"]["on_time_rate"] is None and rows["care"]["response_on_time_rate"] == 1.0
    assert rows["legal"]["response_on_time_rate"] == 0.0


def test_queue_wait_and_service_times(api: TestClient, october: World) -> None:
    queue = get_report(api, month="2026-10")["queue"]
    assert (queue["tickets"], queue["done"], queue["no_show"]) == (12, 10, 1)
    assert queue["by_state"] == {"done": 10, "no_show": 1, "waiting": 1}
    # Waits 1..10 min (policy) and 30 min (legal): mean 85/11 min; P90 = 10th of 11 = 10 min.
    assert queue["wait"]["count"] == 11
    assert queue["wait"]["mean_seconds"] == pytest.approx(85 / 11 * 60, abs=0.1)
    assert queue["wait"]["p90_seconds"] == pytest.approx(600, abs=0.01)
    # Services of the done tickets: 2, 4 … 18 min and 20 min: mean 11 min; P90 = 9th of 10 = 18 min.
    assert queue["service"] == {"count": 10, "mean_seconds": 660.0, "p90_seconds": 1080.0}
    policy = by_code(queue["by_category"])["policy"]
    assert (policy["tickets"], policy["done"], policy["no_show"]) == (11, 9, 1)
    assert policy["wait"] == {"count": 10, "mean_seconds": 330.0, "p90_seconds": 540.0}
    assert policy["service"] == {"count": 9, "mean_seconds": 600.0, "p90_seconds": 1080.0}


def test_satisfaction_and_faq_resolutions(api: TestClient, october: World) -> None:
    report = get_report(api, month="2026-10")
    sat = report["satisfaction"]
    assert (sat["ratings"], sat["mean_score"], sat["satisfied"], sat["satisfied_rate"]) == (4, 3.5, 3, 0.75)
    assert sat["distribution"] == {"1": 0, "2": 1, "3": 1, "4": 1, "5": 1}  # T2's 1 is not ours
    assert sat["previous"]["ratings"] == 0 and sat["previous"]["satisfied_rate"] is None
    assert by_code(sat["by_category"])["policy"] == {
        "code": "policy",
        "name": "政策咨询",
        "ratings": 2,
        "mean_score": 3.5,
        "satisfied": 1,
        "satisfied_rate": 0.5,
    }
    faq = report["faq"]
    assert (faq["viewed"], faq["resolved"], faq["not_resolved"]) == (19, 10, 6)
    assert faq["resolved_rate"] == 0.625 and faq["previous_resolved"] == 7
    assert [(t["question"], t["resolved"], t["viewed"]) for t in faq["top"]] == [
        ("年休假怎么计算？", 9, 15),
        ("宿舍报修找谁？", 1, 4),
    ]
    assert [(c["name"], c["resolved"]) for c in faq["by_category"]] == [("政策咨询", 9), ("后勤·宿舍·报修", 1)]


def test_a_year_report_counts_the_whole_year(api: TestClient, october: World) -> None:
    report = get_report(api, year=2026)
    assert report["period"]["kind"] == "year" and report["period"]["previous_label"] == "2025年"
    assert report["cases"]["received"] == 10  # c1..c8, p1, p2
    assert report["cases"]["previous_received"] == 0
    assert [t["label"] for t in report["trend"]][:2] == ["1月", "2月"]
    assert {t["label"]: t["cases"] for t in report["trend"] if t["cases"]} == {"9月": 2, "10月": 7, "11月": 1}
    assert report["period"]["complete"] is False  # the clock says 23 November 2026


# --- who may read it, and the audit ----------------------------------------------------------------


def test_supervisors_and_admins_only_and_every_read_is_audited(
    api: TestClient, october: World, sessions: sessionmaker[Session]
) -> None:
    for role in ("reception", "handler", "counselor", "legal"):
        response = api.get(f"{API}/reports/T1", params={"month": "2026-10"}, headers=officer(api, role))
        assert response.status_code == 403, role
    kiosk = api.get(f"{API}/reports/T1/html", headers={"X-Device-Key": october.device_keys["kiosk"]})
    assert kiosk.status_code == 403
    assert api.get(f"{API}/reports/T1").status_code == 401
    # A supervisor of T1 does not read T2's report; an admin reads any center's.
    other = api.get(f"{API}/reports/T2", params={"month": "2026-10"}, headers=officer(api, "supervisor"))
    assert other.status_code == 403 and other.json()["error"]["code"] == "other_center"
    assert get_report(api, "admin", center="T2", month="2026-10")["cases"]["received"] == 1

    page = api.get(f"{API}/reports/T1/html", params={"month": "2026-10"}, headers=officer(api, "supervisor"))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src" not in page.headers["content-security-policy"]  # no script at all: default-src 'none'
    with sessions() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "report.read").order_by(AuditEntry.id)
        ).all()
    assert [(r.subject, r.detail) for r in rows] == [
        ("center:T2", {"period": "2026-10", "format": "json"}),
        ("center:T1", {"period": "2026-10", "format": "html"}),
    ]


@SQLITE_ONLY
def test_bad_periods_and_unknown_centers_are_refused(api: TestClient, october: World) -> None:
    headers = officer(api, "supervisor")
    for params, code in (
        ({"month": "2026-13"}, "report_month_invalid"),
        ({"month": "十月"}, "report_month_invalid"),
        ({"month": "2026-10", "year": 2026}, "report_period_ambiguous"),
    ):
        response = api.get(f"{API}/reports/T1", params=params, headers=headers)
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == code
    assert api.get(f"{API}/reports/T1", params={"year": 1900}, headers=headers).status_code == 422
    assert api.get(f"{API}/reports/NOPE", headers=officer(api, "admin")).status_code == 404
    # Without a period: the current month (the clock says November 2026).
    assert get_report(api)["period"]["key"] == "2026-11"


def test_periods() -> None:
    assert parse_period(month="2026-1", today=date(2030, 1, 1)) == Period(2026, 1)
    assert Period(2026, 1).previous() == Period(2025, 12)
    assert Period(2026, 12).end == date(2027, 1, 1)
    assert Period(2026).previous() == Period(2025)
    assert len(Period(2024, 2).buckets()) == 29  # a leap February
    assert parse_period(today=date(2026, 3, 9)) == Period(2026, 3)


# --- hot topics ------------------------------------------------------------------------------------

DORM = [
    "三号宿舍楼热水器坏了，洗不了热水澡",
    "宿舍热水器不出热水，报修三次没人来",
    "宿舍楼热水器漏电，存在安全隐患",
    "宿舍热水器水温忽冷忽热，报修后没修好",
]
FUND = ["住房公积金提取需要哪些材料", "公积金提取到账太慢", "异地购房怎么提取住房公积金"]
BUS = ["班车早上六点半太早，倒班职工赶不上", "夜班下班后没有班车回家"]
MISC = ["食堂饭菜价格上涨", "停车位不够用", "年休假天数怎么算", "体检报告什么时候出"]


def synthetic(n_dorm: int, n_fund: int, n_bus: int, n_misc: int) -> list[str]:
    texts = [DORM[i % len(DORM)] for i in range(n_dorm)] + [FUND[i % len(FUND)] for i in range(n_fund)]
    return texts + [BUS[i % len(BUS)] for i in range(n_bus)] + [MISC[i % len(MISC)] for i in range(n_misc)]


@pytest.mark.parametrize("segmenter", [topics.JiebaSegmenter, topics.BigramSegmenter], ids=["jieba", "bigram"])
def test_hot_topics_find_the_dominant_topic_and_its_trend(segmenter: type[topics.Segmenter]) -> None:
    if segmenter is topics.JiebaSegmenter:
        pytest.importorskip("jieba", reason="the `reports` extra (jieba) is not installed")
    start = datetime(2026, 10, 1, tzinfo=UTC)
    texts = synthetic(60, 20, 10, 10)
    current = [(start + timedelta(days=i % 31), text) for i, text in enumerate(texts)]
    previous = synthetic(10, 25, 10, 10)
    report = topics.hot_topics(
        current, previous, bucket_starts=[start + timedelta(days=d) for d in range(31)], segmenter=segmenter()
    )
    assert report.documents == 100 and report.previous_documents == 55
    first = report.topics[0]
    assert first.documents == 60  # every dormitory summary, and nothing else
    assert any("热水" in word for word in first.keywords)
    assert (first.previous, first.as_dict(100)["trend"]) == (10, "up")
    assert sum(first.series) == 60 and len(first.series) == 31
    fund = next(t for t in report.topics if any("公积" in w for w in t.keywords))
    assert (fund.documents, fund.previous, fund.as_dict(100)["trend"]) == (20, 25, "down")
    assert all(t.documents >= 3 for t in report.topics)  # nothing one or two people wrote stands alone
    words = [k.word for k in report.keywords]
    assert "反映" not in words and "希望" not in words


def test_topics_drop_stop_words_names_and_rare_words() -> None:
    pytest.importorskip("jieba", reason="the `reports` extra (jieba) is not installed")
    segmenter = topics.JiebaSegmenter()
    assert segmenter.words("希望尽快解决宿舍热水器问题") == ["宿舍", "热水器"]
    # 张建国 is a name in jieba's dictionary: a name never becomes a keyword.
    assert "张建国" not in segmenter.words("张建国反映班车太早")
    start = datetime(2026, 10, 1, tzinfo=UTC)
    texts = [(start, "宿舍热水器坏了")] * 5 + [(start, "欧阳修远说食堂太贵")]
    report = topics.hot_topics(texts, [], segmenter=segmenter)
    assert {k.word for k in report.keywords} == {"宿舍", "热水器"}  # 食堂 is in one summary only


def test_topics_leave_out_confidential_and_care_cases(
    api: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        make = Maker(session, world)
        for day in range(1, 7):
            make.case("logistics", local(2026, 10, day, 9), summary="职工食堂饭菜太咸，价格还贵")
            make.case("policy", local(2026, 10, day, 10), summary="最近失眠焦虑，家庭矛盾", confidential=True)
            make.case("care", local(2026, 10, day, 11), summary="最近失眠焦虑，想找人聊聊")
        make.case("logistics", local(2026, 9, 3, 9), summary="职工食堂饭菜太咸")
    found = get_report(api, month="2026-10")["topics"]
    assert found["documents"] == 6 and found["previous_documents"] == 1
    words = {k["word"] for k in found["keywords"]}
    assert "饭菜" in words and any("食堂" in w for w in words)  # jieba knows 职工食堂 as one word
    assert not any("失眠" in w or "焦虑" in w or "家庭" in w for w in words)
    assert found["topics"][0]["documents"] == 6 and found["topics"][0]["trend"] == "up"


# --- renderings ------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_the_html_page_escapes_what_comes_from_the_database(
    api: TestClient, october: World, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        parent = session.scalars(select(OrgUnit).where(OrgUnit.code == "U2")).one()
        unit = OrgUnit(code="U9", name="<script>alert(1)</script>车间", level=3, parent_id=parent.id)
        session.add(unit)
        session.flush()
        session.add(Employee(employee_no="E9", name="王五", org_unit_id=unit.id))
        session.flush()
        make = Maker(session, october)
        make.case("policy", local(2026, 10, 12, 9), employee="E9")
        make.faq_day(make.faq('问题"<img src=x onerror=alert(2)>', "policy"), date(2026, 10, 9), 3, 2, 1)
    page = api.get(f"{API}/reports/T1/html", params={"month": "2026-10"}, headers=officer(api, "supervisor")).text
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;车间" in page
    assert "问题&quot;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "2026年10月职工诉求服务报告" in page and "按时答复率" in page and "50.0%" in page


def test_html_bars_are_proportional() -> None:
    report = _minimal_report()
    report["cases"]["by_channel"] = [
        {"code": "visit", "name": "来访", "count": 30},
        {"code": "phone", "name": "来电", "count": 15},
    ]
    page = render_html(report)
    section = page[page.index("按渠道") :]
    assert re.findall(r'<td width="(\d+)%" bgcolor', section)[:2] == ["100", "50"]


def test_an_empty_month_renders_in_both_formats() -> None:
    pytest.importorskip("reportlab", reason="the `reports` extra (reportlab) is not installed")
    from suqiu_queue.server.reports.render_pdf import render_pdf

    report = _minimal_report()
    assert "本期无数据" in render_html(report)
    data = render_pdf(report)
    assert data.startswith(b"%PDF-") and all(re.match(r"^[A-Z]{6}\+", name) for name in _base_fonts(data))


def _minimal_report() -> dict[str, Any]:
    """A report of an empty month, built like the service builds one."""
    stats = {"count": 0, "mean_seconds": None, "p90_seconds": None}
    return {
        "center": {"code": "T1", "name": "测试中心", "timezone": "Asia/Shanghai"},
        "period": {
            "kind": "month",
            "key": "2026-10",
            "label": "2026年10月",
            "start": "2026-10-01",
            "end": "2026-11-01",
            "previous_key": "2026-09",
            "previous_label": "2026年9月",
            "complete": True,
        },
        "generated_at_local": "2026-11-23 10:00",
        "cases": {
            "received": 0,
            "previous_received": 0,
            "closed": 0,
            "closed_rate": None,
            "repeats": 0,
            "by_category": [],
            "by_channel": [],
            "by_org_unit": [],
            "org_units_total": 0,
            "by_second_level_unit": [],
        },
        "trend": [],
        "sla": {
            "answered": 0,
            "answered_with_deadline": 0,
            "answered_on_time": 0,
            "on_time_rate": None,
            "response_on_time_rate": None,
            "overdue_open": 0,
            "handling": stats,
            "by_category": [],
        },
        "queue": {"tickets": 0, "done": 0, "no_show": 0, "wait": stats, "service": stats, "by_category": []},
        "satisfaction": {
            "ratings": 0,
            "mean_score": None,
            "satisfied_rate": None,
            "previous": {"ratings": 0, "satisfied_rate": None},
            "distribution": {str(s): 0 for s in range(1, 6)},
            "by_category": [],
        },
        "faq": {
            "viewed": 0,
            "resolved": 0,
            "not_resolved": 0,
            "resolved_rate": None,
            "previous_resolved": 0,
            "by_category": [],
            "top": [],
        },
        "topics": {"documents": 0, "previous_documents": 0, "keywords": [], "topics": [], "other_documents": 0},
    }


def _base_fonts(data: bytes) -> list[str]:
    """Every font the PDF names; "ABCDEF+Name" is a subset of a font program embedded in the file."""
    return [name.decode() for name in re.findall(rb"/BaseFont\s*/([^\s/>\]]+)", data)]


@SQLITE_ONLY
def test_suqiu_report_writes_a_pdf_with_an_embedded_chinese_font(
    october: World, migrated_engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("reportlab", reason="the `reports` extra (reportlab) is not installed")
    url = migrated_engine.url.render_as_string(hide_password=False)
    out = tmp_path / "report.pdf"
    assert cli_main(["--database-url", url, "report", "--center", "T1", "--month", "2026-10", "--out", str(out)]) == 0
    assert "report.pdf" in capsys.readouterr().out
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"/FontFile2" in data  # a TrueType font program is inside the file
    fonts = _base_fonts(data)
    assert fonts and all(re.match(r"^[A-Z]{6}\+", name) for name in fonts), fonts  # no Helvetica fallback
    if shutil.which("pdffonts"):
        listing = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
        rows = [line.split() for line in listing.splitlines()[2:]]
        assert rows and all("yes" in row[-5:-2] for row in rows), listing  # every font embedded
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
        assert "2026年10月职工诉求服务报告" in text and "按时答复率" in text  # Chinese that reads back as Chinese

    html_out = tmp_path / "report.html"
    assert cli_main(["--database-url", url, "report", "--center", "T1", "--year", "2026", "--out", str(html_out)]) == 0
    assert "2026年职工诉求服务报告" in html_out.read_text(encoding="utf-8")
    assert cli_main(["--database-url", url, "report", "--center", "T1", "--out", str(tmp_path / "x.txt")]) == 2


def test_without_a_chinese_font_the_pdf_is_refused_with_the_package_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from suqiu_queue.server.reports import render_pdf

    monkeypatch.delenv(render_pdf.FONT_ENV, raising=False)
    monkeypatch.setattr(render_pdf, "FONT_CANDIDATES", (("/nonexistent/font.ttc", 0),))
    with pytest.raises(render_pdf.ReportFontMissing) as caught:
        render_pdf.find_font()
    assert "fonts-wqy-microhei" in caught.value.message and "fonts-wqy-microhei" in caught.value.message_en
