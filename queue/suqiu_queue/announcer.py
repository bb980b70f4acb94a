"""The hall's call announcements: a chime, then "请 A012 号，到 3 号窗口办理" twice.

``Announcer`` reads the center's ``ticket.called`` / ``ticket.recalled`` events on a worker thread
(through ``SuqiuClient.events``, which reconnects and resumes by itself) and queues each call on
one ``Speaker``. The speaker is a single queue with a single voice, and each call's chime and
repetitions are queued together from that one thread, so calls follow each other in order and
never talk over each other. A recall is a new event and is announced again.

Rules that keep the hall calm:

* Every announcement names the counter; a call event without a counter number is logged and not
  announced (a number without a place sends people to the wrong desk).
* The same event is never announced twice (a replay after a reconnect may repeat one).
* After a long outage, the replayed calls are minutes old: calls older than ``max_age_seconds``
  (judged by the server's clock, learned from its ``Date`` header, so a wrong clock on the
  announcer PC does not matter) are logged and skipped. Calls missed for a few seconds are
  still announced.
* No speaker (no sound card, espeak-ng missing): log it, keep reading events, and try to open the
  speaker again every ``retry_speaker_seconds``. The announcer never exits on a device problem.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from suqiu_devices.errors import DeviceError
from suqiu_devices.protocols import Speaker
from suqiu_devices.speaker.text import announcement_speech, announcement_text

from .client import ApiError, Event, SuqiuClient

log = logging.getLogger("suqiu.announcer")

CALL_KINDS = ("ticket.called", "ticket.recalled")
DEFAULT_REPEAT = 2
DEFAULT_MAX_AGE_SECONDS = 120.0
DEFAULT_RETRY_SPEAKER_SECONDS = 30.0
CLOCK_REFRESH_SECONDS = 600.0
REFUSED_RETRY_SECONDS = 60.0  # a refused key is an admin's job to fix; do not hammer the server
REMEMBERED_EVENTS = 500


@dataclass(frozen=True)
class Announcement:
    event_id: int
    display: str
    counter_number: int | str
    recall: bool

    @property
    def text(self) -> str:
        """As written on the board: "请 A012 号到 3 号窗口办理"."""
        return announcement_text(self.display, self.counter_number)

    @property
    def speech(self) -> str:
        """As spoken, the ticket read digit by digit: "请 A零一二 号，到 3 号窗口办理"."""
        return announcement_speech(self.display, self.counter_number)


def announcement_for(event: Event) -> Announcement | None:
    """The announcement a call event asks for; None for other events or a call without a counter."""
    if event.kind not in CALL_KINDS:
        return None
    display = str(event.payload.get("display") or "").strip()
    counter = event.payload.get("counter_number")
    if not display or counter is None or str(counter).strip() == "":
        log.warning("call event %s has no ticket number or counter; not announced", event.id)
        return None
    return Announcement(event.id, display, counter, recall=event.kind == "ticket.recalled")


class Announcer:
    def __init__(
        self,
        client: SuqiuClient,
        center: str,
        speaker_factory: Callable[[], Speaker],
        *,
        repeat: int = DEFAULT_REPEAT,
        volume: float = 1.0,
        max_age_seconds: float | None = DEFAULT_MAX_AGE_SECONDS,
        retry_speaker_seconds: float = DEFAULT_RETRY_SPEAKER_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if repeat < 1:
            raise ValueError("an announcement is said at least once")
        self.client = client
        self.center = center
        self.speaker_factory = speaker_factory
        self.repeat = repeat
        self.volume = volume
        self.max_age = timedelta(seconds=max_age_seconds) if max_age_seconds else None
        self.retry_speaker_seconds = retry_speaker_seconds
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self.speaker: Speaker | None = None
        self._speaker_failed_at: float | None = None
        self._server_offset: timedelta | None = None  # server clock minus ours
        self._offset_checked_at: float | None = None
        self._seen: deque[int] = deque(maxlen=REMEMBERED_EVENTS)
        self._seen_set: set[int] = set()
        self._stop = threading.Event()
        self._stream: Any = None
        self._thread: threading.Thread | None = None
        self.announced: list[Announcement] = []  # what was handed to the speaker, in order
        self.skipped = 0

    # --- the speaker ------------------------------------------------------------------------------

    def _speaker(self) -> Speaker | None:
        if self.speaker is not None:
            return self.speaker
        now = self._monotonic()
        if self._speaker_failed_at is not None and now - self._speaker_failed_at < self.retry_speaker_seconds:
            return None
        try:
            self.speaker = self.speaker_factory()
            self._speaker_failed_at = None
            log.info("speaker ready")
        except DeviceError as exc:
            self._speaker_failed_at = now
            log.warning("speaker unavailable (%s); announcements are only logged for now", exc.message_en)
        return self.speaker

    # --- the server's clock -------------------------------------------------------------------------

    def _refresh_server_offset(self) -> None:
        now = self._monotonic()
        if self._offset_checked_at is not None and now - self._offset_checked_at < CLOCK_REFRESH_SECONDS:
            return
        self._offset_checked_at = now
        try:
            response = self.client.http.get(f"{self.client.base_url}/healthz", timeout=self.client.timeout)
            server_date = parsedate_to_datetime(response.headers["date"])
        except Exception as exc:  # no Date, no server: judge nothing stale rather than lose a call
            log.info("could not read the server's clock: %s", exc)
            return
        self._server_offset = server_date - self._wall_clock()

    def _is_stale(self, event: Event) -> bool:
        if self.max_age is None or self._server_offset is None or not event.created_at:
            return False
        try:
            created = datetime.fromisoformat(event.created_at)
        except ValueError:
            return False
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        # The Date header has one-second resolution: allow that much on top.
        age = self._wall_clock() + self._server_offset - created
        return age > self.max_age + timedelta(seconds=1)

    # --- announcing -----------------------------------------------------------------------------------

    def announce(self, event: Event) -> Announcement | None:
        """Queue the announcement for ``event`` if it is a fresh, complete, new call."""
        item = announcement_for(event)
        if item is None:
            return None
        if event.id in self._seen_set:
            return None
        self._remember(event.id)
        if self._is_stale(event):
            self.skipped += 1
            log.info("skipping an old call (event %s, %s): %s", event.id, event.created_at, item.text)
            return None
        speaker = self._speaker()
        log.info("%s%s", "再次呼叫 " if item.recall else "", item.text)
        if speaker is None:
            return None
        try:
            chime = getattr(speaker, "chime", None)
            if callable(chime):
                chime(volume=self.volume)
            for _ in range(self.repeat):
                speaker.say(item.speech, volume=self.volume)
        except Exception:
            log.exception("the speaker failed; it will be opened again")
            self._drop_speaker()
            return None
        self.announced.append(item)
        return item

    def _remember(self, event_id: int) -> None:
        if len(self._seen) == self._seen.maxlen:
            self._seen_set.discard(self._seen[0])
        self._seen.append(event_id)
        self._seen_set.add(event_id)

    def _drop_speaker(self) -> None:
        speaker, self.speaker = self.speaker, None
        self._speaker_failed_at = self._monotonic()
        if speaker is not None:
            try:
                speaker.close()
            except Exception:
                log.exception("closing the failed speaker")

    # --- the worker -------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._speaker()  # open it now, so a missing sound card shows in the log at start-up
        self._thread = threading.Thread(target=self._run, name="suqiu-announcer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._refresh_server_offset()
            # No Last-Event-ID at start: what was called before we started is not announced now.
            self._stream = self.client.events(center=self.center, kinds=list(CALL_KINDS))
            try:
                for event in self._stream:
                    self._refresh_server_offset()
                    self.announce(event)
            except ApiError as exc:
                log.error("the server refused the announcer (%s: %s); retrying later", exc.code, exc.message_en)
                self._stop.wait(REFUSED_RETRY_SECONDS)
            except Exception:
                log.exception("event reading failed; reconnecting")
                self._stop.wait(2.0)

    @property
    def connected(self) -> bool:
        stream = self._stream
        return bool(stream is not None and stream.connected.is_set())

    def wait_connected(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.connected:
                return True
            time.sleep(0.02)
        return False

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._stream is not None:
            self._stream.stop()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self.speaker is not None:
            self.speaker.close()
            self.speaker = None
