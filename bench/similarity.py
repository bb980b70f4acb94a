"""重复诉求: precision, recall and F1 of the case-text similarity on the labelled pairs.

    .venv/bin/python bench/similarity.py [--pairs tests/data/similar_cases.yaml] [--pool N]

Each pair is scored with ``suqiu_queue.domain.similarity`` the way the server scores a new case
against the center's pool: the IDF is learnt from a pool of texts (here: every text of the labelled
set, plus ``--pool`` shuffled repeats of the demo's history if asked), then the cosine of the two
TF-IDF vectors. A pair at or above the threshold is predicted "the same matter".

Prints a table over thresholds, the threshold with the best F1 on a 0.01 grid (ties: the higher
threshold, which flags fewer false repeats), and the configured default. The default is not the
best F1 of this small set but a round value inside its plateau, so it is not fitted to 77 pairs. The last line is machine-readable:
    pairs=N positives=N threshold=T precision=P recall=R f1=F default_threshold=D default_f1=F
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import yaml

from suqiu_queue.domain.similarity import DEFAULT_THRESHOLD, MIN_IDF_POOL, Corpus, bigrams, cosine

HERE = Path(__file__).resolve().parent
DEFAULT_PAIRS = HERE.parent / "tests" / "data" / "similar_cases.yaml"


@dataclass(frozen=True)
class Scored:
    a: str
    b: str
    same: bool
    score: float


def load_pairs(path: Path = DEFAULT_PAIRS) -> list[tuple[str, str, bool]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(p["a"], p["b"], bool(p["same"])) for p in raw["pairs"]]


def score_pairs(pairs: list[tuple[str, str, bool]]) -> list[Scored]:
    texts = list(dict.fromkeys(t for a, b, _ in pairs for t in (a, b)))
    corpus = Corpus.of(texts)
    return [Scored(a, b, same, cosine(corpus.vector(bigrams(a)), corpus.vector(bigrams(b)))) for a, b, same in pairs]


@dataclass(frozen=True)
class Quality:
    threshold: float
    precision: float
    recall: float
    f1: float
    true_pos: int
    false_pos: int
    false_neg: int


def quality(scored: list[Scored], threshold: float) -> Quality:
    tp = sum(1 for s in scored if s.same and s.score >= threshold)
    fp = sum(1 for s in scored if not s.same and s.score >= threshold)
    fn = sum(1 for s in scored if s.same and s.score < threshold)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Quality(threshold, precision, recall, f1, tp, fp, fn)


def best_threshold(scored: list[Scored], grid: list[float]) -> Quality:
    return max((quality(scored, t) for t in grid), key=lambda q: (round(q.f1, 6), q.threshold))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
    parser.add_argument("--show-errors", action="store_true", help="list the pairs the chosen threshold gets wrong")
    args = parser.parse_args(argv)

    pairs = load_pairs(args.pairs)
    scored = score_pairs(pairs)
    table = [round(0.05 * i, 2) for i in range(1, 17)]
    grid = [round(0.01 * i, 2) for i in range(1, 81)]
    print(f"{'threshold':>9} {'precision':>9} {'recall':>7} {'f1':>6} {'tp':>4} {'fp':>4} {'fn':>4}")
    for t in sorted({*table, DEFAULT_THRESHOLD}):
        q = quality(scored, t)
        print(
            f"{t:>9.2f} {q.precision:>9.3f} {q.recall:>7.3f} {q.f1:>6.3f} {q.true_pos:>4} {q.false_pos:>4} {q.false_neg:>4}"
        )
    best = best_threshold(scored, grid)
    default = quality(scored, DEFAULT_THRESHOLD)
    print(f"best F1 at threshold {best.threshold:.2f}; configured default {DEFAULT_THRESHOLD:.2f}")
    if args.show_errors:
        for s in sorted(scored, key=lambda s: s.score):
            wrong = (s.score >= DEFAULT_THRESHOLD) != s.same
            if wrong:
                kind = "missed repeat" if s.same else "false repeat"
                print(f"  {kind:<13} {s.score:.3f}  {s.a} | {s.b}")
    flat = [
        Scored(s.a, s.b, s.same, cosine(Corpus.flat().vector(bigrams(s.a)), Corpus.flat().vector(bigrams(s.b))))
        for s in scored
    ]
    small = quality(flat, DEFAULT_THRESHOLD)
    print(
        f"small pool (< {MIN_IDF_POOL} cases, flat weights) at {DEFAULT_THRESHOLD:.2f}: "
        f"precision={small.precision:.3f} recall={small.recall:.3f} f1={small.f1:.3f}"
    )
    positives = sum(1 for _a, _b, same in pairs if same)
    print(
        f"pairs={len(pairs)} positives={positives} threshold={best.threshold:.2f} precision={best.precision:.3f} "
        f"recall={best.recall:.3f} f1={best.f1:.3f} default_threshold={DEFAULT_THRESHOLD:.2f} "
        f"default_precision={default.precision:.3f} default_recall={default.recall:.3f} default_f1={default.f1:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
