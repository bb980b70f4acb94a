"""A server restart never needs a hand on the wall PC: the page shows a quiet mark, then comes back."""

from __future__ import annotations

from typing import Any

import requests
from board.pages import WAIT_MS, BoardWorld, board_url, open_board, wait_for_number
from support import ServerProcess, free_port, login


def issue_and_call(server: ServerProcess, board_world: BoardWorld, counter: int) -> str:
    world = board_world.world
    kiosk = {"X-Device-Key": world.device_keys["kiosk"]}
    officer = {"Authorization": f"Bearer {login(server.url, 'reception1')}"}
    ticket = requests.post(
        f"{server.url}/api/v1/tickets", json={"center": "T1", "category": "policy"}, headers=kiosk, timeout=10
    )
    ticket.raise_for_status()
    called = requests.post(
        f"{server.url}/api/v1/tickets/{ticket.json()['id']}/call",
        json={"counter_id": world.counters[counter]},
        headers=officer,
        timeout=10,
    )
    called.raise_for_status()
    return str(ticket.json()["display"])


def test_the_board_reconnects_by_itself_after_a_server_restart(
    playwright_browser: Any, board_world: BoardWorld
) -> None:
    port = free_port()
    server = ServerProcess(board_world.url, port=port).start()
    page = None
    try:
        page = open_board(playwright_browser, board_url(server, board_world.world))
        page.wait_for_function("document.getElementById('connection').hidden", timeout=WAIT_MS)
        before = issue_and_call(server, board_world, counter=1)
        wait_for_number(page, before)

        server.stop()
        page.wait_for_function(
            "!document.getElementById('connection').hidden"
            " && document.getElementById('connection').textContent === '正在重新连接…'",
            timeout=WAIT_MS,
        )
        assert page.inner_text("#now-number") == before  # the last call stays on the wall meanwhile

        server = ServerProcess(board_world.url, port=port).start()
        after = issue_and_call(server, board_world, counter=2)
        # Nobody touches the page: it reconnects, hears (or replays) the call and hides the mark.
        wait_for_number(page, after, timeout=30_000)
        assert page.inner_text("#now-where") == "请到 2 号窗口"
        page.wait_for_function("document.getElementById('connection').hidden", timeout=30_000)
        assert page.errors == []
    finally:
        if page is not None:
            page.close()
        server.stop()
