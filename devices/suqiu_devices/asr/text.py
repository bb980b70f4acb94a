"""Transcript tidying (Chinese punctuation) and the character error rate used by tests and the benchmark."""

from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HALF_TO_FULL = {",": "，", ".": "。", "?": "？", "!": "！", ":": "：", ";": "；"}
_AFTER_CJK = re.compile(rf"(?<=[{_CJK}])\s*([,.?!:;])(?!\d)")
_GAP_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_REPEATED = re.compile(r"([，。？！：；、])[，。？！：；、]+")


def tidy_transcript(text: str) -> str:
    """Whisper's text as a Chinese reader expects it: full-width punctuation after Chinese, and a
    pause (a space between two Chinese characters) written as a comma. Numbers like 3.5 stay."""
    text = text.strip()
    text = _AFTER_CJK.sub(lambda m: _HALF_TO_FULL[m.group(1)], text)
    text = _GAP_BETWEEN_CJK.sub("，", text)
    text = _REPEATED.sub(r"\1", text)
    return text.lstrip("，。；：、,.;: ")


def normalise_for_scoring(text: str) -> str:
    """Characters only: punctuation and spaces removed, full-width letters/digits folded, lower case."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (substitutions, insertions, deletions all cost 1)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def character_errors(hypothesis: str, reference: str) -> int:
    return edit_distance(normalise_for_scoring(hypothesis), normalise_for_scoring(reference))


def character_error_rate(hypothesis: str, reference: str) -> float:
    """Errors per reference character, punctuation ignored (Whisper and a human punctuate differently)."""
    reference_chars = normalise_for_scoring(reference)
    if not reference_chars:
        return 0.0 if not normalise_for_scoring(hypothesis) else 1.0
    return character_errors(hypothesis, reference) / len(reference_chars)
