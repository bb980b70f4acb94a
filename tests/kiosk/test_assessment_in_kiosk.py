"""心理自测 inside the kiosk window, tapped through against a real server process: the welcome tile,
identify for 实名, the return to welcome, and the tickets it asks for going through the kiosk's own
ticket screen and printer (online and offline). What was stored is checked as a counselor sees it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support import PASSWORD, free_port

from suqiu_queue.client import SuqiuClient

pytestmark = pytest.mark.qt

NO_CRISIS_PHQ = [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]  # item 9 is 0; item 10 (difficulty) is asked too
GAD = [1, 1, 0, 0, 1, 0, 0]
CRISIS_PHQ = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # a low total, yet item 9 is a crisis answer


@pytest.fixture
def counselor(live: Any) -> Iterator[SuqiuClient]:
    server, world = live
    client = SuqiuClient(server.url)
    client.login(world.usernames["counselor"], PASSWORD)
    yield client
    client.close()


def start_self_check(qtbot: Any, ui: Any, window: Any, employee_no: str | None) -> Any:
    """Welcome → 心理自测 → identify (or skip) → the widget's first page; returns the widget."""
    ui.tap(window.welcome.self_check)
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    identify = window.screens["identify"]
    if employee_no is None:
        ui.tap(identify.skip_button)
    else:
        ui.tap(identify.keypad.to_letters)
        ui.tap(identify.keypad.key(employee_no[0]))
        ui.tap(identify.keypad.to_digits)
        for digit in employee_no[1:]:
            ui.tap(identify.keypad.key(digit))
        ui.tap(identify.confirm_button)
        qtbot.waitUntil(identify.confirm_panel.isVisible, timeout=10_000)
        ui.tap(identify.yes_button)
    qtbot.waitUntil(lambda: window.flow.step == "assessment")
    widget = window.assessment.widget
    qtbot.waitUntil(lambda: widget.flow.step == "pick", timeout=10_000)
    assert window.current_screen() is window.assessment and widget.isVisible()
    return widget


def answer(ui: Any, widget: Any, points: list[int]) -> None:
    for p in points:
        assert widget.flow.step == "item"
        ui.tap(widget.item_page.answer_button(p))


def results_of(counselor: SuqiuClient, employee_no: str) -> list[dict[str, Any]]:
    return list(counselor.assessments(employee_no=employee_no)["results"])


def new_alerts(counselor: SuqiuClient, before: set[int]) -> list[dict[str, Any]]:
    return [a for a in counselor.crisis_alerts() if a["id"] not in before]


def test_the_self_check_tile_with_linked_answers_stores_them_and_takes_no_ticket(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any, counselor: SuqiuClient
) -> None:
    server, world = live
    window = make_kiosk(server.url, world.device_keys["kiosk"])
    tile = window.welcome.self_check
    assert tile.isVisible() and tile.name_label.text() == "心理自测" and "不用取号" in tile.note_label.text()
    queue_before = len(ui.queue_tickets(server.url, world))
    stored_before = len(results_of(counselor, "E1001"))

    ui.tap(tile)
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    assert "实名" in window.screens["identify"].hint.text()  # why registering helps here
    ui.tap(window.screens["identify"].back_button)
    qtbot.waitUntil(lambda: window.flow.step == "welcome")

    widget = start_self_check(qtbot, ui, window, "E1001")
    ui.tap(widget.pick_page.default_card)
    assert widget.consent_page.linked_card.isEnabled()  # identified: 实名 is offered
    ui.tap(widget.consent_page.linked_card)
    answer(ui, widget, [*NO_CRISIS_PHQ, *GAD])
    qtbot.waitUntil(lambda: widget.flow.step == "result", timeout=10_000)
    assert "实名" in widget.result_page.saved.text()

    stored = results_of(counselor, "E1001")
    assert len(stored) == stored_before + 2
    newest = {r["scale"]: r for r in stored[:2]}
    assert [i["points"] for i in newest["phq9"]["items"]] == NO_CRISIS_PHQ
    assert [i["points"] for i in newest["gad7"]["items"]] == GAD
    assert {r["ticket_display"] for r in newest.values()} == {None}  # no ticket was taken

    ui.tap(widget.result_page.done_button)
    qtbot.waitUntil(lambda: window.flow.step == "welcome")
    assert window.current_screen() is window.welcome and widget.flow.step == "ended"
    assert window.flow.visit.employee_no == ""
    assert len(ui.queue_tickets(server.url, world)) == queue_before, "a self-check alone takes no ticket"


def test_without_identifying_only_anonymous_is_offered_and_leaving_forgets_the_answers(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any
) -> None:
    server, world = live
    window = make_kiosk(server.url, world.device_keys["kiosk"])
    widget = start_self_check(qtbot, ui, window, None)
    ui.tap(widget.pick_page.scale_cards["gad7"])
    assert not widget.consent_page.linked_card.isEnabled()
    ui.tap(widget.consent_page.anonymous_card)
    answer(ui, widget, GAD[:-1])
    ui.tap(widget.item_page.leave_button)
    ui.tap(widget.item_page.confirm_yes)
    qtbot.waitUntil(lambda: window.flow.step == "welcome")
    assert widget.flow.session.answers == {} and widget.flow.step == "ended"
    assert not widget.courier.pending, "leaving without a crisis answer hands nothing on"


def test_talk_to_a_counselor_takes_a_care_ticket_through_the_ticket_screen_and_the_printer(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any
) -> None:
    from suqiu_devices.registry import build

    server, world = live
    printer = build("printer", "fake")
    window = make_kiosk(server.url, world.device_keys["kiosk"], printer=printer)
    widget = start_self_check(qtbot, ui, window, "E1003")
    ui.tap(widget.pick_page.scale_cards["gad7"])
    ui.tap(widget.consent_page.anonymous_card)
    answer(ui, widget, GAD)
    qtbot.waitUntil(lambda: widget.flow.step == "result", timeout=10_000)

    ui.tap(widget.result_page.counselor_button)
    qtbot.waitUntil(lambda: window.flow.visit.print_state == "printed", timeout=10_000)
    assert window.current_screen() is window.screens["ticket"]
    assert widget.flow.step == "ended" and widget.flow.session.answers == {}
    issued = window.flow.visit.ticket
    on_server = ui.ticket(server.url, world, issued.ticket_id)
    assert (on_server["category"], on_server["lane"]) == ("care", "normal")
    # Answered 匿名: the ticket taken from it does not name the person either.
    assert not on_server["identified"]
    assert "心理关爱".encode("gb18030") in printer.jobs[-1] and issued.display.encode() in printer.jobs[-1]
    assert not window.screens["ticket"].care_note.isVisible()


def test_a_crisis_lane_ticket_from_the_crisis_screen_is_shown_printed_and_names_a_linked_person(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any, counselor: SuqiuClient
) -> None:
    from suqiu_devices.registry import build

    server, world = live
    printer = build("printer", "fake")
    window = make_kiosk(server.url, world.device_keys["kiosk"], printer=printer, idle_seconds=30)
    alerts_before = {a["id"] for a in counselor.crisis_alerts()}
    widget = start_self_check(qtbot, ui, window, "E1001")
    ui.tap(widget.pick_page.scale_cards["phq9"])
    ui.tap(widget.consent_page.linked_card)
    answer(ui, widget, CRISIS_PHQ)
    qtbot.waitUntil(lambda: widget.flow.step == "crisis", timeout=10_000)
    assert widget.crisis_page.hotline.text() == "12356"
    qtbot.waitUntil(lambda: len(new_alerts(counselor, alerts_before)) == 1, timeout=10_000)

    ui.tap(widget.crisis_page.ticket_button)
    qtbot.waitUntil(lambda: window.flow.visit.print_state == "printed", timeout=10_000)
    screen = window.screens["ticket"]
    issued = window.flow.visit.ticket
    assert window.current_screen() is screen and issued.lane == "crisis"
    assert screen.category.text().endswith("优先接待") and "危机" not in screen.category.text()
    assert screen.care_note.isVisible() and "12356" in screen.care_note.text()
    on_server = ui.ticket(server.url, world, issued.ticket_id)
    assert (on_server["category"], on_server["lane"], on_server["identified"]) == ("care", "crisis", True)
    assert issued.display.encode() in printer.jobs[-1]
    assert len(new_alerts(counselor, alerts_before)) == 1, "the alert was raised once, before the ticket"
    # The person is waiting for the counselor: the ticket screen stays up longer than a normal one.
    assert window.idle_timer.interval() == round(window.config.assessment.crisis_idle_seconds * 1000)


def test_offline_the_crisis_screen_still_gives_a_ticket_and_the_alert_follows_once_back_online(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any, counselor: SuqiuClient
) -> None:
    from suqiu_devices.registry import build
    from suqiu_kiosk.assessment import AssessmentConfig

    server, world = live
    printer = build("printer", "fake")
    window = make_kiosk(
        server.url,
        world.device_keys["kiosk"],
        printer=printer,
        assessment=AssessmentConfig(alert_retry_seconds=0.2),
    )
    alerts_before = {a["id"] for a in counselor.crisis_alerts()}
    widget = start_self_check(qtbot, ui, window, None)
    ui.tap(widget.pick_page.scale_cards["phq9"])
    ui.tap(widget.consent_page.anonymous_card)

    client = window.service.client
    client.base_url = f"http://127.0.0.1:{free_port()}"  # the network goes down mid-questionnaire
    answer(ui, widget, CRISIS_PHQ)
    qtbot.waitUntil(lambda: widget.flow.step == "crisis", timeout=15_000)
    assert widget.crisis_page.offline.isVisible()

    ui.tap(widget.crisis_page.ticket_button)  # from the numbers this kiosk leased for offline use
    qtbot.waitUntil(lambda: window.flow.visit.print_state == "printed", timeout=15_000)
    issued = window.flow.visit.ticket
    assert not issued.online and issued.lane == "crisis" and issued.category == "care"
    assert window.screens["ticket"].offline_note.isVisible()
    assert widget.flow.step == "ended"
    assert len(widget.courier.pending) == 1, "the alert outlives the session it was raised in"
    assert new_alerts(counselor, alerts_before) == []

    client.base_url = server.url  # back online: the alert goes through, then the ticket
    qtbot.waitUntil(lambda: not widget.courier.pending, timeout=15_000)
    [alert] = new_alerts(counselor, alerts_before)
    assert alert["ticket_id"] is None  # anonymous
    offline_report = window.last_sync
    window.heartbeat()
    qtbot.waitUntil(lambda: window.last_sync is not offline_report and window.last_sync.online, timeout=15_000)
    assert window.last_sync.accepted == 1 and window.last_sync.pending == 0
    uploaded = [t for t in ui.queue_tickets(server.url, world) if t["display"] == issued.display]
    assert [(t["lane"], t["category"]) for t in uploaded] == [("crisis", "care")]


def test_the_kiosk_idle_wipe_waits_for_the_self_assessment_which_keeps_its_own_time(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any, counselor: SuqiuClient
) -> None:
    from suqiu_kiosk.assessment import AssessmentConfig

    server, world = live
    window = make_kiosk(
        server.url, world.device_keys["kiosk"], idle_seconds=0.2, assessment=AssessmentConfig(idle_seconds=1.5)
    )
    before = len(results_of(counselor, "E1002"))
    widget = start_self_check(qtbot, ui, window, "E1002")
    ui.tap(widget.pick_page.scale_cards["phq9"])
    ui.tap(widget.consent_page.linked_card)
    answer(ui, widget, [1, 1])
    with qtbot.waitSignal(window.idle_timer.timeout, timeout=5_000):
        pass
    assert window.flow.step == "assessment" and widget.flow.step == "item", "not cut off mid-question"
    with qtbot.waitSignal(widget.cancelled, timeout=10_000):
        pass
    qtbot.waitUntil(lambda: window.flow.step == "welcome")
    assert widget.flow.session.answers == {}
    assert len(results_of(counselor, "E1002")) == before


def test_elderly_mode_and_english_reach_the_self_assessment(qtbot: Any, ui: Any, live: Any, make_kiosk: Any) -> None:
    from suqiu_devices.registry import build

    server, world = live
    speaker = build("speaker", "fake", speed=50.0)
    window = make_kiosk(server.url, world.device_keys["kiosk"], speaker=speaker)
    widget = start_self_check(qtbot, ui, window, None)
    ui.tap(widget.pick_page.scale_cards["gad7"])
    ui.tap(widget.consent_page.anonymous_card)
    normal = widget.item_page.answer_button(0).height()
    ui.tap(window.elderly_button)
    assert widget.elderly
    qtbot.waitUntil(lambda: widget.item_page.answer_button(0).height() > normal)
    ui.tap(widget.item_page.read_button)
    widget.voice.flush(5)
    assert speaker.wait_idle(10)
    read = [s for s in speaker.spoken if s.text.startswith("第1题")]
    assert read and read[-1].rate == pytest.approx(0.8), "read slower for elders"

    ui.tap(window.language_button)
    assert widget.item_page.read_button.text() == "Read aloud"
    assert widget.item_page.progress_label.text().startswith("Question 1 of")
    ui.tap(widget.item_page.leave_button)
    ui.tap(widget.item_page.confirm_yes)
    qtbot.waitUntil(lambda: window.flow.step == "welcome")
    assert not window.flow.elderly and window.flow.language == "zh"
    assert not widget.elderly and widget.language == "zh", "the next person starts plain and in Chinese"


def test_elderly_mode_guides_through_the_pages_aloud_but_never_says_the_crisis_screen(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any
) -> None:
    from suqiu_devices.registry import build

    server, world = live
    speaker = build("speaker", "fake", speed=50.0)
    window = make_kiosk(server.url, world.device_keys["kiosk"], speaker=speaker)
    ui.tap(window.elderly_button)
    widget = start_self_check(qtbot, ui, window, None)
    qtbot.waitUntil(lambda: any("心理自测" in t for t in speaker.texts), timeout=10_000)
    ui.tap(widget.pick_page.scale_cards["phq9"])
    qtbot.waitUntil(lambda: any("匿名作答" in t for t in speaker.texts), timeout=10_000)
    ui.tap(widget.consent_page.anonymous_card)
    answer(ui, widget, CRISIS_PHQ)
    qtbot.waitUntil(lambda: widget.flow.step == "crisis", timeout=10_000)
    assert window.guide.wait_idle(10)
    spoken = " ".join(speaker.texts)
    assert "12356" not in spoken and "赶来" not in spoken and "信任" not in spoken
    assert all(s.rate == pytest.approx(0.8) for s in speaker.spoken if s.completed)
    assert speaker.voice.overlaps == 0
    window.finish_visit()
