"""Ranking FAQ entries for a question typed or spoken at the kiosk: BM25 over character n-grams.

Chinese has no spaces, and a word segmenter (jieba and friends) is a large dependency with a
dictionary to maintain. Character bigrams carry most of the meaning of short questions
("公积金" → 公积, 积金) and single characters catch the verb a person actually uses ("怎么取"
→ 取, which matches 提取). Unigrams weigh less than bigrams, so sharing one common character
never beats sharing a real word. Question and keywords count more than the long answer text.

Pure Python and independent of the database, so it can be tested on its own.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Words that say "this is a question" but not what it is about. Text is split at them, so
# "公积金怎么取" becomes "公积金" + "取" rather than producing the noise bigrams 金怎, 么取.
QUESTION_WORDS = (
    "请问",
    "怎么办",
    "怎么样",
    "怎么",
    "怎样",
    "如何",
    "什么",
    "哪些",
    "哪里",
    "哪儿",
    "多少",
    "几",
    "是否",
    "能否",
    "可以",
    "能不能",
    "可不可以",
    "有没有",
    "有",
    "需要",
    "一下",
    "我们",
    "我的",
    "我",
    "吗",
    "呢",
    "吧",
    "啊",
    "的",
    "了",
    "是",
    "要",
    "和",
    "与",
    "及",
    "或",
    "在",
)
_SPLIT = re.compile("|".join(re.escape(w) for w in sorted(QUESTION_WORDS, key=len, reverse=True)))
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")

UNIGRAM_WEIGHT = 0.3
FIELD_WEIGHTS = {"question": 2, "keywords": 2, "answer": 1}
K1 = 1.2
B = 0.75
# Hits scoring under this share of the best hit are noise (one shared character, usually).
MIN_RELATIVE_SCORE = 0.2


def tokens(text: str) -> list[str]:
    """Character bigrams and unigrams of the Chinese runs, plus whole Latin/digit words."""
    text = (text or "").lower()
    out: list[str] = []
    for piece in _SPLIT.split(text):
        for run in _HAN_RUN.findall(piece):
            out.extend(run)
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        out.extend(_WORD.findall(piece))
    return out


def _weight(token: str) -> float:
    return UNIGRAM_WEIGHT if len(token) == 1 and not token.isascii() else 1.0


def query_weights(text: str) -> Counter[str]:
    """The query's terms and their weights. A character standing alone between question words
    is a word the person chose ("公积金怎么取" → 取, "休几天" → 休): it weighs like a bigram."""
    weights: Counter[str] = Counter()
    for piece in _SPLIT.split((text or "").lower()):
        for run in _HAN_RUN.findall(piece):
            if len(run) == 1:
                weights[run] += 1.0
                continue
            for ch in run:
                weights[ch] += UNIGRAM_WEIGHT
            for i in range(len(run) - 1):
                weights[run[i : i + 2]] += 1.0
        for word in _WORD.findall(piece):
            weights[word] += 1.0
    return weights


@dataclass(frozen=True)
class Document:
    id: int
    question: str
    keywords: Sequence[str]
    answer: str


@dataclass(frozen=True)
class Hit:
    id: int
    score: float


class Index:
    """A BM25 index over a fixed set of documents (rebuilt when the entries change)."""

    def __init__(self, documents: Iterable[Document]) -> None:
        self.term_counts: dict[int, Counter[str]] = {}
        self.lengths: dict[int, int] = {}
        document_frequency: Counter[str] = Counter()
        for doc in documents:
            counts: Counter[str] = Counter()
            fields = {"question": doc.question, "keywords": " ".join(doc.keywords), "answer": doc.answer}
            for name, text in fields.items():
                for token in tokens(text):
                    counts[token] += FIELD_WEIGHTS[name]
            self.term_counts[doc.id] = counts
            self.lengths[doc.id] = sum(counts.values())
            document_frequency.update(counts.keys())
        self.size = len(self.term_counts)
        self.average_length = (sum(self.lengths.values()) / self.size) if self.size else 0.0
        self.idf = {term: math.log(1 + (self.size - df + 0.5) / (df + 0.5)) for term, df in document_frequency.items()}

    def score(self, doc_id: int, query_terms: Counter[str]) -> float:
        counts = self.term_counts[doc_id]
        norm = K1 * (1 - B + B * self.lengths[doc_id] / (self.average_length or 1.0))
        total = 0.0
        for term, weight in query_terms.items():
            tf = counts.get(term, 0)
            if tf:
                total += weight * self.idf[term] * tf * (K1 + 1) / (tf + norm)
        return total

    def search(self, query: str, candidates: Iterable[int] | None = None, limit: int = 5) -> list[Hit]:
        """The best matches first; documents sharing nothing with the query are left out."""
        query_terms = Counter({t: w for t, w in query_weights(query).items() if t in self.idf})
        # A lone character ("取", "费") is too little to answer anything with: ask for more.
        if sum(1 for t in query_terms if _weight(t) == 1.0 and len(t) > 1) == 0 and len(query_terms) < 2:
            return []
        pool = self.term_counts.keys() if candidates is None else [c for c in candidates if c in self.term_counts]
        hits = [Hit(doc_id, s) for doc_id in pool if (s := self.score(doc_id, query_terms)) > 0]
        hits.sort(key=lambda h: (-h.score, h.id))
        if hits:
            floor = hits[0].score * MIN_RELATIVE_SCORE
            hits = [h for h in hits if h.score >= floor]
        return hits[:limit]
