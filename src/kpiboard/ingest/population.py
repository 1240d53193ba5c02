"""Reading population tables into records: one record per organisation and year, its
``weight`` the population, so a ``snapshot`` measure counted from the source is the population.

Two layouts, told apart by the header (columns matched ignoring case, spaces and underscores):

* **plain**: ``org,year,population`` (any organisation spelling the catalogue knows; any column
  order; other columns ignored). ``year`` is the year of a mid-year estimate: its record ends
  in June of that year (``period_end`` YYYY-06-01).
* **census by force**: the 2011 census table per police force area, first column the force name
  (``PFA16NM``, ``Police Force Area``, ...), the first count column the total population, the
  other columns (ethnic groups, ...) ignored. Its record ends in June 2011 (census day was
  27 March 2011; ONS mid-year estimates are dated 30 June, and that is how periods are matched).

Every record has ``months`` 1 and no category columns. Names in ``set_aside`` are skipped and
counted. Errors: an unknown organisation (with the nearest names), a population that is blank,
not a number, zero or negative, a year that is not YYYY, and the same organisation and year
twice (in one file or across files).

>>> spec = SourceSpec("pop", "population", ["data/census-2011.csv"])  # doctest: +SKIP
>>> read_population(catalogue, spec).read_all().num_rows  # doctest: +SKIP
43
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

SOURCE_TYPE = "population"
PLAIN_COLUMNS: tuple[str, ...] = ("org", "year", "population")
CENSUS_YEAR = 2011
ESTIMATE_MONTH = 6  # mid-year estimates: 30 June
#: first-column names of a table by force (ONS codes' name columns, and plain words)
_FORCE_COLUMN = re.compile(
    r"^(pfa\d*(nm|name)|policeforcearea(name)?|force(name)?|area(name)?|name|geography)$"
)
_NUMBER = re.compile(r"^-?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?$")
_YEAR = re.compile(r"^(\d{4})(\.0+)?$")


@dataclass(frozen=True)
class _Layout:
    name: str  # "plain" | "census"
    org: int
    population: int
    year: int | None  # plain: the year column; census: None (2011)


def _recognised(header: list[str]) -> _Layout | None:
    keys = [column_key(c) for c in header]
    if all(c in keys for c in PLAIN_COLUMNS):
        return _Layout("plain", keys.index("org"), keys.index("population"), keys.index("year"))
    if len(keys) >= 2 and _FORCE_COLUMN.match(keys[0]) and "year" not in keys:
        return _Layout("census", 0, 1, None)
    return None


def is_header(cells: list[str]) -> bool:
    """Whether a row is a population table's header (to find it below a spreadsheet's title
    rows)."""
    return _recognised(cells) is not None


def _layout(header: list[str], display: str, found: Findings, header_line: int) -> _Layout | None:
    layout = _recognised(header)
    if layout is not None:
        return layout
    keys = [column_key(c) for c in header]
    missing = [c for c in PLAIN_COLUMNS if c not in keys]
    found.add(
        "error",
        display,
        header_line,
        f"wrong header: not a population table (found {', '.join(repr(c.strip()) for c in header[:5])}"
        f"{', ...' if len(header) > 5 else ''}; missing {', '.join(repr(c) for c in missing)})",
        "give either the columns org, year, population (one row per organisation and "
        "year), or the census table by force whose first column is the force name "
        "(e.g. PFA16NM) and second the total population",
    )
    return None


def _population(raw: str, column: str, display: str, line: int, found: Findings) -> float | None:
    text = raw.strip()
    if not text:
        found.add(
            "error",
            display,
            line,
            f"{column}: is blank",
            "give every organisation's population; a missing one must not become zero",
        )
        return None
    if not _NUMBER.match(text):
        found.add(
            "error",
            display,
            line,
            f"{column}: {text!r} is not a number",
            "give the population as a number, e.g. 2281700 (thousands separators are fine)",
        )
        return None
    value = float(text.replace(",", ""))
    if value <= 0:
        found.add(
            "error",
            display,
            line,
            f"{column}: {text} is not a population (it must be above zero)",
            "check the column: a rate per population needs a positive population",
        )
        return None
    return value


@dataclass
class _Reader:
    catalogue: Catalogue
    spec: SourceSpec
    result: RecordRead
    progress: Progress | None

    def batches(self) -> Iterator[pa.RecordBatch]:
        found = Findings(self.spec.id)
        names = OrgNames(self.catalogue, self.spec)
        inputs = source_files(self.catalogue, self.spec, found, "population")
        seen: dict[tuple[str, int], tuple[str, int]] = {}
        for number, inp in enumerate(inputs):
            if self.progress:
                self.progress(number, len(inputs), f"reading {inp.display}")
            batches = self._file(inp, found, names, seen)
            if not found.errors:
                for batch in batches:
                    self.result.rows += batch.num_rows
                    yield batch
        self.result.set_aside = names.set_aside
        self.result.warnings = found.warnings
        if found.errors:
            raise ValidationFailed(found.items)
        if self.progress:
            self.progress(len(inputs), len(inputs), f"read {self.result.rows:,} populations")

    def _file(
        self,
        inp: TableFile,
        found: Findings,
        names: OrgNames,
        seen: dict[tuple[str, int], tuple[str, int]],
    ) -> list[pa.RecordBatch]:
        read = read_tables(
            inp,
            found,
            is_header,
            "the columns org, year, population, or a "
            "force-name column (e.g. PFA16NM) then the total population",
        )
        if read is None:
            return []
        tables, stamp = read
        self.result.files.append(stamp)
        return [b for t in tables if (b := self._table(inp, t.display, t.rows, found, names, seen))]

    def _table(
        self,
        inp: TableFile,
        display: str,
        rows: list[tuple[int, list[str]]],
        found: Findings,
        names: OrgNames,
        seen: dict[tuple[str, int], tuple[str, int]],
    ) -> pa.RecordBatch | None:
        """One table's records: a CSV file, or a sheet of a spreadsheet (``display`` names it
        in findings; the records keep the file's name, as its stamp does)."""
        if not rows:
            found.add(
                "error",
                display,
                None,
                "the file is empty",
                "give the header line, then one row per organisation",
            )
            return None
        header = rows[0][1]
        layout = _layout(header, display, found, rows[0][0])
        if layout is None:
            return None
        org_column = header[layout.org].strip() or "org"
        pop_column = header[layout.population].strip() or "population"
        width = max(layout.org, layout.population, layout.year or 0) + 1
        orgs: list[str] = []
        ends: list[dt.date] = []
        weights: list[float] = []
        for line, cells in rows[1:]:
            cells = cells + [""] * (width - len(cells))
            org = names.org(cells[layout.org], org_column, display, line, found)
            year: int | None = CENSUS_YEAR
            if layout.year is not None:
                match = _YEAR.match(cells[layout.year].strip())
                year = int(match.group(1)) if match else None
                if year is None:
                    found.add(
                        "error",
                        display,
                        line,
                        f"year: {cells[layout.year].strip()!r} is not a year written YYYY",
                        "give the year of the mid-year estimate, e.g. 2017",
                    )
            value = _population(cells[layout.population], pop_column, display, line, found)
            if org is None or year is None or value is None:
                continue
            if (org, year) in seen:
                file, at = seen[(org, year)]
                unit = "row" if display.endswith("]") else "line"  # a sheet has rows
                where = f"{unit} {at}" if file == display else f"{file}:{at}"
                found.add(
                    "error",
                    display,
                    line,
                    f"{org_column}: {cells[layout.org].strip()} has a population for {year} "
                    f"already (at {where})",
                    "give each organisation's population once per year: check the same "
                    "table was not given twice, or two names of one force are not both there",
                )
                continue
            seen[(org, year)] = (display, line)
            orgs.append(org)
            ends.append(dt.date(year, ESTIMATE_MONTH, 1))
            weights.append(value)
        n = len(orgs)
        if not n:
            return None
        nulls = pa.nulls(n, pa.string())
        return pa.RecordBatch.from_arrays(
            [
                pa.array([self.spec.id] * n, pa.string()),
                pa.array(orgs, pa.string()),
                pa.array(ends, pa.date32()),
                pa.array([1] * n, pa.int32()),
                nulls,
                nulls,
                nulls,
                nulls,
                nulls,
                nulls,
                nulls,
                pa.array(weights, pa.float64()),
                pa.array([inp.display] * n, pa.string()),
            ],
            schema=RECORD_SCHEMA,
        )


def read_population(
    catalogue: Catalogue, spec: SourceSpec, progress: Progress | None = None
) -> RecordRead:
    """Read a population source into record batches (see the module notes). Nothing is read
    until the returned :class:`RecordRead` is iterated; problems raise ``ValidationFailed``
    (every finding) from the iteration."""
    if spec.type != SOURCE_TYPE:
        raise KpiboardError(
            f"source {spec.id!r} has type {spec.type!r}, not {SOURCE_TYPE!r}",
            hint="read it with the reader of its type",
        )
    result = RecordRead(spec.id, iter(()))
    result.batches = _Reader(catalogue, spec, result, progress).batches()
    return result
