"""Renderers: a Scorecard in, bytes out, one registered function per format.

>>> from kpiboard.render import FORMATS, render
>>> FORMATS
['table', 'json', 'csv', 'md', 'html']
>>> render(scorecard, "md")  # doctest: +SKIP
b'# 2009/10 Critical Performance Areas\\n...'

Renderers only lay out text the engine already wrote into the Scorecard; they never
compute a figure. An extension adds a format with ``register("xlsx", render_xlsx)``.
"""

from __future__ import annotations

from kpiboard.render.csvout import render_csv
from kpiboard.render.html import render_html
from kpiboard.render.jsonout import render_json
from kpiboard.render.league import (
    render_league_csv,
    render_league_html,
    render_league_json,
    render_league_markdown,
    render_league_table,
)
from kpiboard.render.markdown import render_markdown
from kpiboard.render.registry import (
    DOCUMENTS,
    FORMATS,
    LEAGUE,
    PACK,
    RENDERERS,
    SCORECARD,
    SPC_SERIES,
    Document,
    Renderer,
    RenderOptions,
    register,
    render,
    unregister,
)
from kpiboard.render.table import print_table, render_table, render_table_bytes

__all__ = [
    "DOCUMENTS",
    "FORMATS",
    "LEAGUE",
    "PACK",
    "RENDERERS",
    "SCORECARD",
    "SPC_SERIES",
    "Document",
    "RenderOptions",
    "Renderer",
    "print_table",
    "register",
    "render",
    "render_table",
    "unregister",
]

# Built-ins go through the same seam as any extension.
register("table", render_table_bytes)
register("json", render_json)
register("csv", render_csv)
register("md", render_markdown)
register("html", render_html)
LEAGUE.register("table", render_league_table)
LEAGUE.register("json", render_league_json)
LEAGUE.register("csv", render_league_csv)
LEAGUE.register("md", render_league_markdown)
LEAGUE.register("html", render_league_html)
