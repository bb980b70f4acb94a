"""A voice message at the officer's desk: play/pause, a waveform that fills as it plays, the transcript.

The audio is fetched when play is pressed, not when the message is shown: the server writes one
audit row per fetch, so the log says who actually listened. Pause keeps the audio and resumes
where it stopped; once it has played to the end, the next play fetches (and is audited) again.

Fetching, decoding and playing run on worker threads; the UI only reads the play position on a
50 ms timer. Without an output device the play button is disabled and the widget says so; the
transcript is still there to read.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QStyle, QVBoxLayout, QWidget

from suqiu_devices import DeviceUnavailable
from suqiu_devices.microphone.playback import Clip, ClipOutput, decode_clip, open_output, waveform_peaks
from suqiu_queue.client import ClientError, SuqiuClient

log = logging.getLogger(__name__)

BARS = 120
NO_OUTPUT = "本机没有可用的扬声器或耳机，无法播放；请阅读下方文字。"
TRANSCRIPT_NOTES = {
    "empty": "（没有识别出文字，请直接收听）",
    "failed": "（自助机这次没能转成文字，请直接收听）",
    "unavailable": "（自助机未安装语音识别，请直接收听）",
}


def default_output() -> ClipOutput | None:
    """The PC's sound output, or None (the player then says it cannot play)."""
    try:
        return open_output("sounddevice")
    except DeviceUnavailable as exc:
        log.info("no audio output: %s", exc.message_en)
        return None


def clock_text(seconds: float) -> str:
    whole = int(seconds + 0.5)
    return f"{whole // 60}:{whole % 60:02d}"


class Waveform(QWidget):
    """Bars of the recording's loudness; the played part is dark. A click asks to seek there."""

    seek_requested = Signal(float)  # fraction 0..1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.peaks: list[float] = []
        self.fraction = 0.0
        self.setMinimumHeight(48)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(360, 48)

    def set_peaks(self, peaks: list[float]) -> None:
        top = max(peaks, default=0.0) or 1.0
        self.peaks = [p / top for p in peaks]  # quiet recordings still fill the height
        self.update()

    def set_fraction(self, fraction: float) -> None:
        self.fraction = min(1.0, max(0.0, fraction))
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.peaks and self.width() > 0:
            self.seek_requested.emit(event.position().x() / self.width())

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        width, height = self.width(), self.height()
        if not self.peaks:
            # Not fetched yet: a flat line the length of the message, so the bar still shows progress.
            painter.setBrush(QColor("#C9D3E0"))
            painter.drawRoundedRect(QRectF(0, height / 2 - 2, width, 4), 2, 2)
            painter.setBrush(QColor("#0B5CAD"))
            painter.drawRoundedRect(QRectF(0, height / 2 - 2, width * self.fraction, 4), 2, 2)
            return
        step = width / len(self.peaks)
        for i, peak in enumerate(self.peaks):
            bar = max(2.0, peak * (height - 4))
            played = (i + 0.5) / len(self.peaks) <= self.fraction
            painter.setBrush(QColor("#0B5CAD" if played else "#B7C6D8"))
            painter.drawRoundedRect(QRectF(i * step + 1, (height - bar) / 2, max(1.0, step - 2), bar), 1, 1)


class _Relay(QObject):
    """Lives on the UI thread; worker threads emit, the slots run here."""

    fetched = Signal(object, object)  # (Clip | None, error | None)
    finished = Signal(int, int)  # (run number, frame reached or -1 on a device error)


class VoiceMessagePlayer(QWidget):
    error = Signal(str)  # a sentence for the status line (fetch refused, server unreachable)

    def __init__(self, output: ClipOutput | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("VoiceMessagePlayer")
        self.output = output
        self.message: dict[str, Any] = {}
        self.clip: Clip | None = None
        self.state = "stopped"  # stopped | fetching | playing | paused
        self.position = 0  # frames
        self._fetch: Callable[[], bytes] | None = None
        self._stop = threading.Event()
        self._run = 0  # numbers each play; a finished report from an older run is ignored
        self._seek_to: int | None = None  # set while a seek restarts playback
        self._relay = _Relay(self)
        self._relay.fetched.connect(self._on_fetched)
        self._relay.finished.connect(self._on_finished)
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._refresh)

        self.play_button = QPushButton("播放")
        self.play_button.setObjectName("VoicePlay")
        self.play_button.clicked.connect(self.toggle)
        self.waveform = Waveform()
        self.waveform.seek_requested.connect(self.seek)
        self.time_label = QLabel("0:00 / 0:00")
        self.time_label.setObjectName("VoiceTime")
        self.status = QLabel("")
        self.status.setObjectName("VoiceStatus")
        self.status.setWordWrap(True)
        self.transcript = QLabel("")
        self.transcript.setObjectName("VoiceTranscript")
        self.transcript.setWordWrap(True)
        self.transcript.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        row = QHBoxLayout()
        row.addWidget(self.play_button, 0)
        row.addWidget(self.waveform, 1)
        row.addWidget(self.time_label, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.transcript)
        self._update_button()
        if output is None:
            self.status.setText(NO_OUTPUT)

    # -- what to play ---------------------------------------------------------------------------------

    @property
    def duration(self) -> float:
        if self.clip is not None:
            return self.clip.duration
        return float(self.message.get("duration_s") or 0.0)

    def set_message(self, message: dict[str, Any], fetch_audio: Callable[[], bytes]) -> None:
        """``message``: an item of ``client.voice_messages(...)``; ``fetch_audio`` is called on a worker."""
        self.stop()
        self.message = dict(message)
        self._fetch = fetch_audio
        self.clip = None
        self.position = 0
        self.waveform.set_peaks([])
        self.waveform.set_fraction(0.0)
        text = str(message.get("transcript") or "")
        note = TRANSCRIPT_NOTES.get(str(message.get("transcript_status")), "") if not text else ""
        self.transcript.setText(f"文字：{text}" if text else note)
        self._refresh()

    def set_client_message(self, client: SuqiuClient, message: dict[str, Any]) -> None:
        self.set_message(message, lambda: client.voice_message_audio(int(message["id"])))

    # -- controls -----------------------------------------------------------------------------------------

    def toggle(self) -> None:
        if self.state == "playing":
            self.pause()
        elif self.state in ("stopped", "paused"):
            self.play()

    def play(self) -> None:
        if self.output is None or self._fetch is None or self.state in ("playing", "fetching"):
            return
        if self.clip is None:
            self._start_fetch()
        else:
            self._start_playing()

    def pause(self) -> None:
        if self.state == "playing":
            self._stop.set()  # the worker returns the frame reached; _on_finished records it
            self.state = "paused"
            self._update_button()

    def stop(self) -> None:
        """Stop and forget the position (another message was chosen, or the panel closed)."""
        self._stop.set()
        self.state = "stopped"
        self.position = 0
        self._timer.stop()
        self._update_button()

    def seek(self, fraction: float) -> None:
        if self.clip is None:
            return
        frame = int(min(1.0, max(0.0, fraction)) * self.clip.frames)
        if self.state == "playing":
            self._seek_to = frame  # the running play stops; _on_finished starts again from here
            self._stop.set()
        else:
            self.position = frame
            self._refresh()

    # -- workers ------------------------------------------------------------------------------------------

    def _start_fetch(self) -> None:
        fetch = self._fetch
        assert fetch is not None
        self.state = "fetching"
        self.status.setText("正在读取录音…")
        self._update_button()
        relay = self._relay

        def work() -> None:
            try:
                clip = decode_clip(fetch())
            except (ClientError, ValueError, OSError) as exc:
                relay.fetched.emit(None, exc)
            else:
                relay.fetched.emit(clip, None)

        threading.Thread(target=work, name="suqiu-voice-fetch", daemon=True).start()

    def _on_fetched(self, clip: Clip | None, error: BaseException | None) -> None:
        if self.state != "fetching":
            return  # stopped meanwhile
        if clip is None:
            message = getattr(error, "message", None) or "录音读取失败，请稍后再试"
            self.state = "stopped"
            self.status.setText(str(message))
            self._update_button()
            self.error.emit(str(message))
            return
        self.clip = clip
        self.waveform.set_peaks(waveform_peaks(clip, BARS))
        self.status.setText("")
        self._start_playing()

    def _start_playing(self) -> None:
        assert self.output is not None and self.clip is not None
        if self.position >= self.clip.frames:
            self.position = 0
        self._stop = stop = threading.Event()
        self._run += 1
        run = self._run
        self.state = "playing"
        self._update_button()
        self._timer.start()
        output, clip, start = self.output, self.clip, self.position
        relay = self._relay

        def on_position(frame: int) -> None:
            if not stop.is_set():
                self.position = frame

        def work() -> None:
            try:
                reached = output.play(clip, start, stop, on_position)
            except Exception as exc:  # a device unplugged mid-play: report, never crash the desk
                log.warning("playback failed: %s", exc)
                reached = -1
            relay.finished.emit(run, reached)

        threading.Thread(target=work, name="suqiu-voice-play", daemon=True).start()

    def _on_finished(self, run: int, reached: int) -> None:
        if run != self._run:
            return  # an older play, already replaced by a newer one
        if self._seek_to is not None and self.state == "playing":
            self.position, self._seek_to = self._seek_to, None
            self._start_playing()
            return
        self._timer.stop()
        if reached < 0:
            self.status.setText("播放中断，请检查扬声器或耳机")
            self.state = "paused"
        elif self.state == "playing" and self.clip is not None and reached >= self.clip.frames:
            # Played to the end: the next play starts over and fetches again (one audit row per listen).
            self.state = "stopped"
            self.position = 0
            self.clip = None
        elif self.state == "paused":
            self.position = reached
        self._update_button()
        self._refresh()

    # -- look ---------------------------------------------------------------------------------------------

    def _update_button(self) -> None:
        # The style's own media icons: the desk PCs' fonts may lack the ▶ / ⏸ characters.
        labels = {"playing": "暂停", "fetching": "读取中…", "paused": "继续", "stopped": "播放"}
        icon = QStyle.StandardPixmap.SP_MediaPause if self.state == "playing" else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setText(labels[self.state])
        self.play_button.setEnabled(self.output is not None and self.state != "fetching")

    def _refresh(self) -> None:
        rate = self.clip.sample_rate if self.clip is not None else 0
        elapsed = self.position / rate if rate else 0.0
        total = self.duration
        self.waveform.set_fraction(elapsed / total if total else 0.0)
        self.time_label.setText(f"{clock_text(elapsed)} / {clock_text(total)}")


class VoiceMessagesPanel(QWidget):
    """All voice messages of a ticket or a case, newest last, one player each."""

    def __init__(self, client: SuqiuClient, output: ClipOutput | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.output = output
        self.players: list[VoiceMessagePlayer] = []
        self.title = QLabel("语音留言")
        self.title.setObjectName("VoiceMessagesTitle")
        self.empty = QLabel("没有语音留言")
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.title)
        self._layout.addWidget(self.empty)
        self._relay = _ListRelay(self)
        self._relay.listed.connect(self._show)

    def show_for(self, *, ticket_id: int | None = None, case_id: int | None = None) -> None:
        """Fetch the list on a worker (the server audits the read) and show it."""
        client, relay = self.client, self._relay

        def work() -> None:
            try:
                relay.listed.emit(client.voice_messages(ticket_id=ticket_id, case_id=case_id), None)
            except ClientError as exc:
                relay.listed.emit([], exc)

        threading.Thread(target=work, name="suqiu-voice-list", daemon=True).start()

    def _show(self, items: list[dict[str, Any]], error: BaseException | None) -> None:
        for player in self.players:
            player.stop()
            player.deleteLater()
        self.players = []
        if error is not None:
            self.empty.setText(str(getattr(error, "message", "语音留言读取失败")))
            self.empty.show()
            return
        self.empty.setText("没有语音留言")
        self.empty.setVisible(not items)
        for item in items:
            player = VoiceMessagePlayer(self.output)
            player.set_client_message(self.client, item)
            self._layout.addWidget(player)
            self.players.append(player)


class _ListRelay(QObject):
    listed = Signal(object, object)  # (items, error | None)
