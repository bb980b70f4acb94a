"""Names on public surfaces (the board, the kiosk's confirmation) are masked."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suqiu_queue.domain.masking import mask_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("李小龙", "李**"),
        ("欧阳娜娜", "欧阳**"),
        ("司马光", "司马*"),
        ("欧阳", "欧*"),  # a compound surname alone keeps only one character
        (" 张三 ", "张*"),
        ("John Smith", "J***"),
        ("Li", "L*"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_examples(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize("name", ["张", "J"])
def test_a_single_character_name_is_hidden_entirely(name: str) -> None:
    # Keeping the first character would show the whole name.
    assert mask_name(name) == "*"


def test_none_is_an_empty_name() -> None:
    assert mask_name(None) == ""  # type: ignore[arg-type]


names = st.text(alphabet=st.sampled_from(list("张王李欧阳司马娜伟芳·ABCxyz '-")), min_size=1, max_size=12).filter(
    lambda s: s.strip()
)


@given(names)
def test_a_masked_name_never_shows_the_whole_name(name: str) -> None:
    masked = mask_name(name)
    shown = masked.rstrip("*")
    clean = name.strip()
    assert masked.endswith("*")
    assert len(shown) < len(clean), f"{name!r} -> {masked!r} shows everything"
    assert clean.startswith(shown)
