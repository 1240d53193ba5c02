"""The funnel plot of a rate: each member's rate against its population with the engine's
limits (``League.funnel``: exact Poisson, or adjusted for over-dispersion, named in the
subtitle), the home organisation a named diamond and its peers named squares (the bar chart's
colours), every point an image with its own accessible name and <title> tooltip."""

from __future__ import annotations

import re
import textwrap
from typing import Any

from kpiboard.leaguetable import Funnel, FunnelPoint, League
from kpiboard.render.charts.vega import SCHEMA, chart_svg, labelled_svg
from kpiboard.render.league.bars import (
    HOME,
    OTHER,
    PEER,
    POOLED_RULE,
    TITLE_STYLE,
    chart_config,
)

# shapes repeat what the colours say, and the home organisation and its peers are named
# beside their points, so colour is never the only cue
HOME_SHAPE, PEER_SHAPE, OTHER_SHAPE = "diamond", "square", "circle"
LIMIT_DASH = {"95% limits": [6, 3], "99.8% limits": [2, 2]}
LIMIT_COLOUR = "#595959"
FUNNEL_WIDTH, FUNNEL_HEIGHT = 560, 340
NAMED_OUTLIERS = 5  # members beyond the 99.8% limits are named on the plot when no more
LOG_RATIO = 8.0  # rates spanning more than this factor are drawn on a log scale


def _funnel_category(league: League, p: FunnelPoint) -> str:
    if p.highlight and league.organisation is not None:
        return league.organisation.name
    return "Peers" if p.in_group else f"Other members of {league.group.name}"


def funnel_point_text(league: League, funnel: Funnel, p: FunnelPoint) -> str:
    """A point's accessible name and tooltip: who, the rate, the population and where the rate
    falls against the limits (the engine's figures, formatted)."""
    who = " (this organisation)" if p.highlight else " (peer)" if p.in_group else ""
    return (
        f"{p.org.name}{who}: {p.text} per {funnel.per_text} residents, "
        f"count {p.count_text}, population {p.population_text}; "
        f"{p.position_text} (95% limits {p.limits_95_text})"
    )


def funnel_spec(league: League, funnel: Funnel) -> dict[str, Any]:
    """The funnel plot as a Vega-Lite spec: each member's rate against its population (log
    scale), the group's pooled rate as the centre line, and the engine's limits at 95% and
    99.8% drawn along the population axis, named in the subtitle."""
    cats = {_funnel_category(league, p) for p in funnel.points}
    domain, colours, shapes = [], [], []
    for name, colour, shape in (
        (league.organisation.name if league.organisation else None, HOME, HOME_SHAPE),
        ("Peers", PEER, PEER_SHAPE),
        (f"Other members of {league.group.name}", OTHER, OTHER_SHAPE),
    ):
        if name is not None and name in cats:
            domain.append(name)
            colours.append(colour)
            shapes.append(shape)
    # the few members beyond the 99.8% limits are named too: they are what the plot is for
    beyond = [p for p in funnel.points if p.position in ("above_998", "below_998")]
    named = beyond if len(beyond) <= NAMED_OUTLIERS else []
    points = [
        {
            "population": p.population,
            "rate": p.value,
            "org": p.org.name,
            "who": _funnel_category(league, p),
            "label": p.org.name if (p.highlight or p.in_group or p in named) else "",
            "text": funnel_point_text(league, funnel, p),
            "size": 150 if p.highlight else 60,
        }
        for p in funnel.points
    ]
    limits = []
    for c in funnel.curve:
        for line, low, high in (
            ("95% limits", c.lower_95, c.upper_95),
            ("99.8% limits", c.lower_998, c.upper_998),
        ):
            limits.append({"population": c.population, "rate": low, "line": line, "side": "lower"})
            limits.append({"population": c.population, "rate": high, "line": line, "side": "upper"})
    rates = [p.value for p in funnel.points] + [
        x for c in funnel.curve for x in (c.lower_95, c.upper_95, c.lower_998, c.upper_998)
    ]
    positive = [r for r in rates if r > 0]
    log_y = (
        bool(positive) and len(positive) == len(rates) and max(positive) / min(positive) > LOG_RATIO
    )
    unit = f"rate per {funnel.per_text} residents"
    y: dict[str, Any] = {
        "field": "rate",
        "type": "quantitative",
        "title": f"{unit} (log scale)" if log_y else unit,
        "scale": {"type": "log"} if log_y else {"zero": False},
    }
    x = {
        "field": "population",
        "type": "quantitative",
        "title": "Population (log scale)",
        "scale": {"type": "log"},
        "axis": {"format": "~s"},
    }
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": limits},
            "mark": {"type": "line", "color": LIMIT_COLOUR, "strokeWidth": 1, "aria": False},
            "encoding": {
                "x": x,
                "y": y,
                "detail": {"field": "side"},
                "strokeDash": {
                    "field": "line",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": list(LIMIT_DASH), "range": list(LIMIT_DASH.values())},
                    "legend": {
                        "orient": "top",
                        "symbolType": "stroke",
                        "symbolStrokeColor": LIMIT_COLOUR,
                    },
                },
            },
        },
        {
            "data": {
                "values": [
                    {
                        "rate": funnel.centre,
                        "line": f"{league.group.name} rate {funnel.centre_text} "
                        f"per {funnel.per_text}",
                    }
                ]
            },
            "mark": {"type": "rule", "color": POOLED_RULE, "strokeWidth": 1.5, "aria": False},
            "encoding": {
                "y": {"field": "rate", "type": "quantitative"},
                "color": {
                    "field": "line",
                    "type": "nominal",
                    "title": None,
                    "scale": {"range": [POOLED_RULE]},
                    "legend": {"orient": "top", "symbolType": "stroke"},
                },
            },
        },
        {
            "data": {"values": points},
            "mark": {
                "type": "point",
                "filled": True,
                "opacity": 0.9,
                "stroke": "#1a1a1a",
                "strokeWidth": 0.6,
                "aria": True,
            },
            "encoding": {
                "x": x,
                "y": y,
                "shape": {
                    "field": "who",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": domain, "range": shapes},
                    "legend": {"orient": "top", "direction": "horizontal"},
                },
                "fill": {
                    "field": "who",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": domain, "range": colours},
                    "legend": {"orient": "top", "direction": "horizontal"},
                },
                "size": {"field": "size", "type": "quantitative", "scale": None},
                "description": {"field": "text"},
            },
        },
        {
            "data": {"values": [pt for pt in points if pt["label"]]},
            "mark": {
                "type": "text",
                "align": "left",
                "dx": 7,
                "dy": -6,
                "fontSize": 10,
                "fontWeight": "bold",
                "color": "#1a1a1a",
                "aria": False,
            },
            "encoding": {"x": x, "y": y, "text": {"field": "label"}},
        },
    ]
    return {
        "$schema": SCHEMA,
        "width": FUNNEL_WIDTH,
        "height": FUNNEL_HEIGHT,
        "background": "#ffffff",
        "title": {
            "text": textwrap.wrap(f"{league.measure.title}: funnel plot", 80),
            "subtitle": textwrap.wrap(
                f"{league.period}; each member's rate against its population around the "
                f"{league.group.name} rate; {limits_words(funnel)}",
                95,
            ),
            **TITLE_STYLE,
        },
        "layer": layers,
        "resolve": {"scale": {"color": "independent", "strokeDash": "independent"}},
        "config": chart_config({"gridColor": "#eeeeee"}),
    }


def limits_words(funnel: Funnel) -> str:
    """What the limits are, as the engine named them: "95% and 99.8% limits, adjusted for
    overdispersion (...)" or "no overdispersion found: Poisson limits ..."."""
    if funnel.overdispersion is not None:
        return funnel.overdispersion.text
    return "exact Poisson limits at 95% and 99.8%"


def funnel_label(league: League, funnel: Funnel) -> str:
    """The funnel plot's text alternative: what is drawn, the centre, how many members fall
    beyond each limit, and the home organisation's position."""
    beyond = {
        k: sum(1 for p in funnel.points if p.position == k)
        for k in ("above_998", "above_95", "below_95", "below_998")
    }
    parts = [
        f"Funnel plot of {league.measure.title} for the {len(funnel.points)} members of "
        f"{league.group.name}, {league.period}: rate per {funnel.per_text} residents "
        f"against population, centre line the {league.group.name} rate {funnel.centre_text}",
        limits_words(funnel),
        f"{beyond['above_998']} above the 99.8% limit, {beyond['above_95']} more above the "
        f"95% limit, {beyond['below_95']} below the 95% limit only, "
        f"{beyond['below_998']} below the 99.8% limit",
    ]
    for p in funnel.points:
        if p.highlight:
            parts.append(f"{p.org.name} {p.text}, {p.position_text}")
    return "; ".join(parts)


_POINT_PATH = re.compile(r'<path aria-label="([^"]*)"([^>]*?)/>')


def funnel_svg(league: League, funnel: Funnel) -> str:
    """The funnel plot as inline SVG: a labelled group whose every point is an image with its
    own accessible name and <title> (the tooltip), so each can be read or hovered."""
    svg = chart_svg(funnel_spec(league, funnel))
    svg = _POINT_PATH.sub(
        lambda m: (
            f'<path role="img" aria-label="{m.group(1)}"{m.group(2)}>'
            f"<title>{m.group(1)}</title></path>"
        ),
        svg,
    )
    # the root's role="img" (the first in the text) would hide the points: a group instead
    return labelled_svg(svg, funnel_label(league, funnel)).replace(
        ' role="img"', ' role="group"', 1
    )
