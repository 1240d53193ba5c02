"""Published tables as spreadsheets (XLSX and ODS): the sheets holding the table, found by
their header row, as rows of text cells, so the readers check them exactly as they check a CSV.

Government tables are published as spreadsheets with a cover sheet, a notes sheet, and one or
more data sheets whose header row sits below a few title rows. So, in every sheet, the first
``HEADER_SEARCH_ROWS`` non-blank rows are searched for the row the reader recognises as its
header (``is_header``); every sheet that has one is a table (a table split by year over several
sheets is read whole, and the readers' duplicate checks catch a year given twice); sheets
without one (cover, notes, contents) are skipped. When no sheet has the header, the error names
the file, the sheets and rows looked at, and what was expected.

A table runs from the row after its header to the end of the sheet, blank rows skipped; notes
under the table (after a blank row, rows with at most one filled cell, to the end) are not
data. Findings name ``file[sheet]`` and the spreadsheet's own row number, as the spreadsheet
shows it, so "data/prc.xlsx[Data]:12" is row 12 of sheet Data.

Cells become the text a CSV of the same sheet would hold: numbers without a trailing ``.0``
when whole (``1234``, ``2.5``), dates ``YYYY-MM-DD``, booleans ``TRUE``/``FALSE``, empty
cells ``""``. A formula gives the value last calculated and saved with the file.

How each format is read, and why:

* **XLSX** (and XLSM) with openpyxl in read-only mode (``data_only``: cached formula values),
  which streams rows rather than building the workbook in memory; openpyxl is the one
  maintained pure-Python XLSX reader.
* **ODS** by parsing ``content.xml`` from the zip with the standard library
  (``xml.etree.ElementTree.iterparse``), each row's XML freed once it is read. The subset of
  OpenDocument a table needs is small and stable (sheets, rows, cells, their repeat counts,
  ``office:value`` and paragraph text); odfpy would be another dependency that builds the whole
  document tree in memory and reads a 23,000-row sheet many times slower. pandas is not used
  for either (its readers need the same libraries, and lose row numbers).

The old binary ``.xls`` format is not read: save it as XLSX or CSV.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from kpiboard.ingest.schema import FileStamp
from kpiboard.ingest.table_files import HEADER_LINE, Findings, TableFile, read_file

HEADER_SEARCH_ROWS = 50  # non-blank rows of each sheet searched for the header
MAX_COLUMNS = 16_384  # a repeated cell never makes a row wider than a spreadsheet's limit
MAX_ROWS = 1_048_576  # nor a repeated row a sheet longer
XLSX_SUFFIXES = (".xlsx", ".xlsm")
ODS_SUFFIXES = (".ods",)

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
T_TABLE, T_ROW = f"{{{_TABLE}}}table", f"{{{_TABLE}}}table-row"
T_CELL, T_COVERED = f"{{{_TABLE}}}table-cell", f"{{{_TABLE}}}covered-table-cell"
T_NAME = f"{{{_TABLE}}}name"
T_COLS_REPEATED = f"{{{_TABLE}}}number-columns-repeated"
T_ROWS_REPEATED = f"{{{_TABLE}}}number-rows-repeated"
O_VALUE_TYPE, O_VALUE = f"{{{_OFFICE}}}value-type", f"{{{_OFFICE}}}value"
O_DATE, O_TIME, O_BOOLEAN = (
    f"{{{_OFFICE}}}date-value",
    f"{{{_OFFICE}}}time-value",
    f"{{{_OFFICE}}}boolean-value",
)
O_ANNOTATION = f"{{{_OFFICE}}}annotation"
X_P, X_S, X_TAB, X_BREAK = (
    f"{{{_TEXT}}}p",
    f"{{{_TEXT}}}s",
    f"{{{_TEXT}}}tab",
    f"{{{_TEXT}}}line-break",
)
X_C = f"{{{_TEXT}}}c"

Row = tuple[int, list[str]]  # (row number as the spreadsheet shows it, cells as text)


class SpreadsheetError(Exception):
    """The file cannot be read as the spreadsheet its name says it is."""


@dataclass(frozen=True)
class SheetTable:
    """The table found on one sheet: its header row first, then its data rows."""

    sheet: str
    rows: list[Row]

    @property
    def header_row(self) -> int:
        return self.rows[0][0]


@dataclass(frozen=True)
class Search:
    """What was searched: the tables found, and the sheets looked at (for the error)."""

    tables: list[SheetTable]
    sheets: list[str]


def is_spreadsheet(name: str) -> bool:
    return name.lower().endswith(XLSX_SUFFIXES + ODS_SUFFIXES)


def cell_text(value: object) -> str:
    """A cell's value as the text a CSV of the sheet would hold.

    >>> [cell_text(v) for v in (None, 12, 12.0, 2.5, "2017/18", True, dt.date(2018, 3, 1))]
    ['', '12', '12', '2.5', '2017/18', 'TRUE', '2018-03-01']
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def find_tables(data: bytes, name: str, is_header: Callable[[list[str]], bool]) -> Search:
    """Every sheet's table whose header ``is_header`` recognises (see the module notes).
    Raises SpreadsheetError when the file is not a readable spreadsheet of its kind."""
    sheets = _xlsx_sheets(data) if name.lower().endswith(XLSX_SUFFIXES) else _ods_sheets(data)
    tables: list[SheetTable] = []
    names: list[str] = []
    try:
        for sheet, rows in sheets:
            names.append(sheet)
            table = _table(sheet, rows, is_header)
            if table is not None:
                tables.append(table)
    except (ElementTree.ParseError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise SpreadsheetError(str(exc)) from exc
    return Search(tables, names)


def _table(
    sheet: str, rows: Iterator[Row], is_header: Callable[[list[str]], bool]
) -> SheetTable | None:
    header: Row | None = None
    searched = 0
    out: list[Row] = []
    for number, cells in rows:
        while cells and not cells[-1].strip():
            cells.pop()
        if header is None:
            if not cells:
                continue
            searched += 1
            if is_header(cells):
                header = (number, cells)
            elif searched >= HEADER_SEARCH_ROWS:
                return None
            continue
        out.append((number, cells))
    if header is None:
        return None
    return SheetTable(sheet, [header, *_without_notes(out)])


def _without_notes(rows: list[Row]) -> list[Row]:
    """Data rows, blank ones dropped, without the notes under the table: after the last blank
    row, when every filled row from there to the end has at most one filled cell."""
    while rows and not rows[-1][1]:
        rows = rows[:-1]
    last_blank = max((i for i, (_, cells) in enumerate(rows) if not cells), default=None)
    if last_blank is not None:
        tail = rows[last_blank + 1 :]
        if tail and all(sum(1 for c in cells if c.strip()) <= 1 for _, cells in tail):
            rows = rows[:last_blank]
    return [(n, cells) for n, cells in rows if cells]


# --- the readers' entry point ------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One table of a file: ``display`` names it in findings (the file, or ``file[sheet]``),
    ``rows`` are (line or spreadsheet row, cells), its header first."""

    display: str
    rows: list[tuple[int, list[str]]]

    @property
    def header_line(self) -> int:
        return self.rows[0][0] if self.rows else HEADER_LINE


def read_tables(
    inp: TableFile, found: Findings, is_header: Callable[[list[str]], bool], expected: str
) -> tuple[list[Table], FileStamp] | None:
    """The file's tables: a CSV is one (header on line 1); a spreadsheet one per sheet whose
    header ``is_header`` recognises (``expected`` says what that header is, for the error when
    no sheet has it). None, with an error, when the file cannot be read."""
    if inp.member is not None or not is_spreadsheet(inp.path.name):
        read = read_file(inp, found)
        return None if read is None else ([Table(inp.display, read[0])], read[1])
    try:
        data = inp.read_bytes()
    except OSError as exc:
        found.add(
            "error",
            inp.display,
            None,
            f"cannot be read: {exc}",
            "check the file is there and readable",
        )
        return None
    kind = "ODS" if inp.path.suffix.lower() == ".ods" else "XLSX"
    try:
        search = find_tables(data, inp.path.name, is_header)
    except SpreadsheetError as exc:
        found.add(
            "error",
            inp.display,
            None,
            f"not a readable {kind} spreadsheet: {exc}",
            f"open it in a spreadsheet program and save it again as {kind}, or save the "
            "sheet as CSV (UTF-8)",
        )
        return None
    if not search.tables:
        sheets = ", ".join(repr(s) for s in search.sheets) or "none"
        found.add(
            "error",
            inp.display,
            None,
            f"no sheet has the header row of the table: looked at the first "
            f"{HEADER_SEARCH_ROWS} filled rows of sheet(s) {sheets}",
            f"expected a header row with {expected}; check this is the right file, or "
            "that the header was not renamed",
        )
        return None
    tables = [Table(f"{inp.display}[{t.sheet}]", t.rows) for t in search.tables]
    rows = sum(len(t.rows) - 1 for t in tables)
    stamp = FileStamp(inp.display, hashlib.sha256(data).hexdigest(), len(data), rows)
    return tables, stamp


# --- XLSX ----------------------------------------------------------------------------------------


def _xlsx_sheets(data: bytes) -> Iterator[tuple[str, Iterator[Row]]]:
    import openpyxl  # imported here: only projects with XLSX files pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise SpreadsheetError(str(exc) or type(exc).__name__) from exc

    def rows(sheet: Any) -> Iterator[Row]:
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            yield number, [cell_text(v) for v in values]

    def sheets() -> Iterator[tuple[str, Iterator[Row]]]:
        try:
            for ws in book.worksheets:
                if hasattr(ws, "reset_dimensions"):
                    ws.reset_dimensions()  # a wrong stored size must not cut the sheet short
                yield ws.title, rows(ws)
        finally:
            book.close()

    return sheets()


# --- ODS -----------------------------------------------------------------------------------------


def _ods_sheets(data: bytes) -> Iterator[tuple[str, Iterator[Row]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        content = archive.read("content.xml")
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise SpreadsheetError(f"not an OpenDocument spreadsheet ({exc})") from exc
    # one pass over content.xml, each row's XML freed once read; a sheet's rows are kept as text
    sheets: list[tuple[str, list[Row]]] = []
    name = ""
    rows: list[Row] = []
    number = 0
    for event, elem in ElementTree.iterparse(io.BytesIO(content), events=("start", "end")):
        if event == "start":
            if elem.tag == T_TABLE:
                name, rows, number = elem.get(T_NAME, f"Sheet{len(sheets) + 1}"), [], 0
            continue
        if elem.tag == T_ROW:
            cells = _ods_row(elem)
            repeat = int(elem.get(T_ROWS_REPEATED, "1"))
            if cells:  # identical rows one after another are stored once, repeated
                if number + repeat > MAX_ROWS:
                    raise ValueError(f"sheet {name!r} has more than {MAX_ROWS:,} rows")
                for _ in range(repeat):
                    number += 1
                    rows.append((number, list(cells)))
            else:  # one blank row stands for a run of them: it only separates notes
                rows.append((number + 1, []))
                number += repeat
            elem.clear()
        elif elem.tag == T_TABLE:
            sheets.append((name, rows))
            elem.clear()
    return iter([(n, iter(r)) for n, r in sheets])


def _ods_row(row: ElementTree.Element) -> list[str]:
    cells: list[str] = []
    pending = 0  # empty cells not yet known to lie between filled ones
    for cell in row:
        if cell.tag not in (T_CELL, T_COVERED):
            continue
        repeat = int(cell.get(T_COLS_REPEATED, "1"))
        text = _ods_cell(cell)
        if not text:
            pending += repeat
            continue
        if len(cells) + pending + repeat > MAX_COLUMNS:
            raise ValueError(f"a row is wider than {MAX_COLUMNS} columns")
        cells.extend([""] * pending)
        pending = 0
        cells.extend([text] * repeat)
    return cells


def _ods_cell(cell: ElementTree.Element) -> str:
    kind = cell.get(O_VALUE_TYPE)
    if kind in ("float", "percentage", "currency"):
        return cell_text(float(cell.get(O_VALUE, "nan")))
    if kind == "date":
        value = cell.get(O_DATE, "")
        return (
            value[:10]
            if value.endswith("T00:00:00") or len(value) == 10
            else value.replace("T", " ")
        )
    if kind == "boolean":
        return "TRUE" if cell.get(O_BOOLEAN) == "true" else "FALSE"
    if kind == "time":
        return cell.get(O_TIME, "")
    return "\n".join(_ods_text(p) for p in cell if p.tag == X_P)


def _ods_text(elem: ElementTree.Element) -> str:
    """A paragraph's text: spans flattened, ``text:s`` as spaces, tabs and line breaks kept,
    annotations left out."""
    parts = [elem.text or ""]
    for child in elem:
        if child.tag == X_S:
            parts.append(" " * int(child.get(X_C, "1")))
        elif child.tag == X_TAB:
            parts.append("\t")
        elif child.tag == X_BREAK:
            parts.append("\n")
        elif child.tag != O_ANNOTATION:
            parts.append(_ods_text(child))
        parts.append(child.tail or "")
    return "".join(parts)
