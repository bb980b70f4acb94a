"""From an issued ticket to a paper slip, and what to say when the paper does not come out."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from suqiu_devices import DeviceError
from suqiu_devices.protocols import Printer, TicketSlip

from .service import IssuedTicket, KioskService

log = logging.getLogger(__name__)

PRIVACY_LINE = "本号票不含个人信息，请妥善保管。"
OFFLINE_FOOTER = "离线取号 · 联网后自动登记"


@dataclass(frozen=True)
class PrintResult:
    ok: bool
    reason: str = ""  # stable code: "no_paper", "offline", "timeout", ...
    message: str = ""  # calm Chinese sentence for the screen


def make_slip(service: KioskService, ticket: IssuedTicket) -> TicketSlip:
    return TicketSlip(
        center_name=service.center.name,
        number=ticket.display,
        category_name=ticket.category_name,
        issued_at=service.local_time(ticket.issued_at),
        people_ahead=ticket.people_ahead,
        estimated_wait_minutes=ticket.estimated_wait_minutes,
        status_url=ticket.status_url,
        privacy_line=PRIVACY_LINE,
        footer="" if ticket.online else OFFLINE_FOOTER,
    )


class TicketPrinter:
    """Prints with a deadline and reports the outcome to the server (or the outbox when offline).

    ``print_and_report`` blocks; call it on the printer's own worker thread. A printer that does
    not answer within ``timeout`` seconds counts as failed, so the screen can say so and offer a
    reprint; the stuck job is left to finish or fail on its own thread.
    """

    def __init__(self, printer: Printer | None, service: KioskService, *, timeout: float = 15.0) -> None:
        self.printer = printer
        self.service = service
        self.timeout = timeout

    def print_and_report(self, ticket: IssuedTicket) -> PrintResult:
        result = self._print(ticket)
        try:
            self.service.report_print(ticket, failed=not result.ok, reason=result.reason)
        except Exception:  # the report is a courtesy to the front desk; the slip outcome stands
            log.exception("could not report the print outcome of %s", ticket.display)
        return result

    def _print(self, ticket: IssuedTicket) -> PrintResult:
        if self.printer is None:
            return PrintResult(False, "unavailable", "本机暂未连接打印机")
        slip = make_slip(self.service, ticket)
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def job() -> None:
            try:
                assert self.printer is not None
                self.printer.print_ticket(slip)
            except DeviceError as exc:
                outcome["error"] = exc
            except Exception as exc:  # a driver bug must not look like success
                outcome["error"] = DeviceError(str(exc), "打印机暂时无法使用，请联系工作人员", reason="error")
            finally:
                done.set()

        threading.Thread(target=job, name="suqiu-print-job", daemon=True).start()
        if not done.wait(self.timeout):
            log.error("printer did not finish %s within %.0f s", ticket.display, self.timeout)
            return PrintResult(False, "timeout", "打印机没有响应，请联系工作人员")
        error = outcome.get("error")
        if error is not None:
            log.warning("printing %s failed: %s", ticket.display, error.message_en)
            return PrintResult(False, error.reason, error.message)
        return PrintResult(True)
