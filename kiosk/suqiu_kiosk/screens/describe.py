"""Describe (optional): quick-pick topics and a short text typed on the on-screen pinyin keyboard —
or spoken: where the kiosk has a microphone, 按住说话 records, the words land in the text box (to
check and correct), and the recording goes with the ticket as a voice message for the officer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QBoxLayout, QGridLayout, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ..keyboard.widget import PinyinKeyboard
from ..topics import TOPICS
from ..voice import VoiceInputWidget
from ..widgets import button, label
from .base import Screen

if TYPE_CHECKING:
    from ..window import KioskWindow

MAX_TEXT = 200  # a short description; the officer asks for the rest in person


class DescribeScreen(Screen):
    step = "describe"

    def __init__(self, kiosk: KioskWindow) -> None:
        super().__init__(kiosk)
        self.portrait = True
        self._label_topics = True
        self.field = QLineEdit()
        self.field.setMaxLength(MAX_TEXT)
        self.topics_label = label("", "hint")
        self.chip_host = QWidget()
        self.chip_grid = QGridLayout(self.chip_host)
        self.chip_grid.setContentsMargins(0, 0, 0, 0)
        self.chip_grid.setSpacing(12)
        self.chips: list[QPushButton] = []
        self.keyboard = PinyinKeyboard(self.field)
        self.keyboard.typed.connect(self.kiosk.touched)
        # Hidden by itself without a microphone.
        self.voice = VoiceInputWidget(kiosk.open_microphone, kiosk.recognizer, language=kiosk.flow.language)
        self.voice.transcribed.connect(self.add_spoken_text)
        self.voice.busy_changed.connect(self._voice_busy)
        self.voice.busy_changed.connect(lambda _busy: self.kiosk.touched())

        self.back_button = button("", "quiet")
        self.skip_button = button("")
        self.next_button = button("", "primary")
        self.back_button.clicked.connect(self.kiosk.go_back)
        self.skip_button.clicked.connect(self.kiosk.skip_describe)
        self.next_button.clicked.connect(lambda: self.kiosk.finish_describe(self.field.text()))
        self.nav = QWidget()
        nav = QHBoxLayout(self.nav)
        nav.setContentsMargins(0, 0, 0, 0)
        nav.addWidget(self.back_button, 1)
        nav.addWidget(self.skip_button, 1)
        nav.addWidget(self.next_button, 2)

        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(16)
        for widget in (self.title, self.hint, self.field, self.voice, self.error, self.topics_label, self.chip_host):
            column.addWidget(widget)
        column.addStretch(1)
        self.column = column
        # Portrait: text above, keyboard below. Landscape: text left, keyboard right.
        self.body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.body.setSpacing(20)
        self.body.addWidget(left, 1)
        self.body.addWidget(self.keyboard, 0)
        self.outer.addLayout(self.body, 1)
        self.outer.addWidget(self.nav)
        self.relayout(True)
        self.retranslate()

    def relayout(self, portrait: bool) -> None:
        self.portrait = portrait
        self.body.setDirection(QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight)
        # With 按住说话 under the text, a landscape screen gives the text column half the width, so the
        # voice guidance and three topic chips a row fit (the keyboard keeps its size).
        voice = self.voice.available
        self.body.setStretch(0, 1 if portrait or voice else 2)
        self.body.setStretch(1, 0 if portrait else 1 if voice else 3)
        # Landscape is short: the buttons go under the text, beside the keyboard.
        if portrait:
            self.column.removeWidget(self.nav)
            self.outer.addWidget(self.nav)
        else:
            self.outer.removeWidget(self.nav)
            self.column.addWidget(self.nav)
        # The voice button's own line says how to speak; the general hint would only repeat it. On a
        # landscape screen the chips go without their "常见事项" heading too: the height is needed.
        self.hint.setVisible(not voice)
        self._label_topics = portrait or not voice
        self.topics_label.setVisible(self._label_topics and bool(self.chips))
        self.outer.invalidate()
        self._place_chips()

    def _place_chips(self) -> None:
        for chip in self.chips:
            self.chip_grid.removeWidget(chip)
        columns = 3 if self.portrait or self.voice.available else 2
        for i, chip in enumerate(self.chips):
            self.chip_grid.addWidget(chip, i // columns, i % columns)

    def enter(self) -> None:
        super().enter()
        visit = self.flow.visit
        for chip in self.chips:
            chip.setParent(None)
            chip.deleteLater()
        self.chips = []
        names = TOPICS.get(visit.category, {})
        for zh, shown in zip(names.get("zh", []), names.get(self.language, names.get("zh", [])), strict=False):
            chip = button(shown, "chip")
            chip.setCheckable(True)
            chip.setChecked(zh in visit.topics)
            # The officer reads Chinese, whatever language the visitor chose.
            chip.clicked.connect(lambda _=False, z=zh: self.kiosk.toggle_topic(z))
            chip.setProperty("topic", zh)
            self.chips.append(chip)
        self._place_chips()
        self.topics_label.setVisible(self._label_topics and bool(self.chips))
        self.field.setText(visit.text)
        self.field.setFocus()
        self.set_busy(self.flow.busy)

    def chip(self, topic: str) -> QPushButton:
        return next(c for c in self.chips if c.property("topic") == topic)

    def set_busy(self, busy: bool) -> None:
        listening = self.voice.state != "idle"
        self.next_button.setEnabled(not busy and not listening)
        self.skip_button.setEnabled(not busy and not listening)
        self.next_button.setText(self.t("please_wait") if busy else self.t("next"))

    def _voice_busy(self, _busy: bool) -> None:
        # While recording or transcribing, 下一步 would send the visit without the words being said.
        self.set_busy(self.flow.busy)

    def add_spoken_text(self, text: str) -> None:
        """The recognizer's words go after what is already there; the person can correct them."""
        current = self.field.text().rstrip()
        joined = f"{current}{'，' if current and not current.endswith(('，', '。')) else ''}{text}" if current else text
        self.field.setText(joined[:MAX_TEXT])
        self.field.setFocus()

    def voice_pending(self) -> Any:
        """The recording to send with the ticket (a PendingVoiceMessage), or None."""
        return self.voice.pending

    def retranslate(self) -> None:
        self.title.setText(self.t("describe_title"))
        self.hint.setText(self.t("describe_hint"))
        self.field.setPlaceholderText(self.t("describe_placeholder"))
        self.topics_label.setText(self.t("topics"))
        self.back_button.setText(self.t("back"))
        self.skip_button.setText(self.t("skip"))
        self.next_button.setText(self.t("next"))
        self.keyboard.retranslate(self.language)
        self.voice.set_language(self.language)

    def wipe(self) -> None:
        self.field.clear()
        self.keyboard.reset()
        self.voice.cancel()  # a recording is this visit's only

    def shutdown(self) -> None:
        self.voice.cancel()
        self.voice.wait_idle(5.0)
