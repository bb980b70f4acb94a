"""The visit state machine on its own: steps, double taps, back, wipe."""

from __future__ import annotations

from datetime import UTC, datetime

from suqiu_kiosk.flow import PrintState, Step, VisitFlow
from suqiu_kiosk.service import IssuedTicket


def _ticket(key: str) -> IssuedTicket:
    return IssuedTicket(
        display="A001",
        category="policy",
        category_name="政策咨询",
        lane="normal",
        people_ahead=0,
        estimated_wait_minutes=0,
        issued_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
        status_url="http://x/t/abc",
        online=True,
        idempotency_key=key,
        ticket_id=1,
    )


def test_a_visit_walks_the_steps_and_carries_what_was_entered() -> None:
    flow = VisitFlow()
    seen: list[Step] = []
    flow.subscribe(seen.append)
    flow.choose_category("policy", "政策咨询")
    assert flow.begin_identify("phone", "13800000001")
    assert not flow.begin_identify("phone", "13800000001"), "a second tap while looking up waits"
    flow.identity_found("张*", "E1001")
    flow.confirm_identity()
    flow.toggle_topic("住房公积金")
    assert flow.finish_describe("  提取条件 ")
    assert not flow.faq_found([{"id": 1, "question": "q", "answer": "a"}])
    request = flow.request_ticket()
    assert request is not None
    assert request.employee_no == "E1001" and request.phone == "13800000001"
    assert request.note == "住房公积金：提取条件"
    assert seen == [Step.IDENTIFY, Step.DESCRIBE, Step.FAQ, Step.ISSUING]


def test_one_visit_asks_for_one_ticket_however_often_it_is_tapped() -> None:
    flow = VisitFlow()
    flow.choose_category("legal", "法律援助")
    flow.skip_identify()
    assert flow.skip_describe()
    assert flow.faq_found([]) is True
    first = flow.request_ticket()
    assert first is not None
    assert flow.request_ticket() is None
    flow.ticket_issued(_ticket(first.idempotency_key))
    assert flow.request_ticket() is None
    assert flow.print_started()
    assert not flow.print_started(), "no second print while one runs"
    flow.print_finished(False, "打印机缺纸，请联系工作人员")
    assert flow.visit.print_state == PrintState.FAILED
    assert flow.print_started(), "a reprint is offered after a failure"
    flow.print_finished(True)
    assert not flow.print_started(), "once printed, done"


def test_a_failed_issue_goes_back_with_the_same_key() -> None:
    flow = VisitFlow()
    flow.choose_category("policy", "政策咨询")
    flow.skip_identify()
    flow.skip_describe()
    flow.faq_found([{"id": 3, "question": "q", "answer": "a"}])
    first = flow.request_ticket()
    assert first is not None
    flow.issue_failed("暂时无法取号")
    assert flow.step == Step.FAQ and flow.visit.error == "暂时无法取号"
    again = flow.request_ticket()
    assert again is not None and again.idempotency_key == first.idempotency_key


def test_reset_wipes_the_visit_and_the_modes() -> None:
    flow = VisitFlow()
    flow.set_elderly(True)
    flow.set_language("en")
    flow.choose_category("care", "心理关爱")
    flow.begin_identify("employee_no", "E1001")
    flow.identity_found("张*", "E1001")
    old = flow.visit
    flow.reset()
    assert flow.step == Step.WELCOME
    assert flow.visit is not old and not flow.visit.masked_name and not flow.visit.category
    assert flow.visit.idempotency_key != old.idempotency_key
    assert not flow.elderly and flow.language == "zh"
    assert not flow.is_current(old.id)


def test_back_steps_one_screen_and_from_identify_goes_home() -> None:
    flow = VisitFlow()
    flow.choose_category("policy", "政策咨询")
    flow.skip_identify()
    flow.back()
    assert flow.step == Step.IDENTIFY
    flow.back()
    assert flow.step == Step.WELCOME and not flow.visit.category


def test_an_unconfirmed_identity_is_never_sent() -> None:
    flow = VisitFlow()
    flow.choose_category("policy", "政策咨询")
    flow.begin_identify("employee_no", "E1002")
    flow.identity_found("李*", "E1002")
    flow.reject_identity()
    flow.skip_identify()
    flow.skip_describe()
    flow.faq_found([])
    request = flow.request_ticket()
    assert request is not None and request.employee_no is None and request.phone is None


def test_the_self_check_identifies_first_then_hands_over_to_the_assessment() -> None:
    flow = VisitFlow()
    seen: list[Step] = []
    flow.subscribe(seen.append)
    flow.choose_assessment()
    assert flow.visit.purpose == "assessment" and flow.visit.category == ""
    assert flow.begin_identify("employee_no", "E1001")
    flow.identity_found("张*", "E1001")
    flow.confirm_identity()
    assert seen == [Step.IDENTIFY, Step.ASSESSMENT]
    assert flow.visit.employee_no == "E1001"
    flow.back()
    assert flow.step == Step.ASSESSMENT, "the self-assessment has its own back and leave"
    assert flow.request_ticket() is None, "no ticket unless the self-assessment asks for one"

    skipped = VisitFlow()
    skipped.choose_assessment()
    skipped.skip_identify()
    assert skipped.step == Step.ASSESSMENT and not skipped.visit.identified


def test_a_ticket_from_the_self_assessment_names_the_person_only_when_they_answered_linked() -> None:
    anonymous = VisitFlow()
    anonymous.choose_assessment()
    assert anonymous.begin_identify("phone", "13800000001")
    anonymous.identity_found("张*", "E1001")
    anonymous.confirm_identity()
    request = anonymous.request_assessment_ticket("care", "心理关爱", lane="crisis", linked=False)
    assert request is not None
    assert (request.category, request.lane) == ("care", "crisis")
    assert request.employee_no is None and request.phone is None
    assert anonymous.request_assessment_ticket("care", "心理关爱", lane="crisis", linked=False) is None
    assert anonymous.request_ticket() is None, "one visit, one ticket"

    linked = VisitFlow()
    linked.choose_assessment()
    assert linked.begin_identify("employee_no", "E1002")
    linked.identity_found("李*", "E1002")
    linked.confirm_identity()
    request = linked.request_assessment_ticket("care", "心理关爱", lane=None, linked=True)
    assert request is not None
    assert (request.employee_no, request.lane, request.idempotency_key) == ("E1002", None, linked.visit.idempotency_key)

    # Refused (e.g. the category is closed): back on the self-assessment, with the same key.
    linked.issue_failed("暂时无法取号")
    assert linked.step == Step.ASSESSMENT and linked.visit.error == "暂时无法取号"
    again = linked.request_assessment_ticket("care", "心理关爱", lane=None, linked=True)
    assert again is not None and again.idempotency_key == request.idempotency_key
