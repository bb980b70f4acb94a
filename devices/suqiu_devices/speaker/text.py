"""What the hall hears when a ticket is called, in the words Chinese service halls use.

The board shows "请 A012 号到 3 号窗口办理"; the voice reads the ticket digit by digit
("A 零一二 号") because "零十二" or "十二" would be misheard as a different ticket, while the counter
number is read as a number ("3 号窗口", "12 号窗口") as halls do. Pure functions, no engine.
"""

from __future__ import annotations

_DIGITS = "零一二三四五六七八九"


def spell_ticket_number(display: str) -> str:
    """ "A012" -> "A零一二": letters stay letters, each digit becomes its own Chinese numeral."""
    spoken = []
    for char in display.strip():
        if char.isascii() and char.isdigit():
            spoken.append(_DIGITS[int(char)])
        elif char.isascii() and char.isalpha():
            spoken.append(char.upper())
        elif not char.isspace() and char not in "-_#":
            spoken.append(char)
    return "".join(spoken)


def _counter(counter_number: int | str) -> str:
    text = str(counter_number).strip()
    if not text:
        raise ValueError("a counter number is needed")
    return text


def announcement_text(display: str, counter_number: int | str) -> str:
    """The written call, for the board and the counter strip: "请 A012 号到 3 号窗口办理"."""
    return f"请 {display.strip()} 号到 {_counter(counter_number)} 号窗口办理"


def announcement_speech(display: str, counter_number: int | str) -> str:
    """The spoken call: "请 A零一二 号，到 3 号窗口办理" (the comma gives the listener a breath)."""
    return f"请 {spell_ticket_number(display)} 号，到 {_counter(counter_number)} 号窗口办理"
