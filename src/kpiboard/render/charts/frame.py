"""What an SPC or trend chart is drawn from (:class:`Charted`) and what both charts share: the
frame (size, title, fonts, legend), the time axis (months or days, UTC), the value axis
(titled with the unit; money in millions as "£12m"), and the reference lines' styles."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import Any

from kpiboard.render.charts.vega import FONT, SCHEMA
from kpiboard.render.viewmodel import CURRENCY, MILLION
from kpiboard.scorecard import Row, Spc, SpcPoint

WIDTH, HEIGHT = 460, 190
TITLE_CHARS = 70  # wrap chart titles longer than this onto more lines
DAY_TICKS = 8  # about this many date labels on a daily axis (Vega picks round days/weeks/months)

MEAN, LIMITS, TARGET = "Mean", "Process limits", "Target"
LINES: dict[str, tuple[str, list[int]]] = {  # legend words -> (colour, dash pattern)
    MEAN: ("#1a1a1a", [1, 0]),
    LIMITS: ("#595959", [6, 4]),
    TARGET: ("#c00000", [2, 3]),
}


@dataclass(frozen=True)
class Charted:
    """What a chart is drawn from: an Spc block with its points, and the names to call it by.

    ``name`` heads the chart (``"4a Serious acquisitive crime rate"``); ``title`` names the
    series in the text alternative (``"Serious acquisitive crime rate"``); ``unit`` is the
    values' unit (``"%"``, ``"£m"``, ``"offences"``, ``""``), for the value axis.
    """

    spc: Spc
    name: str
    title: str
    unit: str = ""

    def __post_init__(self) -> None:
        if not self.spc.points:
            raise ValueError(f"{self.name!r} has no SPC series to chart")

    @classmethod
    def of(cls, row: Row) -> Charted:
        """A scorecard row's chart; ValueError when the row has no SPC series."""
        if row.spc is None or not row.spc.points:
            raise ValueError(f"row {row.id!r} has no SPC series to chart")
        return cls(row.spc, row_heading(row), row.title, row.unit)

    @property
    def monthly(self) -> bool:
        """Months (``YYYY-MM``), or dates that are all the first of their month: the axis
        reads by month. Otherwise by day."""
        return all(
            _MONTH.match(p.period) or _FIRST_OF_MONTH.match(p.period) for p in self.spc.points
        )


_MONTH = re.compile(r"^\d{4}-\d{2}$")
_FIRST_OF_MONTH = re.compile(r"^\d{4}-\d{2}-01$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def chart_frame(
    title: str,
    subtitle: str,
    values: list[dict[str, Any]],
    layers: list[dict[str, Any]],
    resolve: dict[str, Any] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "$schema": SCHEMA,
        "width": WIDTH,
        "height": HEIGHT,
        "background": "#ffffff",
        "title": {
            "text": textwrap.wrap(title, TITLE_CHARS) or [title],
            "subtitle": subtitle,
            "anchor": "start",
            "fontSize": 13,
            "subtitleFontSize": 11,
            "subtitleColor": "#444444",
        },
        "data": {"values": values},
        "layer": layers,
        "config": {
            "font": FONT,
            "aria": False,  # the <svg> as a whole is one role="img" with its own label
            "view": {"stroke": None},
            "axis": {
                "labelColor": "#333333",
                "titleColor": "#1a1a1a",
                "tickColor": "#8a8a8a",
                "domainColor": "#8a8a8a",
                "labelFontSize": 10,
                "titleFontSize": 11,
            },
            "axisX": {"grid": False},
            "axisY": {"gridColor": "#e6e6e6"},
            "legend": {
                "labelFontSize": 10,
                "titleFontSize": 10,
                "labelColor": "#333333",
                "direction": "horizontal",
                "columnPadding": 14,
                "labelLimit": 0,
                # the lines' key above the points' key, not beside it
                "layout": {"bottom": {"anchor": "start", "direction": "vertical", "margin": 4}},
            },
        },
    }
    if resolve:
        spec["resolve"] = resolve
    return spec


def row_heading(row: Row) -> str:
    """What a row's chart is headed by: ``4a Serious acquisitive crime``, or the title alone when
    the row has no label of its own."""
    return f"{row.id} {row.title}" if row.id != row.measure else row.title


def time_axis(monthly: bool = True) -> dict[str, Any]:
    # UTC throughout, so the date on the axis never depends on the machine's time zone.
    axis: dict[str, Any] = (
        {"format": "%b-%y", "labelAngle": 0, "tickCount": {"interval": "month", "step": 3}}
        if monthly
        else {"format": "%-d %b %Y", "labelAngle": 0, "tickCount": DAY_TICKS, "labelOverlap": True}
    )
    return {
        "field": "month",
        "type": "temporal",
        "title": "Month" if monthly else "Date",
        "scale": {"type": "utc", "padding": 6},  # pixels, so edge points are whole
        "axis": axis,
    }


def value_axis(charted: Charted, values: list[float]) -> dict[str, Any]:
    """The value axis: titled with the unit; money in millions is labelled "£12m", not
    "12,000,000" (``values`` are everything drawn, to see how large the axis runs)."""
    unit = charted.unit.strip()
    what = "Monthly value" if charted.monthly else "Value"
    title = f"{what} ({unit})" if unit else what
    axis: dict[str, Any] = {}
    if unit[:1] in CURRENCY and max((abs(v) for v in values), default=0) >= MILLION:
        title = f"{what} ({unit[0]} millions)"
        axis["labelExpr"] = f"format(datum.value / {MILLION}, ',~r') + 'm'"
    y: dict[str, Any] = {
        "field": "value",
        "type": "quantitative",
        "title": title,
        "scale": {"zero": False},
    }
    if axis:
        y["axis"] = axis
    return y


def point_date(p: SpcPoint) -> str:
    """The point's date: a month's first day, or the date as given."""
    return p.period if _DAY.match(p.period) else f"{p.period}-01"
