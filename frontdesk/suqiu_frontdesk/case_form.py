"""What the case view's two action panels (办理进度 and 多部门议事) share: how they reach the server
and the case view, and their one form — the rows the chosen action needs, 取消 beside the send
buttons, and what happens once the server has taken what was sent."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QPushButton, QWidget

from suqiu_queue.client import SuqiuClient


class CaseFormPanel(QGroupBox):
    """A case-view section with one form, its rows shown according to what was chosen.

    ``run(doing, fn, on_done, buttons=...)`` is the case view's runner wrapper: it shows "doing",
    disables the buttons, and puts the server's Chinese message in the status line when the call is
    refused (the form stays as it was). ``on_changed(case)`` redraws the case view from the server's
    answer; ``say(text, level)`` writes its status line. A subclass builds ``form_box``, ``form``
    and ``rows`` (key → the row's widget).
    """

    form_box: QGroupBox
    form: QFormLayout
    rows: dict[str, QWidget]

    def __init__(
        self,
        title: str,
        client: SuqiuClient,
        run: Callable[..., None],
        on_changed: Callable[[dict[str, Any]], None],
        say: Callable[[str, str], None],
        parent: QWidget | None,
    ) -> None:
        super().__init__(title, parent)
        self.client = client
        self.run = run
        self.on_changed = on_changed
        self.say = say
        self.case: dict[str, Any] | None = None
        self.pending: str | None = None
        # The case view closes the other panel's form when this one's opens (one form at a time).
        self.on_form_opened: Callable[[], None] = lambda: None

    def submit_pending(self) -> None:
        raise NotImplementedError

    def _clear_inputs(self) -> None:
        raise NotImplementedError

    def _submit_row(self, *buttons: QPushButton) -> QHBoxLayout:
        """取消, then ``buttons``, at the right of the form's last row."""
        cancel = QPushButton("取消")
        cancel.clicked.connect(self.cancel_form)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(cancel)
        for button in buttons:
            row.addWidget(button)
        return row

    def _add_rows(self, labels: dict[str, str], submit_row: QHBoxLayout) -> None:
        for key, widget in self.rows.items():
            self.form.addRow(labels[key], widget)
        self.form.addRow(submit_row)

    def _show_rows(self, fields: Collection[str]) -> None:
        for key, widget in self.rows.items():
            self.form.setRowVisible(widget, key in fields)

    def cancel_form(self) -> None:
        """Hide the form; what was typed stays until it has been sent (or another form is opened)."""
        self.pending = None
        self.form_box.setVisible(False)

    def _sent(self, case: dict[str, Any], message: str) -> None:
        """The server took it: empty and close the form, redraw the case from its answer, say so."""
        self._clear_inputs()
        self.cancel_form()
        self.on_changed(case)
        self.say(message, "ok")
