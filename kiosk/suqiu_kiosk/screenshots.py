"""``suqiu demo --headless --screenshots DIR``: drive scripted visits and save every kiosk screen.

Runs against a live server (the demo's) with fake devices: portrait and landscape, normal and
长辈模式, plus a failed print, an offline ticket and the 心理自测 pages (a crisis answer included, so
the demo's counselors get one crisis alert per orientation). Works without a display (offscreen Qt).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ORIENTATIONS = {"portrait": (1080, 1920), "landscape": (1920, 1080)}


def _app() -> Any:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])


def _wait(app: Any, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the kiosk did not get there in time")
        app.processEvents()
        time.sleep(0.01)
    for _ in range(5):  # let layouts settle before the picture
        app.processEvents()


class _Shooter:
    def __init__(self, app: Any, out_dir: Path, prefix: str) -> None:
        self.app = app
        self.out_dir = out_dir
        self.prefix = prefix
        self.count = 0
        self.saved: list[Path] = []

    def __call__(self, window: Any, name: str) -> None:
        self.count += 1
        path = self.out_dir / f"{self.prefix}-{self.count:02d}-{name}.png"
        for _ in range(5):
            self.app.processEvents()
        window.grab().save(str(path))
        self.saved.append(path)


def _quiet_microphone(folder: Path) -> Any:
    """A fake microphone (a second of a quiet room), so the describe screen shows 按住说话 as on a
    kiosk with a microphone. None without the voice extra (numpy, soundfile)."""
    try:
        from suqiu_devices.microphone import microphone_factory, pcm

        wav = folder / "quiet-room.wav"
        folder.mkdir(parents=True, exist_ok=True)
        wav.write_bytes(pcm.wav_bytes(bytes(16_000 * 2)))
        return microphone_factory("fake", wav=[str(wav)])
    except Exception:  # no voice extra: the screenshots simply show no voice button
        return None


def _window(base_url: str, device_key: str, data_dir: Path, size: tuple[int, int], printer: Any) -> Any:
    from .app import build_service
    from .config import KioskConfig
    from .window import KioskWindow

    config = KioskConfig(server=base_url, device_key=device_key, data_dir=data_dir, idle_seconds=3600)
    window = KioskWindow(
        config,
        build_service(config),
        printer=printer,
        listen_events=False,
        open_microphone=_quiet_microphone(data_dir / "audio"),
    )
    window.resize(*size)
    window.show()
    window.start()
    return window


def _visit(app: Any, window: Any, shoot: _Shooter, *, employee_no: str, full: bool) -> None:
    """Welcome → identify → describe (typing 工资 in pinyin) → FAQ → ticket."""
    _wait(app, lambda: window.ready and bool(window.waiting))
    shoot(window, "welcome")
    window.choose_category(window.welcome.tile("policy").category)
    _wait(app, lambda: window.flow.step == "identify")
    identify = window.screens["identify"]
    for char in employee_no:
        identify.key(char)
    if full:
        shoot(window, "identify-keypad")
    identify.submit()
    _wait(app, lambda: bool(window.flow.visit.masked_name or window.flow.visit.error))
    shoot(window, "identify-confirm")
    if window.flow.visit.masked_name:
        window.confirm_identity()
    else:
        window.skip_identify()
    _wait(app, lambda: window.flow.step == "describe")
    describe = window.screens["describe"]
    describe.chip("住房公积金").click()
    for char in "tiqu":
        describe.keyboard.press(char)
    describe.keyboard.candidate_buttons()[0].click()  # 提取
    for char in "gongzi":
        describe.keyboard.press(char)
    shoot(window, "describe-pinyin")
    describe.keyboard.candidate_buttons()[0].click()  # 工资
    describe.next_button.click()
    _wait(app, lambda: window.flow.step in ("faq", "ticket"))
    if window.flow.step == "faq":
        shoot(window, "faq")
        window.faq_not_resolved()
    _wait(app, lambda: window.flow.step == "ticket" and window.flow.visit.print_state in ("printed", "failed"))
    shoot(window, "ticket")


def _self_check(app: Any, window: Any, shoot: _Shooter, *, crisis: bool) -> None:
    """Welcome → 心理自测 → (skip identify) → pick → 匿名/实名 → a question → the crisis screen and
    its priority ticket (``crisis``), or leave."""
    window.start_assessment()
    _wait(app, lambda: window.flow.step == "identify")
    window.skip_identify()
    widget = window.assessment.widget
    _wait(app, lambda: widget.flow.step == "pick")
    shoot(window, "assessment-pick")
    widget.pick_page.scale_chosen.emit(("phq9",))
    _wait(app, lambda: widget.flow.step == "consent")
    shoot(window, "assessment-consent")
    widget.flow.choose_mode(linked=False)
    _wait(app, lambda: widget.flow.step == "item")
    widget.flow.answer(1)
    _wait(app, lambda: widget.flow.question is not None and widget.flow.question.position == 2)
    shoot(window, "assessment-item")
    if not crisis:
        widget.leave()
        _wait(app, lambda: window.flow.step == "welcome")
        return
    for points in (0, 0, 0, 0, 0, 0, 0, 1):  # items 2 to 9; item 9 answered 好几天: a crisis answer
        widget.flow.answer(points)
    _wait(app, lambda: widget.flow.step == "crisis" and not widget.flow.alert_pending)
    shoot(window, "assessment-crisis")
    widget.request_crisis_ticket()
    _wait(app, lambda: window.flow.step == "ticket" and window.flow.visit.print_state in ("printed", "failed"))
    shoot(window, "assessment-crisis-ticket")
    window.finish_visit()


def capture_all(base_url: str, device_key: str, out_dir: str | Path, *, employee_no: str = "100001") -> list[Path]:
    """Save a PNG of every kiosk screen, both orientations, normal and 长辈模式; returns the paths."""
    from suqiu_devices.registry import build

    app = _app()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="suqiu-kiosk-shots-") as tmp:
        for orientation, size in ORIENTATIONS.items():
            for elderly in (False, True):
                prefix = f"kiosk-{orientation}{'-elderly' if elderly else ''}"
                shoot = _Shooter(app, out, prefix)
                printer = build("printer", "fake")
                window = _window(base_url, device_key, Path(tmp) / prefix, size, printer)
                try:
                    _wait(app, lambda w=window: w.ready)
                    if elderly:
                        window.set_elderly(True)
                    _visit(app, window, shoot, employee_no=employee_no, full=not elderly)
                    # The printer runs out of paper: the ticket stays on screen with a reprint button.
                    window.finish_visit()
                    window.set_elderly(elderly)
                    printer.set_fault("no_paper")
                    window.choose_category(window.welcome.tile("logistics").category)
                    _wait(app, lambda w=window: w.flow.step == "identify")
                    window.skip_identify()
                    _wait(app, lambda w=window: w.flow.step == "describe")
                    window.skip_describe()
                    _wait(app, lambda w=window: w.flow.step in ("faq", "ticket"))
                    if window.flow.step == "faq":
                        shoot(window, "faq-logistics")
                        window.faq_resolved(int(window.flow.visit.faq[0]["id"]))
                        _wait(app, lambda w=window: w.flow.step == "resolved")
                        shoot(window, "resolved")
                        window.finish_visit()
                        window.set_elderly(elderly)
                        window.choose_category(window.welcome.tile("legal").category)
                        _wait(app, lambda w=window: w.flow.step == "identify")
                        window.skip_identify()
                        _wait(app, lambda w=window: w.flow.step == "describe")
                        window.skip_describe()
                        _wait(app, lambda w=window: w.flow.step in ("faq", "ticket"))
                        if window.flow.step == "faq":
                            window.faq_not_resolved()
                    _wait(app, lambda w=window: w.flow.visit.print_state == "failed")
                    shoot(window, "ticket-print-failed")
                    printer.load_paper()
                    if window.assessment is not None:
                        window.finish_visit()
                        window.set_elderly(elderly)
                        _self_check(app, window, shoot, crisis=not elderly)
                finally:
                    window.shutdown()
                    window.close()
                    window.service.store.close()
                saved.extend(shoot.saved)
        saved.extend(_offline(app, base_url, device_key, out, Path(tmp) / "offline"))
    return saved


def _offline(app: Any, base_url: str, device_key: str, out: Path, data_dir: Path) -> list[Path]:
    """An offline ticket: the kiosk leases numbers online, then the server 'goes away'."""
    from suqiu_devices.registry import build

    shoot = _Shooter(app, out, "kiosk-portrait-offline")
    window = _window(base_url, device_key, data_dir, ORIENTATIONS["portrait"], build("printer", "fake"))
    try:
        _wait(app, lambda: window.ready and window.last_sync is not None)
    finally:
        window.shutdown()
        window.close()
        window.service.store.close()
    # The same kiosk (same outbox and leased numbers), now pointed at a port nobody listens on.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    window = _window(dead, device_key, data_dir, ORIENTATIONS["portrait"], build("printer", "fake"))
    try:
        _wait(app, lambda: window.ready)
        shoot(window, "welcome")
        window.choose_category(window.welcome.tile("policy").category)
        _wait(app, lambda: window.flow.step == "identify")
        window.skip_identify()
        _wait(app, lambda: window.flow.step == "describe")
        window.skip_describe()
        _wait(app, lambda: window.flow.step == "ticket" and window.flow.visit.print_state == "printed")
        shoot(window, "ticket")
    finally:
        window.shutdown()
        window.close()
        window.service.store.close()
    return shoot.saved
