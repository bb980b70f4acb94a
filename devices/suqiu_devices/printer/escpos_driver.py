"""Real ESC/POS ticket printers through python-escpos: USB, network (port 9100), serial and device file.

python-escpos is used for what it is good at — finding and opening the device, writing bytes and
asking the real-time status — while the slip itself is rendered by ``slip.py`` (GB18030 Chinese
text, native QR code, cut), so the bytes are the same as the fake printer's.

Nothing touches the hardware until the first print or status call, so a kiosk starts even when the
printer is switched off; after a write error the connection is dropped and reopened next time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from ..errors import DeviceError, DeviceUnavailable
from ..protocols import TicketSlip
from .faults import printer_error
from .slip import SlipLayout, render_slip

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
# DLE EOT n, real-time status (answered even while the printer is busy or offline):
QUERY_PRINTER = DLE_EOT + b"\x01"  # bit 3: offline
QUERY_OFFLINE_CAUSE = DLE_EOT + b"\x02"  # bit 2: cover open, bit 5: stopped for paper end
QUERY_PAPER = DLE_EOT + b"\x04"  # bits 5+6: paper end, bits 2+3: near end


def _escpos() -> Any:
    try:
        import escpos.printer
    except ImportError as exc:  # the extra is not installed: the kiosk shows the ticket on screen instead
        raise DeviceUnavailable("python-escpos is not installed", "打印机驱动未安装", reason="not_installed") from exc
    return escpos.printer


def decode_status(printer_byte: int | None, cause_byte: int | None, paper_byte: int | None) -> str:
    """Map DLE EOT answers to "ok" / "no_paper" / "cover_open" / "offline". None: no answer."""
    if paper_byte is not None and paper_byte & 0x60:
        return "no_paper"
    if printer_byte is not None and printer_byte & 0x08:
        if cause_byte is not None and cause_byte & 0x04:
            return "cover_open"
        if cause_byte is not None and cause_byte & 0x20:
            return "no_paper"
        return "offline"
    return "ok"


class EscposPrinter:
    """One printer reached through a python-escpos connection made by ``connect``."""

    def __init__(
        self,
        connect: Callable[[], Any],
        *,
        describe: str,
        layout: SlipLayout | None = None,
        check_status: bool = True,
        keep_open: bool = True,
    ) -> None:
        """
        connect: builds the (unopened) python-escpos printer object.
        keep_open: hold the connection between jobs (USB, serial, device file). Network printers
            get a fresh connection per job, as POS software does: a connection held open would
            go stale silently when the printer reboots, and a job written into it would be lost.
        check_status: ask the printer for paper/cover before each job. A connection that cannot be
            read (a device file) or a printer that does not answer DLE EOT is taken as "ok" — the
            job is still sent, and a write error still reports "offline".
        """
        self._connect = connect
        self.describe = describe
        self.layout = layout or SlipLayout()
        self.check_status = check_status
        self.keep_open = keep_open
        # None: not asked yet; False: it never answers, so stop spending a timeout on every job.
        self._answers_status: bool | None = None if check_status else False
        self._device: Any = None
        self._lock = threading.Lock()

    # --- connection ------------------------------------------------------------------------------

    def _open(self) -> Any:
        if self._device is not None:
            return self._device
        device = self._connect()
        try:
            device.open()
        except Exception as exc:  # DeviceNotFoundError, USBNotFoundError, NoBackendError, serial/socket errors
            log.warning("cannot open %s: %s", self.describe, exc)
            raise printer_error("offline", f"{self.describe}: {exc}") from exc
        self._device = device
        return device

    def _drop(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            try:
                device.close()
            except Exception:  # closing a dead connection may fail; we only want it gone
                log.debug("closing %s failed", self.describe, exc_info=True)

    def close(self) -> None:
        with self._lock:
            self._drop()

    # --- status ----------------------------------------------------------------------------------

    def _ask(self, device: Any, query: bytes) -> int | None:
        device._raw(query)
        answer = device._read()
        return answer[0] if answer is not None and len(answer) > 0 else None

    def _status(self) -> str:
        try:
            device = self._open()
        except DeviceError as exc:
            return exc.reason
        if self._answers_status is False:
            return "ok"
        try:
            paper = self._ask(device, QUERY_PAPER)
            printer = self._ask(device, QUERY_PRINTER)
            cause = self._ask(device, QUERY_OFFLINE_CAUSE) if printer is not None and printer & 0x08 else None
        except NotImplementedError:
            self._answers_status = False  # a write-only connection: no way to ask, so assume it prints
            return "ok"
        except Exception as exc:
            # socket.timeout is TimeoutError, pyusb raises USBTimeoutError: either way, no answer.
            if isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__:
                log.info("%s does not answer status queries; printing without them", self.describe)
                self._answers_status = False
                return "ok"
            log.warning("status query on %s failed: %s", self.describe, exc)
            self._drop()
            return "offline"
        if paper is not None or printer is not None:
            self._answers_status = True
        return decode_status(printer, cause, paper)

    def status(self) -> str:
        with self._lock:
            try:
                return self._status()
            finally:
                if not self.keep_open:
                    self._drop()

    # --- printing --------------------------------------------------------------------------------

    def print_ticket(self, slip: TicketSlip) -> None:
        job = render_slip(slip, self.layout)
        with self._lock:
            if self.check_status:
                state = self._status()
                if state != "ok":
                    raise printer_error(state, self.describe)
            device = self._open()
            try:
                device._raw(job)
            except Exception as exc:  # OSError, usb.core.USBError, serial.SerialException
                self._drop()
                raise printer_error("offline", f"{self.describe}: {exc}") from exc
            flush = getattr(device, "flush", None)
            if callable(flush):
                try:
                    flush()
                except Exception as exc:
                    self._drop()
                    raise printer_error("offline", f"{self.describe}: {exc}") from exc
            if not self.keep_open:
                self._drop()


def _int(value: int | str) -> int:
    """Config files give ids as "0x0483" or 1155; both mean a number."""
    return value if isinstance(value, int) else int(str(value), 0)


def usb_printer(
    *, vendor_id: int | str, product_id: int | str, timeout_ms: int = 5000, in_ep: int | str = 0x82,
    out_ep: int | str = 0x01, layout: SlipLayout | None = None, check_status: bool = True,
) -> EscposPrinter:  # fmt: skip
    printers = _escpos()
    vendor, product = _int(vendor_id), _int(product_id)
    if not printers.Usb.is_usable():
        raise DeviceUnavailable("USB printing needs pyusb (and libusb)", "打印机驱动未安装", reason="not_installed")
    return EscposPrinter(
        lambda: printers.Usb(vendor, product, timeout=timeout_ms, in_ep=_int(in_ep), out_ep=_int(out_ep)),
        describe=f"USB printer {vendor:04x}:{product:04x}",
        layout=layout,
        check_status=check_status,
    )


def network_printer(
    *, host: str, port: int = 9100, timeout: float = 5.0, layout: SlipLayout | None = None, check_status: bool = True
) -> EscposPrinter:
    printers = _escpos()
    return EscposPrinter(
        lambda: printers.Network(host, int(port), timeout=timeout),
        describe=f"network printer {host}:{port}",
        layout=layout,
        check_status=check_status,
        keep_open=False,
    )


def serial_printer(
    *, port: str, baudrate: int = 9600, timeout: float = 1.0, dsrdtr: bool = True, layout: SlipLayout | None = None,
    check_status: bool = True,
) -> EscposPrinter:  # fmt: skip
    printers = _escpos()
    if not printers.Serial.is_usable():
        raise DeviceUnavailable("serial printing needs pyserial", "打印机驱动未安装", reason="not_installed")
    return EscposPrinter(
        lambda: printers.Serial(port, baudrate=int(baudrate), timeout=timeout, dsrdtr=dsrdtr),
        describe=f"serial printer {port}@{baudrate}",
        layout=layout,
        check_status=check_status,
    )


def file_printer(*, path: str, layout: SlipLayout | None = None) -> EscposPrinter:
    """A printer that is a device file (/dev/usb/lp0 via the usblp kernel driver): write-only, no status."""
    printers = _escpos()
    return EscposPrinter(
        lambda: printers.File(path), describe=f"printer file {path}", layout=layout, check_status=False
    )
