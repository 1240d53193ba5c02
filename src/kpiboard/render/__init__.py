"""Renderers: a document in, bytes out, one registered function per document and format.

>>> from kpiboard.render import DOCUMENTS, FORMATS, render
>>> FORMATS
['table', 'json', 'csv', 'md', 'html', 'pdf', 'xlsx', 'csv-excel']
>>> {name: d.formats for name, d in DOCUMENTS.items()}  # doctest: +NORMALIZE_WHITESPACE
{'scorecard': ['table', 'json', 'csv', 'md', 'html', 'pdf', 'xlsx', 'csv-excel'],
 'league': ['table', 'json', 'csv', 'md', 'html', 'pdf', 'xlsx', 'csv-excel'],
 'spc': ['json', 'csv', 'svg'], 'pack': ['html', 'pdf', 'xlsx']}
>>> render(scorecard, "md")  # doctest: +SKIP
b'# 2009/10 Critical Performance Areas\\n...'
>>> LEAGUE.render(league, "csv")  # doctest: +SKIP

The documents are frozen objects from :mod:`kpiboard.scorecard` (Scorecard, League,
SpcSeries, PublishedPack). Renderers only lay out text the engine already wrote into them;
they never compute a figure. An extension adds a format with one registration, the seam the
built-ins below use: ``register("docx", render_docx)`` for the scorecard,
``PACK.register("docx", render_pack_docx)`` for another document (see
:mod:`kpiboard.render.registry`).
"""

from __future__ import annotations

from kpiboard.render.csvout import render_csv, render_csv_excel
from kpiboard.render.html import render_html
from kpiboard.render.jsonout import render_json
from kpiboard.render.league import (
    render_league_csv,
    render_league_csv_excel,
    render_league_html,
    render_league_json,
    render_league_markdown,
    render_league_table,
)
from kpiboard.render.markdown import render_markdown
from kpiboard.render.pack import render_pack_html
from kpiboard.render.pdf import render_league_pdf, render_pack_pdf, render_pdf
from kpiboard.render.registry import (
    DOCUMENTS,
    FORMATS,
    LEAGUE,
    MEDIA_TYPES,
    PACK,
    RENDERERS,
    SCORECARD,
    SPC_SERIES,
    Document,
    Renderer,
    RenderOptions,
    media_type,
    register,
    render,
    unregister,
)
from kpiboard.render.spc_series import render_spc_csv, render_spc_json, render_spc_svg
from kpiboard.render.table import print_table, render_table, render_table_bytes
from kpiboard.render.xlsx import render_league_xlsx, render_pack_xlsx, render_xlsx

__all__ = [
    "DOCUMENTS",
    "FORMATS",
    "LEAGUE",
    "MEDIA_TYPES",
    "PACK",
    "RENDERERS",
    "SCORECARD",
    "SPC_SERIES",
    "Document",
    "RenderOptions",
    "Renderer",
    "media_type",
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
register("pdf", render_pdf)
register("xlsx", render_xlsx)
register("csv-excel", render_csv_excel)
LEAGUE.register("table", render_league_table)
LEAGUE.register("json", render_league_json)
LEAGUE.register("csv", render_league_csv)
LEAGUE.register("md", render_league_markdown)
LEAGUE.register("html", render_league_html)
LEAGUE.register("pdf", render_league_pdf)
LEAGUE.register("xlsx", render_league_xlsx)
LEAGUE.register("csv-excel", render_league_csv_excel)
SPC_SERIES.register("json", render_spc_json)
SPC_SERIES.register("csv", render_spc_csv)
SPC_SERIES.register("svg", render_spc_svg)
PACK.register("html", render_pack_html)
PACK.register("pdf", render_pack_pdf)
PACK.register("xlsx", render_pack_xlsx)
