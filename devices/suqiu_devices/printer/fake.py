"""A ticket printer in memory: the same ESC/POS bytes as the real one, the same faults, the same pace.

Used by the demo on a laptop and by the kiosk tests. Set ``fault`` (or ``paper_slips``) to make it
fail the way a kiosk printer does in the hall; give ``bytes_per_second`` to make a job take time.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from ..protocols import TicketSlip
from .faults import PRINTER_FAULTS, printer_error
from .slip import SlipLayout, render_slip

# A 203-dpi thermal printer at ~100 mm/s needs about a second for a ~400-byte slip with a QR code;
# bytes are a fair proxy because the number, the QR code and every text line each add both.
REALISTIC_BYTES_PER_SECOND = 400.0


class FakePrinter:
    def __init__(
        self,
        *,
        layout: SlipLayout | None = None,
        fault: str | None = None,
        paper_slips: int | None = None,
        bytes_per_second: float | None = None,
        path: str | Path | None = None,
    ) -> None:
        """
        fault: "no_paper", "offline" or "cover_open" to fail from the start (``set_fault`` later).
        paper_slips: the roll runs out after this many slips (None: endless).
        bytes_per_second: simulate print time (None: instant; REALISTIC_BYTES_PER_SECOND for real pace).
        path: also append every job to this file, like a printer device file.
        """
        self.layout = layout or SlipLayout()
        self.jobs: list[bytes] = []
        self.slips: list[TicketSlip] = []
        self._fault: str | None = None
        self.set_fault(fault)
        self._paper_slips = paper_slips
        self._bytes_per_second = bytes_per_second
        self._path = Path(path) if path is not None else None
        self._lock = threading.Lock()  # one job at a time, like the device

    def set_fault(self, reason: str | None) -> None:
        if reason is not None and reason not in PRINTER_FAULTS:
            raise ValueError(f"unknown printer fault {reason!r} (known: {', '.join(PRINTER_FAULTS)})")
        self._fault = reason

    def load_paper(self, slips: int | None = None) -> None:
        """A new roll: clears ``no_paper``; ``slips`` is how many the new roll lasts (None: endless)."""
        self._paper_slips = slips
        if self._fault == "no_paper":
            self._fault = None

    def status(self) -> str:
        if self._fault is not None:
            return self._fault
        if self._paper_slips is not None and self._paper_slips <= 0:
            return "no_paper"
        return "ok"

    def print_ticket(self, slip: TicketSlip) -> None:
        with self._lock:
            state = self.status()
            if state != "ok":
                raise printer_error(state)
            job = render_slip(slip, self.layout)
            if self._bytes_per_second:
                time.sleep(len(job) / self._bytes_per_second)
            if self._path is not None:
                with self._path.open("ab") as device:
                    device.write(job)
            self.jobs.append(job)
            self.slips.append(slip)
            if self._paper_slips is not None:
                self._paper_slips -= 1

    @property
    def output(self) -> bytes:
        """Everything sent to the printer so far, as one stream."""
        return b"".join(self.jobs)

    def close(self) -> None:
        pass
