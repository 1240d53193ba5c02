"""The SPC (XmR) chart: the values as a line, each point coloured *and* shaped by its point
type (so a greyscale print still tells them apart; Making Data Count's colours), the mean, the
process limits dashed, the target dotted, and a vertical rule where the limits were rebased
(the points' ``rebase_group`` changes). Limits the engine left undefined (None) are left out
of the data, never drawn at 0."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from kpiboard.render.charts.frame import (
    LIMITS,
    LINES,
    MEAN,
    TARGET,
    Charted,
    chart_frame,
    point_date,
    time_axis,
    value_axis,
)
from kpiboard.render.charts.vega import chart_svg, labelled_svg
from kpiboard.render.viewmodel import assurance_words, variation_words
from kpiboard.scorecard import Spc, SpcPoint

# Making Data Count's palette. Shapes repeat the meaning for anyone who cannot see colour.
POINT_TYPES: dict[str, tuple[str, str, str]] = {  # key -> (legend words, colour, shape)
    "common_cause": ("Common cause", "#a6a6a6", "circle"),
    "special_cause_improvement": ("Special cause improvement", "#00b0f0", "diamond"),
    "special_cause_concern": ("Special cause concern", "#e46c0a", "square"),
    "special_cause_neutral_high": ("Special cause (higher), neutral", "#7030a0", "triangle-up"),
    "special_cause_neutral_low": ("Special cause (lower), neutral", "#7030a0", "triangle-down"),
}
UNKNOWN_POINT = ("Other", "#555555", "cross")

VALUE_LINE = "#7f7f7f"
REBASE_RULE = "#8a8a8a"


def spc_spec(charted: Charted) -> dict[str, Any]:
    """The XmR chart of ``charted.spc`` as a Vega-Lite spec (a plain, JSON-able dict)."""
    spc, monthly = charted.spc, charted.monthly
    points = spc.points
    present = [k for k in POINT_TYPES if any(p.point_type == k for p in points)]
    present += sorted({p.point_type for p in points} - set(POINT_TYPES))
    values = [
        {
            "month": point_date(p),
            "label": p.label,
            "value": p.value,
            "type": _point_words(p.point_type),
        }
        for p in points
    ]
    reference = _reference_lines(spc)
    lines = [name for name in LINES if any(r["line"] == name for r in reference)]
    y = value_axis(charted, [p.value for p in points] + [r["y"] for r in reference])
    y["scale"] = {"zero": False, "padding": 6}
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "line", "color": VALUE_LINE, "strokeWidth": 1.25},
            "encoding": {"x": time_axis(monthly), "y": y},
        },
    ]
    if reference:
        layers.append(
            {
                "data": {"values": reference},
                "mark": {"type": "line", "strokeWidth": 1.5},
                "encoding": {
                    "x": time_axis(monthly),
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
                "x": time_axis(monthly),
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
                        "encoding": {"x": time_axis(monthly)},
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
                            "x": time_axis(monthly),
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
    return chart_frame(
        title,
        subtitle,
        values,
        layers,
        resolve={
            "scale": {"color": "independent", "shape": "independent", "strokeDash": "independent"}
        },
    )


def rebase_breaks(points: tuple[SpcPoint, ...]) -> list[SpcPoint]:
    """The first point of each new rebase group: where the engine's ``rebase_group`` changes
    from the point before (never inferred from the mean, which fixed limits or a repeated
    value could leave unchanged)."""
    return [p for prev, p in pairwise(points) if p.rebase_group != prev.rebase_group]


def _between(prev: SpcPoint, p: SpcPoint, monthly: bool) -> str:
    """Where a rebase rule sits, between the two groups' points: half a month before ``p``
    for months; halfway between the two dates otherwise."""
    first = date.fromisoformat(point_date(p))
    if monthly:
        return (first - timedelta(days=15)).isoformat()
    before = datetime.fromisoformat(point_date(prev))
    middle = before + (datetime.fromisoformat(point_date(p)) - before) / 2
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
            rows.append(
                {"month": point_date(p), "y": y, "line": line, "segment": f"{field}/{segment}"}
            )
            previous = p
    if spc.target is not None:
        rows.extend(
            {"month": point_date(p), "y": spc.target, "line": TARGET, "segment": TARGET}
            for p in spc.points
        )
    return rows


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


def series_chart_svg(charted: Charted) -> str:
    """The SPC chart alone as a self-contained SVG document (``kpiboard spc --format svg``):
    the report's chart, labelled the same way."""
    label = spc_label(charted)
    return labelled_svg(chart_svg(spc_spec(charted)), label)
