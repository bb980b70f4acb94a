"""1:N search over the templates of one enterprise and one model.

``ExactGallery`` keeps the unit-length templates as one float32 matrix; a search is one
matrix-vector product (cosine similarity) and a partial sort. 100,000 templates of 128 numbers
is 51 MB and a few milliseconds on two cores (bench/face.py). Anything with the same ``search``
signature — an HNSW or IVF index — can replace it; ``build_gallery`` is the one place to change.

The server keeps one decrypted gallery per (database, model, enterprise) in memory and rebuilds
it when ``face_gallery_state.version`` moved (another request or another server process
enrolled, confirmed, withdrew or expired a template).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Hit:
    employee_id: int
    consent_id: int
    score: float


class Gallery(Protocol):
    size: int

    def search(self, probe: np.ndarray, k: int = 2) -> list[Hit]:
        """The best ``k`` hits for *different* people, best first."""


class ExactGallery:
    def __init__(self, vectors: np.ndarray, employee_ids: Sequence[int], consent_ids: Sequence[int]) -> None:
        matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(employee_ids):
            raise ValueError("one vector per template")
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self.matrix = matrix / np.maximum(norms, 1e-12)
        self.employee_ids = np.asarray(employee_ids, dtype=np.int64)
        self.consent_ids = np.asarray(consent_ids, dtype=np.int64)
        self.size = int(matrix.shape[0])

    def search(self, probe: np.ndarray, k: int = 2) -> list[Hit]:
        if self.size == 0:
            return []
        query = np.asarray(probe, dtype=np.float32).reshape(-1)
        query = query / max(float(np.linalg.norm(query)), 1e-12)
        scores = self.matrix @ query  # the whole search: one pass over the matrix (memory-bound)
        # One template per consent and one live consent per person, but be safe: a few spare
        # candidates so that k distinct people survive duplicates.
        take = min(self.size, k * 4)
        top = (
            np.argpartition(scores, self.size - take)[self.size - take :] if take < self.size else np.arange(self.size)
        )
        top = top[np.argsort(-scores[top])]
        hits: list[Hit] = []
        seen: set[int] = set()
        for index in top:
            employee = int(self.employee_ids[index])
            if employee in seen:
                continue
            seen.add(employee)
            hits.append(Hit(employee, int(self.consent_ids[index]), float(scores[index])))
            if len(hits) == k:
                break
        return hits


def build_gallery(vectors: np.ndarray, employee_ids: Sequence[int], consent_ids: Sequence[int]) -> Gallery:
    return ExactGallery(vectors, employee_ids, consent_ids)


class GalleryCache:
    """Decrypted galleries by key, each tagged with the gallery version it was built at."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, ...], tuple[int, Gallery]] = {}

    def get(self, key: tuple[str, ...], version: int, build: Callable[[], Gallery]) -> Gallery:
        with self._lock:
            cached = self._items.get(key)
            if cached is not None and cached[0] == version:
                return cached[1]
            # Built under the lock: two requests after a change must not decrypt everything twice.
            gallery = build()
            if len(self._items) > 64:
                self._items.clear()
            self._items[key] = (version, gallery)
            return gallery

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


CACHE = GalleryCache()
