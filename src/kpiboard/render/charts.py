"""SPC charts: Vega-Lite specs built from an :class:`~kpiboard.scorecard.Spc` block, drawn
to static SVG by vl-convert (no JavaScript, no CDN: the SVG is inlined in the page, or written
as a file by ``kpiboard spc --format svg``). The one chart implementation of kpiboard.

A chart is drawn from a :class:`Charted`: the Spc block and the names to call it by
(``Charted.of(row)`` for a scorecard row). For each row with an SPC block the HTML report
takes :func:`charts_for`; ``kpiboard spc`` takes :func:`series_chart_svg`.

- :func:`spc_spec`: the XmR chart: the values as a line, each point coloured *and* shaped by
  its point type (so a greyscale print still tells them apart), the mean, the process limits
  dashed, the target dotted, and a vertical rule where the limits were rebased (the points'
  ``rebase_group`` changes).
- :func:`trend_spec`: the values as bars against the target line (drawn only when there is a
  target; without one it would only repeat the SPC chart).

Periods are months (``YYYY-MM``, axis labels ``Aug-09``) or dates (``YYYY-MM-DD``, drawn on
the day given; labelled by day unless every date is the first of its month).

Each SVG is one ``role="img"`` with an ``aria-label`` and ``<title>`` summarising it
(variation, mean and limits, rebases, target, assurance); the report puts it inside a
``<figure>`` with a visible caption. Colours are Making Data Count's; fonts are named, never
fetched.

Nothing here computes a statistic or writes a number: every figure is a field of the Spc
block as the engine wrote it (``mean_text``, ``target_text``, ...). Limits the engine left
undefined (None) are left out of the data, never drawn at 0.

>>> svg = chart_svg(spc_spec(Charted.of(row)))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from html import escape
from itertools import pairwise
from typing import Any

import vl_convert

from kpiboard.render.viewmodel import (
    CURRENCY,
    MILLION,
    assurance_words,
    variation_words,
)
from kpiboard.scorecard import Row, Spc, SpcPoint

VL_VERSION = "6.4"  # pinned so a vl-convert upgrade does not silently restyle the charts
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # names the spec; never fetched
WIDTH, HEIGHT = 460, 190
TITLE_CHARS = 70  # wrap chart titles longer than this onto more lines
DAY_TICKS = 8  # about this many date labels on a daily axis (Vega picks round days/weeks/months)
# vl-convert lays text out with the first of these it finds. DejaVu Sans and Verdana are
# among the widest common sans fonts, so text measured in one and shown in another (or in
# Arial) never overlaps its neighbours; bare "sans-serif" is measured narrower than browsers
# draw it.
FONT = "'DejaVu Sans', Verdana, Arial, sans-serif"

# Making Data Count's palette. Shapes repeat the meaning for anyone who cannot see colour.
POINT_TYPES: dict[str, tuple[str, str, str]] = {  # key -> (legend words, colour, shape)
    "common_cause": ("Common cause", "#a6a6a6", "circle"),
    "special_cause_improvement": ("Special cause improvement", "#00b0f0", "diamond"),
    "special_cause_concern": ("Special cause concern", "#e46c0a", "square"),
    "special_cause_neutral_high": ("Special cause (higher), neutral", "#7030a0", "triangle-up"),
    "special_cause_neutral_low": ("Special cause (lower), neutral", "#7030a0", "triangle-down"),
}
UNKNOWN_POINT = ("Other", "#555555", "cross")

MEAN, LIMITS, TARGET = "Mean", "Process limits", "Target"
LINES: dict[str, tuple[str, list[int]]] = {  # legend words -> (colour, dash pattern)
    MEAN: ("#1a1a1a", [1, 0]),
    LIMITS: ("#595959", [6, 4]),
    TARGET: ("#c00000", [2, 3]),
}
VALUE_LINE = "#7f7f7f"
BAR_FILL = "#8fa9c4"
REBASE_RULE = "#8a8a8a"


@dataclass(frozen=True)
class Chart:
    """One chart ready to inline: the SVG (already carrying role/aria-label/title) and the
    visible caption."""

    kind: str  # "spc" | "trend"
    svg: str
    label: str  # the text alternative (also the SVG's aria-label and <title>)
    caption: str


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
        return cls(row.spc, _name(row), row.title, row.unit)

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


# --- specs -------------------------------------------------------------------------------


def spc_spec(charted: Charted) -> dict[str, Any]:
    """The XmR chart of ``charted.spc`` as a Vega-Lite spec (a plain, JSON-able dict)."""
    spc, monthly = charted.spc, charted.monthly
    points = spc.points
    present = [k for k in POINT_TYPES if any(p.point_type == k for p in points)]
    present += sorted({p.point_type for p in points} - set(POINT_TYPES))
    values = [
        {"month": _day(p), "label": p.label, "value": p.value, "type": _point_words(p.point_type)}
        for p in points
    ]
    reference = _reference_lines(spc)
    lines = [name for name in LINES if any(r["line"] == name for r in reference)]
    y = _y(charted, [p.value for p in points] + [r["y"] for r in reference])
    y["scale"] = {"zero": False, "padding": 6}
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "line", "color": VALUE_LINE, "strokeWidth": 1.25},
            "encoding": {"x": _x(monthly), "y": y},
        },
    ]
    if reference:
        layers.append(
            {
                "data": {"values": reference},
                "mark": {"type": "line", "strokeWidth": 1.5},
                "encoding": {
                    "x": _x(monthly),
                    "y": {**y, "field": "y"},
                    "color": {
                        "field": "line",
                        "type": "nominal",
                        "scale": {"domain": lines, "range": [LINES[n][0] for n in lines]},
                        "legend": {"title": None, "orient": "bottom", "symbolType": "stroke"},
                    },
                    "strokeDash": {
                        "field": "line",
                        "type": "nominal",
                        "scale": {"domain": lines, "range": [LINES[n][1] for n in lines]},
                        "legend": {"title": None, "orient": "bottom", "symbolType": "stroke"},
                    },
                    "detail": {"field": "segment", "type": "nominal"},
                },
            }
        )
    layers += [
        {
            "mark": {
                "type": "point",
                "filled": True,
                "size": 42,
                "opacity": 1,
                "stroke": "#ffffff",
                "strokeWidth": 0.5,
            },
            "encoding": {
                "x": _x(monthly),
                "y": y,
                "color": {
                    "field": "type",
                    "type": "nominal",
                    "scale": {
                        "domain": [_point_words(k) for k in present],
                        "range": [_point_style(k)[1] for k in present],
                    },
                    "legend": {"title": None, "orient": "bottom"},
                },
                "shape": {
                    "field": "type",
                    "type": "nominal",
                    "scale": {
                        "domain": [_point_words(k) for k in present],
                        "range": [_point_style(k)[2] for k in present],
                    },
                    "legend": {"title": None, "orient": "bottom"},
                },
            },
        },
    ]
    breaks = [(prev, p) for prev, p in pairwise(points) if p.rebase_group != prev.rebase_group]
    if breaks:
        layers.append(
            {
                "data": {
                    "values": [
                        {"month": _between(prev, p, monthly), "text": "limits rebased"}
                        for prev, p in breaks
                    ]
                },
                "layer": [
                    {
                        "mark": {"type": "rule", "color": REBASE_RULE, "strokeDash": [3, 2]},
                        "encoding": {"x": _x(monthly)},
                    },
                    {
                        "mark": {
                            "type": "text",
                            "align": "left",
                            "baseline": "top",
                            "dx": 3,
                            "dy": 2,
                            "fontSize": 10,
                            "color": "#444444",
                        },
                        "encoding": {
                            "x": _x(monthly),
                            "y": {"value": 0},
                            "text": {"field": "text"},
                        },
                    },
                ],
            }
        )
    title = f"SPC chart: {charted.name}"
    subtitle = f"{points[0].label} to {points[-1].label} · XmR chart"
    if spc.trial_limits:
        subtitle += " · trial limits (short series)"
    return _chart(
        title,
        subtitle,
        values,
        layers,
        resolve={
            "scale": {"color": "independent", "shape": "independent", "strokeDash": "independent"}
        },
    )


def trend_spec(charted: Charted) -> dict[str, Any]:
    """The values as bars with the target (when there is one) as a line."""
    spc, monthly = charted.spc, charted.monthly
    points = spc.points
    values = [{"month": _day(p), "label": p.label, "value": p.value} for p in points]
    x = {
        **_x(monthly),
        "timeUnit": "utcyearmonth" if monthly else "utcyearmonthdate",
        "bandPosition": 0,
        "scale": {"type": "utc"},
    }
    y = _y(charted, [p.value for p in points] + ([spc.target] if spc.target is not None else []))
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "bar", "color": BAR_FILL, "width": {"band": 0.75}},
            "encoding": {"x": x, "y": {**y, "scale": {"zero": True}}},
        },
    ]
    if spc.target is not None:
        target = "Monthly target" if monthly else "Target"
        colour, dash = LINES[TARGET]
        layers.append(
            {
                "data": {
                    "values": [
                        {
                            "y": spc.target,
                            "line": f"{target} {spc.target_text}" if spc.target_text else target,
                        }
                    ]
                },
                "mark": {"type": "rule", "color": colour, "strokeDash": dash, "strokeWidth": 2},
                "encoding": {
                    "y": {**y, "field": "y"},
                    "strokeDash": {
                        "field": "line",
                        "type": "nominal",
                        "scale": {"range": [dash]},
                        "legend": {
                            "title": None,
                            "orient": "bottom",
                            "symbolType": "stroke",
                            "symbolStrokeColor": colour,
                        },
                    },
                },
            }
        )
    title = f"{'Monthly values' if monthly else 'Values'} against target: {charted.name}"
    subtitle = f"{points[0].label} to {points[-1].label}"
    if spc.target is None:
        subtitle += " · no monthly target" if monthly else " · no target"
    return _chart(title, subtitle, values, layers)


def rebase_breaks(points: tuple[SpcPoint, ...]) -> list[SpcPoint]:
    """The first point of each new rebase group: where the engine's ``rebase_group`` changes
    from the point before (never inferred from the mean, which fixed limits or a repeated
    value could leave unchanged)."""
    return [p for prev, p in pairwise(points) if p.rebase_group != prev.rebase_group]


def _chart(
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


def _name(row: Row) -> str:
    return f"{row.id} {row.title}" if row.id != row.measure else row.title


def _x(monthly: bool = True) -> dict[str, Any]:
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


def _y(charted: Charted, values: list[float]) -> dict[str, Any]:
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


def _day(p: SpcPoint) -> str:
    """The point's date: a month's first day, or the date as given."""
    return p.period if _DAY.match(p.period) else f"{p.period}-01"


def _between(prev: SpcPoint, p: SpcPoint, monthly: bool) -> str:
    """Where a rebase rule sits, between the two groups' points: half a month before ``p``
    for months; halfway between the two dates otherwise."""
    first = date.fromisoformat(_day(p))
    if monthly:
        return (first - timedelta(days=15)).isoformat()
    before = datetime.fromisoformat(_day(prev))
    middle = before + (datetime.fromisoformat(_day(p)) - before) / 2
    return middle.date().isoformat() if middle.time() == time() else f"{middle.isoformat()}Z"


def _point_style(key: str) -> tuple[str, str, str]:
    return POINT_TYPES.get(key, UNKNOWN_POINT)


def _point_words(key: str) -> str:
    words = _point_style(key)[0]
    return words if key in POINT_TYPES else key.replace("_", " ").capitalize()


def _reference_lines(spc: Spc) -> list[dict[str, Any]]:
    """Mean, limits and target as (month, y, line, segment) rows. A segment is one unbroken
    stretch: a new one starts at a rebase (a new ``rebase_group``) and after an undefined
    value, which is left out
    (so a line stops there instead of dropping to 0 or joining across the gap)."""
    rows: list[dict[str, Any]] = []
    for field, line in (("mean", MEAN), ("upl", LIMITS), ("lpl", LIMITS)):
        segment, previous = 0, None
        for p in spc.points:
            y: float | None = getattr(p, field)
            if y is None or math.isnan(y):
                previous = None
                continue
            if previous is None or p.rebase_group != previous.rebase_group:
                segment += 1
            rows.append({"month": _day(p), "y": y, "line": line, "segment": f"{field}/{segment}"})
            previous = p
    if spc.target is not None:
        rows.extend(
            {"month": _day(p), "y": spc.target, "line": TARGET, "segment": TARGET}
            for p in spc.points
        )
    return rows


# --- SVG ---------------------------------------------------------------------------------

_SVG_OPEN = re.compile(r"<svg\b([^>]*)>")
_NOISE = re.compile(r' (?:class|pointer-events|aria-hidden|role|aria-roledescription)="[^"]*"')
_ATTRIBUTE = re.compile(r'(\s[\w:-]+=")([^"]*)(")')
_LONG_DECIMAL = re.compile(r"(\d\.\d\d)\d+")


def chart_svg(spec: dict[str, Any]) -> str:
    """The spec drawn as a static SVG string (cached: the same spec is drawn once)."""
    return _svg(json.dumps(spec, sort_keys=True, ensure_ascii=False))


@lru_cache(maxsize=256)
def _svg(spec_json: str) -> str:
    svg = vl_convert.vegalite_to_svg(json.loads(spec_json), vl_version=VL_VERSION)
    return _slim(svg)


def _slim(svg: str) -> str:
    """A third smaller, drawn the same: no per-mark class/role attributes (dead weight once
    the whole SVG is one image), the font named once on the root instead of on every text,
    and coordinates to 1/100 px. Only attribute values change, never text content."""
    svg = _NOISE.sub("", svg)
    font = f' font-family="{escape(FONT, quote=False)}"'
    if font in svg:
        svg = svg.replace(font, "")
        svg = _SVG_OPEN.sub(lambda m: f"<svg{m.group(1)}{font}>", svg, count=1)
    return _ATTRIBUTE.sub(
        lambda m: m.group(1) + _LONG_DECIMAL.sub(r"\1", m.group(2)) + m.group(3), svg
    )


def labelled_svg(svg: str, label: str) -> str:
    """``svg`` as one image for assistive technology: role="img", aria-label and a <title>
    (the tooltip). ``label`` is escaped here."""
    text = escape(label, quote=True)
    match = _SVG_OPEN.search(svg)
    if match is None:
        raise ValueError("not an SVG document")
    attrs = re.sub(r'\s(?:role|aria-label|focusable)="[^"]*"', "", match.group(1))
    opening = f'<svg{attrs} role="img" aria-label="{text}" focusable="false">'
    return svg[: match.start()] + opening + f"<title>{text}</title>" + svg[match.end() :]


def spc_label(charted: Charted) -> str:
    """ "SPC chart of Robbery, Sep-07 to Aug-09: common cause variation; mean 2,765, limits
    2,310 to 3,220; monthly target 2,700; hit and miss" (the engine's texts for every number)."""
    spc, monthly = charted.spc, charted.monthly
    first, last = spc.points[0].label, spc.points[-1].label
    words = variation_words(spc)
    parts = [f"SPC chart of {charted.title}, {first} to {last}: {words[:1].lower()}{words[1:]}"]
    if spc.rule != "common_cause" and spc.rule_text:
        parts[0] += f" ({spc.rule_text} at {last})"
    if spc.mean_text:
        if spc.lpl_text and spc.upl_text:
            parts.append(f"mean {spc.mean_text}, limits {spc.lpl_text} to {spc.upl_text}")
        else:
            parts.append(f"mean {spc.mean_text}, no process limits yet")
    breaks = rebase_breaks(spc.points)
    if breaks:
        parts.append("limits rebased from " + ", ".join(p.label for p in breaks))
    if spc.target_text:
        parts.append(f"{'monthly target' if monthly else 'target'} {spc.target_text}")
    assurance = assurance_words(spc)
    if assurance is not None:
        parts.append(assurance[:1].lower() + assurance[1:])
    if spc.trial_limits:
        parts.append("trial limits")
    return "; ".join(parts)


def trend_label(charted: Charted) -> str:
    spc, monthly = charted.spc, charted.monthly
    first, last = spc.points[0], spc.points[-1]
    monthly_ = "monthly " if monthly else ""
    text = f"Bar chart of {monthly_}{charted.title}, {first.label} to {last.label}"
    if spc.target_text:
        text += f", against a {monthly_}target of {spc.target_text}"
    if spc.latest_text:
        text += f"; latest ({last.label}) {spc.latest_text}"
    return text


def charts_for(row: Row) -> list[Chart]:
    """The row's charts, drawn and labelled; [] when it has no SPC series. The trend chart
    is only drawn when there is a monthly target to set the values against (without one it
    would repeat the SPC chart's line as bars)."""
    if row.spc is None or not row.spc.points:
        return []
    charted = Charted.of(row)
    spc_text = spc_label(charted)
    out = [
        Chart(
            "spc",
            labelled_svg(chart_svg(spc_spec(charted)), spc_text),
            spc_text,
            f"SPC chart (XmR, Making Data Count rules). {row.spc.summary}".strip(),
        )
    ]
    if row.spc.target is not None:
        trend_text = trend_label(charted)
        out.append(
            Chart(
                "trend",
                labelled_svg(chart_svg(trend_spec(charted)), trend_text),
                trend_text,
                f"Monthly values against the monthly target ({row.spc.target_text or 'as given'}).",
            )
        )
    return out


def series_chart_svg(charted: Charted) -> str:
    """The SPC chart alone as a self-contained SVG document (``kpiboard spc --format svg``):
    the report's chart, labelled the same way."""
    label = spc_label(charted)
    return labelled_svg(chart_svg(spc_spec(charted)), label)
