"""``--format pdf``: the board pack (scorecard or published pack) and the league table as
accessible (PDF/UA-1, tagged, titled, en-GB), reproducible (the same input, the same bytes)
PDFs, drawn by WeasyPrint from the same templates as the HTML report with a print
stylesheet (``templates/pdf-print.css``).

- :mod:`.scorecard`: the scorecard and the published pack (cover, board summary, scorecard
  tables, a page per exception, appendix);
- :mod:`.league`: one measure's league table;
- :mod:`.write`: the page setup and HTML to PDF (WeasyPrint is imported there, only when a
  PDF is drawn).

>>> from kpiboard.render import DOCUMENTS
>>> [name for name, d in DOCUMENTS.items() if "pdf" in d.formats]
['scorecard', 'league', 'pack']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kpiboard.render.pdf.write import ORIENTATIONS, PAPERS, PdfWarning, html_to_pdf

if TYPE_CHECKING:
    from kpiboard.render.pdf.league import league_html, render_league_pdf
    from kpiboard.render.pdf.scorecard import render_pack_pdf, render_pdf, scorecard_html

# the pages are imported when first asked for, so the command line's page options
# (ORIENTATIONS, PAPERS) cost no templates
_PAGES = {
    "league_html": "league",
    "render_league_pdf": "league",
    "render_pack_pdf": "scorecard",
    "render_pdf": "scorecard",
    "scorecard_html": "scorecard",
}


def __getattr__(name: str) -> Any:
    module = _PAGES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "ORIENTATIONS",
    "PAPERS",
    "PdfWarning",
    "html_to_pdf",
    "league_html",
    "render_league_pdf",
    "render_pack_pdf",
    "render_pdf",
    "scorecard_html",
]
