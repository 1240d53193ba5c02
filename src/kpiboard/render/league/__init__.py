"""The league table of one measure (``kpiboard report --org all --measure ID``) in each
format: table, json, csv, md and html (:data:`kpiboard.render.registry.LEAGUE`). The engine
wrote every figure and text into the :class:`~kpiboard.scorecard.League`; this only lays them
out.

- :mod:`.formats`: the text formats (table, json, csv, md);
- :mod:`.bars`: the sorted ("ski-slope") bar chart;
- :mod:`.funnel`: the funnel plot, for a rate;
- :mod:`.page`: the HTML page with both charts and the tables;
- :mod:`.words`: the subtitle, notes and averages they all share.
"""

from __future__ import annotations

from kpiboard.leaguetable import League
from kpiboard.render.league.bars import league_label, league_spec, league_svg
from kpiboard.render.league.formats import (
    league_dict,
    render_league_csv,
    render_league_csv_excel,
    render_league_json,
    render_league_markdown,
    render_league_table,
)
from kpiboard.render.league.funnel import funnel_label, funnel_point_text, funnel_spec, funnel_svg
from kpiboard.render.league.page import render_league_html
from kpiboard.render.registry import LEAGUE, RenderOptions

__all__ = [
    "funnel_label",
    "funnel_point_text",
    "funnel_spec",
    "funnel_svg",
    "league_dict",
    "league_label",
    "league_spec",
    "league_svg",
    "render_league",
    "render_league_csv",
    "render_league_csv_excel",
    "render_league_html",
    "render_league_json",
    "render_league_markdown",
    "render_league_table",
]


def render_league(league: League, fmt: str, options: RenderOptions | None = None) -> bytes:
    """``league`` as ``fmt``, one of ``LEAGUE.formats``: the registry's lookup and its
    "unknown format" error."""
    return LEAGUE.render(league, fmt, options)
