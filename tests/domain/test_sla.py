"""SLA deadlines: each shipped policy, the four units, pauses, extensions, breach and fraction."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suqiu_assets import categories
from suqiu_assets.calendar import holiday_data
from suqiu_assets.sla import SlaDataError, sla_policies
from suqiu_queue.domain import sla
from suqiu_queue.domain.calendar import WorkCalendar
from suqiu_queue.domain.errors import Conflict, Invalid
from suqiu_queue.domain.sla import Extension, Pause, SlaPolicy, SlaStep, SlaUnit

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar.from_data(holiday_data())
POLICIES = sla.load_policies(sla_policies())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def policy(step: str, within: int, unit: str, **extra: object) -> SlaPolicy:
    return SlaPolicy.from_dict(
        {"code": "test_policy", "name": "测试", "steps": {step: {"within": within, "unit": unit, **extra}}}
    )


# ----- the shipped policies ----------------------------------------------------------------------


def test_every_category_names_a_shipped_policy() -> None:
    assert set(POLICIES) == {"urgent_48h", "policy_3wd", "opinion_15wd", "petition_15_60", "care_3wd"}
    for category in categories():
        assert category["sla_policy"] in POLICIES, category["code"]


def test_shipped_policies_say_what_the_issue_asks() -> None:
    def spec(code: str, step: SlaStep) -> tuple[int, SlaUnit]:
        limit = POLICIES[code].limit(step)
        return limit.within, limit.unit

    assert spec("urgent_48h", SlaStep.FIRST_RESPONSE) == (48, SlaUnit.CALENDAR_HOURS)
    assert spec("policy_3wd", SlaStep.ANSWER) == (3, SlaUnit.WORKING_DAYS)
    assert spec("opinion_15wd", SlaStep.ANSWER) == (15, SlaUnit.WORKING_DAYS)
    assert spec("petition_15_60", SlaStep.ACCEPT) == (15, SlaUnit.CALENDAR_DAYS)
    assert spec("petition_15_60", SlaStep.RESOLVE) == (60, SlaUnit.CALENDAR_DAYS)
    assert spec("care_3wd", SlaStep.FIRST_RESPONSE) == (3, SlaUnit.WORKING_DAYS)
    extension = POLICIES["petition_15_60"].limit(SlaStep.RESOLVE).extension
    assert extension is not None and (extension.within, extension.max_count) == (30, 1)


# Start: Monday 2024-09-30 10:00 in Beijing, the last working day before the National Day week.
START = at("2024-09-30 10:00")


@pytest.mark.parametrize(
    ("code", "step", "expected"),
    [
        # 48 hours round the clock: the holiday does not stop an urgent case.
        ("urgent_48h", SlaStep.FIRST_RESPONSE, "2024-10-02 10:00"),
        # 5 working days after 09-30: 10-08, 10-09, 10-10, 10-11, 10-12 (make-up Saturday) → end of 10-12.
        ("urgent_48h", SlaStep.ANSWER, "2024-10-13 00:00"),
        # 3 working days: 10-08, 10-09, 10-10 → due at the end of Thursday 10-10.
        ("policy_3wd", SlaStep.ANSWER, "2024-10-11 00:00"),
        ("care_3wd", SlaStep.FIRST_RESPONSE, "2024-10-11 00:00"),
        # 15 working days: 10-08..10-12 (5), 10-14..10-18 (10), 10-21..10-25 (15).
        ("opinion_15wd", SlaStep.ANSWER, "2024-10-26 00:00"),
        # Calendar days from the next day: day 15 is 10-15 (a working Tuesday), day 60 is 11-29 (Friday).
        ("petition_15_60", SlaStep.ACCEPT, "2024-10-16 00:00"),
        ("petition_15_60", SlaStep.RESOLVE, "2024-11-30 00:00"),
    ],
)
def test_each_shipped_policy_across_the_national_day_week(code: str, step: SlaStep, expected: str) -> None:
    assert sla.due_at(POLICIES[code], step, START, CAL) == at(expected)


def test_working_days_across_the_2025_eight_day_break() -> None:
    # Received Friday 2025-09-26: 09-28 (make-up Sunday), 09-29, 09-30 → due at the end of 09-30.
    assert sla.due_at(POLICIES["policy_3wd"], "answer", at("2025-09-26 16:00"), CAL) == at("2025-10-01 00:00")
    # Received 09-30: 10-09, 10-10, 10-11 (make-up Saturday).
    assert sla.due_at(POLICIES["policy_3wd"], "answer", at("2025-09-30 09:00"), CAL) == at("2025-10-12 00:00")


def test_a_statutory_period_ending_on_a_holiday_moves_to_the_next_working_day() -> None:
    # Received 2024-09-16: day 15 is 10-01, a holiday → the period ends with 10-08, the first working day.
    petition = POLICIES["petition_15_60"]
    due = sla.due_at(petition, "accept", at("2024-09-16 11:00"), CAL)
    assert due == at("2024-10-09 00:00")
    # Due time, breach and fraction agree on the rolled-over end.
    on_holiday = sla.deadline(petition, "accept", at("2024-09-16 11:00"), CAL, now=at("2024-10-03 12:00"))
    assert on_holiday.is_breached is False
    assert on_holiday.fraction_elapsed < 1
    assert on_holiday.due_at == due
    assert sla.is_breached(petition, "accept", at("2024-09-16 11:00"), CAL, now=due) is True
    assert sla.is_breached(petition, "accept", at("2024-09-16 11:00"), CAL, now=due - timedelta(seconds=1)) is False
    # Without the rule the same period would end on the holiday.
    plain = policy("accept", 15, "calendar_days")
    assert sla.due_at(plain, "accept", at("2024-09-16 11:00"), CAL) == at("2024-10-02 00:00")


def test_hours_versus_working_days_versus_business_hours() -> None:
    friday_evening = at("2025-03-07 18:00")
    assert sla.due_at(policy("answer", 48, "calendar_hours"), "answer", friday_evening, CAL) == at("2025-03-09 18:00")
    assert sla.due_at(policy("answer", 2, "working_days"), "answer", friday_evening, CAL) == at("2025-03-12 00:00")
    # 8 office hours (7.5 a day): all of Monday and half an hour of Tuesday.
    assert sla.due_at(policy("answer", 8, "business_hours"), "answer", friday_evening, CAL) == at("2025-03-11 09:00")
    assert sla.due_at(policy("answer", 2, "calendar_days"), "answer", friday_evening, CAL) == at("2025-03-10 00:00")


def test_due_times_are_real_instants_whatever_zone_they_are_given_in() -> None:
    start_utc = START.astimezone(UTC)
    assert sla.due_at(POLICIES["policy_3wd"], "answer", start_utc, CAL) == at("2024-10-11 00:00")


def test_a_step_not_in_the_policy_is_refused() -> None:
    with pytest.raises(Invalid) as refused:
        sla.due_at(POLICIES["policy_3wd"], "resolve", START, CAL)
    assert refused.value.code == "sla_step_not_in_policy"
    assert "办结" in refused.value.message


# ----- pauses ------------------------------------------------------------------------------------


def test_a_pause_stops_the_clock_and_shifts_the_due_time() -> None:
    three_days = POLICIES["policy_3wd"]
    paused = sla.pause((), reason="等待员工补交工资条", at=at("2024-10-08 09:00"))
    assert sla.due_at(three_days, "answer", START, CAL, paused) is None  # a stopped clock has no due time

    during = sla.deadline(three_days, "answer", START, CAL, now=at("2024-10-10 12:00"), pauses=paused)
    assert during.paused is True
    assert during.elapsed == timedelta(hours=9)  # 10-08 00:00 → 09:00 only
    assert during.remaining == timedelta(days=3) - timedelta(hours=9)

    resumed = sla.resume(paused, at=at("2024-10-09 09:00"))
    assert resumed[0].end == at("2024-10-09 09:00")
    # One working day's worth of clock (24 h on working days) was paused: one more day to go.
    assert sla.due_at(three_days, "answer", START, CAL, resumed) == at("2024-10-12 00:00")


def test_a_pause_over_rest_days_costs_nothing_for_working_day_clocks() -> None:
    pauses = (Pause("等待材料", at("2024-10-01 08:00"), at("2024-10-07 20:00")),)
    assert sla.due_at(POLICIES["policy_3wd"], "answer", START, CAL, pauses) == at("2024-10-11 00:00")
    # ... but it does for a round-the-clock one.
    assert sla.due_at(POLICIES["urgent_48h"], "first_response", START, CAL, pauses) == at("2024-10-08 22:00")


def test_business_hour_clock_pauses() -> None:
    four_hours = policy("answer", 4, "business_hours")
    start = at("2025-03-05 09:00")
    pauses = (Pause("等待当事人到场", at("2025-03-05 10:00"), at("2025-03-05 14:00")),)
    # Runs 09:00–10:00 (1 h), paused until 14:00, then 3 h more: 17:00.
    assert sla.due_at(four_hours, "answer", start, CAL, pauses) == at("2025-03-05 17:00")


def test_pausing_needs_a_reason_and_pauses_never_overlap() -> None:
    with pytest.raises(Invalid, match="pause_reason_required"):
        sla.pause((), reason="  ", at=START)
    once = sla.pause((), reason="等待材料", at=START)
    with pytest.raises(Conflict, match="already_paused"):
        sla.pause(once, reason="再次暂停", at=START + timedelta(hours=1))
    with pytest.raises(Invalid, match="pause_invalid"):
        sla.resume(once, at=START)
    with pytest.raises(Conflict, match="not_paused"):
        sla.resume((), at=START)
    closed = sla.resume(once, at=START + timedelta(hours=2))
    with pytest.raises(Conflict, match="pause_overlap"):
        sla.pause(closed, reason="等待材料", at=START + timedelta(hours=1))
    overlapping = (Pause("a", START, START + timedelta(hours=3)), Pause("b", START + timedelta(hours=2), None))
    with pytest.raises(Conflict, match="pause_overlap"):
        sla.due_at(POLICIES["policy_3wd"], "answer", START, CAL, overlapping)
    open_in_middle = (Pause("a", START, None), Pause("b", START + timedelta(hours=2), START + timedelta(hours=3)))
    with pytest.raises(Conflict, match="pause_overlap"):
        sla.due_at(POLICIES["policy_3wd"], "answer", START, CAL, open_in_middle)
    with pytest.raises(Invalid, match="pause_reason_required"):
        sla.due_at(POLICIES["policy_3wd"], "answer", START, CAL, (Pause("", START, START + timedelta(hours=1)),))


@settings(max_examples=150, deadline=None)
@given(
    offset_hours=st.integers(min_value=0, max_value=24 * 20),
    length_hours=st.integers(min_value=1, max_value=24 * 10),
)
def test_a_closed_pause_never_brings_the_due_time_forward(offset_hours: int, length_hours: int) -> None:
    opinion = POLICIES["opinion_15wd"]
    pause_start = START + timedelta(hours=offset_hours)
    pauses = (Pause("等待材料", pause_start, pause_start + timedelta(hours=length_hours)),)
    plain = sla.due_at(opinion, "answer", START, CAL)
    shifted = sla.due_at(opinion, "answer", START, CAL, pauses)
    assert plain is not None and shifted is not None
    assert shifted >= plain
    # The clock time used by the due time is the budget either way.
    at_due = sla.deadline(opinion, "answer", START, CAL, now=shifted, pauses=pauses)
    assert at_due.elapsed == at_due.budget == timedelta(days=15)


# ----- extensions --------------------------------------------------------------------------------


def test_a_petition_may_be_extended_once_by_30_days_with_a_written_reason() -> None:
    petition = POLICIES["petition_15_60"]
    granted = sla.extend(petition, "resolve", (), reason="需调取三年考勤档案核实", at=at("2024-11-20 10:00"))
    assert granted == (Extension("需调取三年考勤档案核实", at("2024-11-20 10:00")),)
    # 90 days from 10-01: 12-29 is a Sunday → the period ends with Monday 12-30.
    assert sla.due_at(petition, "resolve", START, CAL, extensions=granted) == at("2024-12-31 00:00")
    with pytest.raises(Conflict) as again:
        sla.extend(petition, "resolve", granted, reason="仍需时间核实", at=at("2024-12-20 10:00"))
    assert again.value.code == "extension_limit_reached"
    assert "不能再延期" in again.value.message


def test_an_extension_needs_a_written_reason_and_a_policy_that_allows_it() -> None:
    petition = POLICIES["petition_15_60"]
    for reason in ("", "   ", "需要"):
        with pytest.raises(Invalid, match="extension_reason_required"):
            sla.extend(petition, "resolve", (), reason=reason, at=START)
    with pytest.raises(Conflict, match="extension_not_allowed"):
        sla.extend(petition, "accept", (), reason="需要更多时间核实", at=START)
    with pytest.raises(Conflict, match="extension_not_allowed"):
        sla.extend(POLICIES["policy_3wd"], "answer", (), reason="需要更多时间核实", at=START)
    # Extensions the policy never allowed are refused when computing, too.
    with pytest.raises(Conflict, match="extension_limit_reached"):
        sla.due_at(petition, "resolve", START, CAL, extensions=(Extension("理由一二", START),) * 2)
    with pytest.raises(Conflict, match="extension_not_allowed"):
        sla.deadline(petition, "accept", START, CAL, now=START, extensions=(Extension("理由一二", START),))


# ----- breach and fraction -----------------------------------------------------------------------


def test_fraction_elapsed_and_breach_on_a_working_day_clock() -> None:
    three_days = POLICIES["policy_3wd"]  # started 09-30, counts 10-08, 10-09, 10-10

    def fraction(now: str) -> float:
        return sla.fraction_elapsed(three_days, "answer", START, CAL, now=at(now))

    assert fraction("2024-09-30 18:00") == 0.0  # the start day does not count
    assert fraction("2024-10-05 12:00") == 0.0  # nor do holidays
    assert fraction("2024-10-08 12:00") == pytest.approx(0.5 / 3)
    assert fraction("2024-10-09 12:00") == pytest.approx(1.5 / 3)  # the 50 % reminder is due
    assert fraction("2024-10-10 10:48") == pytest.approx(2.45 / 3)
    assert fraction("2024-10-11 00:00") == pytest.approx(1.0)
    assert sla.remaining(three_days, "answer", START, CAL, now=at("2024-10-09 12:00")) == timedelta(hours=36)
    assert sla.is_breached(three_days, "answer", START, CAL, now=at("2024-10-10 23:59")) is False
    assert sla.is_breached(three_days, "answer", START, CAL, now=at("2024-10-11 00:00")) is True
    late = sla.deadline(three_days, "answer", START, CAL, now=at("2024-10-11 06:00"))
    assert late.remaining == -timedelta(hours=6)
    assert late.fraction_elapsed == pytest.approx(1 + 0.25 / 3)


def test_fraction_on_an_hour_clock() -> None:
    urgent = POLICIES["urgent_48h"]
    assert sla.fraction_elapsed(urgent, "first_response", START, CAL, now=START + timedelta(hours=24)) == 0.5
    assert sla.fraction_elapsed(urgent, "first_response", START, CAL, now=START + timedelta(hours=38.4)) == 0.8
    assert sla.fraction_elapsed(urgent, "first_response", START, CAL, now=START - timedelta(hours=1)) == 0.0
    assert sla.is_breached(urgent, "first_response", START, CAL, now=START + timedelta(hours=48)) is True


def test_a_pause_after_the_breach_does_not_undo_it() -> None:
    urgent = POLICIES["urgent_48h"]
    pauses = (Pause("等待员工回电", START + timedelta(hours=50), None),)
    late = sla.deadline(urgent, "first_response", START, CAL, now=START + timedelta(hours=60), pauses=pauses)
    assert late.is_breached is True
    assert late.elapsed == timedelta(hours=50)


def test_dates_past_the_calendar_raise_instead_of_guessing() -> None:
    from suqiu_queue.domain.calendar import CalendarOutOfRange

    with pytest.raises(CalendarOutOfRange):
        sla.due_at(POLICIES["opinion_15wd"], "answer", at("2026-12-20 10:00"), CAL)
    # A round-the-clock deadline needs no calendar, so it still works.
    assert sla.due_at(POLICIES["urgent_48h"], "first_response", at("2026-12-31 10:00"), CAL) == at("2027-01-02 10:00")


# ----- policy validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"code": "Bad Code", "name": "x", "steps": {"answer": {"within": 1, "unit": "working_days"}}}, "lower_snake_case"),
        ({"code": "p", "name": "x", "steps": {"answer": {"within": 1, "unit": "working_days"}}}, "lower_snake_case"),
        ({"code": "pp", "name": "", "steps": {"answer": {"within": 1, "unit": "working_days"}}}, "missing name"),
        ({"code": "pp", "name": "x", "steps": {}}, "at least one step"),
        ({"code": "pp", "name": "x", "steps": {"reply": {"within": 1, "unit": "working_days"}}}, "unknown step"),
        ({"code": "pp", "name": "x", "steps": {"answer": {"within": 1, "unit": "weeks"}}}, "invalid unit"),
        ({"code": "pp", "name": "x", "steps": {"answer": {"within": 0, "unit": "working_days"}}}, "integer 1..250"),
        ({"code": "pp", "name": "x", "steps": {"answer": {"within": 2.5, "unit": "working_days"}}}, "integer"),
        ({"code": "pp", "name": "x", "steps": {"answer": {"within": 400, "unit": "calendar_days"}}}, "integer 1..366"),
        ({"code": "pp", "name": "x", "steps": {"answer": {"within": 3, "unit": "working_days", "end_on_working_day": True}}}, "only applies to calendar_days"),
        ({"code": "pp", "name": "x", "steps": {"answer": {"within": 3, "unit": "working_days", "extension": {"within": 0}}}}, "extension.within"),
        ({"code": "pp", "name": "x", "steps": {"answer": {"within": 3, "unit": "working_days", "extension": {"within": 3, "max_count": 9}}}}, "max_count"),
        ({"code": "pp", "name": "x", "steps": {"answer": {"within": 3, "unit": "working_days", "grace": 1}}}, "unknown fields grace"),
        ({"code": "pp", "name": "x", "colour": "red", "steps": {"answer": {"within": 3, "unit": "working_days"}}}, "unknown fields colour"),
    ],
)  # fmt: skip
def test_bad_policies_are_refused(raw: dict, fragment: str) -> None:
    with pytest.raises(Invalid) as refused:
        SlaPolicy.from_dict(raw)
    assert refused.value.code == "invalid_sla_policy"
    assert fragment in refused.value.message_en
    assert refused.value.message.startswith("时限规则")


def test_policies_round_trip_for_the_admin_editor() -> None:
    for item in sla_policies()["policies"]:
        parsed = SlaPolicy.from_dict(item)
        assert SlaPolicy.from_dict(parsed.to_dict()) == parsed


def test_duplicate_codes_are_refused() -> None:
    raw = copy.deepcopy(sla_policies())
    raw["policies"].append(raw["policies"][0])
    with pytest.raises(Invalid, match="duplicate code"):
        sla.load_policies(raw)
    with pytest.raises(SlaDataError, match="duplicate codes"):
        sla_policies(raw)


def test_the_asset_loader_refuses_a_file_missing_a_category_policy() -> None:
    raw = copy.deepcopy(sla_policies())
    raw["policies"] = [p for p in raw["policies"] if p["code"] != "care_3wd"]
    with pytest.raises(SlaDataError, match="care_3wd"):
        sla_policies(raw)
    with pytest.raises(SlaDataError, match="version"):
        sla_policies({"version": 2, "policies": raw["policies"]})


# ----- working days left, several instants at once ---------------------------------------------------


def test_working_days_left_across_the_national_day_week_2026() -> None:
    policy_3wd = POLICIES["policy_3wd"]
    # Received Wednesday 09-30: 10-01..10-07 are off, 10-08, 10-09 and the make-up Saturday 10-10 count.
    due = sla.due_at(policy_3wd, "answer", at("2026-09-30 10:00"), CAL)
    assert due == at("2026-10-11 00:00")
    left = {day: sla.working_days_left(due, at(day), CAL) for day in (
        "2026-09-30 10:00",  # the day it arrives: the whole budget (today is not counted)
        "2026-10-05 12:00",  # inside the holiday: nothing has been used
        "2026-10-09 09:00",
        "2026-10-10 23:59",  # the last day: 0, due by the end of today
        "2026-10-11 00:00",  # Sunday, just overdue: -1 at once
        "2026-10-12 09:00",  # Monday: one working day late
        "2026-10-13 09:00",
    )}  # fmt: skip
    assert list(left.values()) == [3, 3, 1, 0, -1, -1, -2]
    # Received Friday 09-18: the make-up Sunday 09-20 is the first of its three working days.
    early = sla.due_at(policy_3wd, "answer", at("2026-09-18 10:00"), CAL)
    assert early == at("2026-09-23 00:00")
    assert [sla.working_days_left(early, at(t), CAL) for t in ("2026-09-19 10:00", "2026-09-20 18:00")] == [3, 2]


def test_working_days_left_of_an_hour_deadline_and_without_one() -> None:
    due = at("2026-11-25 10:00")
    assert sla.working_days_left(due, at("2026-11-24 10:00"), CAL) == 1
    assert sla.working_days_left(due, at("2026-11-25 09:00"), CAL) == 0
    assert sla.working_days_left(due, at("2026-11-25 11:00"), CAL) == -1  # overdue the same day
    assert sla.working_days_left(None, at("2026-11-25 11:00"), CAL) is None  # paused, or no deadline


@settings(max_examples=150, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 6, 30), timezones=st.just(SH)),
    code=st.sampled_from(sorted(POLICIES)),
    paused_hours=st.integers(min_value=0, max_value=72),
)
def test_instants_at_lands_on_each_share_of_the_budget(start: datetime, code: str, paused_hours: int) -> None:
    policy = POLICIES[code]
    pauses = (Pause("等待材料", start + timedelta(hours=5), start + timedelta(hours=5 + paused_hours)),)
    pauses = pauses if paused_hours else ()
    fractions = (1.5, 0.5, 1.0, 0.8)
    for step in policy.steps:
        together = sla.instants_at(policy, step, start, CAL, fractions, pauses)
        assert together[2] == sla.due_at(policy, step, start, CAL, pauses)
        for fraction, instant in zip(fractions, together, strict=True):
            assert instant is not None
            # Measured the other way round: at that instant, exactly that share of the budget is used.
            state = sla.deadline(policy, step, start, CAL, instant, pauses)
            assert state.elapsed == state.budget * fraction
            assert sla.instant_at(policy, step, start, CAL, fraction, pauses) == instant
