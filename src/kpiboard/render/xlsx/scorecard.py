"""``--format xlsx`` for the scorecard: a workbook of five sheets.

- **Scorecard**, laid out like the board's document: a row per section, then per KPI its
  reference, title, target, status (the word, and a fill), latest figure, change, comparator,
  ranks and comments; figures are numbers in the number format their text was written in, and
  each row links to its monthly data and its SPC points;
- **Data**: the tidy monthly series behind the figures (organisation, measure, month,
  numerator, denominator, value, provisional, vintage);
- **Peers**: every rank with the group's, the peers' and the mean values;
- **SPC**: every point of every KPI's chart with its centre line, limits and point type;
- **Notes**: the organisation, month, vintage, status and SPC keys, notes and each method.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kpiboard.render.registry import RenderOptions
from kpiboard.render.viewmodel import (
    Line,
    change_text,
    key_entries,
    key_text,
    ranks_inline,
    sections,
)
from kpiboard.render.xlsx.numbers import NumberFormat, number_format
from kpiboard.render.xlsx.workbook import (
    INTEGER,
    PLAIN,
    SECTION_FILL,
    STATUS_FILLS,
    Book,
    Column,
    fit_row,
    month_date,
    workbook,
)
from kpiboard.scorecard import Figure, Row, Scorecard

SCORECARD_SHEET, DATA_SHEET, PEERS_SHEET, SPC_SHEET, NOTES_SHEET = (
    "Scorecard",
    "Data",
    "Peers",
    "SPC",
    "Notes",
)
HEADER_ROW = 4  # rows 0-2: title, organisation and month, key; the table's header below
MONTH_FORMAT = "mmm-yy"

SCORECARD_COLUMNS = (
    Column("Ref", 6),
    Column("Key performance indicator", 48, wrap=True),
    Column("Reference", 16, wrap=True),
    Column("Target", 12),
    Column("Target as written", 20, wrap=True),
    Column("Status", 10),
    Column("Latest", 12),
    Column("Latest as written", 14, wrap=True),
    Column("Latest period", 20, wrap=True),
    Column("Change", 12),
    Column("Comparator", 12),
    Column("Comparator period", 16, wrap=True),
    Column("Ranks", 24, wrap=True),
    Column("Comments", 60, wrap=True),
    Column("Monthly data", 10),
    Column("SPC", 8),
)
DATA_COLUMNS = (
    Column("Organisation", 22),
    Column("Organisation id", 14),
    Column("Ref", 6),
    Column("Measure", 26),
    Column("Title", 40),
    Column("Month", 9),
    Column("Months", 8),
    Column("Numerator", 14),
    Column("Denominator", 14),
    Column("Value", 14),
    Column("Unit", 10),
    Column("Provisional", 11),
    Column("Vintage", 8),
)
PEERS_COLUMNS = (
    Column("Ref", 6),
    Column("Measure", 26),
    Column("Title", 40),
    Column("Group", 22),
    Column("Rank", 6),
    Column("Of", 6),
    Column("Rank as written", 10),
    Column("Period", 20),
    Column("What was ranked", 36, wrap=True),
    Column("Group value (pooled)", 14),
    Column("Mean of members' values", 14),
    Column("Other members' value", 14),
    Column("Against the others", 22),
    Column("p-value", 9),
    Column("Method", 36, wrap=True),
)
SPC_COLUMNS = (
    Column("Ref", 6),
    Column("Measure", 26),
    Column("Title", 40),
    Column("Month", 9),
    Column("Value", 12),
    Column("Centre line (mean)", 12),
    Column("Lower process limit", 12),
    Column("Upper process limit", 12),
    Column("Point type", 26),
    Column("Rule", 22),
    Column("Limits group", 8),
)


NOTES_COLUMNS = (Column("", 28, wrap=True), Column("", 40, wrap=True), Column("", 60, wrap=True))


def render_xlsx(scorecard: Scorecard, options: RenderOptions) -> bytes:
    """The scorecard as an Excel workbook (bytes of a .xlsx file; the same for the same
    scorecard)."""
    del options  # a workbook has no layout options
    subject = f"{scorecard.organisation.name}, as at {scorecard.as_of_text}"
    with workbook(scorecard.as_of, scorecard.title, subject) as (book, out):
        scorecard_sheets(book, scorecard)
    return out.getvalue()


def scorecard_sheets(book: Book, scorecard: Scorecard) -> dict[str, int]:
    """The Scorecard, Data, Peers, SPC and Notes sheets, in that order; returns each measure's
    1-based row on the Scorecard sheet (for links to it)."""
    lines = [line for section in sections(scorecard) for line in section.lines]
    data_at = _first_rows((line.row.measure, len(line.row.series)) for line in lines)
    spc_at = _first_rows(
        (line.row.measure, len(line.row.spc.points) if line.row.spc else 0) for line in lines
    )
    placed = _scorecard_sheet(book, scorecard, data_at, spc_at)
    _data_sheet(book, scorecard, lines)
    _peers_sheet(book, lines)
    _spc_sheet(book, lines)
    _notes_sheet(book, scorecard, lines)
    return placed


def _first_rows(counts: Iterable[tuple[str, int]]) -> dict[str, int]:
    """measure -> the 0-based sheet row of its first line in a table under the header."""
    at: dict[str, int] = {}
    row = HEADER_ROW + 1
    for measure, n in counts:
        if n and measure not in at:
            at[measure] = row
            row += n
    return at


def _nf(figure: Figure, row: Row, *, signed: bool = False) -> NumberFormat:
    unit = figure.unit if figure.unit is not None else row.unit
    decimals = figure.decimals if figure.decimals is not None else row.decimals
    return number_format(unit, decimals, signed=signed)


def reports_change(row: Row) -> bool:
    """Whether the row's latest figure is its % change against the comparator ("+0.5%"), the
    level beside it (``level``): written with its sign."""
    return row.level is not None and row.change is not None and row.change.percent is not None


def _row_nf(row: Row) -> NumberFormat:
    return number_format(row.unit, row.decimals)


def _heading(book: Book, ws: Any, scorecard: Scorecard, what: str) -> None:
    book.title(ws, 0, f"{scorecard.title}: {what}" if what else scorecard.title)
    words = (
        f"{scorecard.organisation.name}. As at {scorecard.as_of_text} ({scorecard.financial_year})"
    )
    if scorecard.subtitle:
        words = f"{scorecard.subtitle}. {words}"
    if scorecard.vintage is not None:
        words += f"; data vintage {scorecard.vintage}"
    book.text(ws, 1, 0, words)


def _scorecard_sheet(
    book: Book, scorecard: Scorecard, data_at: dict[str, int], spc_at: dict[str, int]
) -> dict[str, int]:
    """The Scorecard sheet; returns where it put each measure: its 1-based row (the first, for
    a measure shown twice)."""
    placed: dict[str, int] = {}
    ws = book.sheet(SCORECARD_SHEET)
    _heading(book, ws, scorecard, "")
    book.text(
        ws, 2, 0, "; ".join(key_text(label, m) for label, m in key_entries(scorecard)), italic=True
    )
    groups = sections(scorecard)
    last = HEADER_ROW + sum(1 + len(s.lines) for s in groups)
    book.header(ws, HEADER_ROW, SCORECARD_COLUMNS, last)
    r = HEADER_ROW
    section_fmt = book.fmt(bold=True, bg_color=SECTION_FILL)
    for section in groups:
        r += 1
        ws.merge_range(r, 0, r, len(SCORECARD_COLUMNS) - 1, section.name, section_fmt)
        for line in section.lines:
            r += 1
            _scorecard_line(book, ws, r, line, data_at, spc_at)
            placed.setdefault(line.row.measure, r + 1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(HEADER_ROW)
    return placed


def _scorecard_line(
    book: Book, ws: Any, r: int, line: Line, data_at: dict[str, int], spc_at: dict[str, int]
) -> None:
    row = line.row
    ws.write_string(r, 0, line.ref, book.fmt(bold=not line.is_child))
    ws.write_string(r, 1, line.title, book.fmt(text_wrap=True, indent=line.depth))
    book.text(ws, r, 2, row.reference, text_wrap=True)
    if row.target is not None and row.target.value is not None:
        book.value(ws, r, 3, row.target.value, _nf(row.target, row))
    else:
        book.text(ws, r, 3, line.target, text_wrap=True)
    book.text(ws, r, 4, line.target, text_wrap=True)
    fill = STATUS_FILLS.get(line.status.key)
    if fill is not None:
        ws.write_string(
            r, 5, line.status.text, book.fmt(bold=True, bg_color=fill[0], font_color=fill[1])
        )
    else:
        ws.write_string(r, 5, line.status.text, book.fmt(align="center"))
    if row.latest is not None and row.latest.value is not None:
        book.value(ws, r, 6, row.latest.value, _nf(row.latest, row, signed=reports_change(row)))
    else:
        book.text(ws, r, 6, line.latest)
    book.text(ws, r, 7, line.latest, text_wrap=True)
    period = line.latest_period
    if period and line.provisional:
        period += " (provisional)"
    book.text(ws, r, 8, period, text_wrap=True)
    if row.change is not None:
        unit = "pts" if row.unit in ("%", "pts") else row.unit
        # the change is written to its comparator's precision (docs/ENGINE.md, "Precision")
        cmp = row.comparator
        places = cmp.decimals if cmp is not None and cmp.decimals is not None else row.decimals
        book.value(ws, r, 9, row.change.absolute, number_format(unit, places, signed=True))
    if row.comparator is not None and row.comparator.value is not None:
        book.value(ws, r, 10, row.comparator.value, _nf(row.comparator, row))
        book.text(ws, r, 11, row.comparator.period, text_wrap=True)
    book.text(ws, r, 12, ranks_inline(row), text_wrap=True)
    comments = "\n".join(_comments(line))
    book.text(ws, r, 13, comments, text_wrap=True)
    c = SCORECARD_COLUMNS
    fit_row(
        ws,
        r,
        [
            (line.title, c[1]),
            (row.reference, c[2]),
            (line.target, c[4]),
            (line.latest, c[7]),
            (period, c[8]),
            (ranks_inline(row), c[12]),
            (comments, c[13]),
        ],
    )
    link = book.fmt(font_color="blue", underline=1)
    if row.measure in data_at:
        ws.write_url(r, 14, f"internal:'{DATA_SHEET}'!A{data_at[row.measure] + 1}", link, "Data")
    if row.measure in spc_at:
        ws.write_url(r, 15, f"internal:'{SPC_SHEET}'!A{spc_at[row.measure] + 1}", link, "SPC")


def _comments(line: Line) -> list[str]:
    row = line.row
    out = [*line.milestones, *row.facts]
    if row.status_reason:
        out.append(row.status_reason)
    out += line.spc_notes
    for extra in (line.stale, line.revised):
        if extra:
            out.append(extra)
    if row.change is not None and not out:
        out.append(change_text(row) or "")
    return out


def _data_sheet(book: Book, scorecard: Scorecard, lines: list[Line]) -> None:
    ws = book.sheet(DATA_SHEET)
    _heading(book, ws, scorecard, "monthly data")
    book.text(
        ws,
        2,
        0,
        "Each month's value with the sums behind it (over 3 or 12 months where only "
        "quarters or years are published: Months).",
        italic=True,
    )
    rows = _once(line for line in lines if line.row.series)
    last = HEADER_ROW + sum(len(line.row.series) for line in rows)
    book.header(ws, HEADER_ROW, DATA_COLUMNS, last)
    month = book.fmt(num_format=MONTH_FORMAT, align="left")
    org = scorecard.organisation
    r = HEADER_ROW
    for line in rows:
        row = line.row
        nf = _row_nf(row)
        for p in row.series:
            r += 1
            ws.write_string(r, 0, org.name)
            ws.write_string(r, 1, org.id)
            ws.write_string(r, 2, line.ref)
            ws.write_string(r, 3, row.measure)
            ws.write_string(r, 4, row.title)
            ws.write_datetime(r, 5, month_date(p.period), month)
            ws.write_number(r, 6, p.months)
            book.value(ws, r, 7, p.numerator, _count_nf(p.numerator))
            book.value(ws, r, 8, p.denominator, _count_nf(p.denominator))
            book.value(ws, r, 9, p.value, nf)
            book.text(ws, r, 10, row.unit)
            ws.write_boolean(r, 11, p.provisional)
            if scorecard.vintage is not None:
                ws.write_number(r, 12, scorecard.vintage)


def _once(lines: Iterable[Line]) -> list[Line]:
    """The first line of each measure (a measure shown twice has one set of data rows)."""
    seen: set[str] = set()
    out = []
    for line in lines:
        if line.row.measure not in seen:
            seen.add(line.row.measure)
            out.append(line)
    return out


def _count_nf(x: float | None) -> NumberFormat:
    return INTEGER if x is None or float(x).is_integer() else PLAIN


def _peers_sheet(book: Book, lines: list[Line]) -> None:
    ws = book.sheet(PEERS_SHEET)
    book.title(ws, 0, "Ranks among peers")
    ranked = [(line, rank) for line in lines for rank in line.row.ranks]
    book.header(ws, HEADER_ROW, PEERS_COLUMNS, HEADER_ROW + len(ranked))
    r = HEADER_ROW
    for line, rank in ranked:
        r += 1
        row = line.row
        nf = number_format(rank.value_unit, rank.value_decimals)
        ws.write_string(r, 0, line.ref)
        ws.write_string(r, 1, row.measure)
        ws.write_string(r, 2, row.title)
        ws.write_string(r, 3, rank.group)
        ws.write_number(r, 4, rank.rank)
        ws.write_number(r, 5, rank.of)
        ws.write_string(r, 6, rank.text)
        ws.write_string(r, 7, rank.period)
        book.text(ws, r, 8, rank.basis, text_wrap=True)
        book.value(ws, r, 9, rank.group_value, nf)
        book.value(ws, r, 10, rank.mean_of_rates, nf)
        book.value(ws, r, 11, rank.peer_value, nf)
        book.text(ws, r, 12, rank.verdict_text)
        book.value(ws, r, 13, rank.p_value, number_format("", 3))
        book.text(ws, r, 14, rank.verdict_method, text_wrap=True)


def _spc_sheet(book: Book, lines: list[Line]) -> None:
    ws = book.sheet(SPC_SHEET)
    book.title(ws, 0, "Statistical process control: every point of every KPI's chart")
    book.text(
        ws, 1, 0, "XmR charts with Making Data Count rules; empty limits are undefined there."
    )
    charted = _once(line for line in lines if line.row.spc and line.row.spc.points)
    last = HEADER_ROW + sum(len(line.row.spc.points) for line in charted if line.row.spc)
    book.header(ws, HEADER_ROW, SPC_COLUMNS, last)
    month = book.fmt(num_format=MONTH_FORMAT, align="left")
    r = HEADER_ROW
    for line in charted:
        row = line.row
        assert row.spc is not None
        nf = _row_nf(row)
        for p in row.spc.points:
            r += 1
            ws.write_string(r, 0, line.ref)
            ws.write_string(r, 1, row.measure)
            ws.write_string(r, 2, row.title)
            if len(p.period) == 7:
                ws.write_datetime(r, 3, month_date(p.period), month)
            else:
                ws.write_string(r, 3, p.period)
            book.value(ws, r, 4, p.value, nf)
            book.value(ws, r, 5, p.mean, nf)
            book.value(ws, r, 6, p.lpl, nf)
            book.value(ws, r, 7, p.upl, nf)
            ws.write_string(r, 8, str(p.point_type).replace("_", " "))
            ws.write_string(r, 9, str(p.rule).replace("_", " "))
            ws.write_number(r, 10, p.rebase_group + 1)


def _notes_sheet(book: Book, scorecard: Scorecard, lines: list[Line]) -> None:
    ws = book.sheet(NOTES_SHEET)
    _heading(book, ws, scorecard, "notes")
    for col, c in enumerate(NOTES_COLUMNS):
        ws.set_column(col, col, c.width, book.fmt(text_wrap=True))
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    r = _notes_table(book, ws, 2, "", [(name, text, "") for name, text in _facts(scorecard)])
    r += 2
    ws.write_string(r, 0, "Status key", book.fmt(bold=True, font_size=12))
    for label, meaning in key_entries(scorecard):
        r += 1
        fill = STATUS_FILLS.get(label.key)
        props = {"bg_color": fill[0], "font_color": fill[1]} if fill else {}
        ws.write_string(r, 0, label.text, book.fmt(bold=True, **props))
        book.text(ws, r, 1, meaning, text_wrap=True)
    spc_key = [
        (group, icon.replace("_", " "), meaning)
        for group, words in scorecard.spc_key.items()
        for icon, meaning in words.items()
    ]
    r = _notes_table(book, ws, r + 1, "SPC key", spc_key)
    r = _notes_table(book, ws, r + 1, "Notes", [("", "", note) for note in scorecard.notes])
    methods = [
        (f"{line.ref} {line.title}".strip(), what, method)
        for line in lines
        for what, method in _methods(line.row)
    ]
    _notes_table(book, ws, r + 1, "Methods", methods)


def _facts(scorecard: Scorecard) -> list[tuple[str, str]]:
    return [
        ("Organisation", f"{scorecard.organisation.name} ({scorecard.organisation.id})"),
        ("As at", f"{scorecard.as_of_text} ({scorecard.as_of})"),
        ("Financial year", scorecard.financial_year),
        ("Data vintage", "" if scorecard.vintage is None else str(scorecard.vintage)),
        (
            "Numbers",
            "Figures are stored as numbers with the format of the text the board reads: "
            "percentages as fractions (49.3% is 0.493), money and rates with their unit in the "
            "number format. Months are dates (the first of the month).",
        ),
    ]


def _notes_table(
    book: Book, ws: Any, r: int, heading: str, entries: list[tuple[str, str, str]]
) -> int:
    """``entries`` under ``heading`` (none: nothing written) from the row after ``r``; the
    last row written."""
    if not entries:
        return r
    if heading:
        r += 1
        ws.write_string(r, 0, heading, book.fmt(bold=True, font_size=12))
    for entry in entries:
        r += 1
        for col, text in enumerate(entry):
            book.text(ws, r, col, text, text_wrap=True, bold=col == 0 and not heading)
        fit_row(ws, r, list(zip(entry, NOTES_COLUMNS, strict=True)))
    return r


def _methods(row: Row) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if row.margin_of_error is not None:
        out.append(("Margin of error (95%)", row.margin_of_error.method))
    if row.interval is not None:
        out.append(("Confidence interval (95%)", row.interval.method))
    if row.significance is not None:
        out.append((f"Significance: {row.significance.tested}", row.significance.method))
    if row.monthly_average is not None:
        out.append(("Monthly average against target", row.monthly_average.profile))
    if row.forecast is not None:
        out.append((f"Forecast for {row.forecast.financial_year}", row.forecast.method))
    for rank in row.ranks:
        if rank.verdict_method:
            out.append((f"Against the other members of {rank.group}", rank.verdict_method))
    if row.spc is not None:
        limits = "trial limits" if row.spc.trial_limits else "limits"
        out.append(("SPC", f"XmR chart over {row.spc.period} ({limits}); {row.spc.summary}"))
    return out
