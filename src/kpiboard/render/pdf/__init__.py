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

from kpiboard.render.pdf.league import league_html, render_league_pdf
from kpiboard.render.pdf.scorecard import render_pack_pdf, render_pdf, scorecard_html
from kpiboard.render.pdf.write import ORIENTATIONS, PAPERS, PdfWarning, html_to_pdf

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
