"""The rules of one self-assessment session (Qt-free), on the scales as the server serves them."""

from __future__ import annotations

import os
from typing import Any

import pytest

import suqiu_assets.scales
from suqiu_kiosk.assessment.model import AssessmentFlow, ScaleInfo, Step
from suqiu_queue.client import SuqiuClient
from suqiu_queue.domain.assessment import build_catalog

CATALOG = build_catalog(suqiu_assets.scales.definitions(), dict(os.environ))


@pytest.fixture(scope="module")
def scales(assessment_server: Any) -> list[ScaleInfo]:
    server, world = assessment_server
    client = SuqiuClient(server.url, device_key=world.device_keys["kiosk"])
    try:
        return [ScaleInfo.from_json(s) for s in client.assessment_scales()]
    finally:
        client.close()


def walk(flow: AssessmentFlow, points: list[int]) -> None:
    for p in points:
        assert flow.step == Step.ITEM
        flow.answer(p)


def test_the_server_serves_every_usable_scale_with_its_wording_and_crisis_flags(scales: list[ScaleInfo]) -> None:
    assert [s.id for s in scales] == [s.id for s in CATALOG.list()]
    for info in scales:
        scale = CATALOG.get(info.id)
        assert info.version == scale.version
        assert [i.text for i in info.items] == [i.text.zh for i in scale.items]
        assert [[o.points for o in i.options] for i in info.items] == [
            [o.points for o in i.options] for i in scale.items
        ]
        for item, source in zip(info.items, scale.items, strict=True):
            crisis = [f.min_points for f in source.flags if f.level == "crisis"]
            assert item.crisis_at == (min(crisis) if crisis else None)
            assert item.scored == source.scored


def test_the_kiosk_device_and_counselors_may_read_the_scales_but_not_reception(assessment_server: Any) -> None:
    from support import PASSWORD

    from suqiu_queue.client import ApiError

    server, world = assessment_server
    reception = SuqiuClient(server.url)
    reception.login(world.usernames["reception"], PASSWORD)
    with pytest.raises(ApiError) as refused:
        reception.assessment_scales()
    assert refused.value.status == 403
    reception.close()


def test_default_screening_is_phq9_then_gad7_one_item_per_screen(scales: list[ScaleInfo]) -> None:
    flow = AssessmentFlow(scales)
    flow.start()
    assert flow.step == Step.PICK and flow.default_available == ("phq9", "gad7")
    assert flow.choose_default()
    assert flow.choose_mode(linked=False)
    total = len(CATALOG.get("phq9").items) + len(CATALOG.get("gad7").items)
    seen = []
    while flow.step == Step.ITEM:
        q = flow.question
        assert q is not None and q.total == total and q.position == len(seen) + 1
        seen.append((q.scale.id, q.item.number, q.first_of_scale))
        flow.answer(q.item.options[0].points)
    assert flow.step == Step.SUBMITTING
    assert [s for s, _n, first in seen if first] == ["phq9", "gad7"]
    assert len(seen) == total


def test_linked_is_refused_without_an_identified_person_and_anonymous_sends_no_identity(
    scales: list[ScaleInfo],
) -> None:
    flow = AssessmentFlow(scales)
    flow.start(ticket_id=7)
    flow.choose(["who5"])
    assert not flow.choose_mode(linked=True) and flow.step == Step.CONSENT
    flow.choose_mode(linked=False)
    walk(flow, [3] * len(CATALOG.get("who5").items))
    sub = flow.next_submission()
    assert sub is not None and sub.employee_no is None and sub.ticket_id is None

    flow.start(employee_no="E1", ticket_id=7)
    flow.choose(["who5"])
    assert flow.choose_mode(linked=True)
    walk(flow, [3] * len(CATALOG.get("who5").items))
    sub = flow.next_submission()
    assert sub is not None and (sub.employee_no, sub.ticket_id) == ("E1", 7)


def test_a_retry_sends_the_same_idempotency_key_and_each_scale_is_handed_in_once(scales: list[ScaleInfo]) -> None:
    flow = AssessmentFlow(scales)
    flow.start()
    flow.choose_default()
    flow.choose_mode(linked=False)
    walk(flow, [0] * flow.total)
    first = flow.next_submission()
    assert first is not None and first.scale == "phq9"
    flow.submit_failed("暂时连不上服务器")
    assert flow.step == Step.FAILED and flow.session.answers  # kept for the retry
    flow.retry()
    again = flow.next_submission()
    assert again == first
    flow.submitted("phq9", {"scale": "phq9", "crisis": False})
    second = flow.next_submission()
    assert second is not None and second.scale == "gad7" and second.idempotency_key != first.idempotency_key
    assert flow.step == Step.SUBMITTING
    flow.submitted("gad7", {"scale": "gad7", "crisis": False})
    assert flow.step == Step.RESULT and flow.session.answers == {}


def test_a_crisis_answer_hands_in_as_soon_as_the_scale_can_be_scored(scales: list[ScaleInfo]) -> None:
    flow = AssessmentFlow(scales)
    flow.start()
    flow.choose_default()
    flow.choose_mode(linked=False)
    walk(flow, [0] * 8 + [1])  # PHQ-9 item 9
    assert flow.step == Step.SUBMITTING and flow.crisis_expected
    sub = flow.next_submission()
    assert sub is not None and sub.scale == "phq9" and sub.points == [0] * 8 + [1, None]
    flow.submitted("phq9", {"scale": "phq9", "crisis": True})
    assert flow.step == Step.CRISIS and flow.next_submission() is None


def test_a_crisis_answer_before_the_end_of_a_scale_asks_only_its_remaining_scored_items(
    scales: list[ScaleInfo],
) -> None:
    """SDS item 19 flags a crisis, item 20 is still needed to score it; nothing else is asked."""
    flow = AssessmentFlow(scales)
    flow.start()
    flow.choose(["sds"])
    flow.choose_mode(linked=False)
    sds = CATALOG.get("sds")
    flagged = next(i for i in sds.items if any(f.level == "crisis" for f in i.flags))
    crisis_points = min(f.min_points for f in flagged.flags if f.level == "crisis")
    walk(flow, [1] * (flagged.number - 1) + [crisis_points])
    remaining = [i for i in sds.items if i.number > flagged.number]
    assert remaining and flow.step == Step.ITEM and flow.question.item.number == remaining[0].number
    walk(flow, [1] * len(remaining))
    assert flow.step == Step.SUBMITTING and flow.crisis_expected


def test_when_the_server_sees_no_crisis_after_an_early_hand_in_the_questions_go_on(scales: list[ScaleInfo]) -> None:
    flow = AssessmentFlow(scales)
    flow.start()
    flow.choose_default()
    flow.choose_mode(linked=False)
    walk(flow, [0] * 8 + [1])
    flow.submitted("phq9", {"scale": "phq9", "crisis": False})
    assert flow.step == Step.ITEM
    q = flow.question
    assert q is not None and (q.scale.id, q.item.number) == ("gad7", 1)


def test_offline_a_crisis_answer_still_reaches_the_crisis_screen_but_other_failures_do_not(
    scales: list[ScaleInfo],
) -> None:
    flow = AssessmentFlow(scales)
    flow.start()
    flow.choose(["phq9"])
    flow.choose_mode(linked=False)
    walk(flow, [0] * 8 + [3])
    flow.submit_failed("暂时连不上服务器")
    assert flow.step == Step.CRISIS and flow.alert_pending
    flow.submitted("phq9", {"scale": "phq9", "crisis": True, "supportive_text": "…"})
    assert flow.step == Step.CRISIS and not flow.alert_pending and flow.crisis_reply is not None


def test_back_and_discard(scales: list[ScaleInfo]) -> None:
    flow = AssessmentFlow(scales)
    flow.start(employee_no="E1")
    flow.choose(["gad7"])
    flow.choose_mode(linked=True)
    walk(flow, [2, 3])
    flow.back()
    assert flow.question is not None and flow.question.item.number == 2
    assert flow.answer_of(flow.question) == 3
    flow.back()
    flow.back()
    assert flow.step == Step.CONSENT
    flow.back()
    assert flow.step == Step.PICK
    old = flow.session
    flow.discard()
    assert flow.step == Step.ENDED and old.answers == {} and flow.next_submission() is None


def test_a_listener_hears_every_step(scales: list[ScaleInfo]) -> None:
    heard: list[Step] = []
    flow = AssessmentFlow()
    flow.subscribe(heard.append)
    flow.set_scales(scales)
    flow.start()
    flow.choose(["who5"])
    assert heard == [Step.PICK, Step.PICK, Step.CONSENT]


def test_an_answer_that_is_not_an_option_is_ignored(scales: list[ScaleInfo]) -> None:
    flow = AssessmentFlow(scales)
    flow.start()
    flow.choose(["gad7"])
    flow.choose_mode(linked=False)
    flow.answer(99)
    assert flow.question is not None and flow.question.position == 1 and flow.session.answers == {}


def test_the_assessment_table_of_kiosk_toml_is_read_with_types_and_typos_refused() -> None:
    from suqiu_kiosk.assessment.config import NATIONAL_HOTLINE, AssessmentConfig

    config = AssessmentConfig.from_mapping(
        {"counselor_on_duty": "王老师", "idle_seconds": 45, "issue_crisis_ticket": False}, center="HQ"
    )
    assert (config.counselor_on_duty, config.idle_seconds, config.issue_crisis_ticket) == ("王老师", 45.0, False)
    assert config.center == "HQ" and config.national_hotline == NATIONAL_HOTLINE == "12356"
    with pytest.raises(ValueError, match="idle_second"):
        AssessmentConfig.from_mapping({"idle_second": 45})
