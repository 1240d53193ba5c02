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

import importlib
from typing import Any

from kpiboard.render.jsonout import render_json
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
from kpiboard.render.table import print_table, render_table, render_table_bytes

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


def _later(module: str, name: str) -> Any:
    """The renderer ``name`` of ``kpiboard.render.<module>``, imported when it first draws a
    document: a command that prints the terminal table never loads the HTML templates, the
    workbook writer or the PDF pages (about a tenth of ``kpiboard report``'s start-up)."""

    def draw(document: Any, options: RenderOptions) -> bytes:
        renderer = getattr(importlib.import_module(f"kpiboard.render.{module}"), name)
        return renderer(document, options)  # type: ignore[no-any-return]

    draw.__name__ = draw.__qualname__ = name
    draw.__doc__ = f"{name} from kpiboard.render.{module}, imported when first used."
    return draw


# Built-ins go through the same seam as any extension.
register("table", render_table_bytes)
register("json", render_json)
register("csv", _later("csvout", "render_csv"))
register("md", _later("markdown", "render_markdown"))
register("html", _later("html", "render_html"))
register("pdf", _later("pdf", "render_pdf"))
register("xlsx", _later("xlsx", "render_xlsx"))
register("csv-excel", _later("csvout", "render_csv_excel"))
LEAGUE.register("table", _later("league", "render_league_table"))
LEAGUE.register("json", _later("league", "render_league_json"))
LEAGUE.register("csv", _later("league", "render_league_csv"))
LEAGUE.register("md", _later("league", "render_league_markdown"))
LEAGUE.register("html", _later("league", "render_league_html"))
LEAGUE.register("pdf", _later("pdf", "render_league_pdf"))
LEAGUE.register("xlsx", _later("xlsx", "render_league_xlsx"))
LEAGUE.register("csv-excel", _later("league", "render_league_csv_excel"))
SPC_SERIES.register("json", _later("spc_series", "render_spc_json"))
SPC_SERIES.register("csv", _later("spc_series", "render_spc_csv"))
SPC_SERIES.register("svg", _later("spc_series", "render_spc_svg"))
PACK.register("html", _later("pack", "render_pack_html"))
PACK.register("pdf", _later("pdf", "render_pack_pdf"))
PACK.register("xlsx", _later("xlsx", "render_pack_xlsx"))
