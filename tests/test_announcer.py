"""Call announcements: chime then the call twice, in order, never overlapping, counter always named.

The speaker is the fake at the hardware edge (it takes as long as a real voice, sped up here, and
records what it said and when); everything else is real — including, in the end-to-end tests, a
``suqiu server`` process and the event stream.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support import ServerProcess, World, login

from suqiu_devices.errors import DeviceUnavailable
from suqiu_devices.speaker import spell_ticket_number
from suqiu_devices.speaker.fake import FakeSpeaker
from suqiu_queue.announcer import Announcer, announcement_for
from suqiu_queue.cli import build_parser
from suqiu_queue.client import Event, SuqiuClient

SPEED = 25.0  # the fake voice at 25× real time: a full announcement takes ~0.3 s
CHIME = "<chime>"


def call_event(event_id: int, display: str, counter: int | None, *, kind: str = "ticket.called", age_s: float = 0):
    created = datetime.now(UTC) - timedelta(seconds=age_s)
    payload = {"display": display, "counter_number": counter, "category": "policy", "ticket_id": event_id}
    return Event(event_id, kind, 1, payload, created.isoformat())


def offline_announcer(speaker: FakeSpeaker, **kwargs) -> Announcer:  # type: ignore[no-untyped-def]
    """An announcer fed by hand (no server): ``announce`` is what the event thread calls."""
    return Announcer(SuqiuClient("http://127.0.0.1:9", device_key="sqk_unused"), "T1", lambda: speaker, **kwargs)


@pytest.fixture
def speaker() -> Iterator[FakeSpeaker]:
    voice = FakeSpeaker(speed=SPEED)
    yield voice
    voice.close()


# --- what is said ----------------------------------------------------------------------------------------


def test_a_call_is_a_chime_then_the_call_twice_naming_the_counter(speaker: FakeSpeaker) -> None:
    announcer = offline_announcer(speaker)
    item = announcer.announce(call_event(1, "A012", 3))
    assert item is not None and item.text == "请 A012 号到 3 号窗口办理"
    assert speaker.wait_idle(10)
    assert speaker.texts == [CHIME, "请 A零一二 号，到 3 号窗口办理", "请 A零一二 号，到 3 号窗口办理"]


def test_calls_queue_in_order_and_never_overlap(speaker: FakeSpeaker) -> None:
    announcer = offline_announcer(speaker)
    for event_id, (display, counter) in enumerate([("A001", 1), ("B002", 2), ("J003", 12)], start=1):
        announcer.announce(call_event(event_id, display, counter))
    assert speaker.wait_idle(20)
    spoken = speaker.spoken
    assert [s.text for s in spoken] == [
        CHIME,
        "请 A零零一 号，到 1 号窗口办理",
        "请 A零零一 号，到 1 号窗口办理",
        CHIME,
        "请 B零零二 号，到 2 号窗口办理",
        "请 B零零二 号，到 2 号窗口办理",
        CHIME,
        "请 J零零三 号，到 12 号窗口办理",
        "请 J零零三 号，到 12 号窗口办理",
    ]
    assert speaker.voice.overlaps == 0
    for before, after in itertools.pairwise(spoken):
        assert after.start >= before.end, f"{after.text!r} started before {before.text!r} ended"


def test_a_recall_is_announced_again(speaker: FakeSpeaker) -> None:
    announcer = offline_announcer(speaker)
    announcer.announce(call_event(1, "A012", 3))
    announcer.announce(call_event(2, "A012", 3, kind="ticket.recalled"))
    assert speaker.wait_idle(20)
    assert speaker.texts.count(CHIME) == 2
    assert speaker.texts.count("请 A零一二 号，到 3 号窗口办理") == 4
    assert [a.recall for a in announcer.announced] == [False, True]


def test_a_call_without_a_counter_is_not_announced(speaker: FakeSpeaker, caplog: pytest.LogCaptureFixture) -> None:
    announcer = offline_announcer(speaker)
    with caplog.at_level(logging.WARNING, logger="suqiu.announcer"):
        assert announcer.announce(call_event(1, "A012", None)) is None
    assert speaker.wait_idle(5)
    assert speaker.texts == []
    assert "no ticket number or counter" in caplog.text
    assert announcement_for(Event(2, "ticket.issued", 1, {"display": "A013"}, "")) is None


def test_the_same_event_is_announced_once(speaker: FakeSpeaker) -> None:
    announcer = offline_announcer(speaker)
    event = call_event(7, "C004", 3)
    assert announcer.announce(event) is not None
    assert announcer.announce(event) is None  # e.g. replayed after a reconnect
    assert speaker.wait_idle(10)
    assert speaker.texts.count(CHIME) == 1


def test_old_calls_replayed_after_an_outage_are_skipped(speaker: FakeSpeaker) -> None:
    announcer = offline_announcer(speaker, max_age_seconds=120)
    announcer._server_offset = timedelta(0)  # as learned from the server's Date header
    assert announcer.announce(call_event(1, "A001", 1, age_s=600)) is None
    assert announcer.announce(call_event(2, "A002", 1, age_s=20)) is not None
    assert speaker.wait_idle(10)
    assert announcer.skipped == 1
    assert [a.display for a in announcer.announced] == ["A002"]


def test_age_is_judged_by_the_servers_clock_not_ours(speaker: FakeSpeaker) -> None:
    # This PC's clock is an hour fast; the server's Date header says so.
    fast = datetime.now(UTC) + timedelta(hours=1)
    announcer = offline_announcer(speaker, wall_clock=lambda: fast)
    announcer._server_offset = timedelta(hours=-1)
    assert announcer.announce(call_event(1, "A001", 1, age_s=5)) is not None


def test_no_speaker_keeps_running_and_tries_again(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    real = FakeSpeaker(speed=SPEED)
    attempts: list[float] = []

    def factory() -> FakeSpeaker:
        attempts.append(now[0])
        if len(attempts) == 1:
            raise DeviceUnavailable("no audio output device", "没有可用的扬声器", reason="no_audio_device")
        return real

    announcer = Announcer(
        SuqiuClient("http://127.0.0.1:9", device_key="sqk_unused"),
        "T1",
        factory,
        retry_speaker_seconds=30,
        monotonic=lambda: now[0],
    )
    try:
        with caplog.at_level(logging.INFO, logger="suqiu.announcer"):
            assert announcer.announce(call_event(1, "A001", 1)) is None
            now[0] = 10.0  # too soon to try the device again
            assert announcer.announce(call_event(2, "A002", 2)) is None
            now[0] = 45.0
            assert announcer.announce(call_event(3, "A003", 3)) is not None
        assert attempts == [0.0, 45.0]
        assert "speaker unavailable" in caplog.text
        assert "请 A001 号到 1 号窗口办理" in caplog.text  # the missed call is at least in the log
        assert real.wait_idle(10)
        assert real.texts == [CHIME, "请 A零零三 号，到 3 号窗口办理", "请 A零零三 号，到 3 号窗口办理"]
    finally:
        real.close()


def test_the_command_is_registered() -> None:
    args = build_parser().parse_args(
        ["announcer", "--center", "HQ", "--speaker", "fake", "--device-key", "sqk_x", "--repeat", "3"]
    )
    assert args.command == "announcer"
    assert (args.center, args.speaker, args.repeat) == ("HQ", "fake", 3)
    assert callable(args.func)


# --- end to end: a real server, officers calling through the API ------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, seeded_copy: Any) -> Iterator[tuple[ServerProcess, World]]:
    url, world = seeded_copy(tmp_path_factory.mktemp("announcer"))
    with ServerProcess(url) as server:
        yield server, world


def test_calls_made_at_the_front_desk_are_announced_in_order(live: tuple[ServerProcess, World]) -> None:
    server, world = live
    speaker = FakeSpeaker(speed=SPEED)
    announcer = Announcer(SuqiuClient(server.url, device_key=world.device_keys["announcer"]), "T1", lambda: speaker)
    announcer.start()
    try:
        assert announcer.wait_connected(15)
        kiosk = SuqiuClient(server.url, device_key=world.device_keys["kiosk"])
        officer = SuqiuClient(server.url, token=login(server.url, "reception1"))
        first = kiosk.issue_ticket("T1", "legal")
        second = kiosk.issue_ticket("T1", "care")
        # Two counters call at the same moment: the hall hears one call after the other.
        threads = [
            threading.Thread(target=officer.call, args=(first.id, world.counters[3])),
            threading.Thread(target=officer.call, args=(second.id, world.counters[4])),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        officer.recall(first.id)
        deadline = time.monotonic() + 30
        while len(speaker.texts) < 9 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert speaker.wait_idle(10)
    finally:
        announcer.stop()
    said = speaker.texts
    assert len(said) == 9, said
    assert said[0::3] == [CHIME, CHIME, CHIME]
    calls = [said[i] for i in (1, 4, 7)]
    assert [said[i] for i in (2, 5, 8)] == calls  # each said twice
    first_call = f"请 {spell_ticket_number(first.display)} 号，到 3 号窗口办理"
    second_call = f"请 {spell_ticket_number(second.display)} 号，到 4 号窗口办理"
    assert sorted(calls[:2]) == sorted([first_call, second_call])
    assert calls[2] == first_call  # the recall, announced again
    assert all("号窗口" in text for text in calls)
    assert speaker.voice.overlaps == 0
    spoken = speaker.spoken
    for before, after in itertools.pairwise(spoken):
        assert after.start >= before.end


def test_a_call_made_before_the_announcer_started_is_not_announced(live: tuple[ServerProcess, World]) -> None:
    server, world = live
    kiosk = SuqiuClient(server.url, device_key=world.device_keys["kiosk"])
    officer = SuqiuClient(server.url, token=login(server.url, "reception1"))
    earlier = kiosk.issue_ticket("T1", "policy")
    # Wait until the server has fanned the earlier call out (an observer heard it): a subscriber
    # that joins while the broker is still reading a commit would be handed that event too.
    observer = SuqiuClient(server.url, token=officer.token).events(center="T1", kinds=["ticket.called"])
    heard = threading.Event()

    def observe() -> None:
        for event in observer:
            if event.payload.get("ticket_id") == earlier.id:
                heard.set()
                return

    watcher = threading.Thread(target=observe, daemon=True)
    watcher.start()
    assert observer.connected.wait(15)
    officer.call(earlier.id, world.counters[2])
    assert heard.wait(15)
    observer.stop()
    speaker = FakeSpeaker(speed=SPEED)
    announcer = Announcer(SuqiuClient(server.url, device_key=world.device_keys["announcer"]), "T1", lambda: speaker)
    announcer.start()
    try:
        assert announcer.wait_connected(15)
        later = kiosk.issue_ticket("T1", "policy")
        officer.call(later.id, world.counters[2])
        deadline = time.monotonic() + 20
        while len(speaker.texts) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert speaker.wait_idle(10)
    finally:
        announcer.stop()
    assert [a.display for a in announcer.announced] == [later.display]
