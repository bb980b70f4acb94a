"""Scoring of every shipped scale on hand-computed vectors, plus definition validation.

Expected values below come from the published scoring rules and cut-offs (docs/assessments.md),
worked out by hand — never from the engine. Reverse items are listed here again, from the
published scales, so a YAML file that marks the wrong item as reversed fails these tests.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import suqiu_assets.scales
from suqiu_queue.domain.assessment import (
    LICENSED_SCALES,
    Scale,
    ScaleDefinitionError,
    apply_rounding,
    build_catalog,
    load_scale,
    reverse_points,
    score,
)
from suqiu_queue.domain.errors import Invalid, NotFound

CATALOG = build_catalog(suqiu_assets.scales.definitions(site_dir=""), {})
SCALES = {s.id: s for s in CATALOG.list()}

# From the published scales (1-based item numbers).
PSS10_REVERSE = {4, 5, 7, 8}
SDS_REVERSE = {2, 5, 6, 11, 12, 14, 16, 17, 18, 20}
SAS_REVERSE = {5, 9, 13, 17, 19}


def fill(target: int, n: int, low: int, high: int) -> list[int]:
    """n item values in [low, high] summing to target, filled from the first item (by hand: greedy)."""
    values = [low] * n
    rest = target - low * n
    assert 0 <= rest <= (high - low) * n
    for i in range(n):
        step = min(high - low, rest)
        values[i] += step
        rest -= step
    return values


def paper(scored: list[int], reverse: set[int], low: int, high: int) -> list[int]:
    """What the employee ticks on paper to get these scored values: reverse items turned around."""
    return [low + high - v if i + 1 in reverse else v for i, v in enumerate(scored)]


def summary(scale_id: str, points: list[int]) -> dict[str, Any]:
    return score(SCALES[scale_id], points).summary()


# --- the catalogue --------------------------------------------------------------------------------


def test_shipped_scales_are_exactly_the_seven_free_ones() -> None:
    assert [s.id for s in CATALOG.list()] == ["phq9", "gad7", "pss10", "sds", "sas", "k10", "who5"]
    counts = {s.id: (len(s.items), len(s.scored_items)) for s in CATALOG.list()}
    assert counts == {
        "phq9": (10, 9),
        "gad7": (7, 7),
        "pss10": (10, 10),
        "sds": (20, 20),
        "sas": (20, 20),
        "k10": (10, 10),
        "who5": (5, 5),
    }


def test_reverse_items_match_the_published_scales() -> None:
    assert {i.number for i in SCALES["pss10"].items if i.reverse} == PSS10_REVERSE
    assert {i.number for i in SCALES["sds"].items if i.reverse} == SDS_REVERSE
    assert {i.number for i in SCALES["sas"].items if i.reverse} == SAS_REVERSE
    for scale_id in ("phq9", "gad7", "k10", "who5"):
        assert not any(i.reverse for i in SCALES[scale_id].items)


def test_every_scale_has_chinese_and_english_text_a_version_and_a_licence_note() -> None:
    for scale in CATALOG.list():
        assert scale.version and scale.source and scale.licence.zh and scale.licence.en
        assert scale.name.zh and scale.instructions.zh
        for item in scale.items:
            assert item.text.zh and item.text.en
            assert all(o.label.zh and o.label.en for o in item.options)
        for band in scale.bands:
            assert band.label.zh and band.message_zh and band.next_steps_zh


# --- PHQ-9 ------------------------------------------------------------------------------------------

PHQ9_BANDS = {  # raw → band, at every boundary and one point either side (0–4, 5–9, 10–14, 15–19, 20–27)
    0: "minimal",
    1: "minimal",
    3: "minimal",
    4: "minimal",
    5: "mild",
    6: "mild",
    8: "mild",
    9: "mild",
    10: "moderate",
    11: "moderate",
    13: "moderate",
    14: "moderate",
    15: "moderately_severe",
    16: "moderately_severe",
    18: "moderately_severe",
    19: "moderately_severe",
    20: "severe",
    21: "severe",
    26: "severe",
    27: "severe",
}


@pytest.mark.parametrize(("raw", "band"), sorted(PHQ9_BANDS.items()))
def test_phq9_band_boundaries(raw: int, band: str) -> None:
    # Item 9 is filled last, so only the totals of 25+ touch it; the crisis flag is checked apart.
    points = fill(raw, 9, 0, 3)
    out = summary("phq9", points)
    assert (out["raw"], out["standard"], out["band"]) == (raw, None, band)
    assert out["crisis"] is (points[8] > 0)


def test_phq9_labels_are_chinese() -> None:
    assert summary("phq9", [3, 3, 3, 1, 0, 0, 0, 0, 0])["band_label"] == "中度抑郁症状"


def test_phq9_item9_raises_a_crisis_even_with_the_lowest_total() -> None:
    out = summary("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert out == {
        "scale": "phq9",
        "raw": 1,
        "standard": None,
        "band": "minimal",
        "band_label": "无或极轻微抑郁症状",
        "crisis": True,
    }
    result = score(SCALES["phq9"], [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert [(f.item, f.level) for f in result.flags] == [(9, "crisis")]


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_phq9_any_nonzero_item9_is_a_crisis(item9: int) -> None:
    assert summary("phq9", [0] * 8 + [item9])["crisis"] is True


def test_phq9_a_severe_total_without_item9_is_not_a_crisis() -> None:
    out = summary("phq9", [3, 3, 3, 3, 3, 3, 3, 3, 0])
    assert (out["raw"], out["band"], out["crisis"]) == (24, "severe", False)


def test_phq9_difficulty_question_is_asked_but_not_scored() -> None:
    without = summary("phq9", [1, 1, 1, 1, 1, 0, 0, 0, 0])
    with_difficulty = summary("phq9", [1, 1, 1, 1, 1, 0, 0, 0, 0, 3])
    assert without == with_difficulty
    assert with_difficulty["raw"] == 5 and with_difficulty["band"] == "mild"
    result = score(SCALES["phq9"], [1, 1, 1, 1, 1, 0, 0, 0, 0, 3])
    assert result.answers[9] == 3 and len(result.scored) == 9


def test_phq9_min_and_max() -> None:
    assert summary("phq9", [0] * 9)["raw"] == 0
    out = summary("phq9", [3] * 9 + [3])
    assert (out["raw"], out["band"], out["crisis"]) == (27, "severe", True)


# --- GAD-7 --------------------------------------------------------------------------------------------

GAD7_BANDS = {  # 0–4, 5–9, 10–14, 15–21
    0: "minimal",
    3: "minimal",
    4: "minimal",
    5: "mild",
    6: "mild",
    8: "mild",
    9: "mild",
    10: "moderate",
    11: "moderate",
    13: "moderate",
    14: "moderate",
    15: "severe",
    16: "severe",
    20: "severe",
    21: "severe",
}


@pytest.mark.parametrize(("raw", "band"), sorted(GAD7_BANDS.items()))
def test_gad7_band_boundaries(raw: int, band: str) -> None:
    out = summary("gad7", fill(raw, 7, 0, 3))
    assert (out["raw"], out["standard"], out["band"], out["crisis"]) == (raw, None, band, False)


def test_gad7_hand_vector() -> None:
    out = summary("gad7", [2, 1, 0, 3, 1, 2, 1])
    assert (out["raw"], out["band"], out["band_label"]) == (10, "moderate", "中度焦虑症状")


# --- PSS-10 (items 4, 5, 7, 8 reversed: 4 − points) ----------------------------------------------------

PSS10_BANDS = {  # 0–13, 14–26, 27–40
    0: "low",
    1: "low",
    12: "low",
    13: "low",
    14: "moderate",
    15: "moderate",
    25: "moderate",
    26: "moderate",
    27: "high",
    28: "high",
    39: "high",
    40: "high",
}


@pytest.mark.parametrize(("raw", "band"), sorted(PSS10_BANDS.items()))
def test_pss10_band_boundaries(raw: int, band: str) -> None:
    out = summary("pss10", paper(fill(raw, 10, 0, 4), PSS10_REVERSE, 0, 4))
    assert (out["raw"], out["standard"], out["band"]) == (raw, None, band)


def test_pss10_reverse_trap_all_never_is_not_zero() -> None:
    # 从不 everywhere: the four positive items count 4 each → 16, moderate — not 0.
    assert summary("pss10", [0] * 10)["raw"] == 16
    assert summary("pss10", [0] * 10)["band"] == "moderate"
    # 总是 everywhere: 6 × 4 + 4 × 0 = 24, not 40.
    assert summary("pss10", [4] * 10)["raw"] == 24


def test_pss10_min_and_max_need_the_reversed_items_turned_around() -> None:
    assert summary("pss10", [0, 0, 0, 4, 4, 0, 4, 4, 0, 0])["raw"] == 0
    assert summary("pss10", [4, 4, 4, 0, 0, 4, 0, 0, 4, 4])["raw"] == 40
    assert summary("pss10", [4, 4, 4, 0, 0, 4, 0, 0, 4, 4])["band"] == "high"


# --- Zung SDS: standard = integer part of raw × 1.25; cut-offs 53 / 63 / 73 ---------------------------

SDS_STANDARD = {  # raw → (standard, band), worked out by hand: 42 × 1.25 = 52.5 → 52
    20: (25, "normal"),
    41: (51, "normal"),
    42: (52, "normal"),
    43: (53, "mild"),
    44: (55, "mild"),
    49: (61, "mild"),
    50: (62, "mild"),
    51: (63, "moderate"),
    52: (65, "moderate"),
    57: (71, "moderate"),
    58: (72, "moderate"),
    59: (73, "severe"),
    60: (75, "severe"),
    80: (100, "severe"),
}


@pytest.mark.parametrize(("raw", "expected"), sorted(SDS_STANDARD.items()))
def test_sds_band_boundaries_on_the_standard_score(raw: int, expected: tuple[int, str]) -> None:
    out = summary("sds", paper(fill(raw, 20, 1, 4), SDS_REVERSE, 1, 4))
    assert (out["raw"], out["standard"], out["band"]) == (raw, *expected)


def test_sds_reverse_trap_all_ones_is_not_the_minimum() -> None:
    # 没有或很少时间 on all 20: the 10 positive items count 4 each → 10 + 40 = 50 → 62, mild.
    out = summary("sds", [1] * 20)
    assert (out["raw"], out["standard"], out["band"], out["band_label"]) == (50, 62, "mild", "轻度抑郁症状")
    assert summary("sds", [4] * 20)["raw"] == 50


def test_sds_min_and_max() -> None:
    lowest = [4 if n in SDS_REVERSE else 1 for n in range(1, 21)]
    highest = [1 if n in SDS_REVERSE else 4 for n in range(1, 21)]
    assert summary("sds", lowest) | {"band_label": ""} == {
        "scale": "sds",
        "raw": 20,
        "standard": 25,
        "band": "normal",
        "band_label": "",
        "crisis": False,
    }
    out = summary("sds", highest)
    assert (out["raw"], out["standard"], out["band"], out["crisis"]) == (80, 100, "severe", True)


def test_sds_item19_is_noted_at_some_of_the_time_and_a_crisis_from_a_good_part() -> None:
    base = [4 if n in SDS_REVERSE else 1 for n in range(1, 21)]
    some = list(base)
    some[18] = 2
    result = score(SCALES["sds"], some)
    assert [(f.item, f.level) for f in result.flags] == [(19, "attention")]
    assert result.crisis is False
    good_part = list(base)
    good_part[18] = 3
    assert score(SCALES["sds"], good_part).crisis is True


# --- Zung SAS: standard = integer part of raw × 1.25; cut-offs 50 / 60 / 70 ---------------------------

SAS_STANDARD = {
    20: (25, "normal"),
    38: (47, "normal"),
    39: (48, "normal"),
    40: (50, "mild"),
    41: (51, "mild"),
    47: (58, "mild"),
    48: (60, "moderate"),
    49: (61, "moderate"),
    55: (68, "moderate"),
    56: (70, "severe"),
    57: (71, "severe"),
    80: (100, "severe"),
}


@pytest.mark.parametrize(("raw", "expected"), sorted(SAS_STANDARD.items()))
def test_sas_band_boundaries_on_the_standard_score(raw: int, expected: tuple[int, str]) -> None:
    out = summary("sas", paper(fill(raw, 20, 1, 4), SAS_REVERSE, 1, 4))
    assert (out["raw"], out["standard"], out["band"]) == (raw, *expected)


def test_sas_reverse_trap() -> None:
    # all 1: 15 × 1 + 5 × 4 = 35 → 43.75 → 43; all 4: 15 × 4 + 5 × 1 = 65 → 81.25 → 81.
    assert summary("sas", [1] * 20) | {"band_label": ""} == {
        "scale": "sas",
        "raw": 35,
        "standard": 43,
        "band": "normal",
        "band_label": "",
        "crisis": False,
    }
    out = summary("sas", [4] * 20)
    assert (out["raw"], out["standard"], out["band"]) == (65, 81, "severe")


# --- K10 (1–5 per item; 10–15, 16–21, 22–29, 30–50) ------------------------------------------------------

K10_BANDS = {
    10: "low",
    11: "low",
    15: "low",
    16: "moderate",
    17: "moderate",
    21: "moderate",
    22: "high",
    23: "high",
    29: "high",
    30: "very_high",
    31: "very_high",
    49: "very_high",
    50: "very_high",
}


@pytest.mark.parametrize(("raw", "band"), sorted(K10_BANDS.items()))
def test_k10_band_boundaries(raw: int, band: str) -> None:
    out = summary("k10", fill(raw, 10, 1, 5))
    assert (out["raw"], out["standard"], out["band"]) == (raw, None, band)


def test_k10_rejects_zero_because_its_options_start_at_one() -> None:
    with pytest.raises(Invalid) as err:
        score(SCALES["k10"], [0] + [1] * 9)
    assert err.value.code == "invalid_answer"
    assert "第 1 题" in err.value.message


# --- WHO-5 (0–5 per item; standard = raw × 4; bands on raw 0–7, 8–12, 13–25) ------------------------------

WHO5 = {  # raw → (percentage, band)
    0: (0, "very_low"),
    1: (4, "very_low"),
    6: (24, "very_low"),
    7: (28, "very_low"),
    8: (32, "low"),
    9: (36, "low"),
    11: (44, "low"),
    12: (48, "low"),
    13: (52, "good"),
    14: (56, "good"),
    24: (96, "good"),
    25: (100, "good"),
}


@pytest.mark.parametrize(("raw", "expected"), sorted(WHO5.items()))
def test_who5_percentage_and_bands(raw: int, expected: tuple[int, str]) -> None:
    out = summary("who5", fill(raw, 5, 0, 5))
    assert (out["raw"], out["standard"], out["band"]) == (raw, *expected)


def test_who5_hand_vector() -> None:
    out = summary("who5", [3, 2, 2, 1, 4])
    assert out == {
        "scale": "who5",
        "raw": 12,
        "standard": 48,
        "band": "low",
        "band_label": "幸福感较低",
        "crisis": False,
    }


# --- input checks -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale_id", "points", "code"),
    [
        ("phq9", [0] * 8, "wrong_answer_count"),
        ("phq9", [0] * 11, "wrong_answer_count"),
        ("phq9", [0] * 8 + [4], "invalid_answer"),
        ("phq9", [0] * 9 + [4], "invalid_answer"),  # the unscored question has its own options too
        ("phq9", [0] * 8 + [-1], "invalid_answer"),
        ("phq9", [0] * 8 + [None, 0], "missing_answer"),
        ("sds", [0] * 20, "invalid_answer"),
        ("who5", [6] * 5, "invalid_answer"),
        ("gad7", [True] * 7, "invalid_answer"),
    ],
)
def test_bad_answers_are_refused_with_a_code(scale_id: str, points: list[Any], code: str) -> None:
    with pytest.raises(Invalid) as err:
        score(SCALES[scale_id], points)
    assert err.value.code == code
    assert err.value.message and err.value.message_en


def test_an_unknown_scale_is_not_found() -> None:
    with pytest.raises(NotFound) as err:
        CATALOG.get("bdi")
    assert err.value.code == "scale_not_found"


# --- rounding ------------------------------------------------------------------------------------------------


def test_rounding_rules_on_exact_halves() -> None:
    from fractions import Fraction

    assert apply_rounding(Fraction(105, 2), "integer_part") == 52  # 42 × 1.25
    assert apply_rounding(Fraction(105, 2), "half_up") == 53
    assert apply_rounding(Fraction(215, 4), "integer_part") == 53  # 43 × 1.25 = 53.75
    assert apply_rounding(Fraction(215, 4), "half_up") == 54
    assert apply_rounding(Fraction(48), "exact") == 48
    with pytest.raises(ValueError):
        apply_rounding(Fraction(1, 2), "exact")


# --- properties ---------------------------------------------------------------------------------------------


@st.composite
def answered(draw: st.DrawFn) -> tuple[Scale, list[int]]:
    scale = draw(st.sampled_from(CATALOG.list()))
    points = [draw(st.sampled_from([o.points for o in item.options])) for item in scale.items]
    return scale, points


@settings(max_examples=300, deadline=None)
@given(answered())
def test_score_stays_in_range_and_in_its_band(case: tuple[Scale, list[int]]) -> None:
    scale, points = case
    result = score(scale, points)
    lo, hi = scale.raw_range
    assert lo <= result.raw <= hi
    banded = result.standard if scale.scoring.bands_on == "standard" else result.raw
    assert result.band.min <= banded <= result.band.max
    if result.standard is not None:
        s_lo, s_hi = scale.standard_of(lo), scale.standard_of(hi)
        assert s_lo is not None and s_hi is not None and s_lo <= result.standard <= s_hi
    for value, item in zip(result.scored, scale.scored_items, strict=True):
        assert item.lowest <= value <= item.highest
    expected_crisis = any(
        a is not None and a >= f.min_points and f.level == "crisis"
        for item, a in zip(scale.items, points, strict=True)
        for f in item.flags
    )
    assert result.crisis is expected_crisis


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([(s, i) for s in CATALOG.list() for i in s.items]), st.data())
def test_reversal_is_an_involution(case: tuple[Scale, Any], data: st.DataObject) -> None:
    _scale, item = case
    points = data.draw(st.sampled_from([o.points for o in item.options]))
    once = reverse_points(item, points)
    assert item.option(once) is not None  # still a valid answer
    assert reverse_points(item, once) == points


@settings(max_examples=100, deadline=None)
@given(answered())
def test_scoring_full_and_scored_only_lists_agree(case: tuple[Scale, list[int]]) -> None:
    scale, points = case
    scored_only = [p for p, item in zip(points, scale.items, strict=True) if item.scored]
    assert score(scale, points).summary() == score(scale, scored_only).summary()


# --- broken definition files ---------------------------------------------------------------------------------

PHQ9_DATA = suqiu_assets.scales.read_shipped("phq9.yaml")


def broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(PHQ9_DATA)
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.pop("id"), "id"),
        (lambda d: d.update(id="PHQ 9"), "id"),
        (lambda d: d.pop("version"), "version"),
        (lambda d: d["name"].pop("en"), "name.en"),
        (lambda d: d["items"][3].pop("text"), "items[3].text"),
        (lambda d: d["items"][3].update(number=7), "items[3].number"),
        (lambda d: d["items"][2].update(reverse="yes"), "items[2].reverse"),
        (lambda d: d["options"][1].update(points="1"), "options[1].points"),
        (lambda d: d["options"][1].update(points=0), "options"),
        (lambda d: d["items"][9]["options"][2].update(points=-2), "items[9].options[2].points"),
        (lambda d: d["items"][8]["flags"][0].update(min_points=9), "items[8].flags[0].min_points"),
        (lambda d: d["items"][8]["flags"][0].update(level="panic"), "items[8].flags[0].level"),
        (lambda d: d["scoring"].update(method="average"), "scoring.method"),
        (lambda d: d["scoring"].update(factor="1.25"), "scoring.factor"),
        (lambda d: d["scoring"].update(bands_on="standard"), "scoring.bands_on"),
        (lambda d: d["bands"][1].update(min=6), "bands[1].min"),  # gap after 0–4
        (lambda d: d["bands"][1].update(min=4), "bands[1].min"),  # overlap
        (lambda d: d["bands"][4].update(max=26), "bands[4].max"),  # 27 left out
        (lambda d: d["bands"][2].update(max=9), "bands[2].max"),  # max below min
        (lambda d: d["bands"][2].pop("label"), "bands[2].label"),
        (lambda d: d["bands"][3].update(code="mild"), "bands"),
        (lambda d: d.pop("licence"), "licence"),
        (lambda d: d.update(items=[]), "items"),
    ],
)
def test_a_broken_definition_names_the_field(change: Any, path: str) -> None:
    with pytest.raises(ScaleDefinitionError) as err:
        load_scale(broken(change), source="phq9.yaml")
    assert err.value.path == path, str(err.value)
    assert str(err.value).startswith(f"phq9.yaml: {path}:")


def test_a_scaled_definition_needs_a_rounding_rule_that_fits() -> None:
    data = copy.deepcopy(suqiu_assets.scales.read_shipped("sds.yaml"))
    data["scoring"]["rounding"] = "exact"
    with pytest.raises(ScaleDefinitionError) as err:
        load_scale(data, source="sds.yaml")
    assert err.value.path == "scoring.rounding"
    data["scoring"]["rounding"] = "ceil"
    with pytest.raises(ScaleDefinitionError) as err:
        load_scale(data, source="sds.yaml")
    assert err.value.path == "scoring.rounding"


def test_a_definition_that_is_not_a_mapping() -> None:
    with pytest.raises(ScaleDefinitionError) as err:
        load_scale(["phq9"], source="x.yaml")
    assert "must be a mapping" in str(err.value)


def test_the_same_id_twice_is_an_error() -> None:
    with pytest.raises(ScaleDefinitionError) as err:
        build_catalog([("a.yaml", PHQ9_DATA), ("b.yaml", PHQ9_DATA)], {})
    assert err.value.source == "b.yaml" and err.value.path == "id"


def test_a_site_file_that_is_not_yaml_names_the_file(tmp_path: Any) -> None:
    (tmp_path / "mine.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"mine\.yaml"):
        suqiu_assets.scales.definitions(site_dir=tmp_path)


def test_a_missing_site_directory_is_an_error(tmp_path: Any) -> None:
    with pytest.raises(FileNotFoundError):
        suqiu_assets.scales.definitions(site_dir=tmp_path / "nope")


# --- SCL-90: licensed, factor means ---------------------------------------------------------------------------

# The published factor structure (Derogatis; 中国常模 金华、吴文源 1986). The item wording is the
# copyrighted part and is not shipped: this fixture stands in for the file a licensed site adds.
SCL90_FACTORS = {
    "somatization": [1, 4, 12, 27, 40, 42, 48, 49, 52, 53, 56, 58],
    "obsessive_compulsive": [3, 9, 10, 28, 38, 45, 46, 51, 55, 65],
    "interpersonal_sensitivity": [6, 21, 34, 36, 37, 41, 61, 69, 73],
    "depression": [5, 14, 15, 20, 22, 26, 29, 30, 31, 32, 54, 71, 79],
    "anxiety": [2, 17, 23, 33, 39, 57, 72, 78, 80, 86],
    "hostility": [11, 24, 63, 67, 74, 81],
    "phobic_anxiety": [13, 25, 47, 50, 70, 75, 82],
    "paranoid_ideation": [8, 18, 43, 68, 76, 83],
    "psychoticism": [7, 16, 35, 62, 77, 84, 85, 87, 88, 90],
    "additional": [19, 44, 59, 60, 64, 66, 89],
}


def scl90_definition() -> dict[str, Any]:
    return {
        "id": "scl90",
        "version": "scl90-site-1",
        "short_name": "SCL-90",
        "name": {"zh": "症状自评量表（SCL-90）", "en": "Symptom Checklist-90"},
        "instructions": {"zh": "请根据最近一周的情况作答。", "en": "Answer for the past week."},
        "source": "Derogatis LR. SCL-90-R. 1977.",
        "licence": {"zh": "本单位已购买授权", "en": "Site licence purchased"},
        "options": [
            {"points": p, "label": {"zh": zh, "en": en}}
            for p, zh, en in [
                (1, "没有", "Not at all"),
                (2, "很轻", "A little bit"),
                (3, "中等", "Moderately"),
                (4, "偏重", "Quite a bit"),
                (5, "严重", "Extremely"),
            ]
        ],
        "items": [{"number": n, "text": {"zh": f"条目 {n}", "en": f"Item {n}"}} for n in range(1, 91)],
        "scoring": {
            "method": "sum",
            "factors": [
                {"id": k, "name": {"zh": k, "en": k}, "items": v, "attention_at_mean": 2}
                for k, v in SCL90_FACTORS.items()
            ],
        },
        "bands": [
            {"code": "normal", "min": 90, "max": 159, "label": {"zh": "总分未见明显异常", "en": "Below 160"}},
            {"code": "positive", "min": 160, "max": 450, "label": {"zh": "总分阳性，建议进一步评估", "en": "160+"}},
        ],
    }


def test_scl90_is_hidden_without_the_site_licence() -> None:
    definitions = [*suqiu_assets.scales.definitions(site_dir=""), ("scl90.yaml", scl90_definition())]
    catalog = build_catalog(definitions, {})
    assert "scl90" not in [s.id for s in catalog.list()]
    with pytest.raises(NotFound) as err:
        catalog.get("scl90")
    assert err.value.code == "scale_not_licensed"
    assert LICENSED_SCALES["scl90"] in err.value.message


def test_scl90_with_the_licence_scores_totals_and_factor_means() -> None:
    definitions = [*suqiu_assets.scales.definitions(site_dir=""), ("scl90.yaml", scl90_definition())]
    catalog = build_catalog(definitions, {"SUQIU_SCL90_LICENSE": "PO-2026-118"})
    assert catalog.list()[-1].id == "scl90"
    scale = catalog.get("scl90")
    points = [1] * 90
    for n in SCL90_FACTORS["depression"]:
        points[n - 1] = 3  # 13 items at 3
    points[0] = 2  # one somatization item at 2: (2 + 11) / 12 = 1.0833 → 1.08
    result = score(scale, points)
    assert result.raw == 90 + 13 * 2 + 1 == 117
    assert result.band.code == "normal"
    assert result.factor_means["depression"] == 3.0
    assert result.factor_means["somatization"] == 1.08
    assert result.factor_means["anxiety"] == 1.0
    assert [f.label.en for f in result.flags] == ["depression mean ≥ 2"]
    assert result.crisis is False
    assert score(scale, [2] * 90).summary()["band"] == "positive"  # 180 ≥ 160


def test_a_licence_without_the_file_says_what_is_missing() -> None:
    catalog = build_catalog(suqiu_assets.scales.definitions(site_dir=""), {"SUQIU_SCL90_LICENSE": "PO-1"})
    with pytest.raises(NotFound) as err:
        catalog.get("scl90")
    assert err.value.code == "scale_file_missing"


def test_the_site_directory_adds_scales(tmp_path: Any) -> None:
    import yaml

    (tmp_path / "scl90.yaml").write_text(yaml.safe_dump(scl90_definition(), allow_unicode=True), encoding="utf-8")
    catalog = build_catalog(suqiu_assets.scales.definitions(site_dir=tmp_path), {"SUQIU_SCL90_LICENSE": "x"})
    assert catalog.get("scl90").version == "scl90-site-1"
