"""Every kiosk flow, tapped through the real window against a real server process."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.qt


def test_identify_describe_with_the_pinyin_keyboard_and_the_faq_settles_it(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any
) -> None:
    server, world = live
    window = make_kiosk(server.url, world.device_keys["kiosk"])
    before = len(ui.queue_tickets(server.url, world))

    ui.tap(window.welcome.tile("policy"))
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    identify = window.screens["identify"]
    ui.tap(identify.keypad.to_letters)
    ui.tap(identify.keypad.key("E"))
    ui.tap(identify.keypad.to_digits)
    for digit in "1001":
        ui.tap(identify.keypad.key(digit))
    assert identify.field.text() == "E1001"
    ui.tap(identify.confirm_button)
    qtbot.waitUntil(lambda: identify.confirm_panel.isVisible(), timeout=10_000)
    assert identify.confirm_question.text() == "张*，是您本人吗？"  # the masked name, never the full one
    ui.tap(identify.yes_button)
    qtbot.waitUntil(lambda: window.flow.step == "describe")

    describe = window.screens["describe"]
    ui.type_pinyin(describe.keyboard, "zhufanggongjijin", "住房公积金")
    ui.type_pinyin(describe.keyboard, "gongzi", "工资")
    assert describe.field.text() == "住房公积金工资"
    ui.tap(describe.next_button)
    qtbot.waitUntil(lambda: window.flow.step == "faq", timeout=10_000)
    faq = window.screens["faq"]
    assert faq.resolved_buttons, "policy answers are offered first"
    questions = " ".join(e["question"] for e in window.flow.visit.faq)
    assert "公积金" in questions or "工资" in questions

    ui.tap(faq.resolved_buttons[0])
    qtbot.waitUntil(lambda: window.flow.step == "resolved")
    assert len(ui.queue_tickets(server.url, world)) == before, "a settled visit takes no ticket"

    admin = ui.officer(server.url, world.usernames["admin"])

    def counted() -> bool:
        rows = admin.get(f"{server.url}/api/v1/faq/stats", params={"center": world.center}, timeout=10).json()["rows"]
        return any(r["category"] == "policy" and r["resolved"] >= 1 for r in rows)

    qtbot.waitUntil(counted, timeout=10_000)
    ui.tap(window.screens["resolved"].home_button)
    qtbot.waitUntil(lambda: window.flow.step == "welcome")
    assert describe.field.text() == "" and identify.field.text() == ""


def test_a_ticket_is_issued_shown_printed_and_spoken(qtbot: Any, ui: Any, live: Any, make_kiosk: Any) -> None:
    from suqiu_devices.registry import build

    server, world = live
    printer = build("printer", "fake")
    speaker = build("speaker", "fake", speed=50.0)
    window = make_kiosk(server.url, world.device_keys["kiosk"], printer=printer, speaker=speaker)

    ui.go_to_describe(window, "legal")
    describe = window.screens["describe"]
    ui.tap(describe.chip("工伤认定"))
    ui.type_pinyin(describe.keyboard, "gongzi", "工资")
    ui.tap(describe.next_button)
    qtbot.waitUntil(lambda: window.flow.step in ("faq", "ticket"), timeout=10_000)
    if window.flow.step == "faq":
        ui.tap(window.screens["faq"].need_person_button)
    qtbot.waitUntil(lambda: window.flow.visit.print_state == "printed", timeout=10_000)

    issued = window.flow.visit.ticket
    screen = window.screens["ticket"]
    assert screen.number.text() == issued.display and issued.display.startswith("C")
    assert screen.qr.data == issued.status_url and issued.status_url.startswith(f"{server.url}/t/")
    assert screen.print_status.text() == "号票已打印，请取走号票"
    assert not screen.reprint_button.isVisible()

    job = printer.jobs[-1]
    assert issued.display.encode("ascii") in job
    assert b"1P0" + issued.status_url.encode("ascii") in job, "the QR code on the slip opens the status page"
    assert "法律援助".encode("gb18030") in job

    on_server = ui.ticket(server.url, world, issued.ticket_id)
    assert on_server["display"] == issued.display and not on_server["print_failed"]
    status = ui.officer(server.url, world.usernames["reception"]).get(f"{issued.status_url}", timeout=10)
    assert status.status_code == 200 and issued.display in status.text
    tickets = {t["id"]: t for t in ui.queue_tickets(server.url, world)}
    assert tickets[issued.ticket_id]["category"] == "legal"

    assert window.guide.wait_idle(10)
    spoken = " ".join(speaker.texts)
    assert "零" in spoken and "号" in spoken, "the ticket number is read out digit by digit"
    assert speaker.voice.overlaps == 0


def test_a_printer_without_paper_keeps_the_ticket_on_screen_and_offers_a_reprint(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any
) -> None:
    from suqiu_devices.registry import build

    server, world = live
    printer = build("printer", "fake", fault="no_paper")
    window = make_kiosk(server.url, world.device_keys["kiosk"], printer=printer)
    ui.to_ticket(window, "health")
    qtbot.waitUntil(lambda: window.flow.visit.print_state == "failed", timeout=10_000)

    issued = window.flow.visit.ticket
    screen = window.screens["ticket"]
    assert screen.number.text() == issued.display
    assert screen.qr.data == issued.status_url
    assert "打印机缺纸" in screen.print_status.text() and "您的号码已登记" in screen.print_status.text()
    assert screen.reprint_button.isVisible()
    assert printer.jobs == []
    qtbot.waitUntil(lambda: ui.ticket(server.url, world, issued.ticket_id)["print_failed"], timeout=10_000)

    printer.load_paper()
    ui.tap(screen.reprint_button)
    qtbot.waitUntil(lambda: window.flow.visit.print_state == "printed", timeout=10_000)
    assert len(printer.jobs) == 1 and issued.display.encode() in printer.jobs[0]
    qtbot.waitUntil(lambda: not ui.ticket(server.url, world, issued.ticket_id)["print_failed"], timeout=10_000)


def test_a_double_tap_makes_one_ticket_and_one_slip(qtbot: Any, ui: Any, live: Any, make_kiosk: Any) -> None:
    from suqiu_devices.registry import build

    server, world = live
    printer = build("printer", "fake")
    window = make_kiosk(server.url, world.device_keys["kiosk"], printer=printer)
    before = {t["id"] for t in ui.queue_tickets(server.url, world)}

    ui.go_to_describe(window, "policy")
    ui.tap(window.screens["describe"].skip_button)
    qtbot.waitUntil(lambda: window.flow.step == "faq", timeout=10_000)
    need_person = window.screens["faq"].need_person_button
    ui.tap(need_person)
    need_person.click()  # the second tap of a double tap lands before the screen changes
    window.issue_ticket()
    qtbot.waitUntil(lambda: window.flow.visit.print_state == "printed", timeout=10_000)
    ui.tap(window.screens["ticket"].done_button) if False else None

    new = [t for t in ui.queue_tickets(server.url, world) if t["id"] not in before]
    assert len(new) == 1 and new[0]["display"] == window.flow.visit.ticket.display
    assert len(printer.jobs) == 1


def test_after_the_idle_time_everything_entered_is_wiped(qtbot: Any, ui: Any, live: Any, make_kiosk: Any) -> None:
    server, world = live
    window = make_kiosk(server.url, world.device_keys["kiosk"], idle_seconds=0.6)
    ui.tap(window.elderly_button)
    ui.tap(window.welcome.tile("care"))
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    identify = window.screens["identify"]
    ui.tap(identify.by_phone)
    for digit in "1380000":
        ui.tap(identify.keypad.key(digit))
    old_visit = window.flow.visit.id

    qtbot.waitUntil(lambda: window.flow.step == "welcome", timeout=5_000)
    assert window.flow.visit.id != old_visit and window.flow.visit.category == ""
    assert identify.field.text() == "" and identify.kind == "employee_no"
    assert not window.flow.elderly and not window.elderly_button.isChecked()


def test_waiting_counts_follow_the_event_stream(qtbot: Any, ui: Any, live: Any, make_kiosk: Any) -> None:
    from suqiu_queue.client import SuqiuClient

    server, world = live
    window = make_kiosk(server.url, world.device_keys["kiosk"], listen_events=True)
    tile = window.welcome.tile("proposal")
    start = window.waiting["proposal"].waiting
    other_kiosk = SuqiuClient(server.url, device_key=world.device_keys["kiosk"])
    other_kiosk.issue_ticket(world.center, "proposal")
    other_kiosk.issue_ticket(world.center, "proposal")
    qtbot.waitUntil(lambda: window.waiting["proposal"].waiting == start + 2, timeout=15_000)
    assert tile.wait_label.text().startswith(f"等候 {start + 2} 人")


def test_elderly_mode_speaks_each_step_and_a_new_screen_cuts_stale_speech(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any
) -> None:
    from suqiu_devices.registry import build

    server, world = live
    speaker = build("speaker", "fake", speed=5.0)  # still slow enough for a tap to interrupt it
    window = make_kiosk(server.url, world.device_keys["kiosk"], speaker=speaker)
    ui.tap(window.elderly_button)
    assert window.flow.elderly and window.elderly_button.text() == "✓ 长辈模式"
    qtbot.waitUntil(lambda: any(t.startswith("您好") for t in speaker.texts), timeout=20_000)
    ui.tap(window.welcome.tile("policy"))
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    qtbot.waitUntil(lambda: any("工号或手机号" in t for t in speaker.texts), timeout=20_000)
    ui.tap(window.screens["identify"].skip_button)
    qtbot.waitUntil(lambda: window.flow.step == "describe")
    # While the describe guidance is being spoken, go back: it must stop, not run over.
    qtbot.waitUntil(lambda: speaker.speaking, timeout=5_000)
    ui.tap(window.screens["describe"].back_button)
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    assert window.guide.wait_idle(30)
    cut = [s.text for s in speaker.spoken if not s.completed]
    assert any("简单说说" in t for t in cut), "the describe guidance stopped when its screen went"
    assert speaker.spoken[-1].completed and "工号或手机号" in speaker.spoken[-1].text
    assert all(s.rate == pytest.approx(0.8) for s in speaker.spoken if s.completed), "slower for elders"
    assert speaker.voice.overlaps == 0


def test_english_can_be_chosen_and_the_next_visitor_gets_chinese(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any
) -> None:
    server, world = live
    window = make_kiosk(server.url, world.device_keys["kiosk"])
    ui.tap(window.language_button)
    assert window.welcome.title.text() == "Hello — what can we help you with?"
    assert window.welcome.tile("legal").name_label.text() == "Legal aid"
    ui.tap(window.welcome.tile("legal"))
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    assert window.screens["identify"].skip_button.text() == "Skip"
    window.finish_visit()
    assert window.welcome.title.text() == "您好，请选择要办理的事项"
