"""How ticket numbers and case references read."""

from __future__ import annotations

import pytest

from suqiu_queue.domain.numbering import format_case_reference, format_ticket_number


@pytest.mark.parametrize(
    ("prefix", "number", "shown"), [("A", 1, "A001"), ("A", 42, "A042"), ("J", 999, "J999"), ("B", 1000, "B1000")]
)
def test_ticket_numbers_have_a_letter_and_at_least_three_digits(prefix: str, number: int, shown: str) -> None:
    assert format_ticket_number(prefix, number) == shown


def test_ticket_numbers_start_at_one() -> None:
    with pytest.raises(ValueError):
        format_ticket_number("A", 0)


def test_case_reference() -> None:
    assert format_case_reference(2026, 123) == "SQ2026-000123"
