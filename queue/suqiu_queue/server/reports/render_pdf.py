"""The report as an A4 PDF with charts, in reportlab, with a Chinese TrueType font embedded.

reportlab embeds (a subset of) a TrueType font, so the PDF reads the same on any machine, printed
or on screen. It cannot embed CFF/OpenType outlines (Noto CJK), so the font must be TrueType: the
system's WenQuanYi Micro Hei (Debian package ``fonts-wqy-microhei``) is looked for first, then a few
other TrueType CJK fonts, or the file named by ``SUQIU_REPORT_FONT`` (``path`` or ``path:index``
for a .ttc collection). Without one the renderer refuses with a clear error instead of writing a
PDF full of empty boxes.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from suqiu_queue.domain.errors import SuqiuError

from . import tables, wording

FONT_NAME = "SuqiuCJK"
FONT_ENV = "SUQIU_REPORT_FONT"
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", 0),  # Fedora/RHEL layout
)

PRIMARY = (0x2F / 255, 0x6F / 255, 0xB3 / 255)
SECONDARY = (0xA9 / 255, 0xC4 / 255, 0xE4 / 255)
GOOD = (0x2E / 255, 0x8B / 255, 0x57 / 255)
ACCENT = (0xE6 / 255, 0x7E / 255, 0x22 / 255)
SERIES = ("#2f6fb3", "#e67e22", "#2e8b57", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#d4ac0d")


class ReportFontMissing(SuqiuError):
    status = 503


class PdfUnavailable(SuqiuError):
    status = 503


def find_font() -> tuple[Path, int]:
    """The CJK TrueType font to embed: ``SUQIU_REPORT_FONT`` or the first installed candidate."""
    configured = os.environ.get(FONT_ENV, "").strip()
    if configured:
        path, index = configured, "0"
        if not Path(configured).is_file() and configured.rpartition(":")[2].isdigit():
            path, _sep, index = configured.rpartition(":")  # "font.ttc:1": the second face of a collection
        if not Path(path).is_file():
            raise ReportFontMissing(
                "report_font_missing",
                f"{FONT_ENV} 指定的字体文件不存在：{path}",
                f"The font file named by {FONT_ENV} does not exist: {path}",
            )
        return Path(path), int(index)
    for path, index in FONT_CANDIDATES:
        if Path(path).is_file():
            return Path(path), index
    raise ReportFontMissing(
        "report_font_missing",
        "找不到可嵌入的中文字体，无法生成 PDF 报告。请安装文泉驿微米黑：apt-get install fonts-wqy-microhei，"
        f"或用环境变量 {FONT_ENV} 指定一个 TrueType 中文字体文件。",
        "No embeddable Chinese font: install the Debian package fonts-wqy-microhei "
        f"(apt-get install fonts-wqy-microhei) or point {FONT_ENV} at a TrueType CJK font.",
    )


def _register_font() -> str:
    try:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont
    except ImportError as exc:
        raise PdfUnavailable(
            "report_pdf_unavailable",
            "未安装 PDF 组件 reportlab：请安装 suqiu[reports]",
            "reportlab is not installed: install suqiu[reports]",
        ) from exc
    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    path, index = find_font()
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=index))
    return FONT_NAME


# --- charts --------------------------------------------------------------------------------------


def _colors() -> Any:
    from reportlab.lib import colors

    return colors


def _nice_max(value: float) -> float:
    """A round top for a value axis (so ticks are 1-2-5 steps)."""
    if value <= 0:
        return 1
    import math

    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def hbar_chart(
    labels: Sequence[str],
    series: Sequence[Sequence[float]],
    *,
    width: float,
    names: Sequence[str] = (),
    fills: Sequence[Any] = (),
    value_format: str = "{:.0f}",
    max_value: float | None = None,
) -> Any:
    """Horizontal bars, one row per label, top to bottom in the given order, values printed at the ends."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import String

    colors = _colors()
    rows = max(1, len(labels))
    bar_height = 8 if len(series) == 1 else 6
    row_height = bar_height * len(series) + 6
    legend = 14 if names else 0
    height = rows * row_height + 22 + legend
    drawing = _drawing(width, height)
    chart = HorizontalBarChart()
    label_width = min(120, 12 + 9 * max((len(s) for s in labels), default=2))
    chart.x, chart.y = label_width, 14
    chart.width, chart.height = width - label_width - 48, rows * row_height
    # reportlab draws the first category, and within it the first series, at the bottom: reverse
    # both, so the list reads top-down and the current period's bar sits above the previous one.
    chart.data = [list(reversed([float(v) for v in s])) for s in reversed(series)]
    chart.categoryAxis.categoryNames = list(reversed(list(labels)))
    chart.categoryAxis.labels.fontName = FONT_NAME
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -3
    chart.categoryAxis.strokeColor = colors.HexColor("#9aa5b1")
    chart.valueAxis.valueMin = 0
    top = max([max(s, default=0) for s in series] + [0])
    chart.valueAxis.valueMax = max_value if max_value is not None else _nice_max(top * 1.05)
    chart.valueAxis.labels.fontName = FONT_NAME
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.strokeColor = colors.HexColor("#9aa5b1")
    chart.valueAxis.gridStrokeColor = colors.HexColor("#e4e7eb")
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.labelTextFormat = lambda v: value_format.format(v)
    chart.barWidth = bar_height
    chart.groupSpacing = 6
    chart.barSpacing = 0
    chart.bars.strokeColor = None
    palette = list(fills) or [colors.Color(*PRIMARY), colors.Color(*SECONDARY)]
    for index in range(len(series)):
        chart.bars[len(series) - 1 - index].fillColor = palette[index % len(palette)]
    chart.barLabelFormat = lambda v: value_format.format(v)
    chart.barLabels.fontName = FONT_NAME
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    if names:
        x = label_width
        for index, name in enumerate(names):
            from reportlab.graphics.shapes import Rect

            drawing.add(Rect(x, height - 10, 8, 8, fillColor=palette[index % len(palette)], strokeColor=None))
            drawing.add(String(x + 11, height - 9, name, fontName=FONT_NAME, fontSize=8))
            x += 20 + 9 * len(name)
    return drawing


def trend_chart(labels: Sequence[str], bars: Sequence[int], line: Sequence[int], *, width: float, height: float) -> Any:
    """Cases per day/month as bars (left axis), tickets as a line (right axis)."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Rect, String
    from reportlab.graphics.widgets.markers import makeMarker

    colors = _colors()
    drawing = _drawing(width, height)
    left, right, bottom, top = 34, 34, 22, 18
    plot_w, plot_h = width - left - right, height - bottom - top
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = left, bottom, plot_w, plot_h
    chart.data = [[float(v) for v in bars]]
    _time_axes(chart, labels, max(bars, default=0))
    chart.bars[0].fillColor = colors.Color(*PRIMARY)
    chart.bars.strokeColor = None
    chart.groupSpacing = 3 if len(labels) > 15 else 8
    drawing.add(chart)

    lines = HorizontalLineChart()
    lines.x, lines.y, lines.width, lines.height = left, bottom, plot_w, plot_h
    lines.data = [[float(v) for v in line]]
    lines.categoryAxis.visible = False
    lines.categoryAxis.categoryNames = list(labels)
    lines.valueAxis.valueMin = 0
    lines.valueAxis.valueMax = _nice_max(max(line, default=0) * 1.1)
    lines.valueAxis.labels.fontName = FONT_NAME
    lines.valueAxis.labels.fontSize = 7
    lines.valueAxis.labelTextFormat = "%d"
    lines.valueAxis.joinAxisMode = "right"
    lines.valueAxis.joinAxis = lines.categoryAxis
    lines.valueAxis.labels.boxAnchor = "w"
    lines.valueAxis.labels.dx = 6
    lines.valueAxis.strokeColor = colors.Color(*ACCENT)
    lines.lines[0].strokeColor = colors.Color(*ACCENT)
    lines.lines[0].strokeWidth = 1.5
    lines.lines[0].symbol = makeMarker("FilledCircle", size=2.5, fillColor=colors.Color(*ACCENT))
    drawing.add(lines)

    legend_y = height - 11
    drawing.add(Rect(left, legend_y, 8, 8, fillColor=colors.Color(*PRIMARY), strokeColor=None))
    drawing.add(String(left + 11, legend_y + 1, "受理诉求（件，左轴）", fontName=FONT_NAME, fontSize=8))
    drawing.add(Rect(left + 120, legend_y + 3, 10, 2, fillColor=colors.Color(*ACCENT), strokeColor=None))
    drawing.add(String(left + 134, legend_y + 1, "取号（张，右轴）", fontName=FONT_NAME, fontSize=8))
    return drawing


def series_chart(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *, width: float, height: float
) -> Any:
    """Several topics over the period: one coloured line each, with a legend below."""
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Rect, String

    colors = _colors()
    legend_rows = (len(series) + 1) // 2
    drawing = _drawing(width, height + legend_rows * 12)
    chart = HorizontalLineChart()
    chart.x, chart.y = 34, 22 + legend_rows * 12
    chart.width, chart.height = width - 50, height - 30
    chart.data = [[float(v) for v in values] for _name, values in series]
    _time_axes(chart, labels, max((max(v, default=0) for _n, v in series), default=0))
    for index in range(len(series)):
        chart.lines[index].strokeColor = colors.HexColor(SERIES[index % len(SERIES)])
        chart.lines[index].strokeWidth = 1.5
    drawing.add(chart)
    for index, (name, _values) in enumerate(series):
        x = 34 + (index % 2) * (width / 2)
        y = 4 + (legend_rows - 1 - index // 2) * 12
        drawing.add(Rect(x, y + 3, 12, 2.5, fillColor=colors.HexColor(SERIES[index % len(SERIES)]), strokeColor=None))
        drawing.add(String(x + 16, y, name, fontName=FONT_NAME, fontSize=8))
    return drawing


def _time_axes(chart: Any, labels: Sequence[str], top: float) -> None:
    """The period's days or months along the bottom (thinned out), whole counts up the left side
    over a light grid, reaching a round number above ``top``."""
    colors = _colors()
    chart.categoryAxis.categoryNames = _thin_labels(labels)
    chart.categoryAxis.labels.fontName = FONT_NAME
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.strokeColor = colors.HexColor("#9aa5b1")
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = _nice_max(top * 1.1)
    chart.valueAxis.labels.fontName = FONT_NAME
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d"
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#e4e7eb")
    chart.valueAxis.strokeColor = colors.HexColor("#9aa5b1")


def _drawing(width: float, height: float) -> Any:
    from reportlab.graphics.shapes import Drawing

    # A drawing starts in Helvetica unless told otherwise (not embedded, no Chinese glyphs).
    return Drawing(width, height, initialFontName=FONT_NAME, initialFontSize=8)


def _thin_labels(labels: Sequence[str]) -> list[str]:
    """Every label for 12 months; for 31 days the 1st, 5th, 10th … (the rest stay blank)."""
    if len(labels) <= 16:
        return list(labels)
    return [label if i == 0 or (i + 1) % 5 == 0 else "" for i, label in enumerate(labels)]


# --- the document --------------------------------------------------------------------------------


class _Styles:
    def __init__(self) -> None:
        from reportlab.lib.enums import TA_RIGHT
        from reportlab.lib.styles import ParagraphStyle

        base = ParagraphStyle("base", fontName=FONT_NAME, fontSize=9.5, leading=14, wordWrap="CJK")
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8, leading=11, textColor="#52606d")
        self.cell = ParagraphStyle("cell", parent=base, fontSize=8, leading=10.5)
        self.cell_right = ParagraphStyle("cell_right", parent=self.cell, alignment=TA_RIGHT)
        self.title = ParagraphStyle("title", parent=base, fontSize=20, leading=26, textColor="#1d4f91")
        self.center = ParagraphStyle("center", parent=base, fontSize=11, leading=15, textColor="#3e4c59")
        self.h2 = ParagraphStyle(
            "h2", parent=base, fontSize=13, leading=18, spaceBefore=10, spaceAfter=4, textColor="#1d4f91"
        )
        self.h3 = ParagraphStyle("h3", parent=base, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=2)
        self.kpi_label = ParagraphStyle("kpi_label", parent=base, fontSize=8.5, leading=11, textColor="#52606d")
        self.kpi_value = ParagraphStyle("kpi_value", parent=base, fontSize=16, leading=20, textColor="#1d4f91")
        self.kpi_note = ParagraphStyle("kpi_note", parent=base, fontSize=7, leading=9.5, textColor="#52606d")


def _p(text: str, style: Any) -> Any:
    from xml.sax.saxutils import escape

    from reportlab.platypus import Paragraph

    return Paragraph(escape(str(text)), style)


def _table(spec: tables.Table, widths: Sequence[float], styles: _Styles) -> Any:
    """A table of paragraphs (so long Chinese text wraps); columns from ``numeric_from`` on are figures."""
    from reportlab.platypus import Table, TableStyle

    colors = _colors()
    headers, rows, numeric_from = spec

    def line(cells: Sequence[Any]) -> list[Any]:
        return [_p(c, styles.cell_right if i >= numeric_from else styles.cell) for i, c in enumerate(cells)]

    data = [line(headers)] + [line(row) for row in rows]
    table = Table(data, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),  # the cells' own default is Helvetica
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#9aa5b1")),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.HexColor("#e4e7eb")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _headline(report: dict[str, Any], width: float, styles: _Styles) -> Any:
    from reportlab.platypus import Table, TableStyle

    colors = _colors()
    cells = [
        [_p(label, styles.kpi_label), _p(value, styles.kpi_value), _p(note, styles.kpi_note)]
        for label, value, note in wording.headline(report)
    ]
    table = Table([cells], colWidths=[width / len(cells)] * len(cells))
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
                ("BOX", (0, 0), (-1, -1), 0.6, colors.HexColor("#d9e2ec")),
                ("INNERGRID", (0, 0), (-1, -1), 0.6, colors.HexColor("#d9e2ec")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f7f9fc")),
            ]
        )
    )
    return table


def _titled(title: str, chart: Any, styles: _Styles) -> Any:
    """A chart under its heading, kept on one page."""
    from reportlab.platypus import KeepTogether

    return KeepTogether([_p(title, styles.h3), chart])


def _rows_chart(
    title: str,
    items: Sequence[dict[str, Any]],
    *,
    label: str = "name",
    values: Sequence[str] = ("count",),
    width: float,
    styles: _Styles,
    **options: Any,
) -> Any:
    """One bar row per item, named by its ``label`` field: one bar per field in ``values`` (e.g. this
    period's figure above the previous period's), under its heading. ``options`` go to ``hbar_chart``."""
    chart = hbar_chart(
        [item[label] for item in items], [[item[v] for item in items] for v in values], width=width, **options
    )
    return _titled(title, chart, styles)


def _story(report: dict[str, Any], width: float, styles: _Styles) -> list[Any]:
    from reportlab.platypus import CondPageBreak, Spacer

    colors = _colors()
    period, cases, sla = report["period"], report["cases"], report["sla"]
    queue, sat, faq, found = report["queue"], report["satisfaction"], report["faq"], report["topics"]
    prev = period["previous_label"]

    def compared(title: str, items: Sequence[dict[str, Any]], *, label: str = "name", value: str = "count") -> Any:
        """Each item's figure this period above its figure in the previous period, across the page."""
        names = [period["label"], prev]
        return _rows_chart(
            title, items, label=label, values=(value, "previous"), width=width, styles=styles, names=names
        )

    story: list[Any] = [
        _p(report["center"]["name"], styles.center),
        _p(f"{period['label']}{wording.TITLE}", styles.title),
        _p(wording.subtitle(report), styles.small),
        Spacer(1, 6),
        _headline(report, width, styles),
    ]

    # 一、诉求受理
    trend = report["trend"]
    story += [
        _p("一、诉求受理", styles.h2),
        _p(
            f"本期受理诉求 {wording.count(cases['received'])} 件（{prev} {wording.count(cases['previous_received'])} 件，"
            f"{wording.change(cases['received'], cases['previous_received'])}），目前已办结 {wording.count(cases['closed'])} 件"
            f"（{wording.percent(cases['closed_rate'])}），重复诉求 {wording.count(cases['repeats'])} 件。",
            styles.body,
        ),
    ]
    if len(trend) >= 2:
        story += [
            _p(("每月" if period["kind"] == "year" else "每日") + "受理量与取号量", styles.h3),
            trend_chart(
                [t["label"] for t in trend],
                [t["cases"] for t in trend],
                [t["tickets"] for t in trend],
                width=width,
                height=150,
            ),
        ]
    by_category = cases["by_category"]
    if by_category:
        story += [compared("按业务类别", by_category)]
    if cases["by_channel"]:
        story += [_rows_chart("按渠道", cases["by_channel"], width=width * 0.6, styles=styles)]
    units = cases["by_second_level_unit"][:10]
    if units:
        story += [_rows_chart("按二级单位", units, width=width, styles=styles)]
    if cases["by_org_unit"]:
        story += [
            _p(wording.org_unit_heading(cases), styles.h3),
            _table(
                tables.cases_by_org_unit(report, count_header="受理（件）"),
                [width * 0.42, width * 0.42, width * 0.16],
                styles,
            ),
        ]

    # 二、办理时限与效率
    sla_rows = tables.sla_categories(report)
    timed = [c for c in sla_rows if c["answered_with_deadline"]]
    story += [
        CondPageBreak(200),
        _p("二、办理时限与效率", styles.h2),
        _p(
            f"本期答复 {wording.count(sla['answered'])} 件，其中有时限的 {wording.count(sla['answered_with_deadline'])} 件，"
            f"按时 {wording.count(sla['answered_on_time'])} 件，按时答复率 {wording.percent(sla['on_time_rate'])}；"
            f"按时响应率 {wording.percent(sla['response_on_time_rate'])}；统计截止时逾期未办结 "
            f"{wording.count(sla['overdue_open'])} 件。办理时长平均 {wording.duration(sla['handling']['mean_seconds'])}，"
            f"P90 {wording.duration(sla['handling']['p90_seconds'])}。",
            styles.body,
        ),
    ]
    if timed:
        story += [
            _titled(
                "各类别按时答复率（%）",
                hbar_chart(
                    [c["name"] for c in timed],
                    [[(c["on_time_rate"] or 0) * 100 for c in timed]],
                    width=width,
                    fills=[colors.Color(*GOOD)],
                    value_format="{:.0f}%",
                    max_value=100,
                ),
                styles,
            )
        ]
    if sla_rows:
        story.append(_table(tables.sla_by_category(report), [width * 0.22] + [width * 0.13] * 6, styles))

    # 三、排队等候
    queue_rows = tables.queue_categories(report)
    story += [
        CondPageBreak(200),
        _p("三、排队等候", styles.h2),
        _p(
            f"本期取号 {wording.count(queue['tickets'])} 张，办结 {wording.count(queue['done'])} 张，过号 "
            f"{wording.count(queue['no_show'])} 张。等候时长平均 {wording.minutes(queue['wait']['mean_seconds'])}，"
            f"P90 {wording.minutes(queue['wait']['p90_seconds'])}；服务时长平均 "
            f"{wording.minutes(queue['service']['mean_seconds'])}，P90 {wording.minutes(queue['service']['p90_seconds'])}。",
            styles.body,
        ),
    ]
    if queue_rows:
        story += [
            _titled(
                "各类别等候时长（分钟）",
                hbar_chart(
                    [c["name"] for c in queue_rows],
                    [
                        [(c["wait"]["mean_seconds"] or 0) / 60 for c in queue_rows],
                        [(c["wait"]["p90_seconds"] or 0) / 60 for c in queue_rows],
                    ],
                    width=width,
                    names=["平均等候", "P90 等候"],
                    value_format="{:.1f}",
                ),
                styles,
            ),
            _table(tables.queue_by_category(report), [width * 0.2] + [width * 0.08] * 3 + [width * 0.14] * 4, styles),
        ]

    # 四、满意度
    distribution = sat["distribution"]
    story += [
        CondPageBreak(220),
        _p("四、满意度", styles.h2),
        _p(
            f"本期收到评价 {wording.count(sat['ratings'])} 条，满意度 {wording.percent(sat['satisfied_rate'])}，平均 "
            f"{wording.score(sat['mean_score'])}（{prev}：满意度 {wording.percent(sat['previous']['satisfied_rate'])}，"
            f"{wording.count(sat['previous']['ratings'])} 条）。",
            styles.body,
        ),
    ]
    if sat["ratings"]:
        scores = ("5", "4", "3", "2", "1")
        story += [
            _titled(
                "评分分布（条）",
                hbar_chart(
                    [wording.SCORE_LABELS[s] for s in scores],
                    [[distribution[s] for s in scores]],
                    width=width * 0.75,
                    fills=[colors.Color(*GOOD)],
                ),
                styles,
            ),
            _table(
                tables.satisfaction_by_category(report, count_header="评价（条）"),
                [width * 0.34, width * 0.22, width * 0.22, width * 0.22],
                styles,
            ),
        ]

    # 五、自助服务
    story += [
        CondPageBreak(160),
        _p("五、自助服务", styles.h2),
        _p(
            f"职工在自助终端查看常见问题 {wording.count(faq['viewed'])} 次，表示“已解决” {wording.count(faq['resolved'])} 次、"
            f"“未解决” {wording.count(faq['not_resolved'])} 次，自助解决率 {wording.percent(faq['resolved_rate'])}"
            f"（{prev}已解决 {wording.count(faq['previous_resolved'])} 次）。",
            styles.body,
        ),
    ]
    if faq["by_category"]:
        story.append(
            _rows_chart(
                "各类别自助解决（次）", faq["by_category"], values=("resolved",), width=width * 0.75, styles=styles
            )
        )
    if faq["top"]:
        story += [
            _p("解决最多的问题", styles.h3),
            _table(tables.faq_top(report), [width * 0.56, width * 0.2, width * 0.12, width * 0.12], styles),
        ]

    # 六、热点话题
    story += [CondPageBreak(260), _p("六、热点话题", styles.h2)]
    if not found["documents"]:
        story.append(_p("本期没有可分析的诉求摘要。", styles.body))
    else:
        story.append(
            _p(
                f"分析诉求摘要 {wording.count(found['documents'])} 条（{prev} {wording.count(found['previous_documents'])} 条），"
                f"归入以下话题的 {wording.count(found['documents'] - found['other_documents'])} 条。",
                styles.body,
            )
        )
        if found["topics"]:
            story.append(
                _table(
                    tables.hot_topics(report),
                    [width * 0.22, width * 0.32, width * 0.1, width * 0.1, width * 0.1, width * 0.16],
                    styles,
                )
            )
        top = found["topics"][:6]
        if top and period["kind"] == "year" and len(trend) >= 2:
            # A year: each topic month by month (a month's days are too few cases each to read).
            story.append(
                _titled(
                    "热点话题各月走势（件）",
                    series_chart(
                        [t["label"] for t in trend],
                        [(t["label"], t["series"]) for t in top],
                        width=width,
                        height=150,
                    ),
                    styles,
                )
            )
        elif top:
            story.append(compared(f"热点话题与{prev}对比（件）", top, label="label", value="documents"))
        keywords = found["keywords"][:12]
        if keywords:
            story.append(compared("高频关键词（含该词的诉求件数）", keywords, label="word", value="documents"))

    story += [CondPageBreak(120), _p("统计口径", styles.h2)]
    story += [_p(f"{i}. {note}", styles.small) for i, note in enumerate(wording.NOTES, start=1)]
    return story


def render_pdf(report: dict[str, Any]) -> bytes:
    """The report as PDF bytes (A4 portrait)."""
    font = _register_font()
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    colors = _colors()
    center, period = report["center"], report["period"]
    buffer = io.BytesIO()
    margin = 16 * mm
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin + 4 * mm,
        bottomMargin=margin,
        title=f"{center['name']} {period['label']}{wording.TITLE}",
        author="Suqiu 职工诉求服务系统",
        subject=wording.TITLE,
        creator="suqiu report",
        # The canvas opens every page in Helvetica unless told otherwise: a font that is not embedded
        # and has no Chinese glyphs. Start in ours, so every font in the file is the embedded one.
        initialFontName=font,
        initialFontSize=9,
    )
    header = f"{center['name']} · {period['label']}{wording.TITLE}"

    def decorate(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.HexColor("#7b8794"))
        top = A4[1] - margin + 2 * mm
        canvas.drawString(margin, top, header)
        canvas.setFillColor(colors.HexColor("#c0392b"))
        canvas.drawRightString(A4[0] - margin, top, wording.MARKING)
        canvas.setStrokeColor(colors.HexColor("#d9e2ec"))
        canvas.line(margin, top - 2 * mm, A4[0] - margin, top - 2 * mm)
        canvas.setFillColor(colors.HexColor("#7b8794"))
        canvas.drawCentredString(A4[0] / 2, margin - 8 * mm, f"第 {document.page} 页")
        canvas.restoreState()

    styles = _Styles()
    doc.build(_story(report, doc.width, styles), onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
