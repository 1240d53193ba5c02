"""The league table's sorted ("ski-slope") bar chart: the members best first, the home
organisation and its peers in highlight colours named in a legend (so colour is never the only
cue: the tables mark them too), and a rule at the pooled average.

An outlier must not flatten the rest: when up to three of the largest values lie beyond
Tukey's far-out fence (Q3 + 3 x IQR) and more than 1.5 times the next value (the widest such
gap is taken), the value axis stops a little above that next value, and the bars off the scale
are cut there with a break mark and their true values written beside them ("off scale: 795.93
per 1,000"), in the chart's text alternative too. Where the axis stops is layout, not a
figure: every value shown is the engine's."""

from __future__ import annotations

import statistics
import textwrap
from collections.abc import Sequence
from typing import Any

from kpiboard.leaguetable import League, LeagueRow
from kpiboard.render.charts.vega import FONT, SCHEMA, chart_svg, labelled_svg
from kpiboard.render.league.words import subtitle
from kpiboard.vocabulary import unit_title

BAR_STEP = 14  # pixels per bar
CHART_HEIGHT = 260
HOME, PEER, OTHER = "#c00000", "#e46c0a", "#8fa9c4"
POOLED_RULE = "#1a1a1a"
FAR_OUT = 3.0  # Tukey's far-out fence: Q3 + FAR_OUT x IQR
FLATTENS = 1.5  # ... and more than this times the next value
MOST_CUT = 3  # at most this many bars are cut
HEADROOM = 1.15  # the axis stops this much above the largest value on the scale
# a slanted white band across the bar, edged in black: the bar is broken (the path is in
# Vega's symbol units, -1..1, scaled by the point's size)
BREAK_SHAPE = "M-1.3,0.05L1.3,-0.45L1.3,-0.05L-1.3,0.45Z"


def scale_top(values: Sequence[float]) -> float | None:
    """Where the value axis stops when outliers would flatten the other bars, else None.

    >>> scale_top([10.0, 11.0, 12.0, 13.0, 14.0, 60.0])
    16.1
    >>> scale_top([10.0, 11.0, 12.0, 13.0, 14.0, 20.0]) is None
    True
    """
    if len(values) < 4:
        return None
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    fence = q3 + FAR_OUT * (q3 - q1)
    high = sorted(values, reverse=True)
    best: tuple[float, float] | None = None  # (gap, the largest value left on the scale)
    for k in range(1, min(MOST_CUT, len(high) - 3) + 1):  # cut the k largest
        above, below = high[k - 1], high[k]
        if above <= fence or below <= 0:
            break
        if above > FLATTENS * below and (best is None or above / below > best[0]):
            best = (above / below, below)
    return None if best is None else round(best[1] * HEADROOM, 10)


def off_scale(league: League) -> list[LeagueRow]:
    """The rows whose bars the axis cuts (none unless an outlier would flatten the rest)."""
    top = scale_top([r.value for r in league.rows])
    return [] if top is None else [r for r in league.rows if r.value > top]


def _category(league: League, row: LeagueRow) -> str:
    if row.highlight and league.organisation is not None:
        return league.organisation.name
    return "Peers" if row.in_group else f"Other members of {league.group.name}"


def league_spec(league: League) -> dict[str, Any]:
    """The sorted bar chart as a Vega-Lite spec: one bar per member, best first."""
    top = scale_top([r.value for r in league.rows])
    values = [
        {
            "order": i,
            "org": r.org.name,
            "value": r.value,
            "shown": r.value if top is None else min(r.value, top),  # cut at the axis' top
            "text": r.text,
            "who": _category(league, r),
        }
        for i, r in enumerate(league.rows)
    ]
    domain, colours = [], []
    for row_kind, colour in ((True, HOME), (False, PEER)):
        present = [
            r for r in league.rows if (r.highlight if row_kind else r.in_group and not r.highlight)
        ]
        if present:
            domain.append(_category(league, present[0]))
            colours.append(colour)
    domain.append(f"Other members of {league.group.name}")
    colours.append(OTHER)
    y: dict[str, Any] = {
        "field": "shown",
        "type": "quantitative",
        "title": unit_title(league.measure.unit),
    }
    if top is not None:
        y["scale"] = {"domain": [min(0.0, *(r.value for r in league.rows)), top], "nice": False}
        cut = sum(1 for r in league.rows if r.value > top)
        y["title"] += f"; {cut} bar{'s' if cut > 1 else ''} off scale"
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "bar"},
            "encoding": {
                "x": {
                    "field": "org",
                    "type": "nominal",
                    "title": None,
                    # the members in the engine's order, best first (an explicit list, so that
                    # the layers drawn over the bars cannot unsettle it)
                    "sort": [v["org"] for v in values],
                    "axis": {"labelAngle": -90, "labelLimit": 0},
                },
                "y": y,
                "color": {
                    "field": "who",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": domain, "range": colours},
                    "legend": {"orient": "top", "direction": "horizontal"},
                },
            },
        }
    ]
    if top is not None:
        layers += _off_scale_layers(values, top)
    if league.pooled is not None:
        layers.append(
            {
                "data": {
                    "values": [
                        {
                            "value": league.pooled,
                            "line": f"{league.group.name} pooled {league.pooled_text}",
                        }
                    ]
                },
                "mark": {
                    "type": "rule",
                    "color": POOLED_RULE,
                    "strokeDash": [6, 4],
                    "strokeWidth": 1.5,
                },
                "encoding": {
                    "y": {"field": "value", "type": "quantitative"},
                    "strokeDash": {
                        "field": "line",
                        "type": "nominal",
                        "scale": {"range": [[6, 4]]},
                        "legend": {
                            "title": None,
                            "orient": "top",
                            "symbolType": "stroke",
                            "symbolStrokeColor": POOLED_RULE,
                        },
                    },
                },
            }
        )
    return {
        "$schema": SCHEMA,
        "width": {"step": BAR_STEP},
        "height": CHART_HEIGHT,
        "background": "#ffffff",
        "title": {
            "text": textwrap.wrap(league.title, 80) or [league.title],
            "subtitle": subtitle(league),
            **TITLE_STYLE,
        },
        "data": {"values": values},
        "layer": layers,
        "config": chart_config({}, axisX={"grid": False}, axisY={"gridColor": "#e6e6e6"}),
    }


def _off_scale_layers(values: list[dict[str, Any]], top: float) -> list[dict[str, Any]]:
    """A break mark across each bar the axis cuts, and its true value written beside it,
    towards the middle of the chart (left of a bar in the right half, right of one in the
    left half). The layers share the bars' data (filtered), so the bars keep their order."""
    x = {"field": "org", "type": "nominal", "sort": [v["org"] for v in values]}
    for v in values:
        v["cut"] = v["value"] > top
        v["side"], v["label"] = "", ""
    # the cut bars are the largest, so they stand together at one end: one label, beside the
    # innermost of them, lists their values in the bars' order
    cut = [v for v in values if v["cut"]]
    texts = ", ".join(v["text"] for v in cut)
    if cut[-1]["order"] == len(values) - 1:
        cut[0]["side"], cut[0]["label"] = "right", f"off scale: {texts} →"
    else:
        cut[-1]["side"], cut[-1]["label"] = "left", f"← off scale: {texts}"
    layers: list[dict[str, Any]] = [
        {
            "transform": [{"filter": "datum.cut"}],
            "mark": {
                "type": "point",
                "shape": BREAK_SHAPE,
                "filled": True,
                "fill": "#ffffff",
                "stroke": "#1a1a1a",
                "strokeWidth": 0.8,
                "opacity": 1,
                "size": BAR_STEP * BAR_STEP,
                "aria": False,
            },
            "encoding": {"x": x, "y": {"datum": top * 0.93, "type": "quantitative"}},
        }
    ]
    for side in ("right", "left"):
        if not any(v["side"] == side for v in values):
            continue
        layers.append(
            {
                "transform": [{"filter": f"datum.side === '{side}'"}],
                "mark": {
                    "type": "text",
                    "align": side,
                    "baseline": "middle",
                    "dx": -BAR_STEP * 0.7 if side == "right" else BAR_STEP * 0.7,
                    "fontSize": 10,
                    "fontWeight": "bold",
                    "color": "#1a1a1a",
                    "aria": False,
                },
                "encoding": {
                    "x": x,
                    "y": {"datum": top * 0.97, "type": "quantitative"},
                    "text": {"field": "label"},
                },
            }
        )
    return layers


# what the league's two charts (these bars and the funnel plot) share
TITLE_STYLE = {
    "anchor": "start",
    "fontSize": 13,
    "subtitleFontSize": 11,
    "subtitleColor": "#444444",
}
AXIS_STYLE = {
    "labelColor": "#333333",
    "titleColor": "#1a1a1a",
    "labelFontSize": 10,
    "titleFontSize": 11,
    "domainColor": "#8a8a8a",
    "tickColor": "#8a8a8a",
}


def chart_config(axis: dict[str, Any], **more: Any) -> dict[str, Any]:
    """A league chart's Vega-Lite config: the shared axis look plus ``axis``, then ``more``
    (per-axis settings) before the legend."""
    return {
        "font": FONT,
        "aria": False,
        "view": {"stroke": None},
        "axis": {**AXIS_STYLE, **axis},
        **more,
        "legend": {"labelFontSize": 10, "labelLimit": 0},
    }


def league_label(league: League) -> str:
    """The chart's text alternative: what is drawn, the best and worst, the home organisation,
    the pooled average."""
    rows = league.rows
    parts = [
        f"Bar chart of {league.measure.title} for the {league.group.of} members of "
        f"{league.group.name}, {league.period}, sorted best first"
    ]
    if rows:
        parts.append(
            f"best {rows[0].org.name} ({rows[0].text}), worst {rows[-1].org.name} ({rows[-1].text})"
        )
    for r in rows:
        if r.highlight:
            parts.append(f"{r.org.name} {r.rank_text} ({r.text})")
    peers = [r for r in rows if r.in_group]
    if peers:
        parts.append("peers: " + ", ".join(f"{r.org.name} {r.rank_text}" for r in peers))
    if league.pooled_text:
        parts.append(f"pooled average {league.pooled_text}")
    for r in off_scale(league):
        parts.append(
            f"{r.org.name}'s bar is cut at the top of the value axis so that the others can be "
            f"read: its value, {r.text}, is off the scale"
        )
    return "; ".join(parts)


def league_svg(league: League) -> str:
    return labelled_svg(chart_svg(league_spec(league)), league_label(league))
