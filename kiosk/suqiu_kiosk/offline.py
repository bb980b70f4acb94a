"""The kiosk's own memory for working without the server: leased number blocks and an outbox.

Stdlib ``sqlite3`` only (the apps never import SQLAlchemy). One file per kiosk, written with
WAL and ``synchronous=FULL``, because a ticket handed to a person must survive a power cut.

* **Blocks.** While online the kiosk leases a block of numbers per category from the server
  (``lease_number_block``). The server takes them from the same sequence as online tickets, so
  an offline number can never equal an online one or another kiosk's.
* **Outbox.** Taking a number and recording the ticket happen in one transaction: after a crash
  the number is either used and queued, or still free; never lost, never handed out twice.
* **Sync.** Queued tickets go up with their idempotency key and real issue time; the server
  answers accepted / duplicate / rejected per ticket, and only then are they marked done.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from suqiu_queue.domain.numbering import format_ticket_number

SCHEMA = """
CREATE TABLE IF NOT EXISTS blocks (
    id INTEGER PRIMARY KEY,
    category TEXT NOT NULL,
    prefix TEXT NOT NULL,
    service_date TEXT NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    next INTEGER NOT NULL,
    leased_at TEXT NOT NULL,
    UNIQUE (category, service_date, first)
);
CREATE TABLE IF NOT EXISTS outbox (
    idempotency_key TEXT PRIMARY KEY,
    category TEXT NOT NULL,
    number INTEGER NOT NULL,
    display TEXT NOT NULL,
    service_date TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    employee_no TEXT,
    note TEXT NOT NULL DEFAULT '',
    lane TEXT,
    print_failed INTEGER NOT NULL DEFAULT 0,
    print_reason TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'pending',
    server_ticket_id INTEGER,
    reason TEXT NOT NULL DEFAULT '',
    synced_at TEXT,
    UNIQUE (category, service_date, number)
);
CREATE TABLE IF NOT EXISTS remembered (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

PENDING, SYNCED, REJECTED = "pending", "synced", "rejected"


@dataclass(frozen=True)
class Block:
    category: str
    prefix: str
    service_date: date
    first: int
    last: int


@dataclass(frozen=True)
class OfflineTicket:
    idempotency_key: str
    category: str
    number: int
    display: str
    service_date: date
    issued_at: datetime
    employee_no: str | None
    note: str
    lane: str | None
    print_failed: bool
    print_reason: str
    state: str
    server_ticket_id: int | None
    reason: str

    def upload_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "idempotency_key": self.idempotency_key,
            "category": self.category,
            "number": self.number,
            "issued_at": self.issued_at.isoformat(),
            "note": self.note,
        }
        if self.employee_no:
            item["employee_no"] = self.employee_no
        if self.lane:
            item["lane"] = self.lane
        return item


class OfflineStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # One connection, used from whichever worker thread holds the lock.
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # --- number blocks ---------------------------------------------------------------------------

    def add_block(self, block: Block, *, now: datetime | None = None) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO blocks (category, prefix, service_date, first, last, next, leased_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    block.category,
                    block.prefix,
                    block.service_date.isoformat(),
                    block.first,
                    block.last,
                    block.first,
                    (now or datetime.now(UTC)).isoformat(),
                ),
            )

    def numbers_left(self, category: str, service_date: date) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT COALESCE(SUM(last - next + 1), 0) FROM blocks WHERE category = ? AND service_date = ? AND next <= last",
                (category, service_date.isoformat()),
            ).fetchone()
        return int(row[0])

    def forget_blocks_before(self, service_date: date) -> int:
        """Yesterday's unused numbers are worthless today (numbering restarts each day)."""
        with self._tx() as db:
            return db.execute("DELETE FROM blocks WHERE service_date < ?", (service_date.isoformat(),)).rowcount

    def issue(
        self,
        *,
        idempotency_key: str,
        category: str,
        service_date: date,
        issued_at: datetime,
        employee_no: str | None = None,
        note: str = "",
        lane: str | None = None,
    ) -> OfflineTicket | None:
        """Take the next leased number and queue the ticket, atomically. None: no number left.

        The same idempotency key returns the ticket already made (a second tap, a retry).
        """
        with self._tx() as db:
            existing = db.execute("SELECT * FROM outbox WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
            if existing is not None:
                return _ticket(existing)
            block = db.execute(
                "SELECT id, prefix, next FROM blocks WHERE category = ? AND service_date = ? AND next <= last"
                " ORDER BY first LIMIT 1",
                (category, service_date.isoformat()),
            ).fetchone()
            if block is None:
                return None
            number = int(block["next"])
            db.execute("UPDATE blocks SET next = next + 1 WHERE id = ?", (block["id"],))
            display = format_ticket_number(block["prefix"], number)
            db.execute(
                "INSERT INTO outbox (idempotency_key, category, number, display, service_date, issued_at,"
                " employee_no, note, lane) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    idempotency_key,
                    category,
                    number,
                    display,
                    service_date.isoformat(),
                    issued_at.isoformat(),
                    employee_no,
                    note,
                    lane,
                ),
            )
            row = db.execute("SELECT * FROM outbox WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
            return _ticket(row)

    # --- the outbox ------------------------------------------------------------------------------

    def mark_print(self, idempotency_key: str, *, failed: bool, reason: str = "") -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET print_failed = ?, print_reason = ? WHERE idempotency_key = ?",
                (int(failed), reason, idempotency_key),
            )

    def pending(self) -> list[OfflineTicket]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM outbox WHERE state = ? ORDER BY issued_at, number", (PENDING,)
            ).fetchall()
        return [_ticket(r) for r in rows]

    def ticket(self, idempotency_key: str) -> OfflineTicket | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM outbox WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
        return _ticket(row) if row is not None else None

    def all_tickets(self) -> list[OfflineTicket]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM outbox ORDER BY issued_at, number").fetchall()
        return [_ticket(r) for r in rows]

    def mark_synced(self, idempotency_key: str, *, server_ticket_id: int | None, now: datetime | None = None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET state = ?, server_ticket_id = ?, synced_at = ? WHERE idempotency_key = ?",
                (SYNCED, server_ticket_id, (now or datetime.now(UTC)).isoformat(), idempotency_key),
            )

    def mark_rejected(self, idempotency_key: str, reason: str) -> None:
        """Kept, never deleted: the front desk must still be able to honour the paper slip."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET state = ?, reason = ? WHERE idempotency_key = ?",
                (REJECTED, reason, idempotency_key),
            )

    def issued_since(self, category: str, service_date: date) -> int:
        """Offline tickets not yet on the server, for the estimate of people ahead."""
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE category = ? AND service_date = ? AND state = ?",
                (category, service_date.isoformat(), PENDING),
            ).fetchone()
        return int(row[0])

    # --- what the kiosk remembers to start without the server -----------------------------------

    def remember(self, key: str, value: Any) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO remembered (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value, ensure_ascii=False)),
            )

    def recall(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._conn.execute("SELECT value FROM remembered WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default


def _ticket(row: sqlite3.Row) -> OfflineTicket:
    return OfflineTicket(
        idempotency_key=row["idempotency_key"],
        category=row["category"],
        number=int(row["number"]),
        display=row["display"],
        service_date=date.fromisoformat(row["service_date"]),
        issued_at=datetime.fromisoformat(row["issued_at"]),
        employee_no=row["employee_no"],
        note=row["note"],
        lane=row["lane"],
        print_failed=bool(row["print_failed"]),
        print_reason=row["print_reason"],
        state=row["state"],
        server_ticket_id=row["server_ticket_id"],
        reason=row["reason"],
    )
