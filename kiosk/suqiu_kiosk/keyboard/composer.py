"""Turning taps on letter keys into Chinese text: the pinyin buffer and its candidates (no Qt).

The widget shows ``letters`` above the keys and ``candidates`` in the bar; a tap on a candidate
commits its word and keeps the letters it did not cover (pick 工 for "gongzi" and "zi" stays).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .lexicon import Entry, Lexicon
from .syllables import Piece, split

MAX_LETTERS = 40  # a buffer longer than any sensible phrase is a stuck key, not typing


@dataclass
class Composer:
    lexicon: Lexicon
    letters: str = ""
    pieces: list[Piece] = field(default_factory=list)
    candidates: list[Entry] = field(default_factory=list)

    @property
    def composing(self) -> bool:
        return bool(self.letters)

    def display(self) -> str:
        """The letters as syllables, e.g. "gong zi", for the line above the keys."""
        return " ".join(p.text for p in self.pieces)

    def type(self, letter: str) -> None:
        letter = letter.lower()
        if len(letter) != 1 or not (letter.isascii() and (letter.isalpha() or letter == "'")):
            raise ValueError(f"not a pinyin key: {letter!r}")
        if len(self.letters) >= MAX_LETTERS or (letter == "'" and (not self.letters or self.letters.endswith("'"))):
            return
        self.letters += letter
        self._refresh()

    def backspace(self) -> bool:
        """Remove the last letter; False when there was nothing to remove (delete in the text)."""
        if not self.letters:
            return False
        self.letters = self.letters[:-1]
        self._refresh()
        return True

    def pick(self, index: int) -> str:
        """Commit candidate ``index``; returns the text to insert."""
        entry = self.candidates[index]
        covered = len(entry.syllables)
        rest_start = self.pieces[covered].start if covered < len(self.pieces) else len(self.letters)
        self.letters = self.letters[rest_start:].lstrip("'")
        self._refresh()
        return entry.word

    def commit_first(self) -> str:
        """The space bar: commit the best candidate (or the letters when none fits)."""
        if not self.letters:
            return ""
        if self.candidates:
            return self.pick(0)
        return self.commit_letters()

    def commit_letters(self) -> str:
        """The confirm key: insert the letters as typed (for names of things in Latin letters)."""
        text = self.letters.replace("'", "")
        self.clear()
        return text

    def clear(self) -> None:
        self.letters = ""
        self._refresh()

    def _refresh(self) -> None:
        self.pieces = split(self.letters) if self.letters else []
        self.candidates = self.lexicon.lookup(self.pieces) if self.pieces else []
