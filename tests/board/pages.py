"""Helpers for the board tests and the board screenshots: a seeded database, the cases the
tests look for, and Debian's Chromium driven by Playwright.

One employee is called 张三 (the full name must never reach the page) and one confidential
case carries ``<script>alert(1)</script>`` as its summary.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from support import ServerProcess, World, login, seed_world

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORTS = {"standard": (1920, 1080), "wide": (3840, 1080)}
WAIT_MS = 15_000


@dataclass
class BoardWorld:
    """The seeded file, its world, and the cases opened for the board (reference by role)."""

    url: str
    world: World
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)


def seeded_database(folder: Any) -> tuple[str, World]:
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade

    url = f"sqlite:///{folder / 'suqiu.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session, session.begin():
        world = seed_world(session)
    engine.dispose()
    return url, world


def open_cases(base_url: str) -> dict[str, dict[str, Any]]:
    """The cases the board tests look for, opened through the API by the reception officer."""
    headers = {"Authorization": f"Bearer {login(base_url, 'reception1')}"}
    plan = {
        "public": {"category": "policy", "summary": "咨询住房公积金提取条件", "employee_no": "E1001"},
        "compound": {"category": "opinion", "summary": "<img src=x onerror=alert(2)>", "employee_no": "E1003"},
        "confidential": {
            "category": "legal",
            "summary": "<script>alert(1)</script>",
            "employee_no": "E1002",
            "confidential": True,
        },
        "counselling": {"category": "care", "summary": "最近睡眠不好", "employee_no": "E1001"},
    }
    opened = {}
    for role, body in plan.items():
        response = requests.post(
            f"{base_url}/api/v1/cases", json={"center": "T1", "channel": "visit", **body}, headers=headers, timeout=10
        )
        response.raise_for_status()
        opened[role] = response.json()
    return opened


class BrowserMissing(RuntimeError):
    """Playwright or Debian's Chromium is not installed."""


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright (``playwright install`` downloads are not used)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise BrowserMissing("pip install playwright (the board tests need it)") from exc
    if not shutil.which(CHROMIUM):
        raise BrowserMissing(f"{CHROMIUM} is missing: apt-get install chromium (install/system-deps.sh)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def board_url(server: ServerProcess, world: World, *, layout: str = "standard", key: str | None = None) -> str:
    key = world.device_keys["board"] if key is None else key
    url = f"{server.url}/board?center={world.center}"
    if key:
        url += f"&key={key}"
    if layout == "wide":
        url += "&layout=wide"
    return url


def open_board(browser: Any, url: str, layout: str = "standard", *, enforce_csp: bool = False) -> Any:
    """A fresh page on the board; script errors and CSP complaints are collected in ``page.errors``.

    Playwright's waiting predicates are evaluated as strings, which the page's CSP (rightly)
    forbids, so tests bypass the CSP unless they ask for it. That also makes the escaping tests
    stricter: markup in data must stay text on its own, without the CSP as a second fence.
    """
    width, height = VIEWPORTS[layout]
    page = browser.new_page(viewport={"width": width, "height": height}, bypass_csp=not enforce_csp)
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on(
        "console",
        lambda message: page.errors.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.goto(url)
    return page


def wait_for_number(page: Any, display: str, timeout: int = WAIT_MS) -> None:
    page.wait_for_function(
        "display => document.getElementById('now-number').textContent === display", arg=display, timeout=timeout
    )
