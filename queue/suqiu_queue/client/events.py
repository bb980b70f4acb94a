"""Reading the server's event stream (Server-Sent Events) robustly.

The iterator reconnects after any network error or server restart, with backoff capped at a few
seconds, and sends ``Last-Event-ID`` so the server replays what was missed. ``stop()`` ends it
from another thread (the apps read events on a worker thread).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import requests

from .errors import ApiError
from .models import Event

if TYPE_CHECKING:
    from .api import SuqiuClient

# Longer than the server's 15 s heartbeat: a silent connection for this long is dead.
READ_TIMEOUT = 40.0


class EventStream:
    def __init__(
        self, client: SuqiuClient, *, center: str | None, kinds: list[str] | None, last_event_id: int | None
    ) -> None:
        self.client = client
        self.center = center
        self.kinds = kinds
        self.last_event_id = last_event_id
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._response: requests.Response | None = None
        self.reconnects = 0

    def stop(self) -> None:
        self._stop.set()
        response = self._response
        if response is not None:
            # Closing from another thread may race the reader; either way the stream ends.
            with contextlib.suppress(Exception):
                _wake_reader(response)
                response.close()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def __iter__(self) -> Iterator[Event]:
        delay = 0.2
        while not self._stop.is_set():
            try:
                for event in self._one_connection():
                    delay = 0.2
                    yield event
            except ApiError as exc:
                if exc.status in (401, 403):
                    raise  # wrong credentials do not fix themselves by retrying
            except (requests.RequestException, OSError, ValueError, AttributeError):
                pass  # dropped connection or server restart: reconnect below
            self.connected.clear()
            if self._stop.wait(delay):
                return
            self.reconnects += 1
            delay = min(delay * 2, 5.0)

    def _one_connection(self) -> Iterator[Event]:
        params: dict[str, Any] = {}
        if self.center:
            params["center"] = self.center
        if self.kinds:
            params["kinds"] = ",".join(self.kinds)
        headers = {**self.client.auth_headers(), "Accept": "text/event-stream"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = str(self.last_event_id)
        response = self.client.http.get(
            f"{self.client.base_url}/api/v1/events",
            params=params,
            headers=headers,
            stream=True,
            timeout=(self.client.timeout[0], READ_TIMEOUT),
        )
        self._response = response
        try:
            if response.status_code >= 400:
                from .api import _api_error

                raise _api_error(response)
            self.connected.set()
            data_lines: list[str] = []
            for raw in response.iter_lines(decode_unicode=True):
                if self._stop.is_set():
                    return
                line = raw or ""
                if line == "":
                    if data_lines:
                        event = Event.from_json(json.loads("\n".join(data_lines)))
                        data_lines = []
                        self.last_event_id = event.id
                        yield event
                    continue
                if line.startswith(":"):
                    continue  # heartbeat or comment
                name, _, value = line.partition(":")
                if name == "data":
                    data_lines.append(value.removeprefix(" "))
        finally:
            self._response = None
            response.close()


def _wake_reader(response: requests.Response) -> None:
    """Closing a socket does not wake a thread blocked reading it (it would sleep until the next
    heartbeat, 15 s); shutting the socket down does, so ``stop()`` takes effect at once."""
    connection = getattr(response.raw, "connection", None) or getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        sock.shutdown(socket.SHUT_RDWR)
