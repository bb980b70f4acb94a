"""The FAQ knowledge base: seeding from assets, search, admin edits and kiosk outcome counts."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

import suqiu_assets
from suqiu_queue.domain.errors import Invalid, not_found

from ..audit.service import record
from ..events.service import emit
from ..org.models import Category
from .models import FaqDailyOutcome, FaqEntry
from .ranking import Document, Index

OUTCOMES = ("viewed", "resolved", "not_resolved")
_TOTAL_COLUMN = {"viewed": "view_count", "resolved": "resolved_count", "not_resolved": "not_resolved_count"}


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _db_key(session: Session) -> str:
    return session.get_bind().url.render_as_string(hide_password=True)


# --- seeding ------------------------------------------------------------------------------------


def shipped_entries() -> list[dict[str, Any]]:
    return list(suqiu_assets.load_yaml("faq.yaml")["entries"])


def seed_faq(session: Session, now: datetime) -> int:
    """Add the shipped entries this database has never had; return how many were added.

    An entry is matched by its ``key``. Entries an admin edited or deleted keep their key, so
    they are neither overwritten nor brought back; concurrent seeders collide harmlessly on
    the unique key (ON CONFLICT DO NOTHING).
    """
    known = set(session.scalars(select(FaqEntry.seed_key).where(FaqEntry.seed_key.is_not(None))).all())
    added = 0
    for position, item in enumerate(shipped_entries()):
        if item["key"] in known:
            continue
        stmt = (
            _insert(session)(FaqEntry)
            .values(
                seed_key=item["key"],
                category=item["category"],
                question=item["question"].strip(),
                answer=item["answer"].strip(),
                keywords=[str(k) for k in item.get("keywords", [])],
                active=True,
                sort_order=int(item.get("sort", position * 10)),
                view_count=0,
                resolved_count=0,
                not_resolved_count=0,
                revision=1,
                created_at=now,
                updated_at=now,
                updated_by="system:seed",
            )
            .on_conflict_do_nothing(index_elements=[FaqEntry.seed_key])
            .returning(FaqEntry.id)  # rowcount is not reliable across drivers; a returned row is
        )
        added += 1 if session.execute(stmt).first() is not None else 0
    return added


_seeded: set[str] = set()
_seed_lock = threading.Lock()


def ensure_seeded(sessions: Any, now: datetime) -> None:
    """Seed once per process and database, on the first FAQ request (new shipped entries arrive
    with an upgrade, without a separate command)."""
    with sessions() as probe:
        key = _db_key(probe)
    if key in _seeded:
        return
    with _seed_lock:
        if key in _seeded:
            return
        with sessions() as session, session.begin():
            seed_faq(session, now)
        _seeded.add(key)


# --- search --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Snapshot:
    signature: tuple[Any, ...]
    index: Index
    entries: dict[int, dict[str, Any]]


_indexes: dict[str, _Snapshot] = {}
_index_lock = threading.Lock()


def _signature(session: Session) -> tuple[Any, ...]:
    # Every content edit (including a soft delete) bumps one entry's revision and every insert
    # adds a row, so this cheap query notices changes made by any server process.
    row = session.execute(select(func.count(FaqEntry.id), func.max(FaqEntry.id), func.sum(FaqEntry.revision))).one()
    return tuple(row)


def _live_entries() -> Any:
    return select(FaqEntry).where(FaqEntry.active.is_(True), FaqEntry.deleted_at.is_(None))


def _snapshot(session: Session) -> _Snapshot:
    key = _db_key(session)
    signature = _signature(session)
    with _index_lock:
        cached = _indexes.get(key)
    if cached is not None and cached.signature == signature:
        return cached
    rows = session.scalars(_live_entries()).all()
    entries = {e.id: search_out(e) for e in rows}
    index = Index(Document(e.id, e.question, e.keywords or [], e.answer) for e in rows)
    snapshot = _Snapshot(signature, index, entries)
    with _index_lock:
        _indexes[key] = snapshot
    return snapshot


def search_out(entry: FaqEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "category": entry.category,
        "question": entry.question,
        "answer": entry.answer,
        "keywords": list(entry.keywords or []),
    }


def search(session: Session, *, category: str | None, q: str, limit: int) -> list[dict[str, Any]]:
    """Best answers first. An empty ``q`` gives the category's top entries (admin order, then
    the ones that most often settled a visitor's question)."""
    q = q.strip()
    if not q:
        query = _live_entries().order_by(FaqEntry.sort_order, FaqEntry.resolved_count.desc(), FaqEntry.id)
        if category:
            query = query.where(FaqEntry.category == category)
        return [search_out(e) | {"score": None} for e in session.scalars(query.limit(limit)).all()]
    snapshot = _snapshot(session)
    candidates = None
    if category:
        candidates = [i for i, e in snapshot.entries.items() if e["category"] == category]
    return [
        snapshot.entries[hit.id] | {"score": round(hit.score, 3)} for hit in snapshot.index.search(q, candidates, limit)
    ]


# --- admin edits -----------------------------------------------------------------------------------


def check_category(session: Session, code: str) -> None:
    if session.scalar(select(Category.id).where(Category.code == code)) is None:
        raise Invalid("unknown_category", f"没有这个业务类别：{code}", f"Unknown category: {code}")


def get_entry(session: Session, faq_id: int, *, include_inactive: bool = False) -> FaqEntry:
    entry = session.get(FaqEntry, faq_id)
    if entry is None or entry.deleted_at is not None or (not entry.active and not include_inactive):
        raise not_found("常见问题", "FAQ entry", faq_id)
    return entry


def entry_out(entry: FaqEntry) -> dict[str, Any]:
    return search_out(entry) | {
        "active": entry.active,
        "sort_order": entry.sort_order,
        "view_count": entry.view_count,
        "resolved_count": entry.resolved_count,
        "not_resolved_count": entry.not_resolved_count,
        "seeded": entry.seed_key is not None,
        "created_at": entry.created_at.isoformat(),
        "updated_at": entry.updated_at.isoformat(),
        "updated_by": entry.updated_by,
    }


def clean_keywords(keywords: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for word in keywords:
        word = word.strip()
        if word:
            seen.setdefault(word, None)
    return list(seen)


def create(session: Session, *, data: dict[str, Any], now: datetime, actor: str) -> FaqEntry:
    check_category(session, data["category"])
    entry = FaqEntry(
        category=data["category"],
        question=data["question"].strip(),
        answer=data["answer"].strip(),
        keywords=clean_keywords(data.get("keywords", [])),
        active=data.get("active", True),
        sort_order=data.get("sort_order", 0),
        created_at=now,
        updated_at=now,
        updated_by=actor,
    )
    session.add(entry)
    session.flush()
    # The audit row names the entry and the fields, not the text (the entry itself is the record).
    record(session, actor=actor, action="faq.create", subject=f"faq:{entry.id}", detail={"category": entry.category})
    emit(session, "faq.changed", {"faq_id": entry.id, "category": entry.category}, center_id=None)
    return entry


def edit(session: Session, entry: FaqEntry, *, changes: dict[str, Any], now: datetime, actor: str) -> FaqEntry:
    if "category" in changes:
        check_category(session, changes["category"])
    for field, value in changes.items():
        if field == "keywords":
            value = clean_keywords(value)
        elif isinstance(value, str):
            value = value.strip()
        setattr(entry, field, value)
    entry.revision += 1
    entry.updated_at = now
    entry.updated_by = actor
    record(session, actor=actor, action="faq.update", subject=f"faq:{entry.id}", detail={"fields": sorted(changes)})
    emit(session, "faq.changed", {"faq_id": entry.id, "category": entry.category}, center_id=None)
    return entry


def delete(session: Session, entry: FaqEntry, *, now: datetime, actor: str) -> FaqEntry:
    entry.deleted_at = now
    entry.active = False
    entry.revision += 1
    entry.updated_at = now
    entry.updated_by = actor
    record(session, actor=actor, action="faq.delete", subject=f"faq:{entry.id}", detail={"category": entry.category})
    emit(session, "faq.changed", {"faq_id": entry.id, "category": entry.category}, center_id=None)
    return entry


# --- kiosk outcomes and reports ------------------------------------------------------------------


def count_outcome(session: Session, entry: FaqEntry, *, outcome: str, center_id: int, day: date) -> None:
    """Add one to the entry's total and to today's row, both in SQL (no read-modify-write)."""
    if outcome not in OUTCOMES:
        raise ValueError(outcome)
    total = getattr(FaqEntry, _TOTAL_COLUMN[outcome])
    session.execute(update(FaqEntry).where(FaqEntry.id == entry.id).values({total: total + 1}))
    daily = getattr(FaqDailyOutcome, outcome)
    values = {"day": day, "center_id": center_id, "faq_id": entry.id, "category": entry.category}
    values |= {name: (1 if name == outcome else 0) for name in OUTCOMES}
    stmt = (
        _insert(session)(FaqDailyOutcome)
        .values(**values)
        .on_conflict_do_update(
            index_elements=[FaqDailyOutcome.day, FaqDailyOutcome.center_id, FaqDailyOutcome.faq_id],
            set_={outcome: daily + 1},
        )
    )
    session.execute(stmt)
    if outcome != "viewed":
        emit(session, f"faq.{outcome}", {"faq_id": entry.id, "category": entry.category}, center_id=center_id)


def daily_stats(session: Session, *, center_id: int | None, date_from: date, date_to: date) -> list[dict[str, Any]]:
    """Per day and category: answers viewed, visits settled by an answer, and visits that still
    needed a person."""
    query = (
        select(
            FaqDailyOutcome.day,
            FaqDailyOutcome.category,
            func.sum(FaqDailyOutcome.viewed),
            func.sum(FaqDailyOutcome.resolved),
            func.sum(FaqDailyOutcome.not_resolved),
        )
        .where(FaqDailyOutcome.day >= date_from, FaqDailyOutcome.day <= date_to)
        .group_by(FaqDailyOutcome.day, FaqDailyOutcome.category)
        .order_by(FaqDailyOutcome.day, FaqDailyOutcome.category)
    )
    if center_id is not None:
        query = query.where(FaqDailyOutcome.center_id == center_id)
    return [
        {
            "day": day.isoformat(),
            "category": category,
            "viewed": int(viewed or 0),
            "resolved": int(resolved or 0),
            "not_resolved": int(not_resolved or 0),
        }
        for day, category, viewed, resolved, not_resolved in session.execute(query).all()
    ]
