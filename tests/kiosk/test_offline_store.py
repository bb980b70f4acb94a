"""The offline outbox: leased numbers are used once, survive a restart, and never run past the block."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

from suqiu_kiosk.offline import Block, OfflineStore

DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_numbers_come_from_the_block_in_order_and_run_out(tmp_path: Path) -> None:
    store = OfflineStore(tmp_path / "o.sqlite3")
    store.add_block(Block("policy", "A", DAY, 21, 23))
    numbers = [
        store.issue(idempotency_key=f"key-{i}", category="policy", service_date=DAY, issued_at=NOW) for i in range(4)
    ]
    assert [t.display for t in numbers[:3] if t] == ["A021", "A022", "A023"]
    assert numbers[3] is None
    assert store.numbers_left("policy", DAY) == 0
    assert [t.number for t in store.pending()] == [21, 22, 23]


def test_the_same_key_gets_the_same_ticket(tmp_path: Path) -> None:
    store = OfflineStore(tmp_path / "o.sqlite3")
    store.add_block(Block("legal", "C", DAY, 1, 20))
    first = store.issue(idempotency_key="visit-1", category="legal", service_date=DAY, issued_at=NOW, note="工伤")
    again = store.issue(idempotency_key="visit-1", category="legal", service_date=DAY, issued_at=NOW)
    assert first == again
    assert store.numbers_left("legal", DAY) == 19


def test_a_restart_neither_reuses_nor_loses_a_number(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    store = OfflineStore(path)
    store.add_block(Block("policy", "A", DAY, 1, 10))
    store.issue(idempotency_key="k1", category="policy", service_date=DAY, issued_at=NOW, employee_no="E1001")
    store.close()
    reopened = OfflineStore(path)
    second = reopened.issue(idempotency_key="k2", category="policy", service_date=DAY, issued_at=NOW)
    assert second is not None and second.number == 2
    assert [(t.number, t.employee_no) for t in reopened.pending()] == [(1, "E1001"), (2, None)]


def test_concurrent_taps_on_two_threads_never_share_a_number(tmp_path: Path) -> None:
    store = OfflineStore(tmp_path / "o.sqlite3")
    store.add_block(Block("policy", "A", DAY, 1, 100))
    got: list[int] = []
    lock = threading.Lock()

    def issue(worker: int) -> None:
        for i in range(25):
            ticket = store.issue(idempotency_key=f"{worker}-{i}", category="policy", service_date=DAY, issued_at=NOW)
            assert ticket is not None
            with lock:
                got.append(ticket.number)

    threads = [threading.Thread(target=issue, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(1, 101))


def test_synced_and_rejected_tickets_leave_the_pending_list_but_are_kept(tmp_path: Path) -> None:
    store = OfflineStore(tmp_path / "o.sqlite3")
    store.add_block(Block("policy", "A", DAY, 1, 5))
    for key in ("a", "b"):
        store.issue(idempotency_key=key, category="policy", service_date=DAY, issued_at=NOW)
    store.mark_synced("a", server_ticket_id=7)
    store.mark_rejected("b", "number_already_used")
    assert store.pending() == []
    kept = {t.idempotency_key: (t.state, t.server_ticket_id, t.reason) for t in store.all_tickets()}
    assert kept == {"a": ("synced", 7, ""), "b": ("rejected", None, "number_already_used")}


def test_yesterdays_blocks_are_forgotten(tmp_path: Path) -> None:
    store = OfflineStore(tmp_path / "o.sqlite3")
    store.add_block(Block("policy", "A", date(2026, 11, 22), 1, 20))
    store.add_block(Block("policy", "A", DAY, 41, 60))
    assert store.forget_blocks_before(DAY) == 1
    assert store.numbers_left("policy", date(2026, 11, 22)) == 0
    assert store.numbers_left("policy", DAY) == 20
