"""A board pack as an Excel workbook: a Summary sheet first — the pack's stamp (DRAFT until
published), the executive summary (each sentence linked to its row of the Scorecard sheet; the
edited text, when an editor rewrote it, above the draft) and each KPI's commentary — then the
scorecard's own sheets. The same bytes for the same pack."""

from __future__ import annotations

from typing import Any

from kpiboard.boardpack import PublishedPack
from kpiboard.render.pack import stamp
from kpiboard.render.registry import RenderOptions
from kpiboard.render.viewmodel import sections
from kpiboard.render.xlsx.scorecard import SCORECARD_SHEET, scorecard_sheets
from kpiboard.render.xlsx.workbook import Book, Column, fit_row, workbook

SUMMARY_SHEET = "Summary"
TEXT = Column("", 110, wrap=True)
LINK_WIDTH = 14


def render_pack_xlsx(pack: PublishedPack, options: RenderOptions) -> bytes:
    del options  # a workbook has no layout options
    card = pack.scorecard
    subject = f"{card.organisation.name}, board pack for {card.as_of_text}"
    with workbook(card.as_of, card.title, subject) as (book, out):
        summary = book.sheet(SUMMARY_SHEET)  # first in the workbook, filled in once the
        rows = scorecard_sheets(book, card)  # Scorecard sheet says where each row went
        _summary_sheet(book, summary, pack, rows)
    return out.getvalue()


def _line(book: Book, ws: Any, r: int, text: str, **props: Any) -> int:
    book.text(ws, r, 0, text, text_wrap=True, **props)
    fit_row(ws, r, [(text, TEXT)])
    return r + 1


def _summary_sheet(book: Book, ws: Any, pack: PublishedPack, rows: dict[str, int]) -> None:
    card = pack.scorecard
    kpis = {line.row.measure: line for s in sections(card) for line in s.lines}
    ws.set_column(0, 0, TEXT.width, book.fmt(text_wrap=True))
    ws.set_column(1, 1, LINK_WIDTH)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    book.title(ws, 0, f"{card.title}: board pack")
    r = 1
    for text in stamp(pack):
        r = _line(book, ws, r, text, bold=pack.draft)
    r += 1
    summary = pack.summary
    if summary is not None:
        book.title(ws, r, "Executive summary", size=12)
        r += 1
        if pack.summary_text:
            r = _line(book, ws, r, pack.summary_text)
            r = _line(book, ws, r + 1, "As drafted from the figures", italic=True)
        link = book.fmt(font_color="#0B4F8A", underline=1)
        for line in summary.lines:
            # the sentence wraps in its cell; the link to its row sits beside it (spreadsheets
            # do not wrap a hyperlink's text)
            target = next((m for m in line.rows if m in rows), None)
            if target is not None:
                where = f"internal:'{SCORECARD_SHEET}'!A{rows[target]}"
                ws.write_url(r, 1, where, link, f"Row {kpis[target].ref or target}")
            r = _line(book, ws, r, line.text)
        r += 1
    written = [(m, t) for m, t in pack.commentary.items() if t.strip() and m in kpis]
    if written:
        book.title(ws, r, "Commentary", size=12)
        r += 1
        for measure, text in written:
            kpi = kpis[measure]
            r = _line(book, ws, r, f"{kpi.ref} {kpi.title}".strip(), bold=True)
            r = _line(book, ws, r, text)
