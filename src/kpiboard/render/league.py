"""The league table of one measure (``kpiboard report --org all --measure ID``) in each
format: table, json, csv, md and html. The engine wrote every figure and text into the
:class:`~kpiboard.scorecard.League`; this only lays them out.

The HTML page is self-contained (inline style, the chart as inline SVG drawn by vl-convert,
nothing fetched) and carries a sorted ("ski-slope") bar chart: the members best first, the
home organisation and its peers in highlight colours named in a legend (so colour is never
the only cue: the table marks them too), and a rule at the pooled average. For a rate, a
funnel plot beside it: each member's rate against its population with the engine's exact
Poisson limits (``League.funnel``), the home organisation a named diamond and its peers named
squares, every point an image with its own accessible name and <title> tooltip, and the
figures again as a table.
"""

from __future__ import annotations

import csv
import io
import json
import re
import textwrap
from html import escape
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from kpiboard.errors import KpiboardError
from kpiboard.render.charts import FONT, SCHEMA, chart_svg, labelled_svg
from kpiboard.scorecard import Funnel, FunnelPoint, League, LeagueRow

LEAGUE_FORMATS = ("table", "json", "csv", "md", "html")
TABLE_WIDTH = 100
BAR_STEP = 14  # pixels per bar
CHART_HEIGHT = 260
HOME, PEER, OTHER = "#c00000", "#e46c0a", "#8fa9c4"
POOLED_RULE = "#1a1a1a"
# the funnel plot: shapes repeat what the colours say, and the home organisation and its peers
# are named beside their points, so colour is never the only cue
HOME_SHAPE, PEER_SHAPE, OTHER_SHAPE = "diamond", "square", "circle"
LIMIT_DASH = {"95% limits": [6, 3], "99.8% limits": [2, 2]}
LIMIT_COLOUR = "#595959"
FUNNEL_WIDTH, FUNNEL_HEIGHT = 560, 340
LOG_RATIO = 8.0  # rates spanning more than this factor are drawn on a log scale


def render_league(league: League, fmt: str) -> bytes:
    """``league`` as ``fmt`` (one of :data:`LEAGUE_FORMATS`)."""
    match fmt:
        case "table":
            return _table(league).encode()
        case "json":
            return (json.dumps(league_dict(league), indent=2, ensure_ascii=False) + "\n").encode()
        case "csv":
            return _csv(league).encode()
        case "md":
            return _markdown(league).encode()
        case "html":
            return _html(league).encode()
    raise KpiboardError(
        f"unknown format {fmt!r} for a league table",
        hint=f"choose one of: {', '.join(LEAGUE_FORMATS)}",
        field="format",
    )


def league_dict(league: League) -> dict[str, Any]:
    """The JSON contract: title, measure, period, group, rows (rank, org, value, text,
    highlight...), pooled, mean_of_rates, and the rest of the League's fields."""
    return league.to_dict()


def _who(row: LeagueRow) -> str:
    return "this organisation" if row.highlight else "peer" if row.in_group else ""


def _averages(league: League) -> list[str]:
    out = []
    if league.pooled_text:
        out.append(
            f"{league.group.name} pooled (sum of counts / sum of populations): {league.pooled_text}"
        )
    if league.mean_of_rates_text:
        out.append(f"{league.group.name} mean of rates: {league.mean_of_rates_text}")
    if league.missing:
        out.append("No figure: " + ", ".join(o.name for o in league.missing))
    return out


def _subtitle(league: League) -> str:
    better = league.measure.polarity.words
    return (
        f"{league.measure.basis}; {league.group.of} members of {league.group.name}, "
        f"best first ({better})"
    )


def _table(league: League) -> str:
    console = Console(
        file=io.StringIO(), width=TABLE_WIDTH, no_color=True, color_system=None, highlight=False
    )
    table = Table(title=Text(league.title), caption=Text(_subtitle(league)), box=box.SIMPLE)
    for name, justify in (
        ("Rank", "right"),
        ("Organisation", "left"),
        ("Value", "right"),
        ("Note", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in league.rows:
        table.add_row(
            Text(str(r.rank)),
            Text(r.org.name),
            Text(r.text),
            Text(_who(r)),
            style="bold" if r.highlight else None,
        )
    console.print(table)
    for line in _averages(league):
        console.print(Text(line))
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def _csv(league: League) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "rank",
            "org_id",
            "org_name",
            "value",
            "text",
            "highlight",
            "in_group",
            "measure",
            "period",
            "group",
        ]
    )
    for r in league.rows:
        writer.writerow(
            [
                r.rank,
                r.org.id,
                r.org.name,
                repr(r.value),
                r.text,
                str(r.highlight).lower(),
                str(r.in_group).lower(),
                league.measure.id,
                league.period,
                league.group.id,
            ]
        )
    return buffer.getvalue()


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _markdown(league: League) -> str:
    lines = [
        f"# {_md_cell(league.title)}",
        "",
        _md_cell(_subtitle(league)),
        "",
        "| Rank | Organisation | Value | |",
        "|---:|---|---:|---|",
    ]
    for r in league.rows:
        name = f"**{_md_cell(r.org.name)}**" if r.highlight else _md_cell(r.org.name)
        lines.append(f"| {r.rank} | {name} | {_md_cell(r.text)} | {_who(r)} |")
    lines.append("")
    lines += [f"- {_md_cell(line)}" for line in _averages(league)]
    return "\n".join(lines) + "\n"


# --- the ski-slope chart -----------------------------------------------------------------


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
    unit = league.measure.unit.strip()
    y = {"field": "value", "type": "quantitative", "title": f"Value ({unit})" if unit else "Value"}
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
            "subtitle": _subtitle(league),
            "anchor": "start",
            "fontSize": 13,
            "subtitleFontSize": 11,
            "subtitleColor": "#444444",
        },
        "data": {"values": values},
        "layer": layers,
        "config": {
            "font": FONT,
            "aria": False,
            "view": {"stroke": None},
            "axis": {
                "labelColor": "#333333",
                "titleColor": "#1a1a1a",
                "labelFontSize": 10,
                "titleFontSize": 11,
                "domainColor": "#8a8a8a",
                "tickColor": "#8a8a8a",
            },
            "axisX": {"grid": False},
            "axisY": {"gridColor": "#e6e6e6"},
            "legend": {"labelFontSize": 10, "labelLimit": 0},
        },
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


# --- the funnel plot ---------------------------------------------------------------------


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
    scale), the group's pooled rate as the centre line, and the engine's exact Poisson limits
    at 95% and 99.8% drawn along the population axis."""
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
    points = [
        {
            "population": p.population,
            "rate": p.value,
            "org": p.org.name,
            "who": _funnel_category(league, p),
            "label": p.org.name if (p.highlight or p.in_group) else "",
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
            "subtitle": f"{league.period}; each member's rate against its population, "
            f"with exact Poisson limits around the {league.group.name} rate",
            "anchor": "start",
            "fontSize": 13,
            "subtitleFontSize": 11,
            "subtitleColor": "#444444",
        },
        "layer": layers,
        "resolve": {"scale": {"color": "independent", "strokeDash": "independent"}},
        "config": {
            "font": FONT,
            "aria": False,
            "view": {"stroke": None},
            "axis": {
                "labelColor": "#333333",
                "titleColor": "#1a1a1a",
                "labelFontSize": 10,
                "titleFontSize": 11,
                "domainColor": "#8a8a8a",
                "tickColor": "#8a8a8a",
                "gridColor": "#eeeeee",
            },
            "legend": {"labelFontSize": 10, "labelLimit": 0},
        },
    }


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


def _funnel_table(league: League, funnel: Funnel) -> str:
    e = escape
    rows = []
    for p in sorted(funnel.points, key=lambda p: p.population):
        cls = ' class="home"' if p.highlight else ' class="peer"' if p.in_group else ""
        rows.append(
            f'<tr{cls}><th scope="row">{e(p.org.name)}</th><td class="n">{e(p.population_text)}</td>'
            f'<td class="n">{e(p.count_text)}</td><td class="n">{e(p.text)}</td>'
            f'<td class="n">{e(p.limits_95_text)}</td><td class="n">{e(p.limits_998_text)}</td>'
            f"<td>{e(p.position_text)}</td><td>{e(_who_point(p))}</td></tr>"
        )
    return (
        f"<table>\n<caption>Funnel plot figures: {e(league.measure.title)}, {e(league.period)}"
        f" (centre {e(funnel.centre_text)})</caption>\n"
        '<thead><tr><th scope="col">Organisation</th><th scope="col">Population</th>'
        '<th scope="col">Count</th><th scope="col">Rate</th><th scope="col">95% limits</th>'
        '<th scope="col">99.8% limits</th><th scope="col">Position</th>'
        '<th scope="col">Note</th></tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + f"\n</tbody>\n</table>\n<p>{e(funnel.method)}.</p>\n"
    )


def _who_point(p: FunnelPoint) -> str:
    return "this organisation" if p.highlight else "peer" if p.in_group else ""


_STYLE = """
body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;color:#1a1a1a;margin:1.5rem;max-width:60rem}
table{border-collapse:collapse;margin:1rem 0}caption{text-align:left;font-weight:bold;padding:.3rem 0}
th,td{padding:.2rem .6rem;border-bottom:1px solid #ddd}td.n{text-align:right}
tr.home td{font-weight:bold;background:#ffebee}tr.peer td{background:#fff3e0}
figure{margin:1rem 0;overflow-x:auto}.charts{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}figcaption{font-size:.9rem;color:#444}
"""


def _funnel_html(league: League) -> str:
    """The funnel plot and its figures, for a rate; nothing otherwise."""
    funnel = league.funnel
    if funnel is None or not funnel.points:
        return ""
    label = funnel_label(league, funnel)
    return (
        f'<figure class="funnel">{funnel_svg(league, funnel)}'
        f"<figcaption>{escape(label)}</figcaption></figure>\n"
    )


def _html(league: League) -> str:
    e = escape
    label = league_label(league)
    rows = []
    for r in league.rows:
        cls = ' class="home"' if r.highlight else ' class="peer"' if r.in_group else ""
        rows.append(
            f'<tr{cls}><td class="n">{r.rank}</td><th scope="row">{e(r.org.name)}</th>'
            f'<td class="n">{e(r.text)}</td><td>{e(_who(r))}</td></tr>'
        )
    notes = "".join(f"<li>{e(line)}</li>" for line in _averages(league))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{e(league.title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{e(league.title)}</h1>\n<p>{e(_subtitle(league))}</p>\n"
        f'<div class="charts"><figure>{league_svg(league)}<figcaption>{e(label)}</figcaption></figure>\n'
        + _funnel_html(league)
        + "</div>\n"
        + f"<table>\n<caption>{e(league.title)}, {e(league.period)}</caption>\n"
        '<thead><tr><th scope="col">Rank</th><th scope="col">Organisation</th>'
        '<th scope="col">Value</th><th scope="col">Note</th></tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + f"\n</tbody>\n</table>\n<ul>{notes}</ul>\n"
        + (_funnel_table(league, league.funnel) if league.funnel and league.funnel.points else "")
        + "</body>\n</html>\n"
    )
