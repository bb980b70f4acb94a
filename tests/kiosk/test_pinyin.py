"""The on-screen keyboard's pinyin: real words from the shipped lexicon, domain words first."""

from __future__ import annotations

import pytest

from suqiu_kiosk.keyboard.composer import Composer
from suqiu_kiosk.keyboard.lexicon import shared
from suqiu_kiosk.keyboard.syllables import split


@pytest.mark.parametrize(
    ("letters", "pieces"),
    [
        ("gongzi", ["gong", "zi"]),
        ("zhufanggongjijin", ["zhu", "fang", "gong", "ji", "jin"]),
        ("xian", ["xian"]),
        ("xi'an", ["xi", "an"]),
        ("gz", ["g", "z"]),
        ("nianxiuj", ["nian", "xiu", "j"]),
    ],
)
def test_letters_split_into_syllables(letters: str, pieces: list[str]) -> None:
    assert [p.text for p in split(letters)] == pieces


def _typed(letters: str) -> Composer:
    composer = Composer(shared())
    for letter in letters:
        composer.type(letter)
    return composer


@pytest.mark.parametrize(
    ("letters", "word"),
    [
        ("gongzi", "工资"),
        ("zhufanggongjijin", "住房公积金"),
        ("nianxiujia", "年休假"),
        ("sushe", "宿舍"),
        ("gz", "工资"),
    ],
)
def test_the_service_centers_words_come_first(letters: str, word: str) -> None:
    assert _typed(letters).candidates[0].word == word


def test_everyday_words_are_there_too() -> None:
    words = [e.word for e in _typed("gongzi").candidates]
    assert "公子" in words
    assert next(e.word for e in _typed("xi'an").candidates) == "西安"


def test_picking_a_single_character_keeps_the_rest_of_the_pinyin() -> None:
    composer = _typed("gongzi")
    index = [e.word for e in composer.candidates].index("工")
    assert composer.pick(index) == "工"
    assert composer.letters == "zi"
    assert "资" in [e.word for e in composer.candidates]


def test_space_takes_the_first_word_and_confirm_types_the_letters() -> None:
    composer = _typed("sushe")
    assert composer.commit_first() == "宿舍"
    assert not composer.composing
    composer = _typed("abc")
    assert composer.commit_letters() == "abc"


def test_backspace_removes_letters_then_reports_nothing_left() -> None:
    composer = _typed("ab")
    assert composer.backspace() and composer.backspace()
    assert not composer.backspace()
    assert composer.candidates == []
