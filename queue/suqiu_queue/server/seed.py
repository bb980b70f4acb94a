"""Seed data: categories from assets, and the demo enterprise (org tree, center, officers, people).

Deterministic (fixed random seed), so screenshots and demos look the same every time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import suqiu_assets
from suqiu_queue.domain.enums import DeviceKind, Role
from suqiu_queue.domain.hours import ALWAYS_OPEN

from .accounts.models import User
from .accounts.service import create_device, create_user
from .org.models import Category, Center, Counter, OrgUnit
from .people.models import Employee

DEMO_PASSWORD = "suqiu-demo-2026"
DEMO_CENTER = "HQ"


def seed_categories(session: Session) -> int:
    """Insert the shipped categories that are missing; never overwrite an admin's edits."""
    existing = {c.code for c in session.scalars(select(Category)).all()}
    added = 0
    for order, item in enumerate(suqiu_assets.categories()):
        if item["code"] in existing:
            continue
        session.add(
            Category(
                code=item["code"],
                prefix=item["prefix"],
                name_zh=item["name"],
                name_en=item["name_en"],
                description_zh=item.get("description", ""),
                description_en=item.get("description_en", ""),
                icon=item.get("icon", ""),
                default_lane=item.get("default_lane", "normal"),
                priority_rules=item.get("priority_rules", {}),
                sla_policy=item.get("sla_policy", ""),
                default_service_minutes=int(item.get("default_service_minutes", 10)),
                sort_order=order,
            )
        )
        added += 1
    session.flush()
    return added


ORG_TREE = {
    ("HX", "华夏能源集团有限公司"): {
        ("HX-PWR", "华夏电力股份有限公司"): [
            ("HX-PWR-01", "东港热电厂"),
            ("HX-PWR-02", "西山发电厂"),
            ("HX-PWR-03", "电力检修公司"),
        ],
        ("HX-OIL", "华夏石油勘探开发公司"): [
            ("HX-OIL-01", "第一采油厂"),
            ("HX-OIL-02", "第二采油厂"),
            ("HX-OIL-03", "井下作业公司"),
        ],
        ("HX-CHM", "华夏化工有限公司"): [("HX-CHM-01", "合成材料厂"), ("HX-CHM-02", "化肥厂")],
        ("HX-LOG", "华夏物流有限公司"): [("HX-LOG-01", "铁路运输处"), ("HX-LOG-02", "仓储配送中心")],
        ("HX-SRV", "华夏后勤服务中心"): [("HX-SRV-01", "物业管理部"), ("HX-SRV-02", "职工食堂")],
    }
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建华文华玉兰辉鹏红梅志强建国春梅海燕晓东国庆丽娟红霞建军淑珍宏伟永强卫东金凤凤英亚楠子涵浩然欣怡俊杰雨萱"

COUNTER_PLAN = [
    (1, "综合受理", ["urgent", "policy", "opinion", "logistics", "proposal"]),
    (2, "政策咨询", ["policy", "health"]),
    (3, "法律援助", ["legal", "urgent"]),
    (4, "心理关爱", ["care"]),
    (5, "后勤服务", ["logistics", "health", "proposal"]),
]


@dataclass
class DemoSeed:
    center: str
    officers: dict[str, str] = field(default_factory=dict)  # username -> role
    device_keys: dict[str, str] = field(default_factory=dict)  # kind -> key (only when just created)
    employees: int = 0
    created: bool = False


def _given_name(rng: random.Random) -> str:
    pairs = [GIVEN[i : i + 2] for i in range(0, len(GIVEN) - 1, 2)]
    singles = list(GIVEN)
    return rng.choice(pairs) if rng.random() < 0.6 else rng.choice(singles)


def seed_demo(session: Session, *, employees: int = 200, today: date | None = None) -> DemoSeed:
    today = today or date.today()
    seed_categories(session)
    existing = session.scalar(select(Center).where(Center.code == DEMO_CENTER))
    if existing is not None:
        users = session.scalars(select(User).order_by(User.id)).all()
        return DemoSeed(DEMO_CENTER, {u.username: u.role for u in users}, {}, session.query(Employee).count(), False)

    rng = random.Random(20261122)
    units: list[OrgUnit] = []
    for (hq_code, hq_name), seconds in ORG_TREE.items():
        hq = OrgUnit(code=hq_code, name=hq_name, level=1)
        session.add(hq)
        session.flush()
        for (code2, name2), thirds in seconds.items():
            second = OrgUnit(code=code2, name=name2, level=2, parent_id=hq.id)
            session.add(second)
            session.flush()
            for code3, name3 in thirds:
                unit = OrgUnit(code=code3, name=name3, level=3, parent_id=second.id)
                session.add(unit)
                units.append(unit)
    session.flush()
    hq_unit = session.scalar(select(OrgUnit).where(OrgUnit.level == 1))
    assert hq_unit is not None

    # Open around the clock so the demo works whenever it is run; real centers set their hours.
    center = Center(
        code=DEMO_CENTER,
        name="华夏能源集团职工诉求服务中心",
        org_unit_id=hq_unit.id,
        timezone="Asia/Shanghai",
        opening_hours=ALWAYS_OPEN,
    )
    session.add(center)
    session.flush()
    categories = {c.code: c for c in session.scalars(select(Category)).all()}
    for number, name, codes in COUNTER_PLAN:
        session.add(Counter(center_id=center.id, number=number, name=name, categories=[categories[c] for c in codes]))

    result = DemoSeed(DEMO_CENTER, created=True)
    officers = [
        ("admin", Role.ADMIN, "系统管理员", None),
        ("reception", Role.RECEPTION, "刘晓梅", center),
        ("handler", Role.HANDLER, "陈建国", center),
        ("counselor", Role.COUNSELOR, "林静", center),
        ("legal", Role.LEGAL, "赵律师", center),
        ("supervisor", Role.SUPERVISOR, "王主任", center),
    ]
    for username, role, display, at_center in officers:
        create_user(
            session,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            display_name=display,
            center=at_center,
            actor="system:seed",
        )
        result.officers[username] = role.value
    for kind in DeviceKind:
        _device, key = create_device(
            session, center=center, kind=kind.value, name=f"演示{kind.value}", actor="system:seed"
        )
        result.device_keys[kind.value] = key

    used_phones: set[str] = set()
    for i in range(employees):
        name = rng.choice(SURNAMES) + _given_name(rng)
        birth = date(rng.randint(1962, 2002), rng.randint(1, 12), rng.randint(1, 28))
        hire = max(birth + timedelta(days=365 * 20), date(1985, 1, 1)) + timedelta(days=rng.randint(0, 3000))
        while True:
            phone = "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))
            if phone not in used_phones:
                used_phones.add(phone)
                break
        session.add(
            Employee(
                employee_no=f"{100001 + i}",
                name=name,
                org_unit_id=rng.choice(units).id,
                birth_date=birth,
                phone=phone,
                hire_date=min(hire, today),
                source="demo",
            )
        )
    session.flush()
    result.employees = employees
    seed_history(session, center, rng, today)
    return result


# Realistic case texts for the demo (what employees actually bring to such a center).
HISTORY_CASES = [
    ("policy", "visit", "咨询住房公积金提取条件，准备在老家购房，需要准备哪些材料"),
    ("policy", "phone", "询问社保缴费基数调整后个人缴费部分如何变化"),
    ("logistics", "visit", "三号宿舍楼热水器坏了一周，多次报修未处理"),
    ("logistics", "online", "职工食堂晚餐供应时间太早，夜班职工吃不上饭"),
    ("legal", "visit", "劳动合同到期，单位未续签也未通知，想了解自己的权益"),
    ("legal", "letter", "工伤认定申请已提交两个月，一直没有结果"),
    ("opinion", "online", "建议班车增加早六点半一班，方便倒班职工"),
    ("proposal", "visit", "建议在输油泵房加装温度远程监测，减少人工巡检"),
    ("health", "visit", "咨询大病医疗补充保险报销流程和比例"),
    ("care", "visit", "最近工作压力大，睡眠不好，想找心理咨询师聊聊"),
    ("urgent", "phone", "施工现场脚手架存在安全隐患，班组反映多次未整改"),
    ("policy", "visit", "年休假天数计算是否包括在原单位的工龄"),
]


def seed_history(session: Session, center: Center, rng: random.Random, today: date) -> None:
    """Past visits and cases for some employees, so arrival cards and the board are realistic."""
    from datetime import UTC, datetime, time

    from suqiu_queue.domain.enums import CaseState
    from suqiu_queue.domain.numbering import format_case_reference, format_ticket_number

    from .cases.models import Case, CaseTimeline
    from .tickets.models import Ticket
    from .tickets.numbers import allocate, case_scope, ticket_scope

    categories = {c.code: c for c in session.scalars(select(Category)).all()}
    people = session.scalars(select(Employee).order_by(Employee.id).limit(40)).all()
    states = [
        CaseState.ACCEPTED,
        CaseState.ROUTED,
        CaseState.IN_PROGRESS,
        CaseState.ANSWERED,
        CaseState.RATED,
        CaseState.ARCHIVED,
    ]
    for index, person in enumerate(people):
        for visit in range(1 + index % 2):
            code, channel, summary = HISTORY_CASES[(index + visit * 5) % len(HISTORY_CASES)]
            category = categories[code]
            day = today - timedelta(days=rng.randint(3, 80))
            at = datetime.combine(day, time(1 + rng.randint(0, 7), rng.randint(0, 59)), tzinfo=UTC)
            number = allocate(session, ticket_scope(center.id, category.id, day))
            ticket = Ticket(
                center_id=center.id,
                category_id=category.id,
                number_category_id=category.id,
                service_date=day,
                number=number,
                display=format_ticket_number(category.prefix, number),
                lane="normal",
                state="done",
                employee_id=person.id,
                identified_by="employee_no",
                status_token=f"demo-{person.id}-{visit}-{rng.random()}",
                note=summary,
                source="system:seed",
                issued_at=at,
                called_at=at + timedelta(minutes=6),
                serving_at=at + timedelta(minutes=7),
                finished_at=at + timedelta(minutes=7 + category.default_service_minutes),
                updated_at=at,
            )
            session.add(ticket)
            session.flush()
            if channel == "visit" or visit == 0:
                status = (
                    states[(index + visit) % len(states)]
                    if day < today - timedelta(days=20)
                    else states[(index + visit) % 3]
                )
                case = Case(
                    reference=format_case_reference(at.year, allocate(session, case_scope(at.year))),
                    center_id=center.id,
                    employee_id=person.id,
                    category_id=category.id,
                    channel=channel,
                    summary=summary,
                    status=status.value,
                    confidential=code == "care",
                    origin_ticket_id=ticket.id,
                    created_by="user:2",
                    created_at=at + timedelta(minutes=8),
                    updated_at=at + timedelta(days=2),
                    outcome="已答复并解决" if status in (CaseState.RATED, CaseState.ARCHIVED) else "",
                )
                session.add(case)
                session.flush()
                ticket.case_id = case.id
                session.add(
                    CaseTimeline(
                        case_id=case.id,
                        at=case.created_at,
                        actor="user:2",
                        kind="created",
                        to_status="accepted",
                        note="受理",
                    )
                )
                if status != CaseState.ACCEPTED:
                    session.add(
                        CaseTimeline(
                            case_id=case.id,
                            at=case.updated_at,
                            actor="user:3",
                            kind="status",
                            from_status="accepted",
                            to_status=status.value,
                            note="演示数据",
                        )
                    )
    session.flush()
