"""What every kpiboard workbook shares: an in-memory XlsxWriter workbook with reproducible
bytes, its cell formats, and the table helpers the sheets use (a header row frozen with an
autofilter, column widths)."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from kpiboard.errors import KpiboardError
from kpiboard.render.xlsx.numbers import NumberFormat, number_format

HEADER_FILL = "#1F3864"
SECTION_FILL = "#D9E1F2"
# Excel's own "Good", "Neutral" and "Bad" cell styles: the word is always written too
STATUS_FILLS = {
    "green": ("#C6EFCE", "#006100"),
    "amber": ("#FFEB9C", "#9C5700"),
    "red": ("#FFC7CE", "#9C0006"),
}
MAX_WIDTH = 60


def month_date(period: str) -> date:
    """``2009-08`` as the first day of the month: a date cell Excel sorts and filters."""
    year, month = period[:7].split("-")
    return date(int(year), int(month), 1)


@dataclass
class Column:
    title: str
    width: float
    wrap: bool = False


@dataclass
class Book:
    """A workbook being written: its XlsxWriter object and the formats made so far (one per
    distinct code, as Excel wants)."""

    wb: Any
    _formats: dict[tuple[tuple[str, Any], ...], Any] = field(default_factory=dict)

    def fmt(self, **props: Any) -> Any:
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format({"valign": "top", **props})
        return self._formats[key]

    def number(self, nf: NumberFormat, **props: Any) -> Any:
        return self.fmt(num_format=nf.code, **props)

    def sheet(self, name: str) -> Any:
        return self.wb.add_worksheet(name)

    def title(self, ws: Any, row: int, text: str, size: int = 14) -> None:
        ws.write_string(row, 0, text, self.fmt(bold=True, font_size=size))

    def header(self, ws: Any, row: int, columns: Sequence[Column], last_row: int) -> None:
        """The header row at ``row``, frozen, with an autofilter down to ``last_row``."""
        head = self.fmt(bold=True, font_color="#FFFFFF", bg_color=HEADER_FILL, text_wrap=True)
        for col, c in enumerate(columns):
            ws.write_string(row, col, c.title, head)
            ws.set_column(
                col, col, min(c.width, MAX_WIDTH), self.fmt(text_wrap=True) if c.wrap else None
            )
        # room for the header's wrapped words and the autofilter's button
        fit_row(ws, row, [(c.title + " ___", c) for c in columns])
        ws.freeze_panes(row + 1, 0)
        ws.autofilter(row, 0, max(last_row, row), len(columns) - 1)
        ws.fit_to_pages(1, 0)  # printed one page wide

    def value(
        self, ws: Any, row: int, col: int, value: float | None, nf: NumberFormat, **props: Any
    ) -> None:
        """A number in the figure's format; an empty cell for None (or a value that is not a
        finite number, which a cell cannot hold)."""
        if value is None or not math.isfinite(value):
            ws.write_blank(row, col, None, self.fmt(**props))
        else:
            ws.write_number(row, col, nf.cell(value), self.number(nf, **props))

    def text(self, ws: Any, row: int, col: int, text: str | None, **props: Any) -> None:
        if text:
            ws.write_string(row, col, text, self.fmt(**props))


LINE_HEIGHT = 15.0  # points per line of 11-point Calibri


def lines_needed(text: str | None, width: float) -> int:
    """The lines ``text`` wraps to in a column ``width`` characters wide (a rough count:
    neither Excel nor LibreOffice sizes a row to its wrapped text when opening a file)."""
    if not text:
        return 1
    per_line = max(int(width * 1.2), 1)
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def fit_row(ws: Any, row: int, cells: Sequence[tuple[str | None, Column]]) -> None:
    """Make ``row`` tall enough for the longest of its wrapped ``cells``."""
    lines = max((lines_needed(text, min(c.width, MAX_WIDTH)) for text, c in cells), default=1)
    if lines > 1:
        ws.set_row(row, LINE_HEIGHT * lines)


PLAIN = number_format("", None)
INTEGER = number_format("", 0)


@contextmanager
def workbook(as_of: str, title: str, subject: str) -> Iterator[tuple[Book, io.BytesIO]]:
    """An in-memory workbook whose bytes depend on its content only: its created date is the
    first day of the ``as_of`` month (XlsxWriter gives every file in the zip a fixed date)."""
    try:
        import xlsxwriter  # a runtime dependency (no type stubs), loaded on use
    except ImportError as exc:  # pragma: no cover - installed with kpiboard
        raise KpiboardError(
            "the Excel workbook needs the xlsxwriter package",
            hint="pip install 'xlsxwriter>=3.3,<4'",
        ) from exc
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    created = datetime.combine(month_date(as_of), datetime.min.time())
    wb.set_properties(
        {
            "title": title,
            "subject": subject,
            "author": "kpiboard",
            "company": "",
            "created": created,
        }
    )
    wb.set_custom_property("as_of", as_of)
    book = Book(wb)
    yield book, out
    wb.close()
