"""PostgreSQL: the NOTIFY carries the event itself; an event too large for NOTIFY goes as its id.

Either way a listener receives exactly what a client replaying the log (``Last-Event-ID``) reads.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from conftest import require_pg
from support import fresh_pg_database

from suqiu_queue.server.db import make_engine, make_sessionmaker
from suqiu_queue.server.events.broker import Broker, replay
from suqiu_queue.server.events.service import emit
from suqiu_queue.server.migrate import upgrade

WAIT = 10.0


def _wait_until_listening(engine: Any) -> None:
    """The broker LISTENs from its own thread; a NOTIFY sent before that reaches nobody."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %%'"
            ).scalar():
                return
        time.sleep(0.05)
    raise AssertionError("the broker never started listening")


def test_listeners_get_the_event_as_stored_small_or_large() -> None:
    require_pg()
    with fresh_pg_database() as url:
        engine = make_engine(url)
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        loop = asyncio.new_event_loop()
        runner = threading.Thread(target=loop.run_forever, daemon=True)
        runner.start()
        broker = Broker(engine, sessions)
        received: list[dict[str, Any]] = []
        arrived = threading.Event()

        def listener(event: dict[str, Any]) -> None:
            received.append(event)
            if len(received) == 2:
                arrived.set()

        broker.listeners.append(listener)
        broker.start(loop)
        try:
            _wait_until_listening(engine)
            small = {"ticket_id": 7, "display": "A007", "category_name": "政策咨询", "identified": False}
            large = {"items": ["办理进度" * 10] * 100}  # about 12 kB as JSON: over NOTIFY's limit
            with sessions() as session, session.begin():
                emit(session, "test.small", small, center_id=None)
            with sessions() as session, session.begin():
                emit(session, "test.large", large, center_id=None)
            assert arrived.wait(WAIT), f"only {len(received)} of 2 events arrived"
        finally:
            broker.stop()
            loop.call_soon_threadsafe(loop.stop)
            runner.join(timeout=5)
            engine.dispose()
        stored = replay(sessions, 0, None, 10)
        assert [e["kind"] for e in received] == ["test.small", "test.large"]
        assert received[0]["payload"] == small and received[1]["payload"] == large
        for live, logged in zip(received, stored, strict=True):
            assert live["id"] == logged["id"] and live["center_id"] is None
            # Same instant, whichever way it came (the trigger formats it in SQL).
            from datetime import datetime

            assert datetime.fromisoformat(live["created_at"]) == datetime.fromisoformat(logged["created_at"])


def test_stopping_wakes_the_listener_instead_of_waiting_for_its_timeout() -> None:
    """Every server shutdown (and every PostgreSQL test's teardown) stops a broker: the listener
    must not sit out its wait. With an hour-long wait, only the wake-up can end the thread."""
    require_pg()
    with fresh_pg_database() as url:
        engine = make_engine(url)
        upgrade(engine)
        broker = Broker(engine, make_sessionmaker(engine))
        broker.listen_timeout = 3600.0
        loop = asyncio.new_event_loop()
        try:
            broker.start(loop)
            _wait_until_listening(engine)
            broker.stop()  # joins the thread for at most 5 s
            assert broker._thread is not None and not broker._thread.is_alive()
        finally:
            loop.close()
            engine.dispose()
