"""Readable and tappable in both orientations and at 长辈模式 size: nothing clipped, nothing small."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QPushButton

from suqiu_kiosk.theme import MIN_TOUCH_MM, min_touch_px

pytestmark = pytest.mark.qt

SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}


def _clipped(label: QLabel) -> str | None:
    """Why the label's text does not fit its box, or None when it does."""
    text = label.text()
    if not text or not label.isVisible():
        return None
    box = label.contentsRect()
    if label.wordWrap():
        needed = label.heightForWidth(label.width())
        return f"needs {needed}px height, has {label.height()}" if needed > label.height() else None
    width = label.fontMetrics().horizontalAdvance(text)
    return f"needs {width}px width, has {box.width()}" if width > box.width() else None


def _small_buttons(widget: Any) -> list[str]:
    floor = min_touch_px()
    return [
        f"{b.text() or b.property('role')}: {b.width()}x{b.height()}"
        for b in widget.findChildren(QPushButton)
        if b.isVisible() and (b.height() < floor or b.width() < floor)
    ]


@pytest.mark.parametrize("orientation", list(SIZES))
@pytest.mark.parametrize("elderly", [False, True], ids=["normal", "elderly"])
def test_every_screen_fits_and_every_tile_reads_whole(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any, quiet_microphone: Any, orientation: str, elderly: bool
) -> None:
    server, world = live
    size = SIZES[orientation]
    # With a microphone, so the describe screen carries its voice button too.
    window = make_kiosk(server.url, world.device_keys["kiosk"], size=size, open_microphone=quiet_microphone)
    window.set_elderly(elderly)
    qtbot.wait(50)
    assert window.size().toTuple() == size, "the layout pushed the window past the screen"
    needed = window.minimumSizeHint()
    assert needed.width() <= size[0] and needed.height() <= size[1], f"some screen needs {needed.toTuple()}"

    problems = []
    assert window.welcome.self_check is not None and window.welcome.self_check.isVisible()
    for tile in [*window.welcome.tiles, window.welcome.self_check]:
        for text_label in tile.labels():
            why = _clipped(text_label)
            if why:
                problems.append(f"{text_label.text()!r}: {why}")
    assert not problems, problems
    assert not _small_buttons(window.welcome), f"buttons under {MIN_TOUCH_MM} mm"

    # Walk to every screen with real content and check each one the same way.
    ui.tap(window.welcome.tile("policy"))
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    identify = window.screens["identify"]
    ui.tap(identify.by_phone)
    for digit in "13800000001":
        ui.tap(identify.keypad.key(digit))
    assert not _small_buttons(identify), _small_buttons(identify)
    assert window.size().toTuple() == size
    ui.tap(identify.confirm_button)
    qtbot.waitUntil(lambda: identify.confirm_panel.isVisible(), timeout=10_000)
    assert not _small_buttons(identify), _small_buttons(identify)
    assert not _clipped(identify.confirm_question)
    assert window.size().toTuple() == size
    ui.tap(identify.yes_button)
    qtbot.waitUntil(lambda: window.flow.step == "describe")
    describe = window.screens["describe"]
    assert describe.voice.isVisible()
    ui.type_pinyin(describe.keyboard, "gongzi", "工资")
    for letter in "sushe":
        ui.tap(describe.keyboard.key(letter))
    qtbot.wait(20)
    assert not _small_buttons(describe), _small_buttons(describe)
    assert window.size().toTuple() == size
    ui.tap(describe.keyboard.key(" "))
    ui.tap(describe.next_button)
    qtbot.waitUntil(lambda: window.flow.step == "faq", timeout=10_000)
    faq = window.screens["faq"]
    assert not _small_buttons(faq), _small_buttons(faq)
    assert window.size().toTuple() == size
    ui.tap(faq.need_person_button)
    qtbot.waitUntil(lambda: window.flow.visit.print_state == "printed", timeout=10_000)
    ticket = window.screens["ticket"]
    for text_label in (ticket.number, ticket.category, ticket.ahead, ticket.print_status):
        assert not _clipped(text_label), (text_label.text(), _clipped(text_label))
    assert not _small_buttons(ticket), _small_buttons(ticket)
    assert window.size().toTuple() == size


@pytest.mark.parametrize("orientation", list(SIZES))
@pytest.mark.parametrize("elderly", [False, True], ids=["normal", "elderly"])
def test_the_self_assessment_fits_every_screen_with_large_answers(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any, orientation: str, elderly: bool
) -> None:
    server, world = live
    size = SIZES[orientation]
    window = make_kiosk(server.url, world.device_keys["kiosk"], size=size)
    window.set_elderly(elderly)
    widget = window.assessment.widget

    def fits(what: str) -> None:
        qtbot.wait(20)
        assert window.size().toTuple() == size, f"{what} pushed the window past the screen"
        page = widget.stack.currentWidget()
        assert not _small_buttons(page), (what, _small_buttons(page))
        clipped = [(lbl.text(), _clipped(lbl)) for lbl in page.findChildren(QLabel) if _clipped(lbl)]
        assert not clipped, (what, clipped)

    ui.tap(window.welcome.self_check)
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    ui.tap(window.screens["identify"].skip_button)
    qtbot.waitUntil(lambda: widget.flow.step == "pick", timeout=10_000)
    fits("pick")
    ui.tap(widget.pick_page.scale_cards["k10"])  # five answers a question: the tallest page
    fits("consent")
    ui.tap(widget.consent_page.anonymous_card)
    assert len([b for b in widget.item_page.answer_buttons if b.isVisible()]) == 5
    fits("a question")
    for b in widget.item_page.answer_buttons:
        assert not b.isVisible() or b.width() >= size[0] // 3, "each answer is a wide row to tap"
    ui.tap(widget.item_page.leave_button)
    ui.tap(widget.item_page.confirm_yes)
    qtbot.waitUntil(lambda: window.flow.step == "welcome")

    window.set_elderly(elderly)
    ui.tap(window.welcome.self_check)
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    ui.tap(window.screens["identify"].skip_button)
    qtbot.waitUntil(lambda: widget.flow.step == "pick", timeout=10_000)
    ui.tap(widget.pick_page.scale_cards["phq9"])
    ui.tap(widget.consent_page.anonymous_card)
    for points in [0, 0, 0, 0, 0, 0, 0, 0, 1]:  # a crisis answer on item 9
        ui.tap(widget.item_page.answer_button(points))
    qtbot.waitUntil(lambda: widget.flow.step == "crisis" and not widget.flow.alert_pending, timeout=10_000)
    fits("the crisis screen")
    assert widget.crisis_page.hotline.isVisible() and widget.crisis_page.ticket_button.isVisible()
