"""What every screen has: a title, a hint, an error line, and hooks for language, size, layout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QVBoxLayout, QWidget

from ..texts import tr
from ..widgets import label

if TYPE_CHECKING:
    from ..window import KioskWindow


class Screen(QWidget):
    step = ""

    def __init__(self, kiosk: KioskWindow) -> None:
        super().__init__()
        self.kiosk = kiosk
        self.setProperty("screen", True)
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(40, 28, 40, 28)
        self.outer.setSpacing(20)
        self.title = label("", "title")
        self.hint = label("", "hint")
        self.error = label("", "error")
        self.error.hide()

    @property
    def flow(self):  # type: ignore[no-untyped-def]
        return self.kiosk.flow

    @property
    def language(self) -> str:
        return str(self.kiosk.flow.language)

    def t(self, key: str, **values: object) -> str:
        return tr(key, self.language, **values)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    # hooks ---------------------------------------------------------------------------------------

    def enter(self) -> None:
        """The screen is about to show: draw it from the current visit."""
        self.show_error(self.flow.visit.error)

    def retranslate(self) -> None:
        """Language switched."""

    def rescale(self, scale: float) -> None:
        """长辈模式 switched: resize what QSS does not reach (icons, QR code)."""

    def relayout(self, portrait: bool) -> None:
        """The window turned between portrait and landscape."""

    def wipe(self) -> None:
        """Forget everything typed (idle timeout, new visit)."""
