"""How ticket numbers read: the category's letter prefix and at least three digits (A001)."""

from __future__ import annotations


def format_ticket_number(prefix: str, number: int, width: int = 3) -> str:
    if number < 1:
        raise ValueError("ticket numbers start at 1")
    return f"{prefix}{number:0{width}d}"


def format_case_reference(year: int, number: int) -> str:
    """Case reference like SQ2026-000123: stable, sortable, and readable on the phone."""
    return f"SQ{year}-{number:06d}"
