"""Reading the Home Office "police recorded crime by police force area" table into records.

The table gives, per financial year, quarter, force and offence code, the number of offences.
Two layouts are read, their columns matched ignoring case, spaces and underscores:

* the official one: ``Financial Year, Financial Quarter, Force Name, Offence Description,
  Offence Group, Offence Subgroup, Offence Code, Number of Offences`` (older releases say
  ``Offence Count``), published as ODS: read as it is (XLSX too: the sheets whose header row
  has these columns, below any title rows; ``kpiboard.ingest.spreadsheet``), or as CSV;
* the underscored copy (``Financial_Year, ...``) with an unnamed index column first and an added
  ``Policeuk_Cat`` (the police.uk category of the offence code), read into ``crime_type``.

One record per row: ``org`` from Force Name, ``period_end`` the first day of the quarter's last
month (Q1 of 2017/18 is April-June 2017: 2017-06-01; Q4 is 2018-03-01), ``months`` 3, and
``weight`` the number of offences. Names in the source's ``set_aside`` (Action Fraud, CIFAS,
UK Finance, British Transport Police) are skipped and counted.

The published quarterly figures can be negative (crimes cancelled after the quarter they were
recorded in); they are read as they are, with a warning. Rows repeating a (force, year, quarter,
offence code) one after another are the table's split offences (Homicide is listed once per
code it covers) and are all read; a key that comes back later in a file, or in another file,
is an error (a file given twice, or two releases overlapping).

>>> spec = SourceSpec("prc", "home_office_prc", ["data/prc-*.csv"])  # doctest: +SKIP
>>> read_home_office_prc(catalogue, spec).read_all().num_rows  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from kpiboard.errors import KpiboardError, ValidationFailed
from kpiboard.ingest.records import RECORD_SCHEMA, RecordRead, SourceSpec
from kpiboard.ingest.schema import Progress
from kpiboard.ingest.spreadsheet import read_tables
from kpiboard.ingest.table_files import (
    Findings,
    OrgNames,
    TableFile,
    column_key,
    source_files,
)

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue

SOURCE_TYPE = "home_office_prc"
#: The official columns, in order.
COLUMNS: tuple[str, ...] = (
    "Financial Year",
    "Financial Quarter",
    "Force Name",
    "Offence Description",
    "Offence Group",
    "Offence Subgroup",
    "Offence Code",
    "Number of Offences",
)
#: Other names a column goes by (older releases; the underscored copy's extra column).
ALIASES = {"Offence Count": "Number of Offences", "Policeuk Cat": "Police.uk category"}
OPTIONAL: tuple[str, ...] = ("Offence Description", "Police.uk category")
BATCH_ROWS = 50_000
_Key = tuple[str, int, int, str]  # (organisation, financial year, quarter, offence code)
_FY = re.compile(r"^(\d{4})\s*[/-]\s*(\d{2}|\d{4})$")
_QUARTER = re.compile(r"^(?:q\s*)?([1-4])(?:\.0+)?$", re.IGNORECASE)
_COUNT = re.compile(r"^-?(\d+|\d{1,3}(,\d{3})+)(\.0+)?$")
_KNOWN = {column_key(c): c for c in (*COLUMNS, "Police.uk category")} | {
    column_key(k): v for k, v in ALIASES.items()
}


def period_end(year: int, quarter: int) -> dt.date:
    """The first day of the last month of a financial quarter (April-March years).

    >>> period_end(2017, 1), period_end(2017, 4)
    (datetime.date(2017, 6, 1), datetime.date(2018, 3, 1))
    """
    month = 3 + 3 * quarter
    return dt.date(year + 1, month - 12, 1) if month > 12 else dt.date(year, month, 1)


def financial_year(text: str) -> int | None:
    """The starting year of "2017/18", "2017-18" or "2017/2018"; None if it is not one."""
    match = _FY.match(text.strip())
    if not match:
        return None
    start, end = int(match.group(1)), match.group(2)
    ok = int(end) == start + 1 if len(end) == 4 else int(end) == (start + 1) % 100
    return start if ok else None


def is_header(cells: list[str]) -> bool:
    """Whether a row is the table's header: every required column is there (for finding it
    below the title rows of a spreadsheet)."""
    names = {_KNOWN.get(column_key(c)) for c in cells}
    return all(c in names for c in COLUMNS if c not in OPTIONAL)


def _positions(
    header: list[str], display: str, found: Findings, header_line: int
) -> dict[str, int] | None:
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, raw in enumerate(header):
        key = column_key(raw)
        if not key or (index == 0 and key in ("unnamed:0", "index")):
            continue  # the index column pandas leaves in front of a copy
        name = _KNOWN.get(key)
        if name is None:
            unknown.append(raw.strip())
        elif name in positions:
            found.add(
                "error",
                display,
                header_line,
                f"column {raw.strip()!r} appears twice",
                "keep one column of each name",
            )
        else:
            positions[name] = index
    missing = [c for c in COLUMNS if c not in positions and c not in OPTIONAL]
    if missing:
        found.add(
            "error",
            display,
            header_line,
            f"wrong header: missing {', '.join(repr(c) for c in missing)}"
            + (f"; unexpected {', '.join(repr(c) for c in unknown)}" if unknown else "")
            + f". Expected the Home Office columns: {', '.join(COLUMNS)} (older releases: "
            "Offence Count; spaces or underscores, any case)",
            "check this is the 'police recorded crime by police force area' table, with its "
            "header on the first line",
        )
        return None
    for name in unknown:
        found.add(
            "warning",
            display,
            header_line,
            f"column {name!r} is not a Home Office column; it is ignored",
            "remove it, or ignore this warning",
        )
    return positions


@dataclass
class _Reader:
    catalogue: Catalogue
    spec: SourceSpec
    result: RecordRead
    progress: Progress | None

    def batches(self) -> Iterator[pa.RecordBatch]:
        found = Findings(self.spec.id)
        names = OrgNames(self.catalogue, self.spec)
        inputs = source_files(self.catalogue, self.spec, found, "recorded crime")
        seen: dict[_Key, tuple[str, int]] = {}  # key -> (file, line)
        for number, inp in enumerate(inputs):
            if self.progress:
                self.progress(number, len(inputs), f"reading {inp.display}")
            batches = list(self._file(inp, found, names, seen))
            if not found.errors:  # nothing is yielded once anything is wrong
                yield from batches
        self.result.set_aside = names.set_aside
        self.result.warnings = found.warnings
        if found.errors:
            raise ValidationFailed(found.items)
        if self.progress:
            self.progress(len(inputs), len(inputs), f"read {self.result.rows:,} records")

    def _file(
        self,
        inp: TableFile,
        found: Findings,
        names: OrgNames,
        seen: dict[_Key, tuple[str, int]],
    ) -> Iterator[pa.RecordBatch]:
        read = read_tables(inp, found, is_header, "the Home Office columns: " + ", ".join(COLUMNS))
        if read is None:
            return
        tables, stamp = read
        self.result.files.append(stamp)
        for table in tables:
            yield from self._table(inp, table.display, table.rows, found, names, seen)

    def _table(
        self,
        inp: TableFile,
        display: str,
        rows: list[tuple[int, list[str]]],
        found: Findings,
        names: OrgNames,
        seen: dict[_Key, tuple[str, int]],
    ) -> Iterator[pa.RecordBatch]:
        """One table's records: a CSV file, or a sheet of a spreadsheet (``display`` names it
        in findings; the records keep the file's name, as its stamp does)."""
        pos = _table_positions(rows, display, found)
        if pos is None:
            return
        width = max(pos.values()) + 1
        cols: dict[str, list[object]] = {n: [] for n in RECORD_SCHEMA.names}
        first_negative: int | None = None
        negatives = 0
        previous: _Key | None = None
        for line, cells in rows[1:]:
            row = _Row(cells + [""] * (width - len(cells)), pos)
            parsed = _parse(row, names, display, line, found)
            if parsed is None:
                previous = None
                continue
            key, weight = parsed
            _check_repeat(key, previous, seen, row, display, line, found)
            seen.setdefault(key, (display, line))
            previous = key
            if weight < 0:
                negatives += 1
                first_negative = first_negative or line
            if found.errors:
                continue
            self._add(cols, row, inp, key, weight)
            if len(cols["org"]) >= BATCH_ROWS:
                yield self._batch(cols)
        if negatives:
            found.add(
                "warning",
                display,
                first_negative,
                f"Number of Offences: {negatives} row(s) have a negative count (the first here); "
                "read as published",
                "the Home Office publishes net quarterly counts: crimes "
                "cancelled after their quarter make a count negative",
            )
        if cols["org"]:
            yield self._batch(cols)

    def _add(
        self, cols: dict[str, list[object]], row: _Row, inp: TableFile, key: _Key, weight: float
    ) -> None:
        """A good row's record, into the columns of the next batch."""
        org, year, quarter, code = key
        group, sub = row["Offence Group"], row["Offence Subgroup"]
        values = (
            self.spec.id,
            org,
            period_end(year, quarter),
            3,
            None,
            row["Police.uk category"] or None,
            None,
            None,
            code,
            group or None,
            sub or None,
            weight,
            inp.display,
        )
        for name, value in zip(RECORD_SCHEMA.names, values, strict=True):
            cols[name].append(value)

    def _batch(self, cols: dict[str, list[object]]) -> pa.RecordBatch:
        batch = pa.RecordBatch.from_pydict(dict(cols), schema=RECORD_SCHEMA)
        self.result.rows += batch.num_rows
        for values in cols.values():
            values.clear()
        return batch


@dataclass(frozen=True)
class _Row:
    """A row's cells by column name (a column the table lacks reads as blank)."""

    cells: list[str]
    pos: dict[str, int]

    def __getitem__(self, name: str) -> str:
        return self.cells[self.pos[name]].strip() if name in self.pos else ""


def _table_positions(
    rows: list[tuple[int, list[str]]], display: str, found: Findings
) -> dict[str, int] | None:
    """Where each column is, from the table's header (its first row); None if there is no
    header, or it lacks a column."""
    if not rows:
        found.add(
            "error",
            display,
            None,
            "the file is empty",
            "give the table with its header line: " + ", ".join(COLUMNS),
        )
        return None
    return _positions(rows[0][1], display, found, rows[0][0])


def _parse(
    row: _Row, names: OrgNames, display: str, line: int, found: Findings
) -> tuple[_Key, float] | None:
    """A row's key and its number of offences; None (with its problems in ``found``) when a
    field is not what it should be."""
    org = names.org(row["Force Name"], "Force Name", display, line, found)
    year = financial_year(row["Financial Year"])
    if year is None:
        found.add(
            "error",
            display,
            line,
            f"Financial Year: {row['Financial Year']!r} is not a financial year",
            "write it as the Home Office does, e.g. 2017/18 (or 2017-18)",
        )
    quarter = _QUARTER.match(row["Financial Quarter"])
    if quarter is None:
        found.add(
            "error",
            display,
            line,
            f"Financial Quarter: {row['Financial Quarter']!r} is not a quarter 1-4",
            "quarters of the financial year: 1 = Apr-Jun, 2 = Jul-Sep, 3 = Oct-Dec, 4 = Jan-Mar",
        )
    code = row["Offence Code"]
    if not code:
        found.add(
            "error",
            display,
            line,
            "Offence Code: is blank",
            "every row of the table has the Home Office offence code, e.g. 34B",
        )
    weight = _count(row["Number of Offences"], display, line, found)
    if org is None or year is None or quarter is None or not code or weight is None:
        return None
    return (org, year, int(quarter.group(1)), code), weight


def _count(raw: str, display: str, line: int, found: Findings) -> float | None:
    count_column = "Number of Offences"
    if not _COUNT.match(raw):
        found.add(
            "error",
            display,
            line,
            f"{count_column}: {raw!r} is not a whole number"
            if raw
            else f"{count_column}: is blank",
            "give the number of offences as a whole number, e.g. 1234",
        )
        return None
    return float(raw.replace(",", ""))


def _check_repeat(
    key: _Key,
    previous: _Key | None,
    seen: dict[_Key, tuple[str, int]],
    row: _Row,
    display: str,
    line: int,
    found: Findings,
) -> None:
    """A key read before is an error, unless on the row just before (a split offence)."""
    if key in seen and key != previous:
        file, at = seen[key]
        unit = "row" if display.endswith("]") else "line"  # a sheet has rows
        where = f"{unit} {at}" if file == display else f"{file}:{at}"
        found.add(
            "error",
            display,
            line,
            f"Offence Code: {key[3]} for {row['Force Name']}, {row['Financial Year']} "
            f"Q{key[2]} appears again (first at {where})",
            "each force, quarter and offence code is published once: check the same "
            "table was not given twice, or two releases overlap",
        )


def read_home_office_prc(
    catalogue: Catalogue, spec: SourceSpec, progress: Progress | None = None
) -> RecordRead:
    """Read a Home Office recorded-crime source into record batches (see the module notes).
    Nothing is read until the returned :class:`RecordRead` is iterated; problems raise
    ``ValidationFailed`` (every finding) from the iteration, and no batch is yielded after the
    first error."""
    if spec.type != SOURCE_TYPE:
        raise KpiboardError(
            f"source {spec.id!r} has type {spec.type!r}, not {SOURCE_TYPE!r}",
            hint="read it with the reader of its type",
        )
    result = RecordRead(spec.id, iter(()))
    result.batches = _Reader(catalogue, spec, result, progress).batches()
    return result
