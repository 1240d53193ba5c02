"""Reading tidy observation CSV files in bulk: DuckDB parses them, SQL checks every row at once.

The row-by-row reader (``read.py`` with ``rows.RowChecker``) costs about 10 us a row in
Python; this path reads 2 million rows in about a second. It is a fast path only: it either
returns exactly the table the row-by-row reader would (same rows, values, order and
``source``), or says it is not sure (``None``) and the row-by-row reader runs instead. It is
not sure whenever a file is unusual (empty, not UTF-8, a quoted value with a line break or a
quote, a blank line, a bad header) and whenever any row breaks a rule, so every error message
(file, line, field, what to do) comes from the one place that words them, and a clean project
never pays for per-row Python.

How each rule is checked here, so that it can only be as strict or stricter than the row
checker: cells are trimmed with exactly the characters ``str.strip`` removes; the few distinct
texts of the organisation, measure, period_end, months and provisional columns are resolved in
Python by the row checker's own look-ups; numbers are DuckDB casts to DOUBLE (correctly rounded,
as Python's ``float``) with the same refusals (not finite, an underscore); the rules by measure
kind, blank figures, zero denominators and duplicate keys are SQL over the whole read.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from kpiboard.errors import Finding
from kpiboard.ingest.header import check_header
from kpiboard.ingest.rows import (
    COMPUTED_KINDS,
    NON_NEGATIVE_KINDS,
    PROVISIONAL,
    RowChecker,
    _months_cell,
)
from kpiboard.ingest.schema import (
    CSV_COLUMNS,
    NUMBER_COLUMNS,
    OBSERVATION_SCHEMA,
    FileStamp,
    Progress,
    ReadResult,
)
from kpiboard.vocabulary import MeasureKind

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue

#: Every character ``str.strip()`` removes (``str.isspace``; a test checks the list), for SQL's
#: ``trim(text, characters)``.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_ASCII_SPACES = [c.encode() for c in WHITESPACE if c < "\x80" and c not in "\r\n"]
#: The lead bytes of the UTF-8 of every other whitespace character: a file with none of them
#: has none (one with them is trimmed, which costs, but is rare).
_WIDE_LEADS = (b"\xc2", b"\xe1", b"\xe2", b"\xe3")
_RAW = "_kpiboard_tidy_raw"
_TEXT_COLUMNS = ("org", "measure", "period_end", "months", "provisional")


class NotSure(Exception):
    """The bulk path cannot vouch for this read: the row-by-row reader is to run."""


@dataclass(frozen=True)
class _Staged:
    display: str
    stamp: FileStamp
    first: int  # rowid of its first row in the raw table
    rows: int  # rows DuckDB read under the header (blank rows included)


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _header(data: bytes, display: str) -> tuple[list[str], dict[str, int], list[Finding]]:
    """The header's cells (from the first physical line), the position of each known column
    and its findings (warnings only)."""
    end = data.find(b"\n")
    first = (data if end < 0 else data[:end]).removesuffix(b"\r")
    try:
        cells = next(csv.reader([first.decode("utf-8").removeprefix("\ufeff")], strict=True))
    except (csv.Error, StopIteration) as exc:
        raise NotSure("the header line does not parse on its own") from exc
    if not any(c.strip() for c in cells):
        raise NotSure("no header")
    positions, findings = check_header(cells, display)
    if any(f.level == "error" for f in findings):
        raise NotSure("the header has errors")
    return cells, positions, findings


def _physical_lines(data: bytes) -> int:
    """The file's lines as the csv module counts them, when no line ends in a lone CR."""
    if data.count(b"\r") != data.count(b"\r\n") or b"\x00" in data:
        raise NotSure("lone carriage returns or NUL bytes")
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def _check_bytes(data: bytes) -> None:
    """UTF-8 (a byte-order mark allowed), as the row-by-row reader reads it without a warning."""
    if not data or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NotSure("empty, or UTF-16")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotSure("not UTF-8") from exc


def _padded(data: bytes) -> bool:
    """Whether a cell may start or end with whitespace (when the file has no quotes, a cell's
    edges are the line's ends and its commas). Byte searches only: a few ms a 10 MB file."""
    if any(lead in data for lead in _WIDE_LEADS):
        return True
    for w in _ASCII_SPACES:
        if w in data and (
            data.startswith(w)
            or data.endswith(w)
            or any(p in data for p in (w + b",", b"," + w, w + b"\n", b"\n" + w, w + b"\r"))
        ):
            return True
    return False


def _cells_sql(cells: list[str], positions: dict[str, int], careful: bool) -> str:
    """The raw table's columns from the file's: the ten known ones (absent ones blank), whether
    the row is blank, and whether any cell holds a quote or line break. Trimmed only when
    ``careful`` (a file with quotes, or a cell with whitespace at an edge): trimming costs."""
    ws = _sql_text(WHITESPACE)
    if not careful:
        known = [f"coalesce(c{positions[c]}, '')" if c in positions else "''" for c in CSV_COLUMNS]
        blank = " AND ".join(f"c{i} IS NULL" for i in range(len(cells)))
        return ", ".join(known) + f", {blank}, false"
    known = [
        f"coalesce(trim(c{positions[c]}, {ws}), '')" if c in positions else "''"
        for c in CSV_COLUMNS
    ]
    everything = " || ".join(f"coalesce(c{i}, '')" for i in range(len(cells)))
    return (
        ", ".join(known)
        + f", trim({everything}, {ws}) = '', regexp_matches({everything}, '[\"\\r\\n]')"
    )


def _stage_file(con: Any, index: int, path: Path, display: str, findings: list[Finding]) -> _Staged:
    """Read one file into the raw table (``_cells_sql``); NotSure unless each row read is one
    line of the file."""
    data = path.read_bytes()
    _check_bytes(data)
    lines = _physical_lines(data)
    cells, positions, header_findings = _header(data, display)
    stamp = FileStamp(display, hashlib.sha256(data).hexdigest(), len(data), 0)
    careful = b'"' in data or _padded(data)
    del data
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(cells))) + "}"
    before = int(con.execute(f"SELECT count(*) FROM {_RAW}").fetchall()[0][0])
    try:
        con.execute(
            f"INSERT INTO {_RAW} SELECT {index}, {_cells_sql(cells, positions, careful)} "
            f"FROM read_csv(?, header = false, skip = 1, auto_detect = false, delim = ',', "
            f"quote = '\"', escape = '\"', strict_mode = true, columns = {columns})",
            [str(path)],
        ).fetchall()
    except duckdb.Error as exc:  # a line of another width, a quote left open...
        raise NotSure(str(exc)) from exc
    rows = int(con.execute(f"SELECT count(*) FROM {_RAW}").fetchall()[0][0]) - before
    if rows + 1 != lines:
        raise NotSure("blank lines or values over several lines")
    findings.extend(header_findings)
    return _Staged(display, stamp, before, rows)


def _register(con: Any, name: str, columns: dict[str, pa.Array]) -> None:
    con.register(name, pa.table(columns))


def _org_map(con: Any, checker: RowChecker) -> None:
    texts = _distinct(con, "org")
    ids = [checker._org(t) if t else None for t in texts]
    if any(not isinstance(i, str) for i in ids):
        raise NotSure("an unknown or blank organisation")
    _register(con, "_k_org", {"t": pa.array(texts, pa.string()), "id": pa.array(ids, pa.string())})


def _month_map(con: Any, checker: RowChecker) -> dict[str, int]:
    texts = _distinct(con, "period_end")
    months: dict[str, int] = {}
    for text in texts:
        got = checker._month(text) if text else None
        if not isinstance(got, int):
            raise NotSure("a blank or unreadable period_end")
        months[text] = got
    dates = [checker._date(months[t]) for t in texts]
    _register(con, "_k_month", {"t": pa.array(texts, pa.string()), "d": pa.array(dates)})
    return months


def _measure_map(con: Any, catalogue: Catalogue, months: dict[str, int]) -> None:
    texts = _distinct(con, "measure")
    kinds: list[str] = []
    for text in texts:
        measure = catalogue.measures.get(text)
        if measure is None or measure.formula is not None or measure.kind in COMPUTED_KINDS:
            raise NotSure("an unknown measure, or one that takes no data")
        if measure.entry is not None:
            periods = con.execute(
                f"SELECT DISTINCT period_end FROM {_RAW} WHERE measure = ? AND NOT blank", [text]
            ).fetchall()
            if any(measure.entry.entered(months[p]) for (p,) in periods):
                raise NotSure("a row for a month entered on the dashboard")
        kinds.append(str(measure.kind))
    _register(
        con,
        "_k_measure",
        {
            "t": pa.array(texts, pa.string()),
            "nonneg": pa.array([k in NON_NEGATIVE_KINDS for k in kinds]),
            "prop": pa.array([k == MeasureKind.PROPORTION for k in kinds]),
        },
    )


def _small_maps(con: Any) -> None:
    """``months`` (blank = 1) and ``provisional`` texts, as the row checker reads them."""
    lengths: dict[str, int] = {}
    for text in _distinct(con, "months"):
        problems: list[tuple[str, str, str]] = []
        got = _months_cell(text, problems) if text else 1
        if got is None:
            raise NotSure("months not a whole number from 1 to 1200")
        lengths[text] = got
    _register(
        con,
        "_k_months",
        {
            "t": pa.array(list(lengths), pa.string()),
            "n": pa.array(list(lengths.values()), pa.int32()),
        },
    )
    flags = {t: PROVISIONAL.get(t.lower()) for t in _distinct(con, "provisional")}
    if any(v is None for v in flags.values()):
        raise NotSure("provisional not yes or no")
    _register(
        con,
        "_k_prov",
        {"t": pa.array(list(flags), pa.string()), "b": pa.array(list(flags.values()), pa.bool_())},
    )


def _distinct(con: Any, column: str) -> list[str]:
    got = con.execute(f"SELECT DISTINCT {column} FROM {_RAW} WHERE NOT blank").fetchall()
    return [str(r[0]) for r in got]


def _bad_number(column: str) -> str:
    """A cell that is not blank and not a number as the row checker reads one."""
    return (
        f"(t_{column} <> '' AND ({column} IS NULL OR NOT isfinite({column}) "
        f"OR contains(t_{column}, '_')))"
    )


#: Every rule a row's typed cells can break (the others are broken in the look-ups).
_RULES = " OR ".join(
    (
        *(_bad_number(c) for c in NUMBER_COLUMNS),
        "numerator < 0",
        "denominator < 0",
        "sample_size < 0",
        "(value < 0 AND nonneg)",
        "(prop AND numerator > denominator AND denominator > 0)",
        "(prop AND numerator IS NOT NULL AND t_denominator = '')",
        "(prop AND value > 100)",
        "(denominator = 0 AND t_denominator <> '')",
        "(t_numerator = '' AND t_value = '')",
    )
)
_TYPED = (
    "SELECT rid, f, org, measure, period_end, months, "
    + ", ".join(NUMBER_COLUMNS)
    + f", provisional, note, coalesce({_RULES}, false) AS bad FROM (SELECT r.rowid AS rid, r.f, "
    "o.id AS org, r.measure, m.d AS period_end, n.n AS months, "
    + ", ".join(f"TRY_CAST(r.{c} AS DOUBLE) AS {c}, r.{c} AS t_{c}" for c in NUMBER_COLUMNS)
    + f", p.b AS provisional, nullif(r.note, '') AS note, k.nonneg, k.prop FROM {_RAW} r "
    "JOIN _k_org o ON o.t = r.org JOIN _k_measure k ON k.t = r.measure "
    "JOIN _k_month m ON m.t = r.period_end JOIN _k_months n ON n.t = r.months "
    "JOIN _k_prov p ON p.t = r.provisional WHERE NOT r.blank)"
)


def _check_rows(con: Any, rows: int) -> None:
    """Type every row; NotSure if any breaks a rule or a key comes twice."""
    con.execute(f"CREATE TEMP TABLE _k_typed AS {_TYPED}")
    got = con.execute("SELECT count(*), count(*) FILTER (WHERE bad) FROM _k_typed").fetchall()[0]
    if int(got[0]) != rows or int(got[1]):
        raise NotSure("a row breaks a rule")
    dup = con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM _k_typed GROUP BY org, measure, period_end, months "
        "HAVING count(*) > 1)"
    ).fetchall()[0][0]
    if dup:
        raise NotSure("duplicate keys")


def _table(con: Any, staged: Sequence[_Staged]) -> pa.Table:
    """The observations in file and line order, each with its ``file:line``."""
    files = " ".join(f"WHEN {i} THEN {_sql_text(s.display)}" for i, s in enumerate(staged))
    starts = " ".join(f"WHEN {i} THEN {s.first}" for i, s in enumerate(staged))
    names = ", ".join(OBSERVATION_SCHEMA.names[:-1])
    got = con.sql(
        f"SELECT {names}, (CASE f {files} END) || ':' || (rid - (CASE f {starts} END) + 2) "
        "AS source FROM _k_typed ORDER BY rid"
    ).to_arrow_table()
    return got.cast(OBSERVATION_SCHEMA)


def read_bulk(
    catalogue: Catalogue, paths: Sequence[Path], progress: Progress | None = None
) -> ReadResult:
    """Read and validate the files in bulk; NotSure when the row-by-row reader must decide."""
    if not paths:
        raise NotSure("no files")
    con = duckdb.connect()
    try:
        con.execute(
            f"CREATE TEMP TABLE {_RAW} (f INTEGER, "
            + ", ".join(f"{c} VARCHAR" for c in CSV_COLUMNS)
            + ", blank BOOLEAN, odd BOOLEAN)"
        )
        findings: list[Finding] = []
        staged = []
        total = sum(p.stat().st_size for p in paths)  # progress counts bytes read
        for index, path in enumerate(paths):
            staged.append(_stage_file(con, index, path, catalogue.rel(path), findings))
            if progress:
                done = sum(s.stamp.size for s in staged)
                progress(done, total, staged[-1].display)
        if con.execute(f"SELECT bool_or(odd) FROM {_RAW}").fetchall()[0][0]:
            raise NotSure("a value with a quote or a line break")
        checker = RowChecker(catalogue)
        _org_map(con, checker)
        months = _month_map(con, checker)
        _measure_map(con, catalogue, months)
        _small_maps(con)
        good = int(con.execute(f"SELECT count(*) FROM {_RAW} WHERE NOT blank").fetchall()[0][0])
        _check_rows(con, good)
        table = _table(con, staged)
        stamps = _stamps(con, staged)
    finally:
        con.close()
    if any(s.rows == 0 for s in stamps):
        raise NotSure("a file without data rows (its warning comes from the row reader)")
    return ReadResult(table, stamps, findings)


def _stamps(con: Any, staged: Sequence[_Staged]) -> list[FileStamp]:
    got = dict(con.execute(f"SELECT f, count(*) FROM {_RAW} WHERE NOT blank GROUP BY f").fetchall())
    return [
        FileStamp(s.stamp.path, s.stamp.sha256, s.stamp.size, int(got.get(i, 0)))
        for i, s in enumerate(staged)
    ]
