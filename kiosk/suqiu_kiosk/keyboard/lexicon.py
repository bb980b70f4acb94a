"""The word list behind the pinyin keyboard, read from ``suqiu_assets/keyboard/pinyin_lexicon.txt``.

The file (about 67,000 words with real frequencies; see ``build_lexicon``) is parsed once, on
first use or ahead of time on a worker thread (``preload``), into an index by first syllable and
length, so a lookup touches only a few hundred entries.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import suqiu_assets

from .syllables import Piece, syllables_starting_with

LEXICON_ASSET = "keyboard/pinyin_lexicon.txt"


@dataclass(frozen=True)
class Entry:
    word: str
    frequency: int
    syllables: tuple[str, ...]


class Lexicon:
    def __init__(self, entries: Iterable[Entry]) -> None:
        index: dict[tuple[str, int], list[Entry]] = defaultdict(list)
        for entry in entries:
            index[(entry.syllables[0], len(entry.syllables))].append(entry)
        for bucket in index.values():
            bucket.sort(key=lambda e: -e.frequency)
        self.index = dict(index)
        self.size = sum(len(b) for b in index.values())

    @classmethod
    def parse(cls, text: str) -> Lexicon:
        entries = []
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            word, freq, reading = line.split("\t")
            entries.append(Entry(word, int(freq), tuple(reading.split(" "))))
        return cls(entries)

    def lookup(self, pieces: Sequence[Piece], limit: int = 60) -> list[Entry]:
        """Words for the typed pieces: words covering all pieces first, then shorter ones.

        A complete piece matches its syllable; an incomplete one (what is being typed, or an
        initial as in "gz") matches any syllable it starts. The last piece always matches as a
        prefix too, because the person may still be typing it (``xian`` → 先, 现, also 香).
        """
        found: list[Entry] = []
        seen: set[str] = set()
        for n in range(len(pieces), 0, -1):
            wanted = pieces[:n]
            matches: list[tuple[int, int, Entry]] = []
            for first in _choices(wanted[0], is_last=n == len(pieces) and n == 1):
                for entry in self.index.get((first, n), ()):
                    exact = _matches(entry.syllables, wanted, n == len(pieces))
                    if exact is not None:
                        matches.append((0 if exact else 1, -entry.frequency, entry))
            matches.sort(key=lambda m: (m[0], m[1]))
            for _rank, _freq, entry in matches:
                if entry.word not in seen:
                    seen.add(entry.word)
                    found.append(entry)
                    if len(found) >= limit:
                        return found
        return found


def _choices(piece: Piece, *, is_last: bool) -> frozenset[str]:
    if piece.complete and not is_last:
        return frozenset({piece.text})
    return syllables_starting_with(piece.text)


def _matches(syllables: tuple[str, ...], pieces: Sequence[Piece], last_is_open: bool) -> bool | None:
    """None if the word does not fit; True if every piece matched exactly; False if by prefix."""
    exact = True
    for i, (syllable, piece) in enumerate(zip(syllables, pieces, strict=True)):
        open_prefix = not piece.complete or (last_is_open and i == len(pieces) - 1)
        if syllable == piece.text:
            continue
        if open_prefix and syllable.startswith(piece.text):
            exact = False
            continue
        return None
    return exact


_lock = threading.Lock()
_shared: Lexicon | None = None


def shared() -> Lexicon:
    """The shipped lexicon, parsed once per process (thread-safe; ~0.3 s the first time)."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = Lexicon.parse(suqiu_assets.read_text(LEXICON_ASSET))
        return _shared


def preload() -> None:
    """Parse the lexicon on a background thread so the first keystroke is instant."""
    threading.Thread(target=shared, name="pinyin-lexicon", daemon=True).start()
