"""Per-process snapshots of centers and categories for the hot ticket path.

Codes and settings of centers and categories change rarely (an admin edit), but every ticket
needs them: caching saves two queries per ticket. An edit clears this process's cache at once
(``clear()``, also called on ``category.changed``/``center.changed`` events from other replicas),
and the TTL bounds staleness anyway.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from suqiu_queue.domain.errors import not_found

from .models import Category, Center

TTL_SECONDS = 10.0


@dataclass(frozen=True)
class CenterInfo:
    id: int
    code: str
    name: str
    timezone: str
    opening_hours: dict[str, Any]
    max_recalls: int
    lane_head_start: dict[str, int] | None


@dataclass(frozen=True)
class CategoryInfo:
    id: int
    code: str
    prefix: str
    name_zh: str
    name_en: str
    default_lane: str
    priority_rules: dict[str, Any]
    default_service_minutes: int
    active: bool


_lock = threading.Lock()
_items: dict[tuple[str, Any], tuple[float, Any]] = {}


def clear() -> None:
    with _lock:
        _items.clear()


def _key(session: Session, kind: str, value: Any) -> tuple[str, Any]:
    # The database is part of the key: one process may serve (or test) several databases.
    return (f"{session.get_bind().url}|{kind}", value)


def _cached(key: tuple[str, Any], load: Any) -> Any:
    now = time.monotonic()
    with _lock:
        hit = _items.get(key)
    if hit and hit[0] > now:
        return hit[1]
    value = load()
    with _lock:
        _items[key] = (now + TTL_SECONDS, value)
    return value


def _center_info(row: Center) -> CenterInfo:
    return CenterInfo(
        row.id, row.code, row.name, row.timezone, dict(row.opening_hours), row.max_recalls, row.lane_head_start
    )


def _category_info(row: Category) -> CategoryInfo:
    return CategoryInfo(
        row.id,
        row.code,
        row.prefix,
        row.name_zh,
        row.name_en,
        row.default_lane,
        dict(row.priority_rules or {}),
        row.default_service_minutes,
        row.active,
    )


def center_by_code(session: Session, code: str) -> CenterInfo:
    def load() -> CenterInfo | None:
        row = session.scalar(select(Center).where(Center.code == code))
        return _center_info(row) if row else None

    info = _cached(_key(session, "center_code", code), load)
    if info is None:
        with _lock:
            _items.pop(_key(session, "center_code", code), None)  # an unknown code is not cached
        raise not_found("服务中心", "Center", code)
    return info  # type: ignore[no-any-return]


def center_by_id(session: Session, center_id: int) -> CenterInfo:
    def load() -> CenterInfo:
        row = session.get(Center, center_id)
        if row is None:
            raise not_found("服务中心", "Center", center_id)
        return _center_info(row)

    return _cached(_key(session, "center_id", center_id), load)  # type: ignore[no-any-return]


def category_by_code(session: Session, code: str) -> CategoryInfo:
    def load() -> CategoryInfo | None:
        row = session.scalar(select(Category).where(Category.code == code))
        return _category_info(row) if row else None

    info = _cached(_key(session, "category_code", code), load)
    if info is None or not info.active:
        with _lock:
            _items.pop(_key(session, "category_code", code), None)
        raise not_found("业务类别", "Category", code)
    return info  # type: ignore[no-any-return]


def category_by_id(session: Session, category_id: int) -> CategoryInfo:
    def load() -> CategoryInfo:
        row = session.get(Category, category_id)
        if row is None:
            raise not_found("业务类别", "Category", category_id)
        return _category_info(row)

    return _cached(_key(session, "category_id", category_id), load)  # type: ignore[no-any-return]
