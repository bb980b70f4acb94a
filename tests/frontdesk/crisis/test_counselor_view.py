"""The counselor's view of one person's results: a trend chart over time and the items answered,
loaded through the real server (and refused to anyone but counselors)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from suqiu_frontdesk.crisis import CounselorView
from suqiu_queue.client import ApiError

pytestmark = pytest.mark.qt

# Three visits of one person, PHQ-9 as ticked (item 10 is the unscored difficulty question).
VISITS = [
    [2, 2, 1, 2, 1, 1, 1, 0, 0, 2],
    [1, 1, 1, 1, 0, 1, 0, 0, 0, 1],
    [0, 1, 0, 1, 0, 0, 0, 0, 0, 0],
]


def test_the_trend_chart_draws_three_results_and_a_point_opens_its_items(qtbot: Any, desk: Any, kiosk: Any) -> None:
    replies = [kiosk.submit_assessment("phq9", points, employee_no="E1003") for points in VISITS]
    kiosk.submit_assessment("gad7", [1, 1, 1, 1, 1, 1, 1], employee_no="E1003")
    counselor = desk("counselor1")
    view = CounselorView(counselor.client)
    qtbot.addWidget(view)
    view.resize(1400, 800)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.show_employee("e1003")
    stored = counselor.client.assessments(employee_no="E1003")["results"]
    phq = sorted((r for r in stored if r["scale"] == "phq9"), key=lambda r: r["id"])
    assert len(phq) == 3 and [r["band"] for r in phq] == [r["band"] for r in replies]

    # The newest result (GAD-7) is selected and its scale charted; PHQ-9, taken most, is listed first.
    assert view.selected_id == max(r["id"] for r in stored)
    assert view.scale_picker.currentData() == "gad7" and len(view.chart.points) == 1
    assert view.scale_picker.itemData(0) == "phq9"
    view.scale_picker.setCurrentIndex(0)
    # Oldest to newest, left to right.
    assert [p.result_id for p in view.chart.points] == [r["id"] for r in phq]
    assert [p.value for p in view.chart.points] == [r["raw"] for r in phq]
    image = view.chart.grab().toImage()
    assert not image.isNull()
    positions = [view.chart.point_position(r["id"]) for r in phq]
    assert all(p is not None for p in positions)
    assert positions[0].x() < positions[1].x() < positions[2].x()
    assert positions[0].y() < positions[2].y()  # a higher score is drawn higher
    # The band shading is there: the colour inside the plot is not plain white.
    inside = image.pixelColor(int(positions[2].x()) + 3, int(positions[2].y()) + 12)
    assert inside.name().lower() != "#ffffff"
    assert view.results_table.rowCount() == 4
    assert "标准分" not in view.chart.title and "总分" in view.chart.title

    # A click on the oldest point shows that visit's answers.
    oldest = positions[0]
    qtbot.mouseClick(view.chart, Qt.MouseButton.LeftButton, pos=oldest.toPoint())
    assert view.selected_id == phq[0]["id"]
    table = view.items_table
    assert table.rowCount() == 10
    assert [table.item(row, 0).text() for row in range(10)] == [str(n) for n in range(1, 11)]
    for row, points in enumerate(VISITS[0]):
        assert table.item(row, 2).text().endswith(f"（{points}）")
        assert table.item(row, 1).text() == phq[0]["items"][row]["text"]
    assert table.item(9, 3).text() == "不计分"
    assert f"总分 {phq[0]['raw']}" in view.detail_title.text()


def test_a_crisis_result_is_marked_and_its_flag_is_named(qtbot: Any, desk: Any, kiosk: Any) -> None:
    ticket = kiosk.issue_ticket("T1", "care", employee_no="E1002")
    kiosk.submit_assessment("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 2], employee_no="E1002", ticket_id=ticket.id)
    counselor = desk("counselor1")
    view = CounselorView(counselor.client)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.show_ticket(ticket.id, ticket.display)
    assert len(view.results) == 1 and view.chart.points[0].crisis
    assert "危机" in view.results_table.item(0, 3).text()
    assert "第 9 题" in view.flags_label.text() and "（危机）" in view.flags_label.text()
    assert ticket.display in view.detail_title.text()
    for alert in counselor.client.crisis_alerts():  # leave no open alert behind for other tests
        counselor.client.acknowledge_crisis_alert(alert["id"])


def test_only_counselors_get_results(qtbot: Any, desk: Any) -> None:
    reception = desk("reception1")
    view = CounselorView(reception.client)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.failed, timeout=10_000) as failed:
        view.show_employee("E1001")
    assert isinstance(failed.args[0], ApiError) and failed.args[0].status == 403
    assert view.results == [] and view.status.property("level") == "error"
