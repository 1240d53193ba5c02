"""``--format xlsx``: the scorecard and the league table as Excel workbooks (XlsxWriter, loaded
only when a workbook is rendered). Numbers are stored as numbers with the number format of the
text the engine wrote; the bytes depend on the document only (docs/OUTPUTS.md).

- :mod:`.scorecard`: the Scorecard, Data, Peers, SPC and Notes sheets;
- :mod:`.league`: the league table (and the funnel plot's figures);
- :mod:`.pack`: a board pack: a Summary sheet (stamp, executive summary, commentary) first;
- :mod:`.numbers`: number formats from a figure's unit and decimal places;
- :mod:`.workbook`: the reproducible workbook and the table helpers the sheets share.
"""

from __future__ import annotations

from kpiboard.render.xlsx.league import render_league_xlsx
from kpiboard.render.xlsx.numbers import NumberFormat, number_format
from kpiboard.render.xlsx.pack import render_pack_xlsx
from kpiboard.render.xlsx.scorecard import render_xlsx

__all__ = [
    "NumberFormat",
    "number_format",
    "render_league_xlsx",
    "render_pack_xlsx",
    "render_xlsx",
]
