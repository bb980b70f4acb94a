"""Widgets from a plain model, no server (napari's pattern): build the model, change it, look."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support import FakeClock

from suqiu_frontdesk.models import (
    ArrivalCard,
    CategoryInfo,
    CounterInfo,
    DeskSession,
    FrontDeskModel,
    QueueTicket,
)

pytestmark = pytest.mark.qt

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
COUNTERS = (
    CounterInfo(11, 1, "综合受理", ("policy", "urgent")),
    CounterInfo(12, 2, "医疗健康", ("health",)),
)
CATEGORIES = (
    CategoryInfo("urgent", "J", "紧急重要"),
    CategoryInfo("policy", "A", "政策咨询"),
    CategoryInfo("health", "E", "医疗健康"),
    CategoryInfo("care", "D", "心理关爱"),
)


def _model(clock: FakeClock, counter: int = 0) -> FrontDeskModel:
    session = DeskSession(
        base_url="http://server",
        username="reception",
        display_name="刘晓梅",
        role="reception",
        center="HQ",
        center_name="测试中心",
        counter=COUNTERS[counter],
        counters=COUNTERS,
        categories=CATEGORIES,
    )
    return FrontDeskModel(session, clock=clock)


def _row(
    ticket_id: int, display: str, category: str, minutes_ago: int, order: int | None, **extra: Any
) -> dict[str, Any]:
    return {
        "id": ticket_id,
        "display": display,
        "category": category,
        "category_name": next(c.name for c in CATEGORIES if c.code == category),
        "lane": "normal",
        "state": "waiting",
        "issued_at": (START - timedelta(minutes=minutes_ago)).isoformat(),
        "order": order,
        **extra,
    }


def _card(ticket_id: int, display: str, minutes_ago: int, **flags: Any) -> ArrivalCard:
    return ArrivalCard(
        {
            "ticket": {
                "id": ticket_id,
                "display": display,
                "category": "policy",
                "category_name": "政策咨询",
                "lane": "normal",
                "lane_label": "普通",
                "issued_at": (START - timedelta(minutes=minutes_ago)).isoformat(),
                "note": flags.pop("note", ""),
            },
            "employee": {
                "employee_no": "100023",
                "name": "王建国",
                "masked_name": "王**",
                "age": 58,
                "org_unit_path": ["华夏能源集团有限公司", "华夏电力股份有限公司", "东港热电厂"],
            },
            "history": flags.pop("history", []),
            "history_total": flags.pop("history_total", 0),
            "flags": {"identified_by": "employee_no", **flags},
        }
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def test_queue_panel_groups_mine_first_with_lanes_marks_and_live_minutes(qtbot, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    from suqiu_frontdesk.queue_panel import QueuePanel

    model = _model(clock)
    panel = QueuePanel(model)
    qtbot.addWidget(panel)
    model.set_tickets(
        [
            _row(1, "A001", "policy", 12, 2, identified=True),
            _row(2, "J001", "urgent", 3, 0, lane="urgent", print_failed=True),
            _row(3, "E001", "health", 30, 1),
            _row(4, "A002", "policy", 1, 3, target_counter_id=12),
            _row(5, "A000", "policy", 50, None, state="done"),
        ]
    )
    heads = [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]
    assert heads == [
        "本窗口 · 紧急重要（J）1 人 · 最长 3 分钟",
        "本窗口 · 政策咨询（A）2 人 · 最长 12 分钟",
        "医疗健康（E）1 人 · 最长 30 分钟",
    ]
    urgent = panel.ticket_item(2)
    assert urgent is not None
    assert (urgent.text(0), urgent.text(1), urgent.text(2)) == ("J001", "紧急", "3 分钟")
    assert "未出票" in urgent.text(3)
    assert panel.ticket_item(1).text(3) == "实名"  # type: ignore[union-attr]
    assert panel.ticket_item(4).text(3) == "转2号窗"  # type: ignore[union-attr]
    assert panel.ticket_item(5) is None  # finished tickets are not in the queue panel
    assert panel.summary.text() == "大厅共 4 人等候 · 本窗口可叫 3 人"

    clock.advance(minutes=5)
    panel.timer.timeout.emit()  # the panel's own 20-second tick
    assert panel.ticket_item(1).text(2) == "17 分钟"  # type: ignore[union-attr]


def test_selection_survives_a_queue_reload(qtbot, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    from suqiu_frontdesk.queue_panel import QueuePanel

    model = _model(clock)
    panel = QueuePanel(model)
    qtbot.addWidget(panel)
    rows = [_row(1, "A001", "policy", 12, 0), _row(2, "A002", "policy", 5, 1)]
    model.set_tickets(rows)
    panel.tree.setCurrentItem(panel.ticket_item(2))
    model.set_tickets([*rows, _row(3, "A003", "policy", 0, 2)])
    assert panel.selected_ticket_id() == 2


def test_arrival_card_shows_flags_history_and_escapes_what_people_typed(qtbot, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLabel

    from suqiu_frontdesk.arrival_cards import ArrivalCardWidget

    card = _card(
        7,
        "A007",
        3,
        note="<b>工资</b>拖欠三个月",
        crisis_lane=True,
        print_failed=True,
        repeat_topic=True,
        repeat_items=[{"type": "case", "label": "SQ2026-000004", "date": "2026-10-02"}],
        overdue_cases=[
            {"reference": "SQ2026-000004", "category_name": "政策咨询", "days_open": 40, "status_label": "办理"},
            {"reference": "SQ2026-000009", "category_name": "法律援助", "days_open": 70, "status_label": "分流"},
        ],
        history=[
            {
                "type": "case",
                "date": "2026-10-02",
                "category_name": "政策咨询",
                "label": "SQ2026-000004",
                "status_label": "办理",
                "outcome": "",
            },
            {
                "type": "ticket",
                "date": "2026-09-01",
                "category_name": "法律援助",
                "label": "C003",
                "status_label": "已完成",
                "outcome": "<script>",
            },
        ],
        history_total=5,
    )
    widget = ArrivalCardWidget(card, expanded=False, serving=False)
    qtbot.addWidget(widget)
    texts = {label.objectName(): label.text() for label in widget.findChildren(QLabel) if label.objectName()}
    chips = [label.text() for label in widget.findChildren(QLabel) if label.objectName() == "flagChip"]
    assert chips == ["危机通道", "2 件诉求超期", "重复诉求", "号票未打印", "工号识别"]
    assert texts["cardName"] == "王建国"
    assert texts["cardInfo"] == "58岁 · 工号 100023"
    assert texts["cardOrg"] == "华夏能源集团有限公司 / 华夏电力股份有限公司 / 东港热电厂"
    assert texts["cardNote"] == "本人留言：<b>工资</b>拖欠三个月"
    note = next(label for label in widget.findChildren(QLabel) if label.objectName() == "cardNote")
    assert note.textFormat().name == "PlainText"  # shown literally, never as markup
    history = texts["cardHistory"]
    assert "SQ2026-000004" in history and "C003" in history  # collapsed: two lines
    assert "&lt;script&gt;" in history and "<script>" not in history
    assert "另有 3 条" in history
    assert widget.property("crisis") is True


def test_first_visit_card_says_so(qtbot, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLabel

    from suqiu_frontdesk.arrival_cards import ArrivalCardWidget

    widget = ArrivalCardWidget(_card(1, "A001", 1), expanded=True, serving=True)
    qtbot.addWidget(widget)
    history = next(label for label in widget.findChildren(QLabel) if label.objectName() == "cardHistory")
    assert "首次来访" in history.text()
    assert any(label.text() == "正在办理" for label in widget.findChildren(QLabel))


def test_cards_panel_puts_the_served_card_first_then_newest(qtbot, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    from suqiu_frontdesk.arrival_cards import ArrivalCardsPanel

    model = _model(clock)
    panel = ArrivalCardsPanel(model)
    qtbot.addWidget(panel)
    assert panel.title.text() == "到访卡片（0）" and not panel.hint.isHidden()
    model.add_card(_card(1, "A001", 20))
    model.add_card(_card(3, "A003", 2))
    model.add_card(_card(2, "A002", 10))
    assert [w.card.ticket.get("display") for w in panel.widgets()] == ["A003", "A002", "A001"]
    assert not any(w.expanded for w in panel.widgets())

    model.set_current(QueueTicket.from_json(_row(1, "A001", "policy", 20, None, state="called", identified=True)))
    assert [w.card.ticket_id for w in panel.widgets()] == [1, 3, 2]
    assert panel.widgets()[0].expanded

    model.remove_card(3)
    assert [w.card.ticket_id for w in panel.widgets()] == [1, 2]
    assert panel.title.text() == "到访卡片（2）"


def test_current_panel_enables_only_what_makes_sense(qtbot, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    from suqiu_frontdesk.current_panel import CurrentTicketPanel

    model = _model(clock)
    panel = CurrentTicketPanel(model)
    qtbot.addWidget(panel)

    def enabled() -> set[str]:
        return {key for key, button in panel.buttons.items() if button.isEnabled()}

    assert enabled() == {"call_next", "call", "pause"}
    assert panel.number.text() == "空闲"
    called = QueueTicket.from_json(
        _row(1, "J001", "urgent", 14, None, state="called", lane="urgent", recall_count=1, called_at=START.isoformat())
    )
    model.set_current(called)
    assert enabled() == {"recall", "no_show", "done", "transfer", "case", "pause"}
    assert panel.number.text() == "J001"
    assert panel.state.text() == "已叫号 · 已重呼 1 次 · 取号后等候 14 分钟"
    assert panel.person.text() == "未实名取号"

    model.set_busy("recall")
    assert enabled() == set()
    model.set_busy(None)
    model.update_current(state="serving")
    assert enabled() == {"done", "transfer", "case", "pause"}

    model.set_current(None)
    model.set_paused(True)
    assert enabled() == {"pause"}
    assert panel.buttons["pause"].text() == "恢复服务\nF9"
    assert not panel.paused_banner.isHidden()


def test_upcoming_line_follows_the_servers_order_for_this_counter(qtbot, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    from suqiu_frontdesk.current_panel import CurrentTicketPanel

    model = _model(clock, counter=1)  # counter 2: 医疗健康 only
    panel = CurrentTicketPanel(model)
    qtbot.addWidget(panel)
    model.set_tickets(
        [
            _row(1, "A001", "policy", 30, 0),
            _row(2, "E001", "health", 5, 2),
            _row(3, "A002", "policy", 4, 1, target_counter_id=12, lane="priority"),
        ]
    )
    assert panel.upcoming.text() == "接下来：A002（长辈·残障优先）　E001"


def test_status_line_shows_the_level(qtbot, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    from suqiu_frontdesk.controller import FrontDeskController
    from suqiu_frontdesk.main_window import MainWindow
    from suqiu_frontdesk.workers import Runner
    from suqiu_queue.client import SuqiuClient

    model = _model(clock)
    client = SuqiuClient("http://127.0.0.1:9")  # never called: nothing here is pressed
    runner = Runner()
    window = MainWindow(model, FrontDeskController(model, client, runner), client, runner)
    qtbot.addWidget(window)
    model.say("号票当前为“已取消”，不能叫号", "error")
    assert window.status_line.text().endswith("号票当前为“已取消”，不能叫号")
    assert window.status_line.property("level") == "error"
    assert "1号窗口（综合受理）· 刘晓梅（接待员）" in window.header_counter.text()
