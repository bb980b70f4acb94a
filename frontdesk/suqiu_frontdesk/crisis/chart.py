"""A person's scores on one scale over time, drawn with QPainter (no chart library needed).

Bands are shaded in neutral alternating tints with their names at the right edge — not in
traffic-light colours, because "higher is worse" is not true of every scale (WHO-5 is the other
way round). Points are placed by date; a crisis result is ringed in red. Clicking a point
selects that result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

BAND_TINTS = ("#EEF3F9", "#E2EAF4")
LINE = QColor("#1F5FBF")
CRISIS = QColor("#C62828")
TEXT = QColor("#33475B")
GRID = QColor("#C9D3DE")


@dataclass(frozen=True)
class ChartPoint:
    result_id: int
    when: datetime
    value: int
    band_label: str
    crisis: bool = False


@dataclass(frozen=True)
class ChartBand:
    min: int
    max: int
    label: str


class TrendChart(QWidget):
    point_clicked = Signal(int)  # result id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trendChart")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(260)
        self.points: list[ChartPoint] = []
        self.bands: list[ChartBand] = []
        self.low, self.high = 0, 1
        self.title = ""
        self.empty_text = "暂无测评记录"
        self.selected: int | None = None
        self._placed: list[tuple[QPointF, ChartPoint]] = []

    def sizeHint(self) -> QSize:
        return QSize(640, 320)

    def set_series(
        self,
        points: Sequence[ChartPoint],
        *,
        bands: Sequence[ChartBand] = (),
        value_range: tuple[int, int] | None = None,
        title: str = "",
    ) -> None:
        self.points = sorted(points, key=lambda p: (p.when, p.result_id))
        self.bands = list(bands)
        values = [p.value for p in self.points]
        if value_range is not None:
            self.low, self.high = value_range
        elif self.bands:
            self.low, self.high = min(b.min for b in self.bands), max(b.max for b in self.bands)
        elif values:
            self.low, self.high = min(0, *values), max(values)
        if self.high <= self.low:
            self.high = self.low + 1
        self.title = title
        self.update()

    def select(self, result_id: int | None) -> None:
        self.selected = result_id
        self.update()

    # --- geometry -----------------------------------------------------------------------------------

    def _plot_rect(self) -> QRectF:
        return QRectF(48, 34 if self.title else 14, max(10, self.width() - 48 - 150), max(10, self.height() - 80))

    def _y(self, value: float, plot: QRectF) -> float:
        return plot.bottom() - (value - self.low) / (self.high - self.low) * plot.height()

    def _xs(self, plot: QRectF) -> list[float]:
        if not self.points:
            return []
        if len(self.points) == 1:
            return [plot.center().x()]
        first, last = self.points[0].when, self.points[-1].when
        span = (last - first).total_seconds()
        pad = 24.0
        if span <= 0:
            step = (plot.width() - 2 * pad) / (len(self.points) - 1)
            return [plot.left() + pad + i * step for i in range(len(self.points))]
        return [
            plot.left() + pad + (p.when - first).total_seconds() / span * (plot.width() - 2 * pad) for p in self.points
        ]

    # --- drawing ------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#FFFFFF"))
        plot = self._plot_rect()
        small = QFont(self.font())
        small.setPixelSize(13)
        painter.setFont(small)
        if self.title:
            title_font = QFont(self.font())
            title_font.setPixelSize(16)
            title_font.setBold(True)
            painter.setFont(title_font)
            painter.setPen(TEXT)
            painter.drawText(QRectF(plot.left(), 4, plot.width() + 150, 24), Qt.AlignmentFlag.AlignLeft, self.title)
            painter.setFont(small)
        self._draw_bands(painter, plot)
        self._draw_axis(painter, plot)
        if not self.points:
            painter.setPen(TEXT)
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.empty_text)
            self._placed = []
            painter.end()
            return
        xs = self._xs(plot)
        placed = [(QPointF(x, self._y(p.value, plot)), p) for x, p in zip(xs, self.points, strict=True)]
        self._placed = placed
        path = QPainterPath(placed[0][0])
        for point, _p in placed[1:]:
            path.lineTo(point)
        painter.setPen(QPen(LINE, 2.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        for point, p in placed:
            self._draw_point(painter, point, p, plot)
        painter.end()

    def _draw_bands(self, painter: QPainter, plot: QRectF) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        for index, band in enumerate(self.bands):
            top = self._y(band.max + 0.5 if band.max < self.high else band.max, plot)
            bottom = self._y(band.min - 0.5 if band.min > self.low else band.min, plot)
            rect = QRectF(plot.left(), top, plot.width(), bottom - top)
            painter.fillRect(rect, QColor(BAND_TINTS[index % 2]))
            painter.setPen(TEXT)
            label_rect = QRectF(plot.right() + 8, top, 142, bottom - top)
            painter.drawText(
                label_rect,
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap,
                f"{band.label}\n{band.min}–{band.max}",
            )
            painter.setPen(Qt.PenStyle.NoPen)

    def _draw_axis(self, painter: QPainter, plot: QRectF) -> None:
        painter.setPen(QPen(GRID, 1))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        painter.drawLine(plot.bottomLeft(), plot.topLeft())
        painter.setPen(TEXT)
        ticks = sorted({self.low, self.high, *(b.min for b in self.bands)})
        for value in ticks:
            y = self._y(value, plot)
            painter.drawText(QRectF(0, y - 9, plot.left() - 6, 18), Qt.AlignmentFlag.AlignRight, str(value))

    def _draw_point(self, painter: QPainter, point: QPointF, p: ChartPoint, plot: QRectF) -> None:
        selected = p.result_id == self.selected
        radius = 7.0 if selected else 5.5
        painter.setPen(QPen(QColor("#FFFFFF"), 2))
        painter.setBrush(LINE)
        painter.drawEllipse(point, radius, radius)
        if p.crisis:
            painter.setPen(QPen(CRISIS, 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(point, radius + 5, radius + 5)
        if selected:
            painter.setPen(QPen(LINE, 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(point.x(), plot.top()), QPointF(point.x(), plot.bottom()))
        painter.setPen(CRISIS if p.crisis else TEXT)
        painter.drawText(QRectF(point.x() - 30, point.y() - 30, 60, 18), Qt.AlignmentFlag.AlignCenter, str(p.value))
        painter.setPen(TEXT)
        painter.drawText(
            QRectF(point.x() - 40, plot.bottom() + 6, 80, 18),
            Qt.AlignmentFlag.AlignCenter,
            p.when.astimezone().strftime("%m-%d"),
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        where = event.position()
        hits = [(abs(pt.x() - where.x()) + abs(pt.y() - where.y()), p) for pt, p in self._placed]
        if hits:
            distance, nearest = min(hits, key=lambda h: h[0])
            if distance <= 24:
                self.select(nearest.result_id)
                self.point_clicked.emit(nearest.result_id)

    def point_position(self, result_id: int) -> QPointF | None:
        """Where a result's point was drawn (tests click it)."""
        return next((pt for pt, p in self._placed if p.result_id == result_id), None)
