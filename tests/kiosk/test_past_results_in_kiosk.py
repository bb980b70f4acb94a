"""查看我以前的自测结果 inside the kiosk window, against a real server process: only after
identification, only after the privacy screen (with the phone's last four digits when the person
typed just a 工号), only the person's own 实名 results — never an anonymous one, never a colleague's —
and gone again when closed, when the person leaves, and after a short idle."""

from __future__ import annotations

from typing import Any

import pytest

from suqiu_kiosk.assessment import AssessmentConfig
from suqiu_queue.client import ApiError

pytestmark = pytest.mark.qt

NO_CRISIS_PHQ = [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]  # raw 3: 无或极轻微; item 10 (difficulty) asked too
GAD = [2, 2, 1, 1, 2, 1, 1]  # raw 10: 中度


def identify(qtbot: Any, ui: Any, window: Any, *, employee_no: str = "", phone: str = "") -> None:
    """Welcome → 心理自测 → 工号 (or phone) on the keypad → "是" → the widget's first page."""
    ui.tap(window.welcome.self_check)
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    screen = window.screens["identify"]
    if phone:
        ui.tap(screen.by_phone)
        keys = phone
    else:
        ui.tap(screen.keypad.to_letters)
        ui.tap(screen.keypad.key(employee_no[0]))
        ui.tap(screen.keypad.to_digits)
        keys = employee_no[1:]
    for key in keys:
        ui.tap(screen.keypad.key(key))
    ui.tap(screen.confirm_button)
    qtbot.waitUntil(screen.confirm_panel.isVisible, timeout=10_000)
    ui.tap(screen.yes_button)
    qtbot.waitUntil(lambda: window.assessment.widget.flow.step == "pick", timeout=10_000)


def take(qtbot: Any, ui: Any, window: Any, scale: str, points: list[int], *, linked: bool) -> None:
    widget = window.assessment.widget
    ui.tap(widget.pick_page.scale_cards[scale])
    ui.tap(widget.consent_page.linked_card if linked else widget.consent_page.anonymous_card)
    for p in points:
        ui.tap(widget.item_page.answer_button(p))
    qtbot.waitUntil(lambda: widget.flow.step == "result", timeout=10_000)
    ui.tap(widget.result_page.done_button)
    qtbot.waitUntil(lambda: window.flow.step == "welcome")


def type_digits(ui: Any, page: Any, digits: str) -> None:
    for digit in digits:
        ui.tap(page.pad.keys[digit])


def shown(widget: Any) -> list[str]:
    """What each card on the list says, as one line."""
    return [" | ".join((c.heading.text(), c.band.text(), c.note.text())) for c in widget.mine_page.cards]


def test_after_identifying_again_the_person_sees_their_own_linked_result_only(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any
) -> None:
    server, world = live
    window = make_kiosk(server.url, world.device_keys["kiosk"])
    widget = window.assessment.widget

    # Without identifying there is nothing to look at.
    ui.tap(window.welcome.self_check)
    qtbot.waitUntil(lambda: window.flow.step == "identify")
    ui.tap(window.screens["identify"].skip_button)
    qtbot.waitUntil(lambda: widget.flow.step == "pick", timeout=10_000)
    assert not widget.pick_page.mine_button.isVisible()
    ui.tap(widget.pick_page.leave_button)
    qtbot.waitUntil(lambda: window.flow.step == "welcome")

    identify(qtbot, ui, window, employee_no="E1001")
    take(qtbot, ui, window, "phq9", NO_CRISIS_PHQ, linked=True)
    identify(qtbot, ui, window, employee_no="E1001")
    take(qtbot, ui, window, "gad7", GAD, linked=False)  # anonymous: linked to nobody, never listed

    # Later: identified again by 工号 only — the privacy screen asks for the phone's last digits.
    identify(qtbot, ui, window, employee_no="E1001")
    ui.tap(widget.pick_page.mine_button)
    page = widget.mine_privacy_page
    assert widget.flow.step == "mine-privacy" and window.current_screen() is window.assessment
    assert page.notice.text() == "结果只显示在这块屏幕上，请留意身边是否有人。"
    assert page.digits_block.isVisible() and not page.continue_button.isEnabled()
    type_digits(ui, page, "9999")
    assert "●  ●  ●  ●" in page.digits.text() and "9" not in page.digits.text()
    ui.tap(page.continue_button)
    qtbot.waitUntil(lambda: page.error.isVisible(), timeout=10_000)
    assert "后四位" in page.error.text() and widget.flow.step == "mine-privacy"
    assert widget.flow.session.identity_pass == "" and widget.mine_page.cards == []

    type_digits(ui, page, "0001")
    ui.tap(page.continue_button)
    qtbot.waitUntil(lambda: widget.flow.step == "mine", timeout=10_000)
    [line] = shown(widget)
    today = window.service.local_time(window.service.now()).date()
    assert line.startswith(f"{today.year}年{today.month}月{today.day}日")
    assert "PHQ-9" in line or "抑郁" in line
    assert "自评参考：无或极轻微抑郁症状" in line and "那段时间您" in line
    assert "GAD" not in line and "焦虑" not in line
    assert "秒无操作会自动关闭" in widget.mine_page.auto_close.text()

    # The pass is this person's: the kiosk's own client cannot use it for a colleague.
    with pytest.raises(ApiError) as refused:
        widget.client.my_assessments("E1003", widget.flow.session.identity_pass)
    assert refused.value.status == 403 and refused.value.code == "not_identified"

    ui.tap(widget.mine_page.close_button)
    assert widget.flow.step == "pick" and widget.flow.session.mine is None and widget.mine_page.cards == []
    ui.tap(widget.pick_page.leave_button)
    qtbot.waitUntil(lambda: window.flow.step == "welcome")
    assert widget.flow.session.identity_pass == "" and widget.flow.step == "ended"


def test_a_colleague_identified_by_phone_sees_only_their_own_and_the_list_closes_when_idle(
    qtbot: Any, ui: Any, live: Any, make_kiosk: Any
) -> None:
    server, world = live
    window = make_kiosk(server.url, world.device_keys["kiosk"], assessment=AssessmentConfig(mine_idle_seconds=1))
    widget = window.assessment.widget
    identify(qtbot, ui, window, employee_no="E1002")
    take(qtbot, ui, window, "gad7", GAD, linked=True)

    # The phone number typed at identification is the proof: no digits asked again.
    identify(qtbot, ui, window, phone="13800000002")
    ui.tap(widget.pick_page.mine_button)
    assert not widget.mine_privacy_page.digits_block.isVisible()
    ui.tap(widget.mine_privacy_page.continue_button)
    qtbot.waitUntil(lambda: widget.flow.step == "mine", timeout=10_000)
    lines = shown(widget)
    assert len(lines) == 1 and "中度" in lines[0]
    assert "E1001" not in " ".join(lines) and "抑郁" not in lines[0]  # not E1001's PHQ-9

    # Walked away: after the short idle the list closes, the visit ends, nothing of it is left.
    qtbot.waitUntil(lambda: window.flow.step == "welcome", timeout=10_000)
    assert widget.flow.step == "ended" and widget.mine_page.cards == []
    assert widget.flow.session.mine is None and widget.flow.session.identity_pass == ""
