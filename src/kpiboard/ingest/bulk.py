"""Reading tidy observation CSV files in bulk: Arrow parses them, vector kernels check every row.

The row-by-row reader (``read.py`` with ``rows.RowChecker``) costs about 10 us a row in
Python; this path has no per-row Python at all. It is a fast path only: it either returns
exactly the table the row-by-row reader would (same rows, values, order and ``source``, same
file stamps and warnings), or says it is not sure (:class:`NotSure`) and the row-by-row reader
runs instead. It is not sure whenever a file is unusual (empty, not UTF-8, a value with a line
break or a quote, a blank line, a line of another width, a bad header) and whenever any row
breaks a rule, so every error message (file, line, field, what to do) still comes from the one
place that words them, and a clean project never pays for per-row Python.

How each rule is checked, so that this path is never less strict than the row checker:

* cells are trimmed with exactly the characters ``str.strip`` removes (and only in a file
  where a byte search finds whitespace at a cell's edge: trimming every cell costs);
* the few distinct texts of the org, measure, period_end, months and provisional columns are
  resolved in Python by the row checker's own look-ups, then spread by index;
* a number is cast by Arrow, which reads a subset of what Python's ``float`` reads (no
  underscores, other digits or hexadecimal) to the same double, correctly rounded; a
  non-finite one goes to the row reader, which refuses it;
* the rules by measure kind, blank figures, zero denominators and duplicate keys are vector
  expressions over the whole read.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

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

#: Every character ``str.strip()`` removes (``str.isspace``; a test checks the list).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_ASCII_SPACES = [c.encode() for c in WHITESPACE if c < "\x80" and c not in "\r\n"]
#: The lead bytes of the UTF-8 of every other whitespace character: a file with none of them
#: has none (a file with them is trimmed, which costs, but is rare).
_WIDE_LEADS = (b"\xc2", b"\xe1", b"\xe2", b"\xe3")
_NO_TEXT = pa.scalar(None, pa.string())


class NotSure(Exception):
    """The bulk path cannot vouch for this read: the row-by-row reader is to run."""


@dataclass(frozen=True)
class _File:
    """One file's known columns as text (absent ones blank), blank rows dropped."""

    stamp: FileStamp
    columns: dict[str, pa.ChunkedArray]
    lines: pa.Array  # each row's line in the file (the header is line 1)


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
    if (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")) or b"\x00" in data:
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


#: One line of CSV as the csv module reads it in strict mode, each quoted field closed on
#: the line it opens (so a row is a line), no quote inside an unquoted field.
_QUOTED_LINE = re.compile(
    rb'(?:[^",\r\n]*|"(?:[^"\r\n]|"")*")(?:,(?:[^",\r\n]*|"(?:[^"\r\n]|"")*"))*\r?'
)


def _check_quoting(data: bytes) -> None:
    """In a file with quotes: NotSure unless every line is well quoted on its own."""
    match = _QUOTED_LINE.fullmatch
    if not all(match(line) for line in data.split(b"\n")):
        raise NotSure("quotes the row reader must read: a value over lines, a quote left open")


def _parse(data: bytes, width: int) -> pa.Table:
    """Every line under the header as ``width`` text cells; NotSure unless each is one line."""
    names = [f"c{i}" for i in range(width)]
    try:
        return pacsv.read_csv(
            pa.BufferReader(data),
            pacsv.ReadOptions(skip_rows=1, column_names=names),
            pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
            pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:  # a line of another width, a blank line, bad UTF-8...
        raise NotSure(str(exc)) from exc


def _read_file(path: Path, display: str, findings: list[Finding]) -> _File:
    data = path.read_bytes()
    _check_bytes(data)
    lines = _physical_lines(data)
    cells, positions, header_findings = _header(data, display)
    raw = _parse(data, len(cells))
    if raw.num_rows + 1 != lines:
        raise NotSure("blank lines or values over several lines")
    quoted = b'"' in data
    if quoted:
        _check_quoting(data)
    careful = quoted or _padded(data)
    stamp = FileStamp(display, hashlib.sha256(data).hexdigest(), len(data), 0)
    del data
    texts = [raw.column(i) for i in range(raw.num_columns)]
    if careful:
        texts = [pc.utf8_trim(t, characters=WHITESPACE) for t in texts]
    blank = pc.equal(texts[0], "")
    for t in texts[1:]:
        blank = pc.and_(blank, pc.equal(t, ""))
    keep = pc.invert(blank)
    line_numbers = pa.array(np.arange(2, raw.num_rows + 2, dtype=np.int32))
    columns = {c: texts[positions[c]] for c in CSV_COLUMNS if c in positions}
    if pc.any(blank).as_py():  # rows of empty cells, as spreadsheets leave them: skipped
        columns = {c: pc.filter(t, keep) for c, t in columns.items()}
        line_numbers = pc.filter(line_numbers, keep)
    rows = len(line_numbers)
    if rows == 0:
        raise NotSure("no data rows (the row reader words the warning)")
    findings.extend(header_findings)
    empty = pa.chunked_array([pa.repeat(pa.scalar("", pa.string()), rows)])
    full = {c: columns.get(c, empty) for c in CSV_COLUMNS}
    return _File(FileStamp(display, stamp.sha256, stamp.size, rows), full, line_numbers)


def _coded(column: pa.ChunkedArray) -> tuple[list[str], pa.Array]:
    """The distinct texts of a column and each row's index into them."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    return encoded.dictionary.to_pylist(), encoded.indices


def _spread(values: pa.Array, indices: pa.Array) -> pa.Array:
    return pc.take(values, indices)


# A row's key (org, measure, period_end, months) as one integer: an organisation's and a
# measure's number (in the order first seen), the month's index (year x 12 + month - 1,
# under 10000 x 12) and the length, each in its own bits of a 64-bit integer.
_MEASURE_BITS, _MONTH_BITS, _LENGTH_BITS = 16, 17, 11
_ORG_LIMIT = 1 << (63 - _MEASURE_BITS - _MONTH_BITS - _LENGTH_BITS)


@dataclass
class _Read:
    """What the files of one read share: the look-ups, and each file's row keys."""

    catalogue: Catalogue
    checker: RowChecker
    orgs: dict[str, int] = field(default_factory=dict)  # organisation id -> its number
    measures: dict[str, int] = field(default_factory=dict)  # measure id -> its number
    keys: list[np.ndarray] = field(default_factory=list)

    def number(self, numbers: dict[str, int], name: str, limit: int) -> int:
        got = numbers.setdefault(name, len(numbers))
        if got >= limit:
            raise NotSure("too many organisations or measures for one key")
        return got


def _orgs(column: pa.ChunkedArray, read: _Read) -> tuple[pa.Array, pa.Array]:
    """Each row's organisation id, and its number (for the key)."""
    texts, indices = _coded(column)
    ids = [read.checker._org(t) if t else None for t in texts]
    if not all(isinstance(i, str) for i in ids):
        raise NotSure("an unknown or blank organisation")
    names = [str(i) for i in ids]
    numbers = [read.number(read.orgs, i, _ORG_LIMIT) for i in names]
    return _spread(pa.array(names, pa.string()), indices), _spread(pa.array(numbers), indices)


def _months_of(column: pa.ChunkedArray, checker: RowChecker) -> tuple[pa.Array, pa.Array]:
    """Each row's month as a number (the periods module's) and its period_end date."""
    texts, indices = _coded(column)
    months = []
    for text in texts:
        got = checker._month(text) if text else None
        if not isinstance(got, int) or not 0 <= got < 1 << _MONTH_BITS:
            raise NotSure("a blank or unreadable period_end")
        months.append(got)
    dates = pa.array([checker._date(m) for m in months], pa.date32())
    return _spread(pa.array(months, pa.int64()), indices), _spread(dates, indices)


def _kinds(
    read: _Read, measure: pa.ChunkedArray, month: pa.Array
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Each row's measure number (for the key) and whether its kind is never negative or is a
    proportion; NotSure for a measure unknown, derived, computed or entered that month."""
    texts, indices = _coded(measure)
    kinds = []
    for n, text in enumerate(texts):
        m = read.catalogue.measures.get(text)
        if m is None or m.formula is not None or m.kind in COMPUTED_KINDS:
            raise NotSure("an unknown measure, or one that takes no data")
        if m.entry is not None:
            months = pc.unique(pc.filter(month, pc.equal(indices, n))).to_pylist()
            if any(m.entry.entered(x) for x in months):
                raise NotSure("a row for a month entered on the dashboard")
        kinds.append(m.kind)
    numbers = pa.array([read.number(read.measures, t, 1 << _MEASURE_BITS) for t in texts])
    nonneg = pa.array([k in NON_NEGATIVE_KINDS for k in kinds])
    prop = pa.array([k == MeasureKind.PROPORTION for k in kinds])
    return _spread(numbers, indices), _spread(nonneg, indices), _spread(prop, indices)


def _lengths(column: pa.ChunkedArray) -> pa.Array:
    """``months`` (blank = 1) as the row checker reads it."""
    texts, indices = _coded(column)
    lengths = []
    for text in texts:
        got = _months_cell(text, []) if text else 1
        if got is None:
            raise NotSure("months not a whole number from 1 to 1200")
        lengths.append(got)
    return _spread(pa.array(lengths, pa.int32()), indices)


def _flags(column: pa.ChunkedArray) -> pa.Array:
    texts, indices = _coded(column)
    flags = [PROVISIONAL.get(t.lower()) for t in texts]
    if any(v is None for v in flags):
        raise NotSure("provisional not yes or no")
    return _spread(pa.array(flags, pa.bool_()), indices)


def _number(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A number column (blank = null); NotSure unless every other cell is a finite number.
    Arrow's cast reads a subset of what Python's float() reads, to the same double (a test
    checks it on random spellings); the non-finite ones (nan, inf) float() reads too, but
    the row checker refuses them, as it does an underscore (which Arrow refuses)."""
    blank = pc.equal(column, "")
    try:
        numbers = pc.cast(pc.if_else(blank, _NO_TEXT, column), pa.float64())
    except pa.ArrowInvalid as exc:
        raise NotSure("a number the row reader must read") from exc
    if not pc.all(pc.fill_null(pc.is_finite(numbers), True)).as_py():
        raise NotSure("a number that is not finite")
    return numbers


def _any(*conditions: pa.ChunkedArray | pa.Array) -> bool:
    return any(pc.any(pc.fill_null(c, False)).as_py() for c in conditions)


def _check_figures(
    num: pa.Array, den: pa.Array, val: pa.Array, size: pa.Array, kind: tuple[pa.Array, pa.Array]
) -> None:
    """The rules on a row's figures (as ``rows._numbers``, ``_check_kind``, ``_check_figures``)."""
    nonneg, prop = kind
    if _any(
        pc.less(num, 0),
        pc.less(den, 0),
        pc.less(size, 0),
        pc.and_(nonneg, pc.less(val, 0)),
        pc.and_(prop, pc.and_(pc.greater(num, den), pc.greater(den, 0))),
        pc.and_(prop, pc.and_(pc.is_valid(num), pc.is_null(den))),
        pc.and_(prop, pc.greater(val, 100)),
        pc.equal(den, 0),
        pc.and_(pc.is_null(num), pc.is_null(val)),
    ):
        raise NotSure("a row breaks a rule on its figures")


def _key(org: pa.Array, measure: pa.Array, month: pa.Array, months: pa.Array) -> np.ndarray:
    """Each row's key as one integer (``_MEASURE_BITS``...)."""
    key: np.ndarray = np.array(org.to_numpy(zero_copy_only=False), dtype=np.int64)  # a copy
    key <<= _MEASURE_BITS
    key |= measure.to_numpy(zero_copy_only=False)
    key <<= _MONTH_BITS
    key |= month.to_numpy(zero_copy_only=False)
    key <<= _LENGTH_BITS
    key |= months.to_numpy(zero_copy_only=False)
    return key


def _check_keys(keys: list[np.ndarray]) -> None:
    """Each (org, measure, period_end, months) once across the read: the keys sorted in place
    (a hash table of millions of keys cost 280 MB at 2 million rows)."""
    key = np.concatenate(keys) if len(keys) > 1 else keys[0]
    key.sort()
    if len(key) > 1 and bool((key[1:] == key[:-1]).any()):
        raise NotSure("duplicate keys")


def _observations(read: _Read, f: _File) -> pa.Table:
    """One file's rows checked and typed, in line order; their keys kept in ``read``."""
    col = f.columns
    org, org_number = _orgs(col["org"], read)
    month, period_end = _months_of(col["period_end"], read.checker)
    measure_number, nonneg, prop = _kinds(read, col["measure"], month)
    months = _lengths(col["months"])
    provisional = _flags(col["provisional"])
    num, den, val, size = (_number(col[c]) for c in NUMBER_COLUMNS)
    _check_figures(num, den, val, size, (nonneg, prop))
    read.keys.append(_key(org_number, measure_number, month, months))
    source = pc.binary_join_element_wise(
        pa.repeat(pa.scalar(f.stamp.path), len(f.lines)), pc.cast(f.lines, pa.string()), ":"
    )
    note = pc.if_else(pc.equal(col["note"], ""), _NO_TEXT, col["note"])
    arrays = [org, col["measure"], period_end, months, num, den, val, size, provisional]
    return pa.Table.from_arrays(
        [pa.chunked_array([a]) if isinstance(a, pa.Array) else a for a in (*arrays, note, source)],
        schema=OBSERVATION_SCHEMA,
    )


def read_bulk(
    catalogue: Catalogue, paths: Sequence[Path], progress: Progress | None = None
) -> ReadResult:
    """Read and validate the files in bulk; NotSure when the row-by-row reader must decide.
    Each file is checked and typed as it is read, so only one file's text is held at once."""
    if not paths:
        raise NotSure("no files")
    findings: list[Finding] = []
    read = _Read(catalogue, RowChecker(catalogue))
    tables: list[pa.Table] = []
    stamps: list[FileStamp] = []
    total = sum(p.stat().st_size for p in paths)  # progress counts bytes read
    for path in paths:
        f = _read_file(path, catalogue.rel(path), findings)
        tables.append(_observations(read, f))
        stamps.append(f.stamp)
        del f
        if progress:
            progress(sum(s.size for s in stamps), total, stamps[-1].path)
    _check_keys(read.keys)
    return ReadResult(pa.concat_tables(tables), stamps, findings)
