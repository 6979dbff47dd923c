"""The main chart's geometry, computed on the server: the template draws it as SVG, so it shows without JavaScript.

Coordinates are in a fixed viewBox the SVG scales to any width; each point carries its label and value (for
the `<title>` tooltip and the small script that shows a nicer one on hover).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from leadline.dashboard.site_format import metric_value

WIDTH, HEIGHT = 1000, 280
LEFT, RIGHT, TOP, BOTTOM = 6, 6, 12, 12  # the y-axis labels sit beside the SVG, in HTML
MAX_X_LABELS = 7
Y_TICKS = 4


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    label: str
    value: float
    text: str  # the value as people read it
    previous_text: str  # the previous period's value at this point ("" without one)
    band_x: float  # the hover band of this point: [band_x, band_x + band_width)
    band_width: float


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    text: str


@dataclass(frozen=True, slots=True)
class Annotation:
    x: float
    name: str
    day: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    line: str  # SVG polyline points of the current period
    area: str  # the same, closed down to the axis (the filled area)
    previous_line: str  # "" without a previous period
    points: tuple[Point, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    milestones: tuple[Annotation, ...]


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above `value` (at least 1): round gridlines."""
    if value <= 1:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def short_label(label: str, interval: str) -> str:
    """An x-axis label: "14:00" for hours, "Mar 5" for days, "Mar 2026" for months."""
    if interval == "hour":
        return label[11:16]
    if interval == "day":
        day = date.fromisoformat(label)
        return f"{day:%b} {day.day}"
    return date.fromisoformat(label + "-01").strftime("%b %Y")


def _points_text(coordinates: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)


def build_chart(
    metric: str,
    interval: str,
    labels: Sequence[str],
    series: Sequence[float],
    previous: Sequence[float] | None,
    milestones: Sequence[tuple[date, str]] = (),
) -> Chart:
    """The chart of `series` over `labels` (with `previous` aligned point by point) and milestones on their days."""
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    count = len(labels)
    top_value = nice_ceiling(max([*series, *(previous or []), 0.0]))
    if metric == "bounce_rate":
        top_value = min(top_value, 1.0)
    step = plot_width / (count - 1) if count > 1 else 0.0

    def x_of(index: int) -> float:
        return LEFT + (index * step if count > 1 else plot_width / 2)

    def y_of(value: float) -> float:
        return TOP + plot_height - (value / top_value) * plot_height

    coordinates = [(x_of(index), y_of(value)) for index, value in enumerate(series)]
    band = step if count > 1 else plot_width
    points = tuple(
        Point(
            x=x,
            y=y,
            label=labels[index],
            value=series[index],
            text=metric_value(metric, series[index]),
            previous_text=metric_value(metric, previous[index]) if previous and index < len(previous) else "",
            band_x=max(LEFT, x - band / 2),
            band_width=min(x + band / 2, WIDTH - RIGHT) - max(LEFT, x - band / 2),
        )
        for index, (x, y) in enumerate(coordinates)
    )
    previous_coordinates = [(x_of(index), y_of(value)) for index, value in enumerate((previous or [])[:count])]
    baseline = TOP + plot_height
    area = ""
    if coordinates:
        closed = [(coordinates[0][0], baseline), *coordinates, (coordinates[-1][0], baseline)]
        area = _points_text(closed)
    # Evenly spread from the first point to the last, so the labels can sit in a justified row under the chart.
    shown = min(count, MAX_X_LABELS)
    indices = sorted({round(i * (count - 1) / (shown - 1)) for i in range(shown)}) if shown > 1 else list(range(count))
    x_ticks = tuple(Tick(x_of(index), short_label(labels[index], interval)) for index in indices)
    y_ticks = tuple(
        Tick(y_of(top_value * share / Y_TICKS), metric_value(metric, top_value * share / Y_TICKS))
        for share in range(Y_TICKS + 1)
    )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=baseline,
        line=_points_text(coordinates),
        area=area,
        previous_line=_points_text(previous_coordinates) if previous is not None else "",
        points=points,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        milestones=_annotations(labels, milestones, x_of),
    )


def _annotations(
    labels: Sequence[str], milestones: Sequence[tuple[date, str]], x_of: Callable[[int], float]
) -> tuple[Annotation, ...]:
    found = []
    for day, name in milestones:
        # A milestone sits on the first point of its day (hours), its day, or its month.
        for index, label in enumerate(labels):
            if label.startswith(day.isoformat()) or label == day.strftime("%Y-%m"):
                found.append(Annotation(x=x_of(index), name=name, day=day.isoformat()))
                break
    return tuple(found)
