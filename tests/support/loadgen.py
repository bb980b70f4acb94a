"""Worker functions for multi-process load tests (a module, so ``spawn`` can import them)."""

from __future__ import annotations

import multiprocessing as mp
import uuid


def issue_many(base_url: str, key: str, worker: int, count: int, categories: list[str], out: mp.Queue) -> None:  # type: ignore[type-arg]
    """Issue ``count`` tickets; every 20th request is retried with the same key (a lost answer)."""
    import requests

    session = requests.Session()
    acknowledged = []
    errors = []
    try:
        for i in range(count):
            body = {
                "center": "T1",
                "category": categories[(worker + i) % len(categories)],
                "idempotency_key": f"w{worker}-{i}-{uuid.uuid4().hex}",
            }
            response = session.post(f"{base_url}/api/v1/tickets", json=body, headers={"X-Device-Key": key}, timeout=30)
            response.raise_for_status()
            data = response.json()
            if i % 20 == 0:
                again = session.post(
                    f"{base_url}/api/v1/tickets", json=body, headers={"X-Device-Key": key}, timeout=30
                ).json()
                if again["id"] != data["id"] or again["created"] is not False:
                    errors.append(f"retry made a new ticket: {data['id']} vs {again['id']}")
            acknowledged.append((data["id"], data["category"], data["number"]))
    except Exception as exc:  # reported to the test instead of dying silently
        errors.append(repr(exc))
    out.put((acknowledged, errors))
