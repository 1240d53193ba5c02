"""``--format csv``: one line per row, children included (with their ``parent``).

The columns are the contract spreadsheet users build on; add new ones at the end.
"""

from __future__ import annotations

import csv
import io

from kpiboard.render.registry import RenderOptions
from kpiboard.render.viewmodel import change_text, ranks_inline
from kpiboard.scorecard import Figure, Row, Scorecard

COLUMNS: tuple[str, ...] = (
    "section",
    "id",
    "parent",
    "measure",
    "title",
    "reference",
    "target",
    "target_value",
    "status",
    "status_reason",
    "latest",
    "latest_value",
    "latest_period",
    "latest_period_end",
    "comparator",
    "comparator_value",
    "comparator_period",
    "change",
    "ranks",
    "facts",
    "spc_variation",
    "spc_assurance",
    "spc_rule",
    "spc_mean",
    "spc_lpl",
    "spc_upl",
    "stale_since",
    "revised",
)

FACT_SEPARATOR = " | "

Cell = str | float | None


def render_csv(scorecard: Scorecard, options: RenderOptions) -> bytes:
    """The rows as RFC 4180 CSV (``\\n`` line ends), UTF-8, an empty cell for every None."""
    del options  # CSV has no layout options
    return _csv(scorecard, "\n").encode("utf-8")


def render_csv_excel(scorecard: Scorecard, options: RenderOptions) -> bytes:
    """``--format csv-excel``: the same columns and rows as ``csv``, as Excel opens them with
    "£" and "Ynys Môn" intact: UTF-8 with a byte-order mark, CRLF line ends."""
    del options
    return for_excel(_csv(scorecard, EXCEL_LINE_END))


EXCEL_LINE_END = "\r\n"


def for_excel(text: str) -> bytes:
    """CSV text as Excel reads it without asking: UTF-8 led by a byte-order mark (without one
    Excel reads the file in the machine's legacy code page, and "£" becomes "Â£")."""
    return text.encode("utf-8-sig")


def _csv(scorecard: Scorecard, line_end: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(COLUMNS)
    records: list[dict[str, Cell]] = []
    for row in scorecard.rows:
        _collect(records, row, row.section, None)
    for record in records:
        writer.writerow(["" if record[c] is None else record[c] for c in COLUMNS])
    return out.getvalue()


def _collect(
    records: list[dict[str, Cell]], row: Row, section: str | None, parent: Row | None
) -> None:
    records.append(_record(row, section, parent))
    for child in row.children:
        # Children inherit the parent's section so a filter on section keeps them together.
        _collect(records, child, child.section or section, row)


def _record(row: Row, section: str | None, parent: Row | None) -> dict[str, Cell]:
    return {
        "section": section,
        "id": row.id,
        "parent": parent.id if parent is not None else None,
        "measure": row.measure,
        "title": row.title,
        "reference": row.reference,
        "target": _text(row.target),
        "target_value": _value(row.target),
        "status": row.status.value if row.status is not None else None,
        "status_reason": row.status_reason or None,
        "latest": _text(row.latest),
        "latest_value": _value(row.latest),
        "latest_period": row.latest.period if row.latest else None,
        "latest_period_end": row.latest.period_end if row.latest else None,
        "comparator": _text(row.comparator),
        "comparator_value": _value(row.comparator),
        "comparator_period": row.comparator.period if row.comparator else None,
        "change": change_text(row),
        "ranks": ranks_inline(row) or None,
        "facts": FACT_SEPARATOR.join(row.facts) or None,
        # SPC at the latest point (keys, not words: a spreadsheet filters on them).
        "spc_variation": row.spc.variation if row.spc else None,
        "spc_assurance": row.spc.assurance if row.spc else None,
        "spc_rule": row.spc.rule if row.spc else None,
        "spc_mean": row.spc.mean if row.spc else None,
        "spc_lpl": row.spc.lpl if row.spc else None,
        "spc_upl": row.spc.upl if row.spc else None,
        # the month of the last figure when it is older than the measure's latency allows
        "stale_since": row.stale.period_end if row.stale else None,
        # "revised since published: 77.1% → 76.4% (vintage 3)": the figure changed since then
        "revised": row.revised.text if row.revised else None,
    }


def _text(figure: Figure | None) -> str | None:
    return figure.text if figure is not None else None


def _value(figure: Figure | None) -> float | None:
    # repr-exact floats ("77.3"), so a spreadsheet reads back the engine's number.
    return figure.value if figure is not None else None
