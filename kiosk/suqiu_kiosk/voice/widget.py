"""``VoiceInputWidget``: the big 按住说话 / 点击说话 button, a level meter and a timer.

Two ways to talk, because people do both: *hold* the button and let go when done, or *tap* it
once, talk, and tap again (or simply stop talking: the recorder ends after a pause). A press
shorter than ``HOLD_SECONDS`` counts as a tap.

Nothing blocks the UI thread: opening the microphone, recording, FLAC encoding and recognition
run on the widget's own single worker thread (so a long recognition never starves the kiosk's
HTTP work in the shared pool), and come back as signals:

* ``recorded(flac_bytes, duration_s)`` — always, once a recording with speech is kept;
* ``transcribed(text)`` — the recognizer's text, for the editable text box;
* ``failed(message_zh)`` — a calm sentence for the screen: nothing heard, no engine (the voice
  message still goes through), or the microphone failed.

``pending`` holds the last kept recording as a ``PendingVoiceMessage`` for upload once the
ticket exists (upload.py). With no microphone (``open_microphone`` is None) the widget stays
hidden, whatever its parent does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from suqiu_devices import DeviceError
from suqiu_devices.microphone import Recorder, RecorderSettings, Recording, StopReason, default_vad, pcm
from suqiu_devices.microphone.vad import VoiceActivityDetector
from suqiu_devices.protocols import AudioSource, SpeechRecognizer

from ..workers import Task, run_in_background
from .upload import (
    TRANSCRIPT_EMPTY,
    TRANSCRIPT_FAILED,
    TRANSCRIPT_OK,
    TRANSCRIPT_UNAVAILABLE,
    PendingVoiceMessage,
)

log = logging.getLogger(__name__)

HOLD_SECONDS = 0.6

TEXTS = {
    "zh": {
        "idle": "按住说话 / 点击说话",
        "hold": "正在听…  松开手结束",
        "tap": "正在听…  说完请再点一下",
        "working": "正在转成文字，请稍候…",
        "guide": "按住按钮说话，松开结束；也可以点一下开始，说完再点一下。",
        "transcribed": "已转成文字，请核对，可以直接修改。",
        "no_speech": "没有听清，请靠近话筒再说一次。",
        "no_engine": "您的语音已录好，会转给工作人员直接听取。这台机器暂时不能转成文字，需要的话请在上方补充几句。",
        "not_written": "您的语音已录好，会转给工作人员直接听取。这次没能转成文字，需要的话请在上方补充几句。",
        "mic_failed": "麦克风暂时无法使用，请改用文字输入。",
        "save_failed": "录音没有保存下来，请再试一次或改用文字输入。",
    },
    "en": {
        "idle": "Hold to talk / Tap to talk",
        "hold": "Listening…  let go when done",
        "tap": "Listening…  tap again when done",
        "working": "Turning your words into text…",
        "guide": "Hold the button while you talk, or tap once, talk, and tap again.",
        "transcribed": "Here is what we heard. Please check it; you can edit it.",
        "no_speech": "We could not hear you. Please come closer to the microphone and try again.",
        "no_engine": "Your voice message is saved and an officer will listen to it. "
        "This kiosk cannot turn speech into text right now; add a few words above if you like.",
        "not_written": "Your voice message is saved and an officer will listen to it. "
        "It could not be turned into text this time; add a few words above if you like.",
        "mic_failed": "The microphone is not working right now. Please type instead.",
        "save_failed": "The recording could not be kept. Please try again or type instead.",
    },
}


def clock_text(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


class _Progress(QObject):
    """Created on the UI thread; its signals, emitted by the recording thread, arrive queued."""

    level = Signal(float)
    elapsed = Signal(float)


class VoiceInputWidget(QWidget):
    transcribed = Signal(str)
    recorded = Signal(bytes, float)
    failed = Signal(str)
    busy_changed = Signal(bool)  # True from the first press until the result is in

    def __init__(
        self,
        open_microphone: Callable[[], AudioSource] | None,
        recognizer: SpeechRecognizer | None,
        *,
        vad_factory: Callable[[], VoiceActivityDetector] = default_vad,
        settings: RecorderSettings | None = None,
        language: str = "zh",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("VoiceInput")
        self.open_microphone = open_microphone
        self.recognizer = recognizer
        self.settings = settings or RecorderSettings()
        self.language = language if language in TEXTS else "zh"
        self.pending: PendingVoiceMessage | None = None
        self.state = "idle"  # idle | recording | working
        self._vad_factory = vad_factory
        self._vad: VoiceActivityDetector | None = None  # built once, on the worker (ONNX load)
        self._mode = ""  # while recording: "pressed", "tap" or "stopping"
        self._pressed_at = 0.0
        self._recorder: Recorder | None = None
        # Fresh per recording: a cancelled recording still winding down never sees the next one's flags.
        self._stop_requested = threading.Event()
        self._cancel_requested = threading.Event()
        self._task: Task | None = None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._progress = _Progress(self)

        self.button = QPushButton()
        self.button.setObjectName("VoiceButton")
        self.button.setProperty("role", "primary")
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.button.setMinimumHeight(96)  # well over 15 mm on a 21.5" kiosk screen
        self.meter = QProgressBar()
        self.meter.setObjectName("VoiceLevel")
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.meter.setFixedHeight(18)
        self.timer = QLabel(self._timer_text(0.0))
        self.timer.setObjectName("VoiceTimer")
        self.status = QLabel()
        self.status.setObjectName("VoiceStatus")
        self.status.setProperty("role", "hint")
        self.status.setWordWrap(True)
        # The kiosk theme does not know a level bar: green, flat, calm.
        self.setStyleSheet(
            "QProgressBar#VoiceLevel { background: #E4EAF2; border: none; border-radius: 9px; }"
            "QProgressBar#VoiceLevel::chunk { background: #2E9D5B; border-radius: 9px; }"
            "QLabel#VoiceTimer { font-size: 26px; color: #0B3D6E; }"
        )

        meter_row = QHBoxLayout()
        meter_row.addWidget(self.meter, 1)
        meter_row.addWidget(self.timer, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self.button)
        layout.addLayout(meter_row)
        layout.addWidget(self.status)

        self.button.pressed.connect(self._on_pressed)
        self.button.released.connect(self._on_released)
        self._progress.level.connect(lambda fraction: self.meter.setValue(round(fraction * 100)))
        self._progress.elapsed.connect(lambda seconds: self.timer.setText(self._timer_text(seconds)))
        self._show_idle(self.text("guide"))
        if not self.available:
            super().setVisible(False)

    # -- public ------------------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        return self.open_microphone is not None

    def setVisible(self, visible: bool) -> None:
        # Without a microphone the button would only disappoint: never shown, whatever the layout does.
        super().setVisible(visible and self.available)

    def text(self, key: str) -> str:
        return TEXTS[self.language][key]

    def set_language(self, language: str) -> None:
        self.language = language if language in TEXTS else "zh"
        if self.state == "idle":
            self._show_idle(self.text("guide"))

    def start_recording(self) -> None:
        if self.state != "idle" or self.open_microphone is None:
            return
        open_microphone = self.open_microphone
        self.pending = None
        self.state = "recording"
        stop_requested = self._stop_requested = threading.Event()
        cancel_requested = self._cancel_requested = threading.Event()
        self._recorder = None
        self.meter.setValue(0)
        self.timer.setText(self._timer_text(0.0))
        self.status.setText(self.text("guide"))
        self.busy_changed.emit(True)

        def record() -> Recording:  # worker thread
            source = open_microphone()
            try:
                if self._vad is None:
                    self._vad = self._vad_factory()
                recorder = Recorder(
                    source,
                    self._vad,
                    self.settings,
                    on_level=self._progress.level.emit,
                    on_tick=self._progress.elapsed.emit,
                )
                self._recorder = recorder  # first publish, then look at the flags (see stop_recording)
                if cancel_requested.is_set():
                    recorder.cancel()
                elif stop_requested.is_set():
                    recorder.stop()
                return recorder.record()
            finally:
                source.close()

        self._task = run_in_background(record, on_done=self._recorded, on_error=self._recording_failed, pool=self._pool)

    def stop_recording(self) -> None:
        """Finish now and keep what was said (the second tap, or letting go of the button)."""
        if self.state != "recording":
            return
        self._mode = "stopping"
        self._stop_requested.set()
        recorder = self._recorder
        if recorder is not None:
            recorder.stop()

    def cancel(self) -> None:
        """Drop everything: the person left the screen or the kiosk went back to the start."""
        self._cancel_requested.set()
        self._stop_requested.set()
        recorder = self._recorder
        if recorder is not None:
            recorder.cancel()
        if self._task is not None:
            self._task.discard()
            self._task = None
        self.pending = None
        was_busy = self.state != "idle"
        self._show_idle(self.text("guide"))
        if was_busy:
            self.busy_changed.emit(False)

    def hideEvent(self, event: QHideEvent) -> None:
        # The screen changed while the microphone was open: nobody is talking to this screen any
        # more. A recording already being transcribed is kept (``pending``), not thrown away.
        if self.state == "recording":
            self.cancel()
        super().hideEvent(event)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """For shutdown and tests: wait for the worker to finish (it runs at most one job)."""
        return self._pool.waitForDone(round(timeout * 1000))

    # -- button ------------------------------------------------------------------------------------

    def _on_pressed(self) -> None:
        if self.state == "idle":
            self._pressed_at = time.monotonic()
            self._mode = "pressed"
            self.button.setText(self.text("hold"))
            self.start_recording()
        elif self.state == "recording" and self._mode == "tap":
            self.stop_recording()

    def _on_released(self) -> None:
        if self.state != "recording" or self._mode != "pressed":
            return
        if time.monotonic() - self._pressed_at >= HOLD_SECONDS:
            self.stop_recording()
        else:
            self._mode = "tap"
            self.button.setText(self.text("tap"))

    # -- results (UI thread) -------------------------------------------------------------------------

    def _recorded(self, recording: Recording) -> None:
        self._task = None
        self._recorder = None
        if recording.reason is StopReason.CANCELLED:
            self._finish(self.text("guide"))
            return
        if not recording.has_speech:
            self._finish(self.text("no_speech"), failure=True)
            return
        self.state = "working"
        self._mode = ""
        self.meter.setValue(0)
        self.button.setText(self.text("working"))
        self.button.setEnabled(False)
        self.status.setText(self.text("working"))
        recognizer = self.recognizer
        duration = recording.duration

        def encode_and_transcribe() -> tuple[bytes, str, str]:  # worker thread
            flac = pcm.flac_bytes(recording.pcm16, recording.sample_rate)
            if recognizer is None:
                return flac, "", TRANSCRIPT_UNAVAILABLE
            try:
                text = recognizer.transcribe(recording.pcm16, recording.sample_rate).strip()
            except DeviceError as exc:
                log.warning("recognition failed: %s", exc.message_en)
                return flac, "", TRANSCRIPT_FAILED
            return flac, text, TRANSCRIPT_OK if text else TRANSCRIPT_EMPTY

        self._task = run_in_background(
            encode_and_transcribe,
            on_done=lambda result: self._transcribed(result, duration),
            on_error=self._encoding_failed,
            pool=self._pool,
        )

    def _transcribed(self, result: tuple[bytes, str, str], duration: float) -> None:
        self._task = None
        flac, text, status = result
        self.pending = PendingVoiceMessage(flac, duration, text, status)
        self.recorded.emit(flac, duration)
        if status == TRANSCRIPT_OK:
            self._finish(self.text("transcribed"))
            self.transcribed.emit(text)
        else:
            self._finish(self.text("no_engine" if status == TRANSCRIPT_UNAVAILABLE else "not_written"), failure=True)

    def _recording_failed(self, error: BaseException) -> None:
        self._task = None
        self._recorder = None
        log.warning("recording failed: %s", getattr(error, "message_en", error))
        self._finish(self.text("mic_failed"), failure=True)

    def _encoding_failed(self, error: BaseException) -> None:
        self._task = None
        log.error("could not encode the recording", exc_info=error)
        self._finish(self.text("save_failed"), failure=True)

    # -- look ----------------------------------------------------------------------------------------

    def _finish(self, message: str, *, failure: bool = False) -> None:
        self._show_idle(message)
        self.busy_changed.emit(False)
        if failure:
            self.failed.emit(message)

    def _show_idle(self, message: str) -> None:
        self.state = "idle"
        self._mode = ""
        self.button.setEnabled(True)
        self.button.setText(self.text("idle"))
        self.meter.setValue(0)
        self.status.setText(message)

    def _timer_text(self, seconds: float) -> str:
        return f"{clock_text(seconds)} / {clock_text(self.settings.max_seconds)}"
