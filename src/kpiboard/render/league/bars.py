"""The league table's sorted ("ski-slope") bar chart: the members best first, the home
organisation and its peers in highlight colours named in a legend (so colour is never the only
cue: the tables mark them too), and a rule at the pooled average."""

from __future__ import annotations

import textwrap
from typing import Any

from kpiboard.render.charts.vega import FONT, SCHEMA, chart_svg, labelled_svg
from kpiboard.render.league.words import subtitle
from kpiboard.scorecard import League, LeagueRow
from kpiboard.vocabulary import unit_title

BAR_STEP = 14  # pixels per bar
CHART_HEIGHT = 260
HOME, PEER, OTHER = "#c00000", "#e46c0a", "#8fa9c4"
POOLED_RULE = "#1a1a1a"


def _category(league: League, row: LeagueRow) -> str:
    if row.highlight and league.organisation is not None:
        return league.organisation.name
    return "Peers" if row.in_group else f"Other members of {league.group.name}"


def league_spec(league: League) -> dict[str, Any]:
    """The sorted bar chart as a Vega-Lite spec: one bar per member, best first."""
    values = [
        {
            "order": i,
            "org": r.org.name,
            "value": r.value,
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
    y = {"field": "value", "type": "quantitative", "title": unit_title(league.measure.unit)}
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "bar"},
            "encoding": {
                "x": {
                    "field": "org",
                    "type": "nominal",
                    "title": None,
                    "sort": {"field": "order", "order": "ascending"},
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
    return "; ".join(parts)


def league_svg(league: League) -> str:
    return labelled_svg(chart_svg(league_spec(league)), league_label(league))
