"""重复诉求: how alike two case texts are — character-bigram TF-IDF and cosine, in pure Python.

Why character bigrams rather than a word segmenter: Chinese has no spaces, and the words that
carry a case ("热水器", "公积金", "工伤认定") are two to four characters long, so overlapping
bigrams catch them whatever the wording around them, need no dictionary, and keep the domain
free of third-party packages. TF-IDF then weighs a bigram by how rare it is in the pool the case
is compared with (the center's recent cases), so "宿舍" in a hall full of dormitory complaints
counts less than "热水".

A few bigrams every appeal contains ("反映", "咨询", "问题", "希望" ...) say nothing about *what*
the matter is; they are dropped, so that two unrelated complaints written in the same polite
formula do not look alike when the pool is still too small for IDF to learn that.

The threshold is configurable (``[cases] repeat_threshold``); ``bench/similarity.py`` measures
precision and recall on the labelled pairs in ``tests/data/similar_cases.yaml``.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

# Below this many texts, document frequencies say more about chance than about language (in a pool
# of two, the words the two share would weigh *least*): all bigrams then weigh the same.
MIN_IDF_POOL = 30
DEFAULT_THRESHOLD = 0.25  # inside the best-F1 plateau of the labelled pairs; measured in docs/cases.md

# Bigrams of the appeal formula itself, not of any matter.
STOP_BIGRAMS = frozenset(
    [
        "咨询",
        "询问",
        "反映",
        "问题",
        "希望",
        "建议",
        "请求",
        "要求",
        "职工",
        "员工",
        "单位",
        "公司",
        "我们",
        "自己",
        "情况",
        "已经",
        "一直",
        "没有",
        "如何",
        "怎么",
        "什么",
        "是否",
        "可以",
        "需要",
        "现在",
        "目前",
        "能否",
        "能不",
        "不能",
        "帮忙",
        "处理",
        "解决",
        "一下",
        "这个",
        "那个",
        "还是",
        "再次",
        "多次",
        "之前",
        "上次",
        "请问",
        "想问",
        "了解",
        "关于",
        "相关",
        "有关",
        "是不",
        "不是",
        "的问",
        "的情",
        "题的",
    ]
)


def normalise(text: str) -> list[str]:
    """The text's runs of letters and digits (NFKC: full-width to half-width, lower case).

    Punctuation and spaces split runs, so no bigram straddles two sentences.
    """
    runs: list[str] = []
    current: list[str] = []
    for char in unicodedata.normalize("NFKC", text or "").lower():
        if char.isalnum():
            current.append(char)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def bigrams(text: str) -> Counter[str]:
    """Character bigrams of every run; a one-character run counts as itself."""
    counts: Counter[str] = Counter()
    for run in normalise(text):
        if len(run) == 1:
            counts[run] += 1
            continue
        for i in range(len(run) - 1):
            gram = run[i : i + 2]
            if gram not in STOP_BIGRAMS:
                counts[gram] += 1
    return counts


Vector = dict[str, float]


def _norm(vector: Mapping[str, float]) -> float:
    return math.sqrt(sum(v * v for v in vector.values()))


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(weight * b.get(term, 0.0) for term, weight in a.items())
    if dot == 0.0:
        return 0.0
    return dot / (_norm(a) * _norm(b))


@dataclass(frozen=True)
class Corpus:
    """Document frequencies of a pool of texts: the IDF side of TF-IDF."""

    documents: int
    document_frequency: Mapping[str, int]

    @classmethod
    def of(cls, texts: Iterable[str | Counter[str]]) -> Corpus:
        """Document frequencies of ``texts``; a pool smaller than :data:`MIN_IDF_POOL` weighs all alike."""
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            grams = bigrams(text) if isinstance(text, str) else text
            df.update(grams.keys())
            n += 1
        if n < MIN_IDF_POOL:
            return cls.flat()
        return cls(n, df)

    @classmethod
    def flat(cls) -> Corpus:
        return cls(0, {})

    def idf(self, term: str) -> float:
        # Smoothed: a term seen nowhere (only in the query) still weighs, and none weighs zero.
        return math.log((1 + self.documents) / (1 + self.document_frequency.get(term, 0))) + 1.0

    def vector(self, text: str | Counter[str]) -> Vector:
        grams = bigrams(text) if isinstance(text, str) else text
        # Sublinear term frequency: a word said three times is not three times the matter.
        return {t: (1.0 + math.log(c)) * self.idf(t) for t, c in grams.items()}


def similarity(a: str, b: str, corpus: Corpus | None = None) -> float:
    """Cosine of the two texts' TF-IDF vectors (0 = nothing shared, 1 = the same bigrams).

    Without a ``corpus`` (the pool the texts belong to) every bigram weighs the same."""
    grams_a, grams_b = bigrams(a), bigrams(b)
    corpus = corpus or Corpus.flat()
    return cosine(corpus.vector(grams_a), corpus.vector(grams_b))


@dataclass(frozen=True)
class Match:
    key: Hashable
    score: float


def most_similar(
    query: str,
    candidates: Sequence[tuple[Hashable, str]],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 5,
) -> list[Match]:
    """The candidates at least ``threshold`` alike to ``query``, best first (ties: earlier first).

    The IDF is learnt from the candidates and the query together: the pool the case is compared
    with is also what tells common phrasing from the matter itself (a small pool: flat weights).
    """
    query_grams = bigrams(query)
    if not query_grams:
        return []
    grams = [(key, bigrams(text)) for key, text in candidates]
    corpus = Corpus.of([query_grams, *(g for _k, g in grams)])
    query_vector = corpus.vector(query_grams)
    matches = []
    for order, (key, candidate_grams) in enumerate(grams):
        if not candidate_grams:
            continue
        score = cosine(query_vector, corpus.vector(candidate_grams))
        if score >= threshold:
            matches.append((-score, order, Match(key, round(score, 4))))
    matches.sort(key=lambda m: (m[0], m[1]))
    return [m[2] for m in matches[:limit]]
