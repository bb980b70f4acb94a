"""Fan-out of committed events to Server-Sent-Event subscribers in this process.

Where events come from:
* SQLite (one process): a commit in this process wakes the fetcher thread, which reads every
  event after its high-water mark (SQLite serialises writers, so ids commit in order). It also
  polls once a second, which picks up events written by other processes (e.g. the CLI).
* PostgreSQL (many replicas): a listener thread holds ``LISTEN suqiu_events``; each
  notification carries the event a replica committed (or, when too large for a notification,
  its id, which is read back). Delivering what was committed (not "everything after the last
  id") is right even when two transactions commit out of id order.

Subscribers get an asyncio queue each; a subscriber too slow to keep 2,000 events queued is
dropped, and its client reconnects and resumes with ``Last-Event-ID``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from .models import Event
from .service import NOTIFY_CHANNEL, event_to_dict

log = logging.getLogger(__name__)

QUEUE_LIMIT = 2000


@dataclass(eq=False)
class Subscriber:
    center_id: int | None
    queue: asyncio.Queue[dict[str, Any] | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    kinds: frozenset[str] | None = None

    def wants(self, ev: dict[str, Any]) -> bool:
        if self.center_id is not None and ev["center_id"] not in (None, self.center_id):
            return False
        return self.kinds is None or ev["kind"] in self.kinds


class Broker:
    # How long the PostgreSQL listener waits before looking at the stop flag by itself; stop()
    # wakes it at once, so this only matters when that wake-up cannot be sent.
    listen_timeout = 2.0

    def __init__(self, engine: Engine, factory: sessionmaker[Session]) -> None:
        self.engine = engine
        self.factory = factory
        self.subscribers: set[Subscriber] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # This broker's own channel: stop() notifies it so the listener wakes at once.
        self._stop_channel = f"suqiu_stop_{secrets.token_hex(8)}"
        self._high_water = 0
        self.listeners: list[Callable[[dict[str, Any]], None]] = []

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        with self.factory() as session:
            self._high_water = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0
        target = self._listen_postgres if self.is_postgres else self._poll_sqlite
        self._thread = threading.Thread(target=target, name="suqiu-events", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread.is_alive():
            if self.is_postgres:
                self._wake_listener()
            self._thread.join(timeout=5)
        for sub in list(self.subscribers):
            self._offer(sub, None)

    def _wake_listener(self) -> None:
        # Without this a stop waits for the listener's wait to time out (every server shutdown,
        # every PostgreSQL test's teardown). If the database is unreachable the timeout still ends it.
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": self._stop_channel})
                conn.commit()
        except Exception:
            log.debug("could not wake the event listener; it stops at its next timeout", exc_info=True)

    # -- called from request threads -------------------------------------------------------

    def committed_locally(self, ids: list[int]) -> None:
        if not self.is_postgres:
            self._wake.set()

    # -- subscribers (event-loop side) -----------------------------------------------------

    def subscribe(self, center_id: int | None, kinds: frozenset[str] | None = None) -> Subscriber:
        sub = Subscriber(center_id=center_id, kinds=kinds)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def _fanout(self, events: list[dict[str, Any]]) -> None:
        for ev in events:
            for listener in self.listeners:
                with contextlib.suppress(Exception):
                    listener(ev)
            for sub in list(self.subscribers):
                if sub.wants(ev):
                    self._offer(sub, ev)

    def _offer(self, sub: Subscriber, ev: dict[str, Any] | None) -> None:
        try:
            sub.queue.put_nowait(ev)
        except asyncio.QueueFull:
            log.warning("dropping a slow event subscriber; it will resume with Last-Event-ID")
            self.subscribers.discard(sub)
            with contextlib.suppress(asyncio.QueueEmpty):
                sub.queue.get_nowait()
            sub.queue.put_nowait(None)

    def _deliver(self, events: list[dict[str, Any]]) -> None:
        if events and self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._fanout, events)

    # -- sources ---------------------------------------------------------------------------

    def _poll_sqlite(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                with self.factory() as session:
                    rows = session.scalars(
                        select(Event).where(Event.id > self._high_water).order_by(Event.id).limit(1000)
                    ).all()
                    events = [event_to_dict(r) for r in rows]
                if events:
                    self._high_water = events[-1]["id"]
                    self._deliver(events)
                    if len(events) == 1000:
                        self._wake.set()
            except Exception:  # keep the thread alive through a locked or restarted database
                log.exception("event poll failed; retrying")
                self._stop.wait(1.0)

    def _listen_postgres(self) -> None:
        import psycopg  # only the PostgreSQL path needs the driver directly

        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    conn.execute(f"LISTEN {self._stop_channel}")
                    while not self._stop.is_set():
                        # Each notification is handled as it arrives (no batching delay). stop()
                        # notifies the stop channel; the timeout is only the fallback.
                        for note in conn.notifies(timeout=self.listen_timeout):
                            if note.channel == self._stop_channel:
                                break
                            self._on_notification(note.payload)
            except Exception:
                log.exception("LISTEN connection lost; reconnecting")
                self._stop.wait(1.0)

    def _on_notification(self, message: str) -> None:
        """The trigger sends the event itself (migration events_0004), or its id when too large."""
        if message.startswith("{"):
            self._deliver([json.loads(message)])
        else:
            self._fetch_and_deliver([int(x) for x in message.split(",") if x])

    def _fetch_and_deliver(self, ids: list[int]) -> None:
        with self.factory() as session:
            rows = session.scalars(select(Event).where(Event.id.in_(ids)).order_by(Event.id)).all()
            self._deliver([event_to_dict(r) for r in rows])


def replay(factory: sessionmaker[Session], after_id: int, center_id: int | None, limit: int) -> list[dict[str, Any]]:
    with factory() as session:
        query = select(Event).where(Event.id > after_id)
        if center_id is not None:
            query = query.where((Event.center_id == center_id) | (Event.center_id.is_(None)))
        rows = session.scalars(query.order_by(Event.id).limit(limit)).all()
        return [event_to_dict(r) for r in rows]
