"""Hot topics (热点话题) of a period from the cases' summaries: keywords, topics, and their trend.

The method is plain and explainable, because a supervisor has to trust it:

1. **Words.** Each summary is cut into words with jieba (its own dictionary, no HMM: the HMM would
   guess unknown words, which are mostly people's names) — or, without jieba, into character
   bigrams. Stop words (虚词 and the boilerplate of appeals: 反映, 希望, 问题 …), single characters,
   numbers and the words jieba's dictionary tags as person names are dropped.
2. **Keywords.** A word's weight is TF-IDF summed over the period's summaries (document frequency ×
   inverse document frequency over this period and the previous one together), so a word that is
   everywhere in every period weighs less than one that suddenly is everywhere. A word must occur
   in ``MIN_DOCUMENTS`` summaries and ``MIN_SHARE`` of them before it is a keyword at all: a name
   or a detail that one employee wrote never shows up in a report. The words are found in an
   evenly spread sample of the summaries and then counted exactly in all of them (see
   :func:`hot_topics`).
3. **Topics.** The strongest keyword starts a topic and takes along every weaker keyword that
   mostly occurs in the same summaries (in at least half of its own), so 热水器, 报修 and 宿舍楼
   become one topic; the strongest keyword not yet taken starts the next. Each summary then
   belongs to the topic whose words it contains with the most weight; one without any topic
   word counts as 其他.
4. **Trend.** The same topics are counted in the previous period, and per day (month report) or
   per month (year report) within the period.

A keyword "in" a summary means the summary contains it as text once the keyword is known, so
宿舍 counts the summaries about a 宿舍楼 too — what a reader of "含该词的诉求件数" expects.

Everything is deterministic: the same cases give the same report.
"""

from __future__ import annotations

import bisect
import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources

log = logging.getLogger(__name__)

TOP_KEYWORDS = 20  # keywords listed in the report
VOCABULARY = 60  # keywords considered for topics
MAX_TOPICS = 8
SHOWN_WORDS = 6  # keywords listed per topic
ATTACH_SHARE = 0.5  # a keyword joins a stronger one's topic when at least half its summaries have both
MIN_DOCUMENTS = 3
MIN_SHARE = 0.002  # a keyword must be in at least 0.2 % of the period's summaries (and MIN_DOCUMENTS)
TREND_FLAT = 0.10  # ±10 % is "持平"
DISCOVERY_CURRENT = 20_000  # summaries cut into words to find the keywords (evenly spread sample)
DISCOVERY_PREVIOUS = 10_000

# Words of this domain that the general dictionary may cut apart; always kept, never taken for names.
DOMAIN_WORDS = (
    "住房公积金",
    "公积金",
    "五险一金",
    "社保",
    "医保",
    "加班费",
    "年休假",
    "带薪休假",
    "工伤认定",
    "劳动合同",
    "劳动争议",
    "职称评定",
    "绩效考核",
    "倒班",
    "夜班",
    "班车",
    "宿舍楼",
    "热水器",
    "空调",
    "食堂",
    "体检",
    "大病医疗",
    "补充保险",
    "安全隐患",
    "脚手架",
    "心理咨询",
    "子女入学",
    "停车位",
    "报修",
)

_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORDLIKE = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9·]*$")
_NUMERAL = re.compile(r"^[0-9零〇一二三四五六七八九十百千万两几]+[号楼层栋个次天周月年点半日元块]*$")


@cache
def stop_words() -> frozenset[str]:
    text = resources.files(__package__).joinpath("stopwords_zh.txt").read_text(encoding="utf-8")
    words: set[str] = set()
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        words.update(line.split())
    return frozenset(words)


# --- cutting text into words -------------------------------------------------------------------------


class Segmenter:
    """Cuts a summary into candidate words (not yet filtered by document frequency)."""

    method = "base"

    def words(self, text: str) -> list[str]:
        raise NotImplementedError

    def keep(self, word: str) -> bool:
        return (
            len(word) >= 2
            and word not in stop_words()
            and bool(_WORDLIKE.match(word))
            and bool(_CJK.search(word) or len(word) >= 3)  # "VPN", not "ok"
            and not _NUMERAL.match(word)
        )


class JiebaSegmenter(Segmenter):
    method = "jieba"

    def __init__(self) -> None:
        import jieba  # the `reports` extra; BigramSegmenter stands in without it

        logging.getLogger("jieba").setLevel(logging.WARNING)  # it prints "Building prefix dict" otherwise
        # Our own instance: add_word() on jieba's global one would change everyone else's cutting.
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        for word in DOMAIN_WORDS:
            self._tokenizer.add_word(word)
        self._names = _dictionary_person_names(jieba) - set(DOMAIN_WORDS)

    def words(self, text: str) -> list[str]:
        return [w for w in self._tokenizer.lcut(text, HMM=False) if self.keep(w) and w not in self._names]


def _dictionary_person_names(jieba_module: object) -> frozenset[str]:
    """Words jieba's dictionary tags nr/nrt/nrfg (people's names): never a keyword in a report."""
    names = set()
    with jieba_module.get_dict_file() as handle:  # type: ignore[attr-defined]
        for raw in handle:
            parts = raw.decode("utf-8").split()
            if len(parts) == 3 and parts[2].startswith("nr"):
                names.add(parts[0])
    return frozenset(names)


class BigramSegmenter(Segmenter):
    """Overlapping character pairs of each run of Chinese characters: crude, but needs nothing."""

    method = "bigram"

    def words(self, text: str) -> list[str]:
        out = []
        for run in _CJK_RUN.findall(text):
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        return [w for w in out if self.keep(w)]


_segmenter: Segmenter | None = None
_segmenter_lock = threading.Lock()


def default_segmenter() -> Segmenter:
    """jieba when installed (loaded once per process, ~1 s), else bigrams."""
    global _segmenter
    with _segmenter_lock:
        if _segmenter is None:
            try:
                _segmenter = JiebaSegmenter()
            except ImportError:
                log.warning("jieba is not installed (extra `reports`): hot topics use character bigrams")
                _segmenter = BigramSegmenter()
        return _segmenter


# --- results -----------------------------------------------------------------------------------------


def trend_of(current: int, previous: int) -> tuple[str, float | None]:
    """("up" | "down" | "flat" | "new" | "gone" | "none", change as a fraction or None)."""
    if previous == 0:
        return ("new", None) if current else ("none", None)
    change = (current - previous) / previous
    if current == 0:
        return "gone", change
    if change > TREND_FLAT:
        return "up", change
    if change < -TREND_FLAT:
        return "down", change
    return "flat", change


@dataclass(frozen=True)
class Keyword:
    word: str
    documents: int
    previous: int
    weight: float

    def as_dict(self) -> dict[str, object]:
        trend, change = trend_of(self.documents, self.previous)
        return {
            "word": self.word,
            "documents": self.documents,
            "previous": self.previous,
            "weight": round(self.weight, 3),
            "trend": trend,
            "change": None if change is None else round(change, 4),
        }


@dataclass(frozen=True)
class Topic:
    keywords: tuple[str, ...]
    documents: int
    previous: int
    series: tuple[int, ...]

    @property
    def label(self) -> str:
        return "·".join(self.keywords[:3])

    def as_dict(self, total: int) -> dict[str, object]:
        trend, change = trend_of(self.documents, self.previous)
        return {
            "label": self.label,
            "keywords": list(self.keywords[:SHOWN_WORDS]),
            "documents": self.documents,
            "share": round(self.documents / total, 4) if total else 0.0,
            "previous": self.previous,
            "trend": trend,
            "change": None if change is None else round(change, 4),
            "series": list(self.series),
        }


@dataclass
class TopicReport:
    method: str
    documents: int
    previous_documents: int
    keywords: list[Keyword] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)
    other_documents: int = 0  # summaries in no topic

    def as_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "documents": self.documents,
            "previous_documents": self.previous_documents,
            "keywords": [k.as_dict() for k in self.keywords],
            "topics": [t.as_dict(self.documents) for t in self.topics],
            "other_documents": self.other_documents,
        }


# --- the analysis ------------------------------------------------------------------------------------


def spread(items: Sequence[str], limit: int) -> list[str]:
    """At most ``limit`` items, evenly spaced over the sequence (the whole period, not its first days)."""
    if len(items) <= limit:
        return list(items)
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def hot_topics(
    current: Sequence[tuple[datetime, str]],
    previous: Iterable[str],
    *,
    bucket_starts: Sequence[datetime] = (),
    segmenter: Segmenter | None = None,
    top_keywords: int = TOP_KEYWORDS,
    max_topics: int = MAX_TOPICS,
) -> TopicReport:
    """Keywords and topics of ``current`` (moment, summary) pairs, compared with ``previous`` summaries.

    ``bucket_starts`` (ascending) split the period for each topic's series: a summary falls in the
    last bucket whose start is not after its moment.

    Cutting text into words is the slow part (jieba: about 4 µs a character here), so the words
    are *found* in an evenly spread sample of the summaries (all of them up to
    ``DISCOVERY_CURRENT``), and then *counted* exactly in every summary of both periods: a
    keyword's count is the number of summaries that contain it. A year of 100,000 cases costs
    the same few seconds of cutting as a busy month.
    """
    previous = list(previous)
    if not current:
        return TopicReport("none", 0, len(previous))
    segmenter = segmenter or default_segmenter()
    texts = [text for _at, text in current]
    vocabulary = _candidate_words(segmenter, spread(texts, DISCOVERY_CURRENT), spread(previous, DISCOVERY_PREVIOUS))

    # The exact pass: which candidate words each summary contains (as indices into the vocabulary).
    present_now = [_contained(vocabulary, text) for text in texts]
    present_before = [_contained(vocabulary, text) for text in previous]
    df_now = Counter(i for found in present_now for i in found)
    df_before = Counter(i for found in present_before for i in found)
    corpus = len(texts) + len(previous)
    floor = max(MIN_DOCUMENTS, math.ceil(MIN_SHARE * len(texts)))

    def idf(i: int) -> float:
        return math.log((1 + corpus) / (1 + df_now[i] + df_before[i])) + 1.0

    # Summaries are short: a word is there or not (binary term frequency), so its summed TF-IDF
    # over the period is its document frequency times its IDF.
    # A word found only inside a longer keyword (热水 in every 热水器) says nothing more: leave it out.
    echoes = {
        i
        for i, word in enumerate(vocabulary)
        for j, longer in enumerate(vocabulary)
        if i != j and word in longer and (df_now[i], df_before[i]) == (df_now[j], df_before[j])
    }
    weights = {i: df_now[i] * idf(i) for i in range(len(vocabulary)) if df_now[i] >= floor and i not in echoes}
    ranked = sorted(weights, key=lambda i: (-weights[i], vocabulary[i]))
    keywords = [Keyword(vocabulary[i], df_now[i], df_before[i], weights[i]) for i in ranked[:top_keywords]]

    groups = _group_keywords(ranked, present_now)
    assign = _assigner(groups, {i: idf(i) for i in ranked})
    buckets = list(bucket_starts)
    now_counts: Counter[int] = Counter()
    series: dict[int, list[int]] = {g: [0] * len(buckets) for g in range(len(groups))}
    for (moment, _text), found in zip(current, present_now, strict=True):
        group = assign(found)
        now_counts[group] += 1
        if group >= 0 and buckets:
            index = bisect.bisect_right(buckets, moment) - 1
            if index >= 0:
                series[group][index] += 1
    before_counts = Counter(assign(found) for found in present_before)

    topics = [
        Topic(
            keywords=tuple(vocabulary[i] for i in sorted(groups[g], key=lambda i: (-df_now[i], vocabulary[i]))),
            documents=now_counts[g],
            previous=before_counts[g],
            series=tuple(series[g]),
        )
        for g in range(len(groups))
        if now_counts[g] >= floor
    ]
    topics.sort(key=lambda t: (-t.documents, t.label))
    shown = topics[:max_topics]
    other = len(texts) - sum(t.documents for t in shown)
    return TopicReport(segmenter.method, len(texts), len(previous), keywords, shown, other)


def _candidate_words(segmenter: Segmenter, current: Sequence[str], previous: Sequence[str]) -> list[str]:
    """The ``VOCABULARY`` words of highest TF-IDF in the (sampled) summaries, strongest first."""
    now = Counter(word for text in current for word in set(segmenter.words(text)))
    before = Counter(word for text in previous for word in set(segmenter.words(text)))
    corpus = len(current) + len(previous)
    floor = max(MIN_DOCUMENTS, math.ceil(MIN_SHARE * len(current)))
    weights = {
        word: count * (math.log((1 + corpus) / (1 + count + before[word])) + 1.0)
        for word, count in now.items()
        if count >= floor
    }
    return sorted(weights, key=lambda w: (-weights[w], w))[:VOCABULARY]


def _contained(vocabulary: Sequence[str], text: str) -> tuple[int, ...]:
    return tuple(i for i, word in enumerate(vocabulary) if word in text)


def _group_keywords(ranked: Sequence[int], docs: Sequence[tuple[int, ...]]) -> list[list[int]]:
    """Topics from keywords (``ranked``: strongest first): a keyword not yet taken starts a topic, and
    takes every weaker keyword not yet taken that mostly occurs together with it (in at least
    ``ATTACH_SHARE`` of the summaries that contain the weaker one).
    """
    wanted = set(ranked)
    df: Counter[int] = Counter()
    together: Counter[tuple[int, int]] = Counter()
    for found in docs:
        present = [i for i in found if i in wanted]
        for position, i in enumerate(present):
            df[i] += 1
            for j in present[position + 1 :]:
                together[(i, j) if i < j else (j, i)] += 1
    taken: set[int] = set()
    groups: list[list[int]] = []
    for place, seed in enumerate(ranked):
        if seed in taken:
            continue
        members = [seed]
        for word in ranked[place + 1 :]:
            pair = (seed, word) if seed < word else (word, seed)
            if word not in taken and df[word] and together[pair] / df[word] >= ATTACH_SHARE:
                members.append(word)
        taken.update(members)
        groups.append(members)
    return groups


def _assigner(groups: Sequence[Sequence[int]], idf: dict[int, float]) -> Callable[[tuple[int, ...]], int]:
    """A summary → the topic whose words it holds with the most IDF weight (-1: none; ties: first)."""
    topic_of = {word: g for g, words in enumerate(groups) for word in words}

    def assign(found: tuple[int, ...]) -> int:
        scores: dict[int, float] = {}
        for word in found:  # ascending indices: float sums in a fixed order, ties break alike everywhere
            g = topic_of.get(word)
            if g is not None:
                scores[g] = scores.get(g, 0.0) + idf[word]
        if not scores:
            return -1
        return min(scores, key=lambda g: (-scores[g], g))

    return assign
