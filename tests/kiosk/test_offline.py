"""Server gone: the kiosk keeps issuing from its leased numbers, prints, and syncs on reconnect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from support import ServerProcess

pytestmark = pytest.mark.qt


def _second_kiosk_key(url: str, center: str) -> str:
    from suqiu_queue.server.accounts.service import create_device
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.org.service import center_by_code

    engine = make_engine(url)
    with make_sessionmaker(engine)() as session, session.begin():
        _device, key = create_device(
            session, center=center_by_code(session, center), kind="kiosk", name="second", actor="test"
        )
    engine.dispose()
    return key


def _take_offline_ticket(qtbot: Any, ui: Any, window: Any, category: str) -> Any:
    ui.to_ticket(window, category)
    qtbot.waitUntil(lambda: window.flow.visit.print_state == "printed", timeout=15_000)
    issued = window.flow.visit.ticket
    assert not issued.online
    assert window.screens["ticket"].offline_note.isVisible()
    assert window.screens["ticket"].number.text() == issued.display
    ui.tap(window.screens["ticket"].done_button)
    qtbot.waitUntil(lambda: window.flow.step == "welcome")
    return issued


def test_two_offline_kiosks_issue_distinct_numbers_and_sync_without_loss_or_duplicates(
    qtbot: Any, ui: Any, make_kiosk: Any, own_world: Any
) -> None:
    from suqiu_devices.registry import build

    url, world = own_world
    second_key = _second_kiosk_key(url, world.center)
    server = ServerProcess(url).start()
    port = server.port
    try:
        printers = [build("printer", "fake"), build("printer", "fake")]
        kiosks = [
            make_kiosk(server.url, key, printer=printer, sync_interval_seconds=0.5)
            for key, printer in zip((world.device_keys["kiosk"], second_key), printers, strict=True)
        ]
        for kiosk in kiosks:
            assert not kiosk.offline_banner.isVisible()
            assert kiosk.service.store.numbers_left("policy", kiosk.service.today()) >= 5, "numbers leased while online"

        server.stop()
        for kiosk in kiosks:
            qtbot.waitUntil(lambda k=kiosk: k.offline_banner.isVisible(), timeout=15_000)
        assert kiosks[0].offline_banner.text().startswith("离线")

        issued = [
            _take_offline_ticket(qtbot, ui, kiosks[0], "policy"),
            _take_offline_ticket(qtbot, ui, kiosks[1], "policy"),
            _take_offline_ticket(qtbot, ui, kiosks[0], "policy"),
            _take_offline_ticket(qtbot, ui, kiosks[1], "legal"),
        ]
        displays = [t.display for t in issued]
        assert len(set(displays)) == 4, f"two offline kiosks handed out the same number: {displays}"
        for printer, own in zip(printers, (issued[0::2], issued[1::2]), strict=True):
            assert [t.display.encode() in job for t, job in zip(own, printer.jobs, strict=True)] == [True, True]
            assert all(b"1P0" + own[0].status_url.encode() in job for job in printer.jobs[:1])
        assert sum(len(k.service.store.pending()) for k in kiosks) == 4

        server = ServerProcess(url, port=port).start()
        for kiosk in kiosks:
            qtbot.waitUntil(
                lambda k=kiosk: not k.offline_banner.isVisible() and not k.service.store.pending(), timeout=30_000
            )

        on_server = {t["display"]: t for t in ui.queue_tickets(server.url, world)}
        for t in issued:
            assert t.display in on_server, f"{t.display} was lost"
            arrived = datetime.fromisoformat(on_server[t.display]["issued_at"])
            assert abs((arrived - t.issued_at).total_seconds()) < 1, "the real arrival time is kept"
            assert on_server[t.display]["state"] == "waiting"
        count = len(on_server)

        # Sending again (a lost answer, a restart) changes nothing on the server.
        for kiosk in kiosks:
            for row in kiosk.service.store.all_tickets():
                assert row.state == "synced" and row.server_ticket_id is not None
            again = kiosk.service.client.upload_offline_tickets(
                world.center, [row.upload_item() for row in kiosk.service.store.all_tickets()]
            )
            assert {r["status"] for r in again} == {"duplicate"}
        assert len(ui.queue_tickets(server.url, world)) == count
    finally:
        server.stop()


def test_a_kiosk_started_while_the_server_is_down_remembers_its_center(
    qtbot: Any, ui: Any, make_kiosk: Any, own_world: Any, tmp_path: Any
) -> None:
    url, world = own_world
    server = ServerProcess(url).start()
    data_dir = tmp_path / "kiosk-data"
    try:
        first = make_kiosk(server.url, world.device_keys["kiosk"], data_dir=data_dir)
        assert first.ready
        first.shutdown()
        first.service.store.close()
    finally:
        server.stop()
    again = make_kiosk(server.url, world.device_keys["kiosk"], data_dir=data_dir)
    assert again.offline_banner.isVisible()
    assert [t.category.code for t in again.welcome.tiles][:2] == ["urgent", "policy"]
    issued = _take_offline_ticket(qtbot, ui, again, "policy")
    assert issued.display.startswith("A")
