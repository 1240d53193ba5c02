"""A month's entered figures in bulk (docs/ENTRY.md, "Bulk entry"): the template an owner fills
in — XLSX with the identifiers locked and the input cells validated, or CSV with the same
columns — and the reader that parses the upload back into rows, each with its problems and its
sheet and line.

Pure: no web framework and no database. The caller gives the measures the person may enter
with their current step, and, to check the rows, what each figure is compared with; it decides
whether to save (all or nothing: only when no row has a problem).
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from kpiboard.catalogue.schema import Measure
from kpiboard.errors import KpiboardError
from kpiboard.vocabulary import MeasureKind
from kpiboard.web.db.entities import Figures
from kpiboard.web.db.errors import MAX_ENTRY_NOTE_CHARS
from kpiboard.web.entry_checks import ABSURD, Problem, check_entry
from kpiboard.web.entry_checks import Context as Compared

SHEET = "Figures"
README_SHEET = "Read me"
IDENTIFIERS = ("org", "measure", "month", "row", "title", "unit", "kind")
NUMBERS = ("numerator", "denominator", "value", "sample_size")
INPUTS = (*NUMBERS, "provisional", "note", "reason")
COLUMNS = (*IDENTIFIERS, *INPUTS, "base")
# the kinds whose figure is a numerator over a denominator (the others give a value)
FRACTIONS = (MeasureKind.PROPORTION, MeasureKind.MEAN)
MAX_UPLOAD_ROWS = 1_000
# a workbook of a few rows unpacks to well under a megabyte: more is not a template (and a
# small file that unpacks to gigabytes would hold the server up)
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_LINES = 10 * MAX_UPLOAD_ROWS  # blank lines included
YES, NO = ("yes", "true", "y", "1"), ("no", "false", "n", "0", "")
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d*)(\.\d+)?$")
_INPUT_FILL = PatternFill("solid", fgColor="FFF2A8")  # yellow: type here
_LOCKED_FILL = PatternFill("solid", fgColor="E4E4E4")  # grey: which figure it is
_HEADER_FONT = Font(bold=True)


class BulkError(KpiboardError):
    """The upload cannot be read as a template at all (not XLSX or CSV, no sheet "Figures",
    a wrong header): no row is looked at."""


@dataclass(frozen=True)
class TemplateRow:
    """One measure due for an organisation and month, as the template lists it: ``base`` is
    the entry's current step (0 when not entered), ``figures`` its current figures if any."""

    org: str
    measure: Measure
    month: str
    base: int
    figures: Figures | None = None


def template_rows(
    org: str, month: str, due: Iterable[tuple[Measure, int, Figures | None]]
) -> list[TemplateRow]:
    """The template's rows: one per (measure, current step, current figures) the person may
    enter, in the order given."""
    return [TemplateRow(org, m, month, base, figures) for m, base, figures in due]


def inputs_of(measure: Measure) -> tuple[str, ...]:
    """The input columns a measure's kind uses (the others stay locked in the XLSX)."""
    if measure.kind in FRACTIONS:
        return INPUTS
    return tuple(c for c in INPUTS if c not in ("numerator", "denominator"))


def _cells(r: TemplateRow) -> list[object]:
    m, f = r.measure, r.figures
    values: dict[str, object] = {
        "org": r.org,
        "measure": m.id,
        "month": r.month,
        "row": m.row or "",
        "title": m.title,
        "unit": m.unit,
        "kind": m.kind.value,
        "base": r.base,
    }
    if f is not None:
        for name in NUMBERS:
            got = getattr(f, name)  # 31, not 31.0, as the owner typed it
            values[name] = int(got) if got is not None and got.is_integer() else got
        values["provisional"] = "yes" if f.provisional else "no"
        values["note"] = f.note
    return [values.get(c) for c in COLUMNS]


def write_csv(rows: Sequence[TemplateRow]) -> bytes:
    """The template as CSV (UTF-8 with a byte-order mark, so Excel reads £ as £)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow(["" if v is None else v for v in _cells(r)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


README = (
    "How to fill in this template",
    "",
    "One row per figure due. The grey columns (org to kind) say which figure it is: they are "
    "locked; do not change them.",
    "Type the figures in the yellow cells. A proportion or a mean takes a numerator and a "
    "denominator (or a value: a percentage for a proportion); any other measure takes a value.",
    "provisional: yes if the figure will be revised. note: why a surprising figure is what it "
    f"is (up to {MAX_ENTRY_NOTE_CHARS:,} characters). reason: why a month already published "
    "changes.",
    "A figure outside its process limits, or changed from last month by more than its measure "
    "allows, needs a note.",
    "Leave a row's figures blank to leave that measure as it is.",
    "Upload the file on the dashboard: it shows every row's problems first, and saves the "
    "figures as drafts only when no row has one (all or nothing). Then submit them for approval.",
    "The hidden column base is the step each figure was at when the template was made: if "
    "someone changed a figure since, the upload is refused; download a fresh template.",
)


def write_xlsx(rows: Sequence[TemplateRow]) -> bytes:
    """The template as an XLSX workbook: sheet "Figures" with the identifiers locked (sheet
    protection, no password: it guards against slips, not people) and the input cells the
    measure's kind uses unlocked and validated; sheet "Read me"."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font = _HEADER_FONT
    decimal = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not a figure",
        error="Type a number, 0 or more.",
    )
    yes_no = DataValidation(
        type="list", formula1='"yes,no"', allow_blank=True, showErrorMessage=True
    )
    text = DataValidation(
        type="textLength",
        operator="lessThanOrEqual",
        formula1=str(MAX_ENTRY_NOTE_CHARS),
        allow_blank=True,
        showErrorMessage=True,
        error=f"At most {MAX_ENTRY_NOTE_CHARS:,} characters.",
    )
    for dv in (decimal, yes_no, text):
        ws.add_data_validation(dv)
    for line, r in enumerate(rows, start=2):
        ws.append(_cells(r))
        for name in IDENTIFIERS:
            ws.cell(line, COLUMNS.index(name) + 1).fill = _LOCKED_FILL
        for name in inputs_of(r.measure):
            cell = ws.cell(line, COLUMNS.index(name) + 1)
            cell.protection = Protection(locked=False)
            cell.fill = _INPUT_FILL
            if name in NUMBERS:
                decimal.add(cell)
            elif name == "provisional":
                yes_no.add(cell)
            else:
                text.add(cell)
    widths = {"title": 48, "note": 32, "reason": 24, "measure": 22}
    for i, name in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = widths.get(name, 12)
    ws.column_dimensions[get_column_letter(len(COLUMNS))].hidden = True  # base
    ws.freeze_panes = "C2"
    ws.page_setup.orientation = "landscape"  # printed, the row fits one page's width
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # widths may still be changed
    readme = wb.create_sheet(README_SHEET)
    for text_line in README:
        readme.append([text_line])
        readme.cell(readme.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
        # heights set, as not every spreadsheet grows a wrapped row by itself
        readme.row_dimensions[readme.max_row].height = 15 * (1 + len(text_line) // 62)
    readme["A1"].font = _HEADER_FONT
    readme.column_dimensions["A"].width = 68
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading an upload back -------------------------------------------------------------------


@dataclass(frozen=True)
class UploadRow:
    """One row of an upload as read: where it is (``Figures!3``, or ``line 3``), its cells by
    column, and what could not be read (a number that is not one, ...)."""

    where: str
    cells: Mapping[str, str]
    problems: tuple[Problem, ...] = ()
    figures: Figures | None = None
    base: int | None = None

    @property
    def blank(self) -> bool:
        return not any(self.cells.get(c, "").strip() for c in INPUTS if c != "provisional")


def read_upload(data: bytes) -> list[UploadRow]:
    """The rows of an uploaded template (XLSX or CSV, told by its content): BulkError when it
    is neither, or its header is not the template's."""
    if not data.strip():
        raise BulkError("the file is empty", hint="upload the template, filled in")
    if data.startswith(b"PK\x03\x04"):
        table = _xlsx_rows(data)
        where = f"{SHEET}!{{}}"
    else:
        table = _csv_rows(data)
        where = "line {}"
    header = next(table, None)
    got = [("" if c is None else str(c)).strip().lower() for c in (header or [])]
    while got and not got[-1]:
        got.pop()
    if got != list(COLUMNS):
        raise BulkError(
            f"the header row is not the template's: expected the columns {', '.join(COLUMNS)}; "
            f"got {', '.join(got) or 'nothing'}",
            hint="download the template again and type the figures into it",
        )
    out: list[UploadRow] = []
    for line, cells in enumerate(table, start=2):
        if line > MAX_LINES:
            raise BulkError(f"more than {MAX_LINES:,} lines", hint="upload the month's template")
        texts = [_text(c) for c in cells]
        if not any(texts):
            continue
        if len(out) >= MAX_UPLOAD_ROWS:
            raise BulkError(f"more than {MAX_UPLOAD_ROWS:,} rows", hint="upload one month")
        out.append(_parse(where.format(line), dict(zip(COLUMNS, texts, strict=False))))
    return out


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < ABSURD:
        return str(int(cell))
    return str(cell).strip()


def _xlsx_rows(data: bytes) -> Iterator[Sequence[object]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise BulkError(
                f"the workbook unpacks to {unpacked:,} bytes: more than a template's "
                f"{MAX_UNPACKED_BYTES:,}",
                hint="upload the month's template, filled in",
            )
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise BulkError(
            f"the file is not a workbook kpiboard can read ({exc})",
            hint="save it as .xlsx, or as CSV",
        ) from exc
    if SHEET not in wb.sheetnames:
        raise BulkError(
            f'the workbook has no sheet "{SHEET}" (it has {", ".join(wb.sheetnames)})',
            hint="upload the template as downloaded, filled in",
        )
    ws = wb[SHEET]
    return (tuple(row) for row in ws.iter_rows(max_col=len(COLUMNS) + 1, values_only=True))


def _csv_rows(data: bytes) -> Iterator[Sequence[object]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BulkError(
            "the file is neither an XLSX workbook nor CSV in UTF-8",
            hint="save it from the spreadsheet as .xlsx, or as CSV UTF-8",
        ) from exc
    return iter(list(csv.reader(io.StringIO(text))))


def _number(name: str, text: str) -> tuple[float | None, Problem | None]:
    if not text:
        return None, None
    if not _NUMBER.match(text) or text in ("", "+", "-", "."):
        return None, Problem(name, f"{name} must be a number, not {text[:40]!r}")
    got = float(text.replace(",", ""))
    if not math.isfinite(got) or abs(got) >= ABSURD:
        return None, Problem(name, f"{name} {text[:40]} is too big to be a figure")
    return got, None


def _parse(where: str, cells: dict[str, str]) -> UploadRow:
    problems: list[Problem] = []
    numbers: dict[str, float | None] = {}
    for name in NUMBERS:
        numbers[name], problem = _number(name, cells.get(name, ""))
        if problem:
            problems.append(problem)
    flag = cells.get("provisional", "").lower()
    if flag not in YES + NO:
        problems.append(Problem("provisional", f"provisional is yes or no, not {flag[:20]!r}"))
    note = cells.get("note") or None
    for name in ("note", "reason"):
        if len(cells.get(name, "")) > MAX_ENTRY_NOTE_CHARS:
            problems.append(
                Problem(name, f"the {name} is over {MAX_ENTRY_NOTE_CHARS:,} characters")
            )
    base_text = cells.get("base", "")
    base = int(base_text) if base_text.isdigit() else None
    if base is None:
        problems.append(
            Problem("base", "the hidden column base is missing: download a fresh template")
        )
    figures = Figures(
        numbers["numerator"],
        numbers["denominator"],
        numbers["value"],
        numbers["sample_size"],
        flag in YES,
        note,
    )
    return UploadRow(where, cells, tuple(problems), figures, base)


# --- checking the rows against the measures ---------------------------------------------------


@dataclass(frozen=True)
class RowCheck:
    """A row as it would be saved: its measure, figures and base, or its problems. ``skip``:
    why nothing is saved for a row without problems ("left blank", "unchanged")."""

    where: str
    measure: str
    figures: Figures | None
    base: int | None
    reason: str | None
    problems: list[Problem] = field(default_factory=list)
    skip: str = ""

    @property
    def saves(self) -> bool:
        return not self.problems and not self.skip


def check_rows(
    rows: Sequence[UploadRow],
    org: str,
    month: str,
    enterable: Mapping[str, Measure],
    refused: Callable[[Measure], str | None],
    compared: Callable[[Measure], Compared],
    current: Callable[[Measure], tuple[int, Figures] | None] = lambda m: None,
) -> list[RowCheck]:
    """Each row's problems: another organisation or month than the upload's; a measure not
    entered on the dashboard or not the person's (``enterable``: the measures they may enter
    this month); why the measure cannot take a figure now (``refused``: its month comes from
    the data files, it waits for an approver...); a measure twice; what could not be read; and
    :func:`~kpiboard.web.entry_checks.check_entry`'s problems, surprises needing a note
    included. A row left blank, or the same as its ``current`` step and figures (a template
    sent back as it came), saves nothing: an approved figure is not revised by being listed."""
    out: list[RowCheck] = []
    seen: set[str] = set()
    for r in rows:
        mid = r.cells.get("measure", "")
        reason = r.cells.get("reason") or None
        problems: list[Problem] = []
        if r.cells.get("org", "") != org:
            problems.append(Problem("org", f"this upload is for {org}, not {r.cells.get('org')!r}"))
        if r.cells.get("month", "") != month:
            problems.append(
                Problem("month", f"this upload is for {month}, not {r.cells.get('month')!r}")
            )
        m = enterable.get(mid)
        if m is None:
            problems.append(
                Problem(
                    "measure",
                    f"{mid!r} is not a measure you may enter on the dashboard for {month}",
                )
            )
        elif mid in seen:
            problems.append(Problem("measure", f"{mid} is in the upload twice"))
        seen.add(mid)
        if m is not None and not problems and r.blank:
            out.append(RowCheck(r.where, mid, None, r.base, reason, skip="left blank"))
            continue
        why = refused(m) if m is not None and not problems else None
        if why:
            problems.append(Problem("measure", why))
        problems += r.problems
        now = current(m) if m is not None and not problems else None
        if now is not None and now == (r.base, r.figures) and not reason:
            out.append(RowCheck(r.where, mid, r.figures, r.base, reason, skip="unchanged"))
            continue
        if m is not None and not problems and r.figures is not None:
            problems += check_entry(m, r.figures, compared(m), reason=reason)
        out.append(RowCheck(r.where, mid, r.figures, r.base, reason, problems))
    return out
