"""The on-screen pinyin keyboard: QWERTY keys, the pinyin line, and a bar of real words.

Tap g-o-n-g-z-i and the bar offers 工资 first; tap it and 工资 is typed into the target field.
Space takes the first word; 确定 types the letters themselves; ⌫ deletes a letter of the pinyin
(or, with no pinyin, a character of the text). 中/英 switches to plain letters. Keys never take
focus, so the text field keeps its cursor, as with a real input method.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..texts import tr
from .composer import Composer
from .lexicon import shared

LETTER_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm'")
DIGIT_ROW = "1234567890"
BACKSPACE = "⌫"
MAX_CANDIDATES_SHOWN = 12


def _key(text: str, role: str = "key") -> QPushButton:
    button = QPushButton(text)
    button.setProperty("role", role)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    button.setAutoRepeat(text == BACKSPACE)
    return button


class PinyinKeyboard(QFrame):
    typed = Signal()  # the target's text changed through the keyboard (the idle timer listens)

    def __init__(self, target: QLineEdit | QPlainTextEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Keyboard")
        self.target = target
        self.language = "zh"
        self.chinese = True
        self._composer: Composer | None = None
        # Candidate pages are as wide as the bar: starts of the pages seen so far, for ◀.
        self.page_starts = [0]
        self.keys: dict[str, QPushButton] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(8)

        # The keyboard keeps its natural height wherever it sits; extra room goes elsewhere.
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        self.pinyin_line = QLabel("")
        self.pinyin_line.setObjectName("PinyinLine")
        self.pinyin_line.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        layout.addWidget(self.pinyin_line)

        self.candidate_bar = QFrame()
        self.candidate_bar.setObjectName("CandidateBar")
        bar = QHBoxLayout(self.candidate_bar)
        bar.setContentsMargins(6, 4, 6, 4)
        bar.setSpacing(4)
        self._candidate_buttons: list[QPushButton] = []
        for i in range(MAX_CANDIDATES_SHOWN):
            button = _key("", "candidate")
            button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            button.setMinimumWidth(1)  # the bar decides how many fit; never let it widen the window
            button.hide()
            button.clicked.connect(lambda _=False, i=i: self._pick(i))
            self._candidate_buttons.append(button)
            bar.addWidget(button)
        bar.addStretch(1)
        self.prev_button = _key("◀", "key-wide")
        self.next_button = _key("▶", "key-wide")
        for button in (self.prev_button, self.next_button):
            # Always there (disabled when there is nothing to turn to): they hold the bar's height.
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            bar.addWidget(button)
        self.prev_button.clicked.connect(lambda: self._turn(-1))
        self.next_button.clicked.connect(lambda: self._turn(1))
        layout.addWidget(self.candidate_bar)

        for row in (DIGIT_ROW, *LETTER_ROWS):
            line = QHBoxLayout()
            line.setSpacing(8)
            if row == LETTER_ROWS[1]:
                line.addStretch(1)
            for char in row:
                button = _key(char)
                button.clicked.connect(lambda _=False, c=char: self.press(c))
                self.keys[char] = button
                line.addWidget(button, 2)
            if row == LETTER_ROWS[1]:
                line.addStretch(1)
            if row == LETTER_ROWS[2]:
                back = _key(BACKSPACE, "key-wide")
                back.clicked.connect(lambda: self.press(BACKSPACE))
                self.keys[BACKSPACE] = back
                line.addWidget(back, 3)
            layout.addLayout(line)

        bottom = QHBoxLayout()
        bottom.setSpacing(8)
        self.mode_button = _key("中", "key-wide")
        self.mode_button.clicked.connect(self.toggle_mode)
        self.space_button = _key("", "key-wide")
        self.space_button.clicked.connect(lambda: self.press(" "))
        self.confirm_button = _key("", "key-wide")
        self.confirm_button.clicked.connect(lambda: self.press("\n"))
        comma, period = _key("，", "key-wide"), _key("。", "key-wide")
        comma.clicked.connect(lambda: self.press("，"))
        period.clicked.connect(lambda: self.press("。"))
        self.keys.update({" ": self.space_button, "\n": self.confirm_button, "，": comma, "。": period})
        bottom.addWidget(self.mode_button, 2)
        bottom.addWidget(comma, 2)
        bottom.addWidget(self.space_button, 6)
        bottom.addWidget(period, 2)
        bottom.addWidget(self.confirm_button, 3)
        layout.addLayout(bottom)
        self.retranslate("zh")
        self._refresh()

    # --- for screens and tests ---------------------------------------------------------------------

    @property
    def composer(self) -> Composer:
        if self._composer is None:
            self._composer = Composer(shared())
        return self._composer

    def key(self, char: str) -> QPushButton:
        return self.keys[char]

    def candidate_buttons(self) -> list[QPushButton]:
        return [b for b in self._candidate_buttons if b.text() and not b.isHidden()]

    def retranslate(self, language: str) -> None:
        self.language = language
        self.space_button.setText(tr("kb_space", language))
        self.confirm_button.setText(tr("kb_confirm", language))
        self._refresh()

    def reset(self) -> None:
        if self._composer is not None:
            self._composer.clear()
        self.page_starts = [0]
        self._refresh()

    # --- typing ------------------------------------------------------------------------------------

    def press(self, char: str) -> None:
        if char == BACKSPACE:
            if not (self.chinese and self.composer.backspace()):
                self._delete_previous()
        elif char == " ":
            if self.chinese and self.composer.composing:
                self._insert(self.composer.commit_first())
            else:
                self._insert(" ")
        elif char == "\n":
            if self.chinese and self.composer.composing:
                self._insert(self.composer.commit_letters())
        elif char.isascii() and (char.isalpha() or char == "'") and self.chinese:
            self.composer.type(char)
        else:
            if self.chinese and self.composer.composing:
                self._insert(self.composer.commit_first())
            self._insert(char)
        self.page_starts = [0]
        self._refresh()
        self.typed.emit()

    def toggle_mode(self) -> None:
        if self.chinese and self.composer.composing:
            self._insert(self.composer.commit_letters())
        self.chinese = not self.chinese
        self.mode_button.setText("中" if self.chinese else "英")
        self._refresh()

    def _pick(self, index: int) -> None:
        absolute = self.page_starts[-1] + index
        if absolute < len(self.composer.candidates):
            self._insert(self.composer.pick(absolute))
            self.page_starts = [0]
            self._refresh()
            self.typed.emit()

    def _turn(self, delta: int) -> None:
        if delta > 0 and self._next_start < len(self.composer.candidates):
            self.page_starts.append(self._next_start)
        elif delta < 0 and len(self.page_starts) > 1:
            self.page_starts.pop()
        self._refresh()

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._refresh()

    def _insert(self, text: str) -> None:
        if not text:
            return
        if isinstance(self.target, QLineEdit):
            self.target.insert(text)
        else:
            self.target.insertPlainText(text)

    def _delete_previous(self) -> None:
        if isinstance(self.target, QLineEdit):
            self.target.backspace()
        else:
            cursor = self.target.textCursor()
            cursor.deletePreviousChar()
            self.target.setTextCursor(cursor)

    def _refresh(self) -> None:
        composing = self._composer is not None and self._composer.composing and self.chinese
        candidates = self._composer.candidates if composing and self._composer else []
        self.pinyin_line.setText(
            self._composer.display() if composing and self._composer else tr("kb_hint", self.language)
        )
        # Fill the bar with as many words as fit its width; the rest are one ▶ away.
        start = self.page_starts[-1]
        room = (
            self.candidate_bar.width() - self.prev_button.sizeHint().width() - self.next_button.sizeHint().width() - 40
        )
        used = 0
        shown = 0
        for i, button in enumerate(self._candidate_buttons):
            index = start + i
            fits = index < len(candidates)
            if fits:
                button.setText(candidates[index].word)
                width = button.sizeHint().width() + 4
                fits = shown == 0 or used + width <= room
                used += width
            if fits:
                shown += 1
            button.setVisible(fits)
            if not fits:
                button.setText("")
        self._next_start = start + shown
        self.prev_button.setEnabled(len(self.page_starts) > 1)
        self.next_button.setEnabled(self._next_start < len(candidates))
