"""Welcome: one big tile per category with its icon, a one-line explanation and the live wait;
under them, one wide tile for 心理自测 (when the site offers it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from suqiu_queue.client.models import Category, WaitingInfo

from ..theme import icon_pixmap, px
from ..widgets import label
from .base import Screen

if TYPE_CHECKING:
    from ..window import KioskWindow

ICON_SIZE = 76
SELF_CHECK_ICON_SIZE = 60


class CategoryTile(QPushButton):
    """A whole tile is one button; its labels only draw (taps go to the button)."""

    def __init__(self, category: Category) -> None:
        super().__init__()
        self.category = category
        self.setProperty("role", "tile")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.icon_label = QLabel()
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name_label = label("", "tile-name")
        self.desc_label = label("", "tile-desc")
        self.wait_label = label("", "tile-wait")
        for child in (self.icon_label, self.name_label, self.desc_label, self.wait_label):
            child.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        # Icon and name side by side on top; the explanation gets the tile's full width below.
        top = QHBoxLayout()
        top.setSpacing(16)
        top.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.name_label, 1, Qt.AlignmentFlag.AlignVCenter)
        column = QVBoxLayout(self)
        column.setContentsMargins(24, 20, 24, 20)
        column.setSpacing(10)
        column.addLayout(top)
        column.addWidget(self.desc_label)
        column.addStretch(1)
        column.addWidget(self.wait_label)
        self.waiting: WaitingInfo | None = None

    def set_language(self, language: str, waiting_text: str) -> None:
        c = self.category
        self.name_label.setText(c.name_en if language == "en" and c.name_en else c.name)
        self.desc_label.setText(c.description_en if language == "en" and c.description_en else c.description)
        self.wait_label.setText(waiting_text)

    def set_icon_size(self, size: int) -> None:
        self.icon_label.setPixmap(icon_pixmap(self.category.icon or self.category.code, size))
        self.icon_label.setFixedSize(size, size)

    def labels(self) -> list[QLabel]:
        return [self.name_label, self.desc_label, self.wait_label]


class SelfCheckTile(QPushButton):
    """心理自测 is not a queue category: a self-check anyone may take, with or without a ticket
    afterwards. So it is its own tile under the categories — found without having to say
    "I need 心理关爱" first, and not in the way of people who came to see a counselor."""

    def __init__(self) -> None:
        super().__init__()
        self.setProperty("role", "tile")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.icon_label = QLabel()
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name_label = label("", "tile-name")
        self.desc_label = label("", "tile-desc")
        self.note_label = label("", "tile-wait")
        for child in (self.icon_label, self.name_label, self.desc_label, self.note_label):
            child.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        # Low: the icon, then name, explanation and "no ticket needed" in one column beside it.
        text = QVBoxLayout()
        text.setSpacing(4)
        text.addWidget(self.name_label)
        text.addWidget(self.desc_label)
        text.addWidget(self.note_label)
        row = QHBoxLayout(self)
        row.setContentsMargins(24, 14, 24, 14)
        row.setSpacing(20)
        row.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addLayout(text, 1)

    def set_language(self, name: str, description: str, note: str) -> None:
        self.name_label.setText(name)
        self.desc_label.setText(description)
        self.note_label.setText(note)
        self.setAccessibleName(name)

    def set_icon_size(self, size: int) -> None:
        self.icon_label.setPixmap(icon_pixmap("care", size))
        self.icon_label.setFixedSize(size, size)

    def labels(self) -> list[QLabel]:
        return [self.name_label, self.desc_label, self.note_label]


class WelcomeScreen(Screen):
    step = "welcome"

    def __init__(self, kiosk: KioskWindow) -> None:
        super().__init__(kiosk)
        self.tiles: list[CategoryTile] = []
        self.portrait = True
        self.scale = 1.0
        # Title and hint; in landscape the 心理自测 tile stands beside them (there is no height to spare).
        self.head = QHBoxLayout()
        self.head.setSpacing(24)
        head_text = QVBoxLayout()
        head_text.setSpacing(12)
        head_text.addWidget(self.title)
        head_text.addWidget(self.hint)
        self.head.addLayout(head_text, 3)
        self.outer.addLayout(self.head)
        self.outer.addWidget(self.error)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 8, 0, 0)
        self.grid.setSpacing(20)
        self.outer.addWidget(self.grid_host, 1)
        self.self_check: SelfCheckTile | None = None
        if kiosk.config.assessment.enabled:
            self.self_check = SelfCheckTile()
            self.self_check.clicked.connect(self.kiosk.start_assessment)
            self.self_check.hide()  # shown with the categories, once the kiosk knows its center
            self.relayout(self.portrait)
        self.retranslate()

    def set_categories(self, categories: list[Category]) -> None:
        for tile in self.tiles:
            tile.setParent(None)
            tile.deleteLater()
        self.tiles = []
        for category in categories:
            tile = CategoryTile(category)
            tile.clicked.connect(lambda _=False, c=category: self.kiosk.choose_category(c))
            self.tiles.append(tile)
        self.rescale(self.scale)
        self.relayout(self.portrait)
        self.retranslate()
        if self.self_check is not None:
            self.self_check.setVisible(bool(categories))

    def tile(self, code: str) -> CategoryTile:
        return next(t for t in self.tiles if t.category.code == code)

    def waiting_text(self, code: str) -> str:
        info = self.kiosk.waiting.get(code)
        if info is None:
            return self.t("waiting_unknown")
        if info.waiting <= 0:
            return self.t("waiting_none")
        return self.t("waiting_some", waiting=info.waiting, minutes=max(1, info.estimated_wait_minutes))

    def update_waiting(self) -> None:
        for tile in self.tiles:
            tile.wait_label.setText(self.waiting_text(tile.category.code))

    def retranslate(self) -> None:
        self.title.setText(self.t("welcome_title"))
        self.hint.setText(self.t("welcome_hint"))
        for tile in self.tiles:
            tile.set_language(self.language, self.waiting_text(tile.category.code))
        if self.self_check is not None:
            self.self_check.set_language(
                self.t("self_check_name"), self.t("self_check_desc"), self.t("self_check_note")
            )

    def rescale(self, scale: float) -> None:
        self.scale = scale
        for tile in self.tiles:
            tile.set_icon_size(px(ICON_SIZE, scale))
        if self.self_check is not None:
            self.self_check.set_icon_size(px(SELF_CHECK_ICON_SIZE, scale))

    def relayout(self, portrait: bool) -> None:
        self.portrait = portrait
        for tile in self.tiles:
            self.grid.removeWidget(tile)
        if self.self_check is not None:
            self.grid.removeWidget(self.self_check)
            self.head.removeWidget(self.self_check)
        columns = 2 if portrait else 4
        for i, tile in enumerate(self.tiles):
            self.grid.addWidget(tile, i // columns, i % columns)
        rows = max(1, -(-len(self.tiles) // columns))
        for r in range(rows):
            self.grid.setRowStretch(r, 1)
        for c in range(4):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)
        for r in range(rows, 8):
            self.grid.setRowStretch(r, 0)
        if self.self_check is None:
            return
        if portrait:
            # Its own low row across the whole width, under the categories.
            self.grid.addWidget(self.self_check, rows, 0, 1, columns)
        else:
            # A landscape screen is short: beside the title, where the width is spare.
            self.head.addWidget(self.self_check, 2)
