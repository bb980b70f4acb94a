"""Race-free numbers under real concurrency: 8 processes × 200 tickets against a real server on PostgreSQL.

Every acknowledged ticket must be in the database, and no (center, category, day, number) twice.
Some requests are deliberately retried with the same idempotency key, as a kiosk does after a
lost answer: they must return the same ticket, never a second one.
"""

from __future__ import annotations

import multiprocessing as mp
from collections import Counter

import pytest
from sqlalchemy import func, select
from support import ServerProcess, World
from support.loadgen import issue_many

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PROCESSES = 8
TICKETS_PER_PROCESS = 200
CATEGORIES = ["policy", "opinion", "legal", "care"]


def test_eight_processes_no_duplicate_no_loss(seeded_pg: tuple[str, World]) -> None:
    url, world = seeded_pg
    with ServerProcess(url, workers=2) as server:
        ctx = mp.get_context("spawn")
        out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
        key = world.device_keys["kiosk"]
        procs = [
            ctx.Process(target=issue_many, args=(server.url, key, w, TICKETS_PER_PROCESS, CATEGORIES, out))
            for w in range(PROCESSES)
        ]
        for p in procs:
            p.start()
        results = [out.get(timeout=240) for _ in procs]
        for p in procs:
            p.join(timeout=60)
    errors = [e for _batch, errs in results for e in errs]
    assert not errors, errors[:5]
    acknowledged = [t for batch, _errs in results for t in batch]
    assert len(acknowledged) == PROCESSES * TICKETS_PER_PROCESS

    from suqiu_queue.server.db import make_engine
    from suqiu_queue.server.tickets.models import Ticket

    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(Ticket.id, Ticket.number_category_id, Ticket.number)).all()
        total = conn.execute(select(func.count()).select_from(Ticket)).scalar_one()
    engine.dispose()
    ids = {r.id for r in rows}
    missing = [t for t in acknowledged if t[0] not in ids]
    assert not missing, f"{len(missing)} acknowledged tickets are not in the database"
    duplicates = [k for k, n in Counter((r.number_category_id, r.number) for r in rows).items() if n > 1]
    assert not duplicates
    assert total == PROCESSES * TICKETS_PER_PROCESS  # retries made no extra tickets
    # Numbers per category are exactly 1..n: nothing skipped, nothing doubled.
    per_category = Counter(cat for _id, cat, _n in acknowledged)
    for category, count in per_category.items():
        numbers = sorted(n for _id, cat, n in acknowledged if cat == category)
        assert numbers == list(range(1, count + 1))
