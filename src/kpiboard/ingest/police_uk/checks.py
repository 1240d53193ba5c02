"""The checks on a file's rows: per batch, the Month (YYYY-MM, one a file), the Crime type (one
of those published, else a warning) and the Crime ID (blank only on anti-social behaviour);
at the end of a file, its lines (the wrong number of fields, a cut last line, line breaks
inside values). Findings go to the file's :class:`~.state.FileState`, each on its row."""

from __future__ import annotations

import difflib
import re

import pyarrow as pa
import pyarrow.compute as pc

from kpiboard.ingest.police_uk.layout import ASB, COLUMNS, CRIME_TYPES, HEADER_LINE
from kpiboard.ingest.police_uk.lines import scan
from kpiboard.ingest.police_uk.masks import both, first, true_rows
from kpiboard.ingest.police_uk.state import FileState
from kpiboard.ingest.police_uk.stream import Utf8Stream
from kpiboard.ingest.read import MAX_ERRORS_PER_FILE

_MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"


def check_month(f: FileState, month: pa.Array, keep: pa.Array | None, base: int) -> bool:
    """Check the months (YYYY-MM, one per file); True if the batch has another month."""
    other = False
    for value in pc.unique(month).to_pylist():
        if value is None:
            row = first(both(pc.is_null(month), keep))
            if row >= 0:
                other = True
                f.add(
                    "error",
                    "Month: is blank",
                    "give the month as YYYY-MM, e.g. 2017-07",
                    row=base + row,
                )
            continue
        row = base + int(pc.index(month, value).as_py())
        if not re.match(_MONTH_RE, value):
            other = True
            f.add(
                "error",
                f"Month: {value!r} is not a month written YYYY-MM",
                "police.uk gives the month as YYYY-MM, e.g. 2017-07",
                row=row,
            )
        elif f.month is None:
            f.month, f.month_row = value, row
        elif value != f.month:
            other = True
            if value not in f.months_reported:
                f.months_reported.add(value)
                f.add(
                    "error",
                    f"Month: {value} in a file of {f.month} (the month from line "
                    "{other}); a police.uk file holds one month",
                    "police.uk publishes one file per force and month: split the rows by "
                    "month, or check two files were not joined",
                    row=row,
                    other=f.month_row,
                )
    return other


def check_types(f: FileState, types: pa.Array, keep: pa.Array | None, base: int) -> None:
    """A blank Crime type is an error (once a file); a type that is not published, a warning
    (once a read: held once a file here, and dropped by the read if an earlier file gave it)."""
    for value in pc.unique(types).to_pylist():
        if value is None:
            row = first(both(pc.is_null(types), keep))
            if row >= 0 and not f.blank_type_reported:
                f.blank_type_reported = True
                f.add(
                    "error",
                    "Crime type: is blank",
                    "every police.uk record has a crime type, e.g. Burglary",
                    row=base + row,
                )
        elif value not in CRIME_TYPES and value not in f.types_reported:
            f.types_reported.add(value)
            near = difflib.get_close_matches(value, CRIME_TYPES, n=1, cutoff=0.8)
            f.add(
                "warning",
                f"Crime type: {value!r} is not one of the {len(CRIME_TYPES)} "
                "published police.uk crime types; it is read as it is",
                (f"did you mean {near[0]!r}? " if near else "") + "police.uk adds categories "
                "over the years: name it in a measure's `where` if it should count",
                row=base + int(pc.index(types, value).as_py()),
                once=value,
            )


def check_ids(
    f: FileState, ids: pa.Array, types: pa.Array, keep: pa.Array | None, base: int
) -> None:
    """A blank Crime ID is an error, but on an anti-social behaviour record."""
    if ids.null_count:
        no_id = both(pc.and_(pc.is_null(ids), pc.fill_null(pc.not_equal(types, ASB), False)), keep)
        rows = true_rows(no_id, MAX_ERRORS_PER_FILE - f.errors)
        for row, kind in zip(rows, types.take(pa.array(rows, pa.int64())).to_pylist(), strict=True):
            f.add(
                "error",
                f"Crime ID: is blank on a {kind!r} record",
                f"police.uk gives every crime a Crime ID; only {ASB} rows have none: check the "
                "line was not edited or cut",
                row=base + row,
            )


def check_lines(f: FileState, stream: Utf8Stream, complete: bool) -> None:
    """Make sure line numbers are exact: if the physical lines do not add up to the header
    plus the rows (or the file was not read to its end), rescan the file to place every row
    (and report the lines with the wrong number of fields)."""
    if complete and not f.invalid and stream.lines == HEADER_LINE + f.rows:
        return
    found = scan(f.inp)
    if found is None or found.rows < f.rows or (complete and found.rows != f.rows):
        f.add(
            "warning",
            "the line numbers given for this file may be inexact (its rows could "
            "not be placed on their lines)",
            "check the quoting of the file",
            line=None,
        )
        return
    f.line_map = found.line_map
    last = stream.lines
    for line, fields in found.bad:
        if line == last and fields < len(COLUMNS) and not stream.ended_with_break:
            f.add(
                "error",
                f"the last line is cut short: {fields} of {len(COLUMNS)} fields and no "
                "line break at the end (the file looks truncated)",
                "download or copy the file again",
                line=line,
            )
        else:
            f.add(
                "error",
                f"the line has {fields} field{'s' * (fields != 1)} but the header has "
                f"{len(COLUMNS)}",
                "police.uk lines have 12 fields; a value containing a comma must be in "
                "double quotes",
                line=line,
            )
    if found.multiline:
        start, end = found.multiline[0]
        f.add(
            "warning",
            f"{len(found.multiline)} row(s) have a line break inside a quoted value "
            f"(the first on lines {start}-{end}); police.uk files have none, so the file was "
            "probably edited; it is read as it is, and line numbers count physical lines",
            "check the file against the published one",
            line=start,
        )
