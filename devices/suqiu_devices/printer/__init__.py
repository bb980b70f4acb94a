"""Ticket printers: ``fake`` and python-escpos drivers over USB, network, serial or a device file.

    build("printer", "escpos_usb", vendor_id="0x0483", product_id="0x5743")
    build("printer", "escpos_network", host="192.168.1.50")          # port 9100
    build("printer", "escpos_serial", port="/dev/ttyUSB0", baudrate=9600)
    build("printer", "escpos_file", path="/dev/usb/lp0")
    build("printer", "fake", fault="no_paper")

Layout options (paper width, encoding, Chinese mode, cut) go in ``layout=SlipLayout(...)`` or as
plain keywords (``paper_width_mm=58``); see docs/devices.md.
"""

from __future__ import annotations

from typing import Any

from ..registry import register
from .faults import PRINTER_FAULTS, printer_error
from .slip import SlipLayout, render_slip

__all__ = ["PRINTER_FAULTS", "SlipLayout", "printer_error", "render_slip"]

_LAYOUT_FIELDS = set(SlipLayout.__dataclass_fields__)


def _split_layout(options: dict[str, Any]) -> dict[str, Any]:
    """Accept layout fields as flat config keys, so a TOML [printer] table can set them directly."""
    layout_options = {key: options.pop(key) for key in list(options) if key in _LAYOUT_FIELDS}
    if layout_options:
        if options.get("layout") is not None:
            raise TypeError("give either layout= or its fields, not both")
        options["layout"] = SlipLayout(**layout_options)
    return options


@register("printer", "fake")
def _fake(**options: Any) -> Any:
    from .fake import FakePrinter

    return FakePrinter(**_split_layout(options))


@register("printer", "escpos_usb")
def _usb(**options: Any) -> Any:
    from .escpos_driver import usb_printer

    return usb_printer(**_split_layout(options))


@register("printer", "escpos_network")
def _network(**options: Any) -> Any:
    from .escpos_driver import network_printer

    return network_printer(**_split_layout(options))


@register("printer", "escpos_serial")
def _serial(**options: Any) -> Any:
    from .escpos_driver import serial_printer

    return serial_printer(**_split_layout(options))


@register("printer", "escpos_file")
def _file(**options: Any) -> Any:
    from .escpos_driver import file_printer

    return file_printer(**_split_layout(options))
