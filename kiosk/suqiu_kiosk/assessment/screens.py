"""The pages of the self-assessment. Each draws itself from the flow (``render``) and exposes its
buttons; ``AssessmentFlowWidget`` connects them to the flow's actions. No page talks to the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from .config import AssessmentConfig
from .model import AssessmentFlow, Question, ScaleInfo
from .style import ANSWER_HEIGHT_PX, LANDSCAPE_ANSWER_HEIGHT_PX, min_touch_px
from .texts import SCALE_TOPICS, long_date, tr


def make_label(text: str = "", role: str | None = None, *, wrap: bool = True) -> QLabel:
    widget = QLabel(text)
    if role:
        widget.setProperty("role", role)
    widget.setWordWrap(wrap)
    widget.setTextFormat(Qt.TextFormat.PlainText)  # server and scale text is shown, never interpreted
    return widget


def make_button(text: str = "", role: str | None = None) -> QPushButton:
    widget = QPushButton(text)
    if role:
        widget.setProperty("role", role)
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a touchscreen: focus rings only distract
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    widget.setMinimumHeight(min_touch_px())
    return widget


def _restyle(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()


class ChoiceCard(QFrame):
    """A large tappable card with a title and wrapped explanation (a QPushButton cannot wrap text)."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None, *, featured: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("ChoiceCard")
        self.setProperty("featured", featured)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setMinimumHeight(min_touch_px())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        layout.setSpacing(8)
        self.title = make_label("", "card-title")
        self.body = make_label("", "card-body")
        self.note = make_label("", "a-small")
        for widget in (self.title, self.body, self.note):
            widget.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            layout.addWidget(widget)
        self.note.hide()
        self._pressed = False

    def set_texts(self, title: str, body: str, note: str = "") -> None:
        self.title.setText(title)
        self.body.setText(body)
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.setAccessibleName(title)

    def changeEvent(self, event: QEvent) -> None:
        # Qt style sheets cannot style children by a parent's :disabled state: use a property.
        if event.type() == QEvent.Type.EnabledChange:
            self.setProperty("dim", not self.isEnabled())
            _restyle(self)
            for child in self.findChildren(QLabel):
                _restyle(child)
        super().changeEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._pressed = event.button() == Qt.MouseButton.LeftButton
        self.setProperty("down", self._pressed)
        _restyle(self)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        was_pressed, self._pressed = self._pressed, False
        self.setProperty("down", False)
        _restyle(self)
        if was_pressed and self.rect().contains(event.position().toPoint()) and self.isEnabled():
            self.clicked.emit()


class Page(QWidget):
    def __init__(self, *, calm: bool = False) -> None:
        super().__init__()
        self.setProperty("assessmentPage", True)
        self.setProperty("calm", calm)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(56, 44, 56, 44)
        self.outer.setSpacing(24)

    def scrolled(self) -> QVBoxLayout:
        """A scrollable column inside the page, for content that may be taller than the screen."""
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(24)
        area.setWidget(inner)
        self.outer.addWidget(area, 1)
        return column


def _bottom_row(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(20)
    for b in buttons:
        row.addWidget(b)
    return row


def _block(*widgets: QWidget, spacing: int = 24) -> QWidget:
    """Widgets stacked in a plain holder, so a page can move them as one between its columns."""
    holder = QWidget()
    column = QVBoxLayout(holder)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(spacing)
    for widget in widgets:
        column.addWidget(widget)
    return holder


def _clear(layout: QBoxLayout) -> None:
    """Empty a layout without deleting its widgets (they are placed again at once)."""
    while layout.count():
        layout.takeAt(0)


class Columns:
    """Portrait: one column. Landscape (a screen only 1080 px high): two columns side by side.

    The pages were drawn for a 1080×1920 portrait kiosk; on a landscape kiosk the question and its
    answers, or the crisis screen's kind words and its hotline, would not fit one above the other.
    """

    def __init__(self, outer: QVBoxLayout) -> None:
        self.row = QHBoxLayout()
        self.row.setSpacing(40)
        self.left = QVBoxLayout()
        self.right = QVBoxLayout()
        for column in (self.left, self.right):
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(24)
        self.row.addLayout(self.left, 1)
        self.row.addLayout(self.right, 0)
        outer.addLayout(self.row, 1)

    def place(self, left: list[QWidget | None], right: list[QWidget | None]) -> None:
        """``None`` is a stretch. An empty ``right`` gives the left column the whole width."""
        for layout, items in ((self.left, left), (self.right, right)):
            _clear(layout)
            for item in items:
                if item is None:
                    layout.addStretch(1)
                else:
                    layout.addWidget(item)
        self.row.setStretch(1, 1 if right else 0)


class MessagePage(Page):
    """Loading, handing in, or a calm error with 重试 / 退出."""

    def __init__(self) -> None:
        super().__init__()
        self.message = make_label("", "a-title")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = make_label("", "a-hint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.retry_button = make_button("", "primary")
        self.leave_button = make_button("", "quiet")
        self.outer.addStretch(2)
        self.outer.addWidget(self.message)
        self.outer.addWidget(self.hint)
        self.outer.addStretch(1)
        self.outer.addLayout(_bottom_row(self.leave_button, self.retry_button))
        self.outer.addStretch(2)

    def show_message(self, message: str, hint: str = "", *, retry: str = "", leave: str = "") -> None:
        self.message.setText(message)
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        self.retry_button.setText(retry)
        self.retry_button.setVisible(bool(retry))
        self.leave_button.setText(leave)
        self.leave_button.setVisible(bool(leave))


class PickPage(Page):
    """The default screening first and largest, then each scale on its own."""

    scale_chosen = Signal(object)  # tuple of scale ids

    def __init__(self) -> None:
        super().__init__()
        self.title = make_label("", "a-title")
        self.hint = make_label("", "a-hint")
        self.default_card = ChoiceCard(featured=True)
        self.default_card.clicked.connect(lambda: self.scale_chosen.emit(self._default))
        self.others_label = make_label("", "a-hint")
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.hint)
        self.outer.addSpacing(8)
        self.outer.addWidget(self.default_card)
        self.outer.addSpacing(8)
        self.outer.addWidget(self.others_label)
        column = self.scrolled()
        self.others = QVBoxLayout()
        self.others.setSpacing(16)
        column.addLayout(self.others)
        column.addStretch(1)
        self.leave_button = make_button("", "quiet")
        # Only for a person the kiosk identified (and where the site offers it): their own earlier results.
        self.mine_button = make_button("")
        self.mine_button.hide()
        self.outer.addLayout(_bottom_row(self.mine_button, self.leave_button))
        self.scale_cards: dict[str, ChoiceCard] = {}
        self._default: tuple[str, ...] = ()

    def render(self, flow: AssessmentFlow, language: str, *, offer_mine: bool = False) -> None:
        self.title.setText(tr("pick_title", language))
        self.hint.setText(tr("pick_hint", language))
        self.others_label.setText(tr("other_scales", language))
        self.leave_button.setText(tr("leave", language))
        self.mine_button.setText(tr("mine_open", language))
        self.mine_button.setVisible(offer_mine and flow.can_link)
        self._default = flow.default_available
        default_scales = [flow.scales[s] for s in self._default]
        self.default_card.setVisible(bool(default_scales))
        if default_scales:
            count = sum(len(s.items) for s in default_scales)
            minutes = max(1, sum(s.minutes for s in default_scales))
            names = " + ".join(s.short_name for s in default_scales)
            self.default_card.set_texts(
                tr("default_title", language), tr("default_detail", language, names=names, count=count, minutes=minutes)
            )
        if list(self.scale_cards) != list(flow.scales):
            self._rebuild(list(flow.scales.values()))
        for scale_id, card in self.scale_cards.items():
            scale = flow.scales[scale_id]
            topic = SCALE_TOPICS.get(scale_id)
            name = scale.name_en if language == "en" and scale.name_en else scale.name
            title = f"{topic[1 if language == 'en' else 0]} · {scale.short_name}" if topic else name
            detail = tr("scale_detail", language, count=len(scale.items), minutes=scale.minutes)
            card.set_texts(title, f"{name}\n{detail}" if topic else detail)

    def _rebuild(self, scales: Sequence[ScaleInfo]) -> None:
        for card in self.scale_cards.values():
            self.others.removeWidget(card)
            card.deleteLater()
        self.scale_cards = {}
        for scale in scales:
            card = ChoiceCard()
            card.clicked.connect(lambda s=scale.id: self.scale_chosen.emit((s,)))
            self.others.addWidget(card)
            card.show()  # visible at once, not after the next event-loop turn
            self.scale_cards[scale.id] = card


class ConsentPage(Page):
    """匿名 or 实名, each explained in one plain sentence, and what happens in a crisis either way."""

    def __init__(self) -> None:
        super().__init__()
        self.title = make_label("", "a-title")
        self.anonymous_card = ChoiceCard()
        self.linked_card = ChoiceCard()
        for card in (self.anonymous_card, self.linked_card):
            card.layout().setContentsMargins(36, 34, 36, 34)
            card.layout().setSpacing(14)
        self.note = make_label("", "a-notice")
        self.back_button = make_button("", "quiet")
        self.leave_button = make_button("", "quiet")
        self.outer.addWidget(self.title)
        self.outer.addSpacing(8)
        # Portrait: one card above the other. Landscape: side by side (the screen is not high enough).
        self.cards = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.cards.setSpacing(24)
        self.cards.addWidget(self.anonymous_card, 1)
        self.cards.addWidget(self.linked_card, 1)
        self.outer.addLayout(self.cards)
        self.outer.addWidget(self.note)
        self.outer.addStretch(1)
        self.outer.addLayout(_bottom_row(self.back_button, self.leave_button))

    def relayout(self, portrait: bool) -> None:
        self.cards.setDirection(QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight)

    def render(self, flow: AssessmentFlow, language: str) -> None:
        self.title.setText(tr("consent_title", language))
        self.anonymous_card.set_texts(
            tr("anonymous_title", language), tr("anonymous_body", language), tr("anonymous_fit", language)
        )
        fit = tr("linked_fit", language) if flow.can_link else tr("linked_needs_identity", language)
        self.linked_card.set_texts(tr("linked_title", language), tr("linked_body", language), fit)
        self.linked_card.setEnabled(flow.can_link)
        self.note.setText(tr("consent_note", language))
        self.back_button.setText(tr("back", language))
        self.leave_button.setText(tr("leave", language))


class ItemPage(Page):
    """One question: progress, the question, big answer buttons; 上一题, 朗读, 退出测评."""

    answered = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.scale_label = make_label("", "a-scale")
        self.progress_label = make_label("", "a-progress", wrap=False)
        self.progress_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        top = QHBoxLayout()
        top.addWidget(self.scale_label, 1)
        top.addWidget(self.progress_label)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.instructions = make_label("", "a-instructions")
        self.question_label = make_label("", "a-question")
        self.question_label.setMinimumHeight(120)
        self.answers_box = QVBoxLayout()
        self.answers_box.setSpacing(18)
        self.answer_buttons: list[QPushButton] = []
        self.answer_hint = make_label("", "a-small")
        self.back_button = make_button("", "quiet")
        self.read_button = make_button("")
        self.leave_button = make_button("", "quiet")
        self.read_hint = make_label("", "a-small")
        self.read_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # 退出测评 asks first: leaving clears every answer.
        self.confirm_frame = QFrame()
        self.confirm_frame.setProperty("role", "a-card")
        confirm = QVBoxLayout(self.confirm_frame)
        confirm.setContentsMargins(28, 24, 28, 24)
        self.confirm_label = make_label("", "card-body")
        self.confirm_yes = make_button("", "quiet")
        self.confirm_no = make_button("", "primary")
        confirm.addWidget(self.confirm_label)
        confirm.addLayout(_bottom_row(self.confirm_yes, self.confirm_no))
        self.confirm_frame.hide()
        self.confirm_no.clicked.connect(self.confirm_frame.hide)

        self.outer.addLayout(top)
        self.outer.addWidget(self.progress)
        self.gap = QWidget()  # a little air under the progress bar, where the height allows
        self.outer.addWidget(self.gap)
        self.question_block = _block(self.instructions, self.question_label)
        answers = QWidget()
        answers_column = QVBoxLayout(answers)
        answers_column.setContentsMargins(0, 0, 0, 0)
        answers_column.addLayout(self.answers_box)
        self.answers_block = answers
        controls = QWidget()
        controls_column = QVBoxLayout(controls)
        controls_column.setContentsMargins(0, 0, 0, 0)
        controls_column.setSpacing(16)
        controls_column.addWidget(self.confirm_frame)
        controls_column.addLayout(_bottom_row(self.back_button, self.read_button, self.leave_button))
        controls_column.addWidget(self.read_hint)
        self.controls_block = controls
        self.columns = Columns(self.outer)
        self.question: Question | None = None
        self.scale = 1.0
        self.portrait = True
        self.answer_height = ANSWER_HEIGHT_PX
        self.relayout(True)

    def relayout(self, portrait: bool) -> None:
        """Landscape: the question and the buttons on the left, the answers down the right."""
        self.portrait = portrait
        if portrait:
            self.columns.place(
                [self.question_block, self.answers_block, self.answer_hint, None, self.controls_block], []
            )
        else:
            self.columns.place(
                [self.question_block, self.answer_hint, None, self.controls_block], [self.answers_block, None]
            )
        # A landscape screen is 1080 px high: five answers of 长辈模式 size must fit one above the other.
        margin = 44 if portrait else 24
        self.outer.setContentsMargins(56, margin, 56, margin)
        self.answers_box.setSpacing(18 if portrait else 12)
        self.gap.setVisible(portrait)
        self.set_scale(self.scale)

    def set_scale(self, scale: float) -> None:
        """Answer buttons: 112 px (×1.35 in 长辈模式); a little lower on a landscape screen, where
        five answers must fit beside the question — still well above 15 mm."""
        self.scale = scale
        self.answer_height = round((ANSWER_HEIGHT_PX if self.portrait else LANDSCAPE_ANSWER_HEIGHT_PX) * scale)
        for b in self.answer_buttons:
            b.setMinimumHeight(max(min_touch_px(), self.answer_height))

    def render(self, flow: AssessmentFlow, language: str, *, can_read: bool) -> None:
        question = flow.question
        if question is None:
            return
        english = language == "en"
        self.question = question
        scale, item = question.scale, question.item
        topic = SCALE_TOPICS.get(scale.id)
        self.scale_label.setText(f"{scale.short_name} · {topic[1 if english else 0]}" if topic else scale.short_name)
        self.progress_label.setText(tr("progress", language, n=question.position, total=question.total))
        self.progress.setRange(0, question.total)
        self.progress.setValue(question.position - 1)
        instructions = scale.instructions_en if english and scale.instructions_en else scale.instructions
        self.instructions.setText(instructions)
        self.instructions.setVisible(bool(instructions))
        self.question_label.setText(item.text_en if english and item.text_en else item.text)
        chosen = flow.answer_of(question)
        self._set_answers([(o.points, o.label_en if english and o.label_en else o.label) for o in item.options], chosen)
        self.answer_hint.setText(tr("answer_hint", language))
        self.back_button.setText(tr("previous", language))
        self.read_button.setText(tr("read_aloud", language))
        self.read_button.setVisible(can_read)
        self.read_hint.setText(tr("read_aloud_hint", language))
        self.read_hint.setVisible(can_read)
        self.leave_button.setText(tr("leave", language))
        self.confirm_label.setText(tr("leave_confirm", language))
        self.confirm_yes.setText(tr("leave_yes", language))
        self.confirm_no.setText(tr("leave_no", language))
        self.confirm_frame.hide()

    def _set_answers(self, options: list[tuple[int, str]], chosen: int | None) -> None:
        while len(self.answer_buttons) < len(options):
            b = make_button("", "answer")
            b.setCheckable(True)
            b.clicked.connect(lambda _=False, b=b: self._tapped(b))
            self.answers_box.addWidget(b)
            self.answer_buttons.append(b)
        for index, b in enumerate(self.answer_buttons):
            if index < len(options):
                points, text = options[index]
                b.setProperty("points", points)
                b.setText(text)
                b.setChecked(points == chosen)
                b.setMinimumHeight(max(min_touch_px(), self.answer_height))
                b.show()
            else:
                b.hide()

    def _tapped(self, b: QPushButton) -> None:
        for other in self.answer_buttons:
            other.setChecked(other is b)
        self.answered.emit(int(b.property("points")))

    def answer_button(self, points: int) -> QPushButton:
        """The visible button for the answer worth ``points`` (as printed on the form)."""
        return next(b for b in self.answer_buttons if b.isVisible() and b.property("points") == points)

    @property
    def checked_answer(self) -> str | None:
        return next((b.text() for b in self.answer_buttons if b.isVisible() and b.isChecked()), None)


class ResultCard(QFrame):
    def __init__(self, reply: dict[str, Any], language: str) -> None:
        super().__init__()
        self.setProperty("role", "a-card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 26, 32, 26)
        layout.setSpacing(12)
        self.title = make_label(str(reply.get("scale_name", reply.get("scale", ""))), "card-title")
        self.band = make_label(tr("result_band", language, band=reply.get("band_label", "")), "card-band")
        self.body = make_label(str(reply.get("supportive_text", "")), "card-body")
        layout.addWidget(self.title)
        layout.addWidget(self.band)
        layout.addWidget(self.body)
        steps = [str(s) for s in reply.get("next_steps", [])]
        if steps:
            layout.addWidget(make_label(tr("next_steps", language), "card-body"))
            for step in steps:
                layout.addWidget(make_label(f"•  {step}", "card-step"))


class CardsPage(Page):
    """A title and a notice above a scrollable column of cards (the result, the earlier results)."""

    def __init__(self) -> None:
        super().__init__()
        self.title = make_label("", "a-title")
        self.note = make_label("", "a-notice")
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.note)
        self.column = self.scrolled()
        self.cards_box = QVBoxLayout()
        self.cards_box.setSpacing(20)
        self.column.addLayout(self.cards_box)
        self.cards: list[QFrame] = []

    def set_cards(self, cards: Sequence[QFrame]) -> None:
        """Replace the cards (the old ones are deleted, so nothing of them stays behind)."""
        for card in self.cards:
            self.cards_box.removeWidget(card)
            card.deleteLater()
        self.cards = list(cards)
        for card in self.cards:
            self.cards_box.addWidget(card)


class ResultPage(CardsPage):
    def __init__(self) -> None:
        super().__init__()
        column = self.column
        self.saved = make_label("", "a-hint")
        column.addWidget(self.saved)
        self.resources = QFrame()
        self.resources.setProperty("role", "a-card")
        res = QVBoxLayout(self.resources)
        res.setContentsMargins(32, 26, 32, 26)
        res.setSpacing(10)
        self.resources_title = make_label("", "card-title")
        res.addWidget(self.resources_title)
        self.resource_lines = QVBoxLayout()
        res.addLayout(self.resource_lines)
        column.addWidget(self.resources)
        column.addStretch(1)
        self.error = make_label("", "a-error")
        self.error.hide()
        self.outer.addWidget(self.error)
        self.counselor_button = make_button("")
        self.done_button = make_button("", "primary")
        self.outer.addLayout(_bottom_row(self.counselor_button, self.done_button))

    def render(self, flow: AssessmentFlow, language: str, config: AssessmentConfig) -> None:
        self.title.setText(tr("result_title", language))
        self.note.setText(tr("result_note", language))
        self.set_cards([ResultCard(reply, language) for reply in flow.results])
        self.saved.setText(tr("saved_linked" if flow.session.linked else "saved_anonymous", language))
        self.resources_title.setText(tr("resources_title", language))
        _fill(self.resource_lines, resource_lines(config, language))
        self.set_ticket_busy(False, language)
        self.show_error("")
        self.done_button.setText(tr("done", language))

    def set_ticket_busy(self, busy: bool, language: str) -> None:
        """找心理老师聊聊 was tapped and the kiosk is getting the ticket: no second request."""
        self.counselor_button.setEnabled(not busy)
        self.done_button.setEnabled(not busy)
        self.counselor_button.setText(tr("care_ticket_busy" if busy else "talk_to_counselor", language))
        if busy:
            self.show_error("")

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))


def resource_lines(config: AssessmentConfig, language: str) -> list[str]:
    lines = [
        tr("resource_place", language, place=config.care_place),
        tr("resource_hotline", language, number=config.national_hotline),
    ]
    if config.local_hotline:
        lines.append(tr("resource_local", language, name=config.local_hotline_name, number=config.local_hotline))
    return lines


def _fill(layout: QVBoxLayout, lines: list[str]) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item is not None and item.widget() is not None:
            item.widget().deleteLater()
    for line in lines:
        layout.addWidget(make_label(f"•  {line}", "card-step"))


class CrisisPage(Page):
    """Calm: kind words, the counselor who is coming, the hotline, and a priority ticket."""

    def __init__(self) -> None:
        super().__init__(calm=True)
        self.title = make_label("", "calm-title")
        self.body = make_label("", "calm-body")

        self.counselor_card = QFrame()
        self.counselor_card.setProperty("role", "calm-card")
        c = QVBoxLayout(self.counselor_card)
        c.setContentsMargins(36, 28, 36, 28)
        c.setSpacing(8)
        self.counselor = make_label("", "calm-name")
        self.counselor_hint = make_label("", "calm-label")
        c.addWidget(self.counselor)
        c.addWidget(self.counselor_hint)

        self.hotline_card = QFrame()
        self.hotline_card.setProperty("role", "calm-card")
        h = QVBoxLayout(self.hotline_card)
        h.setContentsMargins(36, 28, 36, 28)
        h.setSpacing(4)
        self.hotline_label = make_label("", "calm-label")
        self.hotline = make_label("", "hotline", wrap=False)
        self.hotline_hint = make_label("", "calm-label")
        self.local_hotline = make_label("", "calm-number")
        for widget in (self.hotline_label, self.hotline, self.hotline_hint, self.local_hotline):
            h.addWidget(widget)

        self.emergency = make_label("", "calm-body")
        self.offline = make_label("", "calm-label")

        self.ticket_button = make_button("", "calm")
        self.ticket_hint = make_label("", "calm-label")
        self.ticket_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ticket_result = make_label("", "calm-name")
        self.ticket_result.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.done_button = make_button("", "quiet")
        for conditional in (self.local_hotline, self.offline, self.ticket_result):
            conditional.hide()  # shown by render() when there is something to say
        self.words_block = _block(self.body, self.counselor_card)
        self.notes_block = _block(self.emergency, self.offline)
        self.ticket_block = _block(self.ticket_button, self.ticket_hint, self.ticket_result, self.done_button)
        self.columns = Columns(self.outer)
        self.relayout(True)

    def relayout(self, portrait: bool) -> None:
        """Landscape: the kind words and who is coming on the left; the hotline and the ticket right."""
        if portrait:
            self.columns.place(
                [
                    None,
                    self.title,
                    self.words_block,
                    self.hotline_card,
                    self.notes_block,
                    None,
                    None,
                    self.ticket_block,
                ],
                [],
            )
        else:
            self.columns.place(
                [self.title, self.words_block, self.notes_block, None],
                [self.hotline_card, None, self.ticket_block],
            )

    def render(
        self,
        flow: AssessmentFlow,
        language: str,
        config: AssessmentConfig,
        *,
        ticket_state: str,  # "offer" | "busy" | "done" | "failed"
    ) -> None:
        reply = flow.crisis_reply
        self.title.setText(tr("crisis_title", language))
        server_text = str(reply.get("supportive_text", "")) if reply and language == "zh" else ""
        self.body.setText(server_text or tr("crisis_message_fallback", language))
        named = config.counselor_on_duty.strip()
        if named and named != "值班心理咨询师":
            self.counselor.setText(tr("crisis_counselor_named", language, name=named))
        else:
            self.counselor.setText(tr("crisis_counselor_default", language))
        self.counselor_hint.setText(tr("crisis_counselor_hint", language))
        self.hotline_label.setText(tr("crisis_hotline", language))
        self.hotline.setText(config.national_hotline)
        self.hotline_hint.setText(tr("crisis_hotline_hint", language))
        self.local_hotline.setText(
            f"{config.local_hotline_name}  {config.local_hotline}" if config.local_hotline else ""
        )
        self.local_hotline.setVisible(bool(config.local_hotline))
        self.emergency.setText(tr("crisis_emergency", language))
        self.offline.setText(tr("crisis_offline", language))
        self.offline.setVisible(flow.alert_pending)
        ticket = flow.session.crisis_ticket
        self.ticket_button.setText(tr("crisis_ticket_busy" if ticket_state == "busy" else "crisis_ticket", language))
        self.ticket_button.setVisible(ticket_state != "done")
        self.ticket_button.setEnabled(ticket_state != "busy")
        self.ticket_hint.setText(tr("crisis_ticket_hint", language))
        self.ticket_hint.setVisible(ticket_state in ("offer", "busy"))
        if ticket_state == "done" and ticket:
            self.ticket_result.setText(tr("crisis_ticket_done", language, number=ticket.get("display", "")))
        elif ticket_state == "failed":
            self.ticket_result.setText(tr("crisis_ticket_failed", language))
        else:
            self.ticket_result.setText("")
        self.ticket_result.setVisible(bool(self.ticket_result.text()))
        self.done_button.setText(tr("crisis_done", language))


# --- the person's own earlier results -----------------------------------------------------------------------

PASS_DIGITS = 4


class DigitPad(QWidget):
    """0–9, 清除 and ⌫ in a 3×4 grid of big keys (the phone's last four digits)."""

    pressed = Signal(str)  # "0".."9", "CLEAR" or "BACK"

    def __init__(self) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(14)
        self.keys: dict[str, QPushButton] = {}
        for index, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "CLEAR", "0", "BACK"]):
            b = make_button("⌫" if key == "BACK" else key, "key")
            b.clicked.connect(lambda _=False, k=key: self.pressed.emit(k))
            grid.addWidget(b, index // 3, index % 3)
            self.keys[key] = b

    def retranslate(self, language: str) -> None:
        self.keys["CLEAR"].setText(tr("mine_clear", language))


class MinePrivacyPage(Page):
    """Before anything is shown: it appears on this screen only (and, if needed, the phone's last digits)."""

    def __init__(self) -> None:
        super().__init__()
        self.title = make_label("", "a-title")
        self.notice = make_label("", "a-privacy")
        self.what = make_label("", "a-hint")
        self.digits_prompt = make_label("", "card-body")
        self.digits = make_label("", "a-digits", wrap=False)
        self.digits.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pad = DigitPad()
        self.error = make_label("", "a-error")
        self.error.hide()
        self.back_button = make_button("", "quiet")
        self.continue_button = make_button("", "primary")
        self.texts_block = _block(self.title, self.notice, self.what)
        self.digits_block = _block(self.digits_prompt, self.digits, self.pad, spacing=16)
        self.buttons_block = _block(self.error, spacing=16)
        self.buttons_block.layout().addLayout(_bottom_row(self.back_button, self.continue_button))
        self.columns = Columns(self.outer)
        self.relayout(True)

    def relayout(self, portrait: bool) -> None:
        """Landscape: the words and the buttons on the left, the keypad on the right."""
        if portrait:
            self.columns.place([self.texts_block, self.digits_block, None, self.buttons_block], [])
        else:
            self.columns.place([self.texts_block, None, self.buttons_block], [self.digits_block, None])

    def render(self, flow: AssessmentFlow, language: str, *, typed: str, busy: bool, error: str) -> None:
        self.title.setText(tr("mine_privacy_title", language))
        self.notice.setText(tr("mine_privacy_notice", language))
        self.what.setText(tr("mine_privacy_what", language))
        ask = flow.mine_needs_digits
        self.digits_block.setVisible(ask)
        self.digits_prompt.setText(tr("mine_digits_prompt", language))
        # Shown as dots: whoever stands behind need not learn them.
        self.digits.setText("  ".join(["●"] * len(typed) + ["_"] * (PASS_DIGITS - len(typed))))
        self.pad.retranslate(language)
        self.pad.setEnabled(not busy)
        self.error.setText(error)
        self.error.setVisible(bool(error))
        self.back_button.setText(tr("mine_back", language))
        self.back_button.setEnabled(not busy)
        self.continue_button.setText(tr("mine_loading" if busy else "mine_continue", language))
        self.continue_button.setEnabled(not busy and (not ask or len(typed) == PASS_DIGITS))


class PastResultCard(QFrame):
    """One earlier result: the date and the questionnaire, the band, a kind line. No answers, no scores."""

    def __init__(self, result: dict[str, Any], language: str, scale: ScaleInfo | None = None) -> None:
        super().__init__()
        self.setProperty("role", "a-card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 22, 32, 22)
        layout.setSpacing(8)
        when = long_date(str(result.get("date", "")), language)
        # The plain words the pick page uses (最近的心情和兴趣 · PHQ-9), else the server's name for it.
        topic = SCALE_TOPICS.get(str(result.get("scale", "")))
        if topic and scale is not None:
            name = f"{topic[1 if language == 'en' else 0]} · {scale.short_name}"
        else:
            name = str(result.get("scale_name") or result.get("scale", ""))
        self.heading = make_label(f"{when}　{name}", "card-date")
        self.band = make_label(tr("result_band", language, band=result.get("band_label") or "—"), "card-band")
        self.note = make_label(str(result.get("note") or ""), "card-body")
        self.note.setVisible(bool(self.note.text()))
        for widget in (self.heading, self.band, self.note):
            layout.addWidget(widget)


class MinePage(CardsPage):
    def __init__(self) -> None:
        super().__init__()
        self.empty = make_label("", "a-hint")
        self.column.addWidget(self.empty)
        self.column.addStretch(1)
        self.auto_close = make_label("", "a-small")
        self.outer.addWidget(self.auto_close)
        self.close_button = make_button("", "primary")
        self.outer.addLayout(_bottom_row(self.close_button))

    def render(self, flow: AssessmentFlow, language: str, *, idle_seconds: float) -> None:
        self.title.setText(tr("mine_title", language))
        self.note.setText(tr("mine_note", language))
        results = flow.session.mine or []
        self.set_cards([PastResultCard(r, language, flow.scales.get(str(r.get("scale")))) for r in results])
        self.empty.setText(tr("mine_empty", language))
        self.empty.setVisible(not results)
        self.auto_close.setText(tr("mine_auto_close", language, seconds=round(idle_seconds)))
        self.close_button.setText(tr("mine_close", language))

    def clear(self) -> None:
        """Nothing of the list stays in the widgets once it is closed."""
        self.set_cards([])
