"""The self-assessment at the kiosk, driven by taps (pytest-qt, offscreen) against a real server.

What was stored is checked the way a counselor would see it (``GET /assessments``), and the
expected bands come from the scoring engine itself, not from numbers written here.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

import suqiu_assets.scales
from suqiu_queue.domain.assessment import build_catalog, score

pytestmark = pytest.mark.qt

CATALOG = build_catalog(suqiu_assets.scales.definitions(), dict(os.environ))


def tap(qtbot: Any, widget: QWidget) -> None:
    assert widget.isVisible() and widget.isEnabled(), f"cannot tap {widget!r}"
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def begin(qtbot: Any, widget: Any, scales: tuple[str, ...] | None, *, linked: bool, **who: Any) -> None:
    """start → pick (None: the default screening) → 匿名/实名 → first question."""
    widget.start(**who)
    qtbot.waitUntil(lambda: widget.flow.step == "pick", timeout=10_000)
    if scales is None:
        tap(qtbot, widget.pick_page.default_card)
    else:
        assert len(scales) == 1
        tap(qtbot, widget.pick_page.scale_cards[scales[0]])
    assert widget.flow.step == "consent"
    tap(qtbot, widget.consent_page.linked_card if linked else widget.consent_page.anonymous_card)
    assert widget.flow.step == "item"


def answer(qtbot: Any, widget: Any, points: list[int]) -> None:
    for p in points:
        assert widget.flow.step == "item"
        tap(qtbot, widget.item_page.answer_button(p))


def results_of(counselor: Any, employee_no: str) -> list[dict[str, Any]]:
    return list(counselor.assessments(employee_no=employee_no)["results"])


PHQ = [1, 2, 0, 1, 0, 0, 1, 0, 0]  # item 9 is 0: no crisis
PHQ_DIFFICULTY = 1  # item 10, asked and stored, never scored
GAD = [0, 1, 1, 0, 2, 0, 1]


def test_the_default_screening_walks_phq9_then_gad7_and_stores_what_was_tapped(
    qtbot: Any, make_widget: Any, kiosk_client: Any, counselor: Any
) -> None:
    ticket = kiosk_client.issue_ticket("T1", "care", employee_no="E1001")
    widget = make_widget()
    finished: list[Any] = []
    widget.finished.connect(finished.append)
    before = len(results_of(counselor, "E1001"))

    begin(qtbot, widget, None, linked=True, employee_no="E1001", ticket_id=ticket.id)
    total = len(CATALOG.get("phq9").items) + len(CATALOG.get("gad7").items)
    assert widget.item_page.progress_label.text() == f"第 1 题 / 共 {total} 题"
    assert widget.item_page.question_label.text() == CATALOG.get("phq9").items[0].text.zh
    answer(qtbot, widget, PHQ[:2])
    assert widget.item_page.progress_label.text() == f"第 3 题 / 共 {total} 题"
    assert widget.item_page.progress.value() == 2 and widget.item_page.progress.maximum() == total
    answer(qtbot, widget, [*PHQ[2:], PHQ_DIFFICULTY])
    assert widget.item_page.scale_label.text().startswith("GAD-7")
    answer(qtbot, widget, GAD)
    qtbot.waitUntil(lambda: widget.flow.step == "result", timeout=10_000)

    expected = {s: score(CATALOG.get(s), pts) for s, pts in (("phq9", PHQ), ("gad7", GAD))}
    cards = widget.result_page.cards
    assert [c.title.text() for c in cards] == [CATALOG.get("phq9").name.zh, CATALOG.get("gad7").name.zh]
    for card, scale in zip(cards, ("phq9", "gad7"), strict=True):
        assert expected[scale].band.label.zh in card.band.text()
        assert card.body.text() == expected[scale].band.message_zh
    assert "不是医学诊断" in widget.result_page.note.text()
    assert "12356" in " ".join(
        widget.result_page.resource_lines.itemAt(i).widget().text()
        for i in range(widget.result_page.resource_lines.count())
    )
    assert widget.flow.session.answers == {}  # handed in: nothing kept at the kiosk

    stored = results_of(counselor, "E1001")
    assert len(stored) == before + 2
    by_scale = {r["scale"]: r for r in stored[:2]}
    assert [i["points"] for i in by_scale["phq9"]["items"]] == [*PHQ, PHQ_DIFFICULTY]
    assert [i["points"] for i in by_scale["gad7"]["items"]] == GAD
    assert by_scale["phq9"]["raw"] == expected["phq9"].raw and by_scale["gad7"]["raw"] == expected["gad7"].raw
    assert {r["ticket_display"] for r in by_scale.values()} == {ticket.display}
    assert not by_scale["phq9"]["crisis"]

    tap(qtbot, widget.result_page.done_button)
    assert len(finished) == 1
    outcome = finished[0]
    assert outcome.linked and not outcome.crisis
    assert [r["band"] for r in outcome.results] == [expected["phq9"].band.code, expected["gad7"].band.code]
    assert "points" not in str(outcome)  # the kiosk hands on kind words, never answers


def test_anonymous_results_carry_neither_the_staff_number_nor_the_ticket(
    qtbot: Any, make_widget: Any, kiosk_client: Any, counselor: Any
) -> None:
    ticket = kiosk_client.issue_ticket("T1", "care", employee_no="E1002")
    widget = make_widget()
    before = len(results_of(counselor, "E1002"))
    begin(qtbot, widget, ("gad7",), linked=False, employee_no="E1002", ticket_id=ticket.id)
    answer(qtbot, widget, GAD)
    qtbot.waitUntil(lambda: widget.flow.step == "result", timeout=10_000)
    assert "匿名" in widget.result_page.saved.text()
    assert widget.flow.results[0]["created"] is True
    assert len(results_of(counselor, "E1002")) == before
    assert counselor.assessments(ticket_id=ticket.id)["results"] == []


def test_linked_needs_an_identified_person(qtbot: Any, make_widget: Any) -> None:
    widget = make_widget()
    widget.start()
    qtbot.waitUntil(lambda: widget.flow.step == "pick", timeout=10_000)
    tap(qtbot, widget.pick_page.default_card)
    assert not widget.consent_page.linked_card.isEnabled()
    assert "登记工号" in widget.consent_page.linked_card.note.text()
    assert "工作人员看不到是谁" in widget.consent_page.anonymous_card.body.text()
    assert "其他工作人员看不到" in widget.consent_page.linked_card.body.text()


def test_back_shows_the_earlier_answer_and_a_changed_answer_is_what_is_stored(
    qtbot: Any, make_widget: Any, counselor: Any
) -> None:
    widget = make_widget()
    begin(qtbot, widget, ("phq9",), linked=True, employee_no="E1003")
    answer(qtbot, widget, [2, 1])
    tap(qtbot, widget.item_page.back_button)
    assert widget.item_page.progress_label.text() == "第 2 题 / 共 10 题"
    assert widget.item_page.answer_button(1).isChecked()
    tap(qtbot, widget.item_page.back_button)
    assert widget.item_page.answer_button(2).isChecked()
    tap(qtbot, widget.item_page.back_button)
    assert widget.flow.step == "consent"
    tap(qtbot, widget.consent_page.linked_card)
    assert widget.item_page.answer_button(2).isChecked()  # nothing was lost on the way back
    answer(qtbot, widget, [3, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    qtbot.waitUntil(lambda: widget.flow.step == "result", timeout=10_000)
    newest = results_of(counselor, "E1003")[0]
    assert [i["points"] for i in newest["items"]] == [3, 1, 0, 0, 0, 0, 0, 0, 0, 0]


def test_read_aloud_says_the_question_and_its_choices_through_the_speaker(
    qtbot: Any, make_widget: Any, speaker: Any
) -> None:
    widget = make_widget()
    begin(qtbot, widget, ("gad7",), linked=False)
    answer(qtbot, widget, [1])
    tap(qtbot, widget.item_page.read_button)
    widget.voice.flush(5)
    assert speaker.wait_idle(10)
    item = CATALOG.get("gad7").items[1]
    said = speaker.texts
    assert len(said) == 1
    assert said[0].startswith("第2题。")
    assert item.text.zh in said[0]
    assert all(o.label.zh in said[0] for o in item.options)
    assert CATALOG.get("gad7").instructions.zh not in said[0]  # read with the first question only


def test_leaving_midway_stores_nothing(qtbot: Any, make_widget: Any, counselor: Any, speaker: Any) -> None:
    widget = make_widget()
    cancelled: list[bool] = []
    widget.cancelled.connect(lambda: cancelled.append(True))
    before = len(results_of(counselor, "E1001"))
    begin(qtbot, widget, None, linked=True, employee_no="E1001")
    answer(qtbot, widget, [*PHQ, PHQ_DIFFICULTY, *GAD[:-1]])  # all but the very last question
    tap(qtbot, widget.item_page.leave_button)
    assert widget.item_page.confirm_frame.isVisible()
    assert "不会保存" in widget.item_page.confirm_label.text()
    tap(qtbot, widget.item_page.confirm_no)  # 继续作答: nothing lost
    assert widget.flow.step == "item" and not widget.item_page.confirm_frame.isVisible()
    tap(qtbot, widget.item_page.leave_button)
    tap(qtbot, widget.item_page.confirm_yes)
    assert cancelled == [True]
    assert widget.flow.step == "ended"
    assert widget.flow.session.answers == {}
    assert len(results_of(counselor, "E1001")) == before


def test_the_idle_timeout_forgets_the_answers_and_stores_nothing(qtbot: Any, make_widget: Any, counselor: Any) -> None:
    widget = make_widget(idle_seconds=0.3)
    before = len(results_of(counselor, "E1002"))
    begin(qtbot, widget, ("phq9",), linked=True, employee_no="E1002")
    answer(qtbot, widget, [1, 1, 1])
    with qtbot.waitSignal(widget.cancelled, timeout=10_000):
        pass
    assert widget.flow.step == "ended" and widget.flow.session.answers == {}
    assert len(results_of(counselor, "E1002")) == before


def test_a_crisis_answer_with_a_low_total_alerts_at_once_and_offers_a_crisis_lane_ticket(
    qtbot: Any, make_widget: Any, kiosk_client: Any, counselor: Any
) -> None:
    visit = kiosk_client.issue_ticket("T1", "care", employee_no="E1003")
    widget = make_widget(counselor_on_duty="王老师")
    requested: list[bool] = []
    widget.crisis_ticket_requested.connect(lambda: requested.append(True))
    issued: list[Any] = []
    widget.crisis_ticket_issued.connect(issued.append)
    finished: list[Any] = []
    widget.finished.connect(finished.append)
    open_before = {a["id"] for a in counselor.crisis_alerts()}

    begin(qtbot, widget, None, linked=True, employee_no="E1003", ticket_id=visit.id)
    crisis_points = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # total 1: the lowest band, yet item 9 says crisis
    assert not score(CATALOG.get("phq9"), crisis_points).band.code.startswith("mod")
    answer(qtbot, widget, crisis_points)
    # No tenth question, no GAD-7: handed in at once, and the calm screen comes up.
    qtbot.waitUntil(lambda: widget.flow.step == "crisis", timeout=10_000)
    page = widget.crisis_page
    assert page.isVisible()
    assert page.hotline.text() == "12356"
    assert page.counselor.text() == "王老师正在赶来"
    assert not page.offline.isVisible()
    assert "110 或 120" in page.emergency.text()

    alerts = [a for a in counselor.crisis_alerts() if a["id"] not in open_before]
    assert [a["ticket_display"] for a in alerts] == [visit.display]
    newest = results_of(counselor, "E1003")[0]
    assert newest["crisis"] and newest["raw"] == 1
    assert [i["points"] for i in newest["items"]] == [*crisis_points, None]

    tap(qtbot, page.ticket_button)
    qtbot.waitUntil(lambda: widget.crisis_ticket_state == "done", timeout=10_000)
    assert requested == [True] and len(issued) == 1
    crisis_ticket = kiosk_client.ticket(issued[0].id)
    assert (crisis_ticket.lane, crisis_ticket.category) == ("crisis", "care")
    assert crisis_ticket.display in page.ticket_result.text()
    assert not page.ticket_button.isVisible()

    tap(qtbot, page.done_button)
    assert len(finished) == 1 and finished[0].crisis
    assert finished[0].crisis_ticket["display"] == crisis_ticket.display


def test_a_crisis_answer_shows_the_calm_screen_even_offline_and_the_alert_follows(
    qtbot: Any, make_widget: Any, kiosk_client: Any, counselor: Any
) -> None:
    from support import free_port

    widget = make_widget(alert_retry_seconds=0.2)
    open_before = {a["id"] for a in counselor.crisis_alerts()}
    begin(qtbot, widget, ("phq9",), linked=False)
    real_url = kiosk_client.base_url
    kiosk_client.base_url = f"http://127.0.0.1:{free_port()}"  # the network is down
    answer(qtbot, widget, [0, 0, 0, 0, 0, 0, 0, 0, 2])
    qtbot.waitUntil(lambda: widget.flow.step == "crisis", timeout=15_000)
    assert widget.crisis_page.offline.isVisible()
    assert "12356" in widget.crisis_page.hotline.text()
    assert [a for a in counselor.crisis_alerts() if a["id"] not in open_before] == []

    kiosk_client.base_url = real_url  # back online: the retry gets the alert through
    qtbot.waitUntil(lambda: not widget.flow.alert_pending, timeout=15_000)
    qtbot.waitUntil(lambda: not widget.crisis_page.offline.isVisible(), timeout=5_000)
    alerts = [a for a in counselor.crisis_alerts() if a["id"] not in open_before]
    assert len(alerts) == 1 and alerts[0]["ticket_id"] is None  # anonymous: no ticket goes with it


def test_answer_buttons_are_at_least_15_mm_and_high_contrast_also_in_elderly_mode(qtbot: Any, make_widget: Any) -> None:
    from suqiu_kiosk.assessment.style import ANSWER_COLOURS, CHOSEN_COLOURS, contrast_ratio, mm_to_px

    widget = make_widget()
    begin(qtbot, widget, ("phq9",), linked=False)
    qtbot.waitExposed(widget)
    fifteen_mm = mm_to_px(15)
    normal = [b.height() for b in widget.item_page.answer_buttons if b.isVisible()]
    assert len(normal) == 4 and min(normal) >= fifteen_mm
    for b in widget.item_page.answer_buttons:
        assert b.width() >= widget.width() // 2  # a whole row to tap, not a small box
    assert contrast_ratio(*ANSWER_COLOURS) >= 7.0  # WCAG AAA for body text
    assert contrast_ratio(*CHOSEN_COLOURS) >= 4.5  # AAA for large text (36 px bold)

    widget.set_elderly(True)
    qtbot.waitUntil(lambda: min(b.height() for b in widget.item_page.answer_buttons) > max(normal))
    assert widget.item_page.question_label.font().pixelSize() > 44


def test_english_shows_the_english_wording_of_the_scale(qtbot: Any, make_widget: Any) -> None:
    widget = make_widget()
    begin(qtbot, widget, ("gad7",), linked=False)
    widget.set_language("en")
    item = CATALOG.get("gad7").items[0]
    assert widget.item_page.question_label.text() == item.text.en
    assert widget.item_page.progress_label.text() == f"Question 1 of {len(CATALOG.get('gad7').items)}"
    assert widget.item_page.answer_button(0).text() == item.options[0].label.en


def test_a_crisis_answer_still_undelivered_when_the_crisis_screen_times_out_is_carried_on(
    qtbot: Any, make_widget: Any, kiosk_client: Any, counselor: Any
) -> None:
    from support import free_port

    widget = make_widget(alert_retry_seconds=0.2, crisis_idle_seconds=0.5)
    finished: list[Any] = []
    widget.finished.connect(finished.append)
    open_before = {a["id"] for a in counselor.crisis_alerts()}
    begin(qtbot, widget, ("phq9",), linked=False)
    real_url = kiosk_client.base_url
    kiosk_client.base_url = f"http://127.0.0.1:{free_port()}"
    answer(qtbot, widget, [0, 0, 0, 0, 0, 0, 0, 0, 3])
    qtbot.waitUntil(lambda: widget.flow.step == "crisis", timeout=15_000)
    qtbot.waitUntil(lambda: bool(finished), timeout=10_000)  # nobody touched it: the session ends
    assert widget.flow.step == "ended" and widget.flow.session.answers == {}
    [carried] = widget.courier.pending
    assert carried.scale == "phq9" and carried.employee_no is None and carried.ticket_id is None

    widget.start()  # the next person: the courier is not theirs to cancel
    kiosk_client.base_url = real_url
    qtbot.waitUntil(lambda: not widget.courier.pending, timeout=15_000)
    alerts = [a for a in counselor.crisis_alerts() if a["id"] not in open_before]
    assert len(alerts) == 1 and alerts[0]["ticket_id"] is None
    widget.courier.take([carried])  # the same hand-in again (its answer was lost): stored once
    qtbot.waitUntil(lambda: not widget.courier.pending, timeout=15_000)
    assert [a for a in counselor.crisis_alerts() if a["id"] not in open_before] == alerts
