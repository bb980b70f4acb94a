"""Ticket printer: the ESC/POS bytes of a slip, the fake's faults, and the python-escpos drivers
against a device file, a status-answering device and a TCP "printer" on port 9100's behalf."""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from suqiu_devices.errors import DeviceError
from suqiu_devices.printer.escpos_driver import EscposPrinter, decode_status
from suqiu_devices.printer.fake import FakePrinter
from suqiu_devices.printer.slip import SlipLayout, format_issued_at, render_slip
from suqiu_devices.protocols import Printer, TicketSlip
from suqiu_devices.registry import build

URL = "https://suqiu.example.cn/t/7f3a9c2e"


def make_slip(**changes: object) -> TicketSlip:
    values: dict[str, object] = {
        "center_name": "第一职工诉求服务中心",
        "number": "A012",
        "category_name": "政策咨询",
        "issued_at": datetime(2026, 11, 22, 14, 5),
        "people_ahead": 3,
        "estimated_wait_minutes": 15,
        "status_url": URL,
    }
    values.update(changes)
    return TicketSlip(**values)  # type: ignore[arg-type]


# --- the slip -------------------------------------------------------------------------------------


def test_slip_bytes_carry_number_name_qr_and_cut() -> None:
    job = render_slip(make_slip())

    assert job.startswith(b"\x1b@\x1c&")  # reset, then Chinese (GB18030) mode before any Hanzi
    # the number, four times wide and tall (GS ! 0x33), in bold
    assert b"\x1d!\x33\x1bE\x01A012\n" in job
    # the center name in GB18030, double size
    assert "第一职工诉求服务中心".encode("gb18030") == bytes.fromhex(
        "b5da d2bb d6b0 b9a4 cbdf c7f3 b7fe cef1 d6d0 d0c4"
    )
    assert b"\x1d!\x11\x1bE\x01" + "第一职工诉求服务中心".encode("gb18030") + b"\n" in job
    assert "政策咨询".encode("gb18030") in job
    assert "取号时间：2026年11月22日 14:05".encode("gb18030") in job
    assert "前面还有 3 人".encode("gb18030") in job
    assert "预计等候约 15 分钟".encode("gb18030") in job
    assert "本号票不含个人信息，请妥善保管。".encode("gb18030") in job
    # QR code: model 2, module size 6, EC level M, store the URL (pL = len + 3), print
    store = b"\x1d(k" + bytes([len(URL) + 3, 0]) + b"1P0" + URL.encode()
    assert (
        b"\x1d(k\x04\x001A2\x00" + b"\x1d(k\x03\x001C\x06" + b"\x1d(k\x03\x001E1" + store + b"\x1d(k\x03\x001Q0" in job
    )
    assert job.endswith(b"\x1dVA\x00")  # feed to the cutter and cut


def test_slip_never_contains_utf8_hanzi() -> None:
    job = render_slip(make_slip())
    assert "服务中心".encode() not in job
    assert job.count(b"\x1d(k") == 5


def test_nobody_ahead_reads_naturally() -> None:
    job = render_slip(make_slip(people_ahead=0, estimated_wait_minutes=0))
    assert "前面没有人在等候".encode("gb18030") in job
    assert "预计等候".encode("gb18030") not in job


def test_local_time_is_printed_as_given() -> None:
    assert format_issued_at(datetime(2026, 1, 5, 9, 7)) == "2026年1月5日 09:07"


def test_58mm_layout_with_gbk_and_partial_cut() -> None:
    layout = SlipLayout(paper_width_mm=58, encoding="gbk", chinese_mode=True, number_scale=3, cut="partial")
    job = render_slip(make_slip(footer="服务热线 12345"), layout)
    assert b"-" * 32 + b"\n" in job and b"-" * 33 not in job
    assert b"\x1d!\x22\x1bE\x01A012\n" in job
    assert "服务热线 12345".encode("gbk") in job
    assert job.endswith(b"\x1dVB\x00")


def test_printer_always_in_chinese_mode_gets_no_fs_ampersand() -> None:
    job = render_slip(make_slip(), SlipLayout(chinese_mode=False, cut="none"))
    assert b"\x1c&" not in job and b"\x1c." not in job
    assert job.endswith(b"\x1bd\x04")


# --- the fake -------------------------------------------------------------------------------------


def test_fake_records_the_same_bytes_and_writes_them_to_a_file(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    printer = build("printer", "fake", path=str(device), paper_width_mm=58)
    assert isinstance(printer, Printer)
    slip = make_slip()
    printer.print_ticket(slip)
    printer.print_ticket(make_slip(number="A013"))

    expected = render_slip(slip, SlipLayout(paper_width_mm=58))
    assert printer.jobs[0] == expected
    assert printer.slips[1].number == "A013"
    assert device.read_bytes() == printer.output == expected + printer.jobs[1]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("no_paper", "打印机缺纸，请联系工作人员"),
        ("offline", "打印机未连接，请联系工作人员"),
        ("cover_open", "打印机仓盖未关好，请联系工作人员"),
    ],
)
def test_fake_fails_like_the_device(fault: str, message: str) -> None:
    printer = FakePrinter(fault=fault)
    assert printer.status() == fault
    with pytest.raises(DeviceError) as caught:
        printer.print_ticket(make_slip())
    assert caught.value.reason == fault
    assert caught.value.message == message
    assert printer.jobs == []

    printer.set_fault(None)
    printer.print_ticket(make_slip())
    assert printer.status() == "ok" and len(printer.jobs) == 1


def test_fake_roll_runs_out_and_is_replaced() -> None:
    printer = FakePrinter(paper_slips=2)
    printer.print_ticket(make_slip(number="A001"))
    printer.print_ticket(make_slip(number="A002"))
    assert printer.status() == "no_paper"
    with pytest.raises(DeviceError, match="out of paper"):
        printer.print_ticket(make_slip(number="A003"))
    printer.load_paper()
    printer.print_ticket(make_slip(number="A003"))
    assert [slip.number for slip in printer.slips] == ["A001", "A002", "A003"]


def test_fake_rejects_an_unknown_fault() -> None:
    with pytest.raises(ValueError, match="unknown printer fault"):
        FakePrinter(fault="on_fire")


def test_fake_takes_time_in_proportion_to_the_bytes() -> None:
    printer = FakePrinter(bytes_per_second=10_000)
    started = time.monotonic()
    printer.print_ticket(make_slip())
    assert time.monotonic() - started >= len(printer.jobs[0]) / 10_000  # a lower bound: sleep guarantees it


# --- python-escpos drivers ------------------------------------------------------------------------


def test_escpos_file_printer_writes_the_slip(tmp_path: Path) -> None:
    device = tmp_path / "usb-lp0"
    printer = build("printer", "escpos_file", path=str(device))
    assert printer.status() == "ok"
    printer.print_ticket(make_slip())
    printer.close()
    assert device.read_bytes() == render_slip(make_slip())  # no status queries leak into a write-only device


def test_escpos_file_printer_that_cannot_open_is_offline(tmp_path: Path) -> None:
    printer = build("printer", "escpos_file", path=str(tmp_path / "missing-dir" / "lp0"))
    assert printer.status() == "offline"
    with pytest.raises(DeviceError) as caught:
        printer.print_ticket(make_slip())
    assert caught.value.reason == "offline"
    assert caught.value.message == "打印机未连接，请联系工作人员"


def make_status_printer(paper: int, printer_status: int, offline_cause: int = 0):  # type: ignore[no-untyped-def]
    """python-escpos's Dummy with a status answer to DLE EOT n, like a printer's real-time status."""
    from escpos.printer import Dummy

    class StatusPrinter(Dummy):
        def __init__(self) -> None:
            super().__init__()
            self.answers = {1: printer_status, 2: offline_cause, 4: paper}
            self._pending = b""

        def _raw(self, msg: bytes) -> None:
            if msg.startswith(b"\x10\x04") and len(msg) == 3:
                self._pending = bytes([0x12 | self.answers[msg[2]]])  # bits 1 and 4 are always set
            super()._raw(msg)

        def _read(self) -> bytes:
            answer, self._pending = self._pending, b""
            return answer

    return StatusPrinter()


def test_escpos_status_queries_drive_print_or_refuse() -> None:
    device = make_status_printer(paper=0x60, printer_status=0x00)
    printer = EscposPrinter(lambda: device, describe="dummy")
    assert printer.status() == "no_paper"
    with pytest.raises(DeviceError) as caught:
        printer.print_ticket(make_slip())
    assert caught.value.reason == "no_paper"
    assert render_slip(make_slip()) not in device.output

    device.answers[4] = 0x00  # paper loaded
    printer.print_ticket(make_slip())
    assert device.output.endswith(render_slip(make_slip()))


def test_escpos_cover_open_is_reported() -> None:
    device = make_status_printer(paper=0x00, printer_status=0x08, offline_cause=0x04)
    printer = EscposPrinter(lambda: device, describe="dummy")
    with pytest.raises(DeviceError) as caught:
        printer.print_ticket(make_slip())
    assert caught.value.reason == "cover_open"
    assert caught.value.message == "打印机仓盖未关好，请联系工作人员"


@pytest.mark.parametrize(
    ("printer_byte", "cause_byte", "paper_byte", "expected"),
    [
        (0x12, None, 0x12, "ok"),
        (0x12, None, 0x12 | 0x0C, "ok"),  # near end: still prints
        (0x12, None, 0x12 | 0x60, "no_paper"),
        (0x1A, 0x12 | 0x04, 0x12, "cover_open"),
        (0x1A, 0x12 | 0x20, 0x12, "no_paper"),
        (0x1A, 0x12, 0x12, "offline"),
        (None, None, None, "ok"),
    ],
)
def test_decode_status(printer_byte: int | None, cause_byte: int | None, paper_byte: int | None, expected: str) -> None:
    assert decode_status(printer_byte, cause_byte, paper_byte) == expected


class NetworkPrinter:
    """A TCP printer on a local port: keeps what it receives (over any number of connections, one
    at a time), answers DLE EOT when ``answers``."""

    def __init__(self, *, answers: bool) -> None:
        self.answers = answers
        self.received = bytearray()
        self.connections = 0
        self._stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                if self._stopping.is_set():
                    return  # only once nothing is waiting: a finished job may still sit in the backlog
                continue
            self.connections += 1
            connection.settimeout(None)
            with connection:
                while chunk := connection.recv(4096):
                    self.received += chunk
                    if self.answers and chunk.startswith(b"\x10\x04") and len(chunk) == 3:
                        connection.sendall(b"\x12")  # online, paper present, cover closed

    def close(self) -> None:
        self._stopping.set()
        self.thread.join(5)
        self.listener.close()


@pytest.mark.parametrize("answers", [True, False])
def test_escpos_network_printer_prints_over_tcp(answers: bool) -> None:
    server = NetworkPrinter(answers=answers)
    try:
        printer = build("printer", "escpos_network", host="127.0.0.1", port=server.port, timeout=0.3)
        printer.print_ticket(make_slip())
        printer.print_ticket(make_slip(number="A013"))  # a silent printer is asked only once
        server.close()
        assert server.connections == 2  # one connection per job, closed after it
        first, second = render_slip(make_slip()), render_slip(make_slip(number="A013"))
        paper_then_printer = b"\x10\x04\x04" + b"\x10\x04\x01"  # DLE EOT 4, DLE EOT 1 before each job
        if answers:
            assert bytes(server.received) == paper_then_printer + first + paper_then_printer + second
        else:  # one unanswered query, then the printer is no longer asked
            assert bytes(server.received) == b"\x10\x04\x04" + first + second
    finally:
        server.close()


def test_escpos_network_printer_without_a_listener_is_offline() -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    printer = build("printer", "escpos_network", host="127.0.0.1", port=port, timeout=0.5)
    assert printer.status() == "offline"
    with pytest.raises(DeviceError) as caught:
        printer.print_ticket(make_slip())
    assert caught.value.reason == "offline"


def test_usb_printer_without_the_device_is_offline_not_a_crash() -> None:
    pytest.importorskip("usb.core", reason="pyusb not installed")
    printer = build("printer", "escpos_usb", vendor_id="0x0483", product_id="0x5743")
    assert printer.status() == "offline"
    with pytest.raises(DeviceError) as caught:
        printer.print_ticket(make_slip())
    assert caught.value.reason == "offline"
