"""Looking up centers, categories and counters, with small caches for the hot ticket path."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from suqiu_queue.domain.enums import Lane
from suqiu_queue.domain.errors import not_found
from suqiu_queue.domain.queueing import QueuePolicy

from .models import Category, Center, Counter


def center_by_code(session: Session, code: str) -> Center:
    center = session.scalar(select(Center).where(Center.code == code))
    if center is None:
        raise not_found("服务中心", "Center", code)
    return center


def center_by_id(session: Session, center_id: int) -> Center:
    center = session.get(Center, center_id)
    if center is None:
        raise not_found("服务中心", "Center", center_id)
    return center


def category_by_code(session: Session, code: str) -> Category:
    category = session.scalar(select(Category).where(Category.code == code))
    if category is None or not category.active:
        raise not_found("业务类别", "Category", code)
    return category


def counter_by_id(session: Session, counter_id: int) -> Counter:
    counter = session.get(Counter, counter_id)
    if counter is None:
        raise not_found("窗口", "Counter", counter_id)
    return counter


def queue_policy(center: Center) -> QueuePolicy:
    if not center.lane_head_start:
        return QueuePolicy()
    return QueuePolicy({Lane(k): int(v) for k, v in center.lane_head_start.items() if k in Lane.__members__.values()})


def open_counters_for(session: Session, center_id: int, category_id: int) -> int:
    counters = session.scalars(
        select(Counter).where(Counter.center_id == center_id, Counter.open.is_(True), Counter.paused.is_(False))
    ).all()
    return sum(1 for c in counters if any(cat.id == category_id for cat in c.categories))
