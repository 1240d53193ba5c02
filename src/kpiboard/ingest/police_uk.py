"""Reading data.police.uk street-level crime files into record batches (no warehouse here).

A source's files are police.uk ``*-street.csv`` files, given as CSVs or inside ``.zip``
archives (every ``*street.csv`` member is read), in the official layout::

    Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,
    Crime type,Last outcome category,Context

How it reads, and why:

* **Streaming.** Each file is parsed by ``pyarrow.csv.open_csv`` in blocks (every column read
  as a string, only the six columns kept being converted); each batch is checked and turned
  into :data:`~kpiboard.ingest.records.RECORD_SCHEMA` with vectorised pyarrow compute. Python
  runs once per batch and once per *distinct* value (organisation names, months, crime
  types), never once per row. Memory is bounded by a batch plus one month's Crime IDs.
* **Months.** Files are read in month order (the month of each file's first row is peeked
  first), so the duplicate Crime ID check, which spans every file of a month, holds only the
  current month's IDs.
* **Encodings** as the tidy CSV reader: UTF-8 with or without a byte-order mark; a file that
  is not UTF-8 is read as Windows-1252 with a warning naming the line of the first byte that is
  not UTF-8. A file that mixes UTF-8 and other bytes is an error (it cannot be decoded right).
* **Line numbers** are physical lines, the header being line 1. pyarrow does not report them,
  so they are counted per batch; a file whose line count does not add up (a line with the
  wrong number of fields, a value with a line break inside quotes) is scanned again line by
  line with the ``csv`` module, so the numbers in every message stay exact.
* **Errors** are collected, up to ``MAX_ERRORS_PER_FILE`` per file, for every file, and raised
  together as :class:`~kpiboard.errors.ValidationFailed` at the end of the iteration. No batch
  is yielded after the first error, so a loader writing the batches in a transaction rolls
  back and nothing lands. Each finding names the file (project-relative; ``x.zip:member`` for
  zips), the line, the police.uk column (as the message's prefix) and a hint.

>>> spec = SourceSpec("street", "police_uk_street", ["data/police-uk/*.csv"])  # doctest: +SKIP
>>> read_police_uk(catalogue, spec).read_all().num_rows  # doctest: +SKIP
"""

from __future__ import annotations

import bisect
import codecs
import csv
import dataclasses
import datetime as dt
import difflib
import functools
import glob
import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from kpiboard.errors import Finding, KpiboardError, ValidationFailed
from kpiboard.ingest.read import MAX_ERRORS_PER_FILE
from kpiboard.ingest.records import RECORD_SCHEMA, RecordRead, SourceSpec
from kpiboard.ingest.schema import FileStamp, Progress

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue

SOURCE_TYPE = "police_uk_street"
#: The street-level header, in order.
COLUMNS: tuple[str, ...] = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)
#: The columns a record keeps (the others are parsed but never converted).
READ_COLUMNS: tuple[str, ...] = (
    "Crime ID", "Month", "Falls within", "LSOA code", "Crime type", "Last outcome category",
)
#: The crime types data.police.uk publishes (others are read, with a warning).
CRIME_TYPES = frozenset({
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs",
    "Other crime", "Other theft", "Possession of weapons", "Public order", "Robbery",
    "Shoplifting", "Theft from the person", "Vehicle crime", "Violence and sexual offences",
})
ASB = "Anti-social behaviour"  # the one crime type published without a Crime ID
DEFAULT_BLOCK_SIZE = 1 << 20  # bytes parsed per batch: ~4,500 rows of a police.uk file
HEADER_LINE = 1

_MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
_CHUNK = 1 << 20  # raw bytes read at a time
_MAX_HEADER = 1 << 16
_LINE_BREAK = re.compile(rb"[\r\n]")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_HEADER_TEXT = ",".join(COLUMNS)
# Windows-1252, with the five bytes it leaves undefined read as Latin-1 (as the tidy reader does
# for a whole file): every byte decodes, so a long file never has to be decoded twice.
_CP1252 = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256))


# --- bytes -> UTF-8 ----------------------------------------------------------------------------


class _Utf8Stream(io.RawIOBase):
    """One input's bytes as UTF-8 for pyarrow, whatever encoding they came in, hashing and
    counting line breaks as they pass (``\\n``, ``\\r\\n`` or a lone ``\\r``, as pyarrow
    splits lines)."""

    def __init__(self, raw: IO[bytes], display: str, chunk: int = _CHUNK) -> None:
        super().__init__()
        self._raw = raw
        self._display = display
        self._chunk = chunk
        self.sha256 = hashlib.sha256()
        self.size = 0  # raw bytes read
        self.breaks = 0  # line breaks passed on
        self.last = b""  # the last byte passed on
        self.warning: Finding | None = None  # not UTF-8: read as Windows-1252
        self.problem: Finding | None = None  # cannot be decoded: reading stopped
        self._ascii = True  # everything passed on so far was ASCII
        self._first_non_ascii = 0  # ... or the line of its first non-ASCII byte
        self._mode = ""  # "utf-8", "cp1252" or "utf-16", decided by the first bytes
        self._carry = b""  # UTF-8: a character cut at the end of the last chunk
        self._utf16: codecs.IncrementalDecoder | None = None
        self._out = b""
        self._pos = 0
        self._eof = False

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()

    @property
    def ended_with_break(self) -> bool:
        return self.last in (b"\n", b"\r")

    @property
    def lines(self) -> int:
        """Physical lines passed on so far (a last line without a line break counts)."""
        return self.breaks + (1 if self.last and not self.ended_with_break else 0)

    def _line_at(self, data: bytes, pos: int) -> int:
        return self.breaks + _count_breaks(data[:pos], self.last) + 1

    def _fill(self, want: int = 0) -> bool:
        """Decode one more chunk (at least ``want`` bytes) into the output; False once nothing
        more comes."""
        if self._eof:
            return False
        data = self._raw.read(max(self._chunk, want))
        if data:
            self.sha256.update(data)
            self.size += len(data)
        else:
            self._eof = True
        if not self._mode:
            if data.startswith(codecs.BOM_UTF8):
                data, self._mode = data[len(codecs.BOM_UTF8):], "utf-8"
            elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                self._mode, self._utf16 = "utf-16", codecs.getincrementaldecoder("utf-16")()
            else:
                self._mode = "utf-8"
        text = self._decode(data, final=not data)
        if text:
            self.breaks += _count_breaks(text, self.last)
            self.last = text[-1:]
            self._out = self._out[self._pos:] + text if self._pos < len(self._out) else text
            self._pos = 0
        return bool(data) or bool(text)

    def _decode(self, data: bytes, final: bool) -> bytes:
        if self._mode == "utf-16":
            assert self._utf16 is not None
            return self._utf16.decode(data, final).encode("utf-8")
        if self._mode == "cp1252":
            return codecs.charmap_decode(data, "strict", _CP1252)[0].encode("utf-8")
        data, self._carry = self._carry + data, b""
        if data.isascii():
            return data
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data" and not final:
                data, self._carry = data[:exc.start], data[exc.start:]  # the rest comes next
            else:
                return self._not_utf8(data, exc.start)
        if self._ascii:
            match = _NON_ASCII.search(data)
            if match:
                self._ascii, self._first_non_ascii = False, self._line_at(data, match.start())
        return data

    def _not_utf8(self, data: bytes, bad: int) -> bytes:
        line = self._line_at(data, bad)
        if self._ascii and data[:bad].isascii():
            # everything before was ASCII, which reads the same in both: go on as Windows-1252
            self._mode = "cp1252"
            self.warning = Finding(
                "warning",
                f"not UTF-8 (byte 0x{data[bad]:02X} is the first that is not); "
                "read as Windows-1252 (cp1252)",
                self._display, line, None,
                "check the text reads right (e.g. place names with accents), and save the file "
                "as CSV UTF-8")
            return self._decode(data, final=False)
        first = self._first_non_ascii if not self._ascii else self._line_at(data, _first_non_ascii(data))
        self.problem = Finding(
            "error",
            f"the file mixes UTF-8 text (from line {first}) with bytes that are not UTF-8 "
            f"(0x{data[bad]:02X} on line {line}); it cannot be decoded reliably",
            self._display, line, None, "save the whole file in one encoding, preferably CSV UTF-8")
        self._eof = True
        return b""

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            while self._fill():
                pass
            size = len(self._out) - self._pos
        while len(self._out) - self._pos < size and self._fill(size - (len(self._out) - self._pos)):
            pass
        out = self._out[self._pos:self._pos + size]
        self._pos += len(out)
        return out

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def more(self) -> bool:
        """Whether anything is left to read."""
        while self._pos >= len(self._out):
            if not self._fill():
                return False
        return True

    def read_header(self) -> str | None:
        """The first line, consumed with its line break; None for an empty input."""
        while True:
            match = _LINE_BREAK.search(self._out, self._pos)
            # a "\r" at the end of the decoded text may be the first half of "\r\n"
            if match and (match.end() < len(self._out) or self._out[match.start()] == 10 or self._eof):
                break
            if len(self._out) - self._pos > _MAX_HEADER or not self._fill():
                break  # (not a CSV file: its first "line" is cut here, and fails the header check)
        if self._pos >= len(self._out):
            return None
        if match is None:
            end = after = min(len(self._out), self._pos + _MAX_HEADER)
        else:
            end = after = match.start()
            after += 2 if self._out[end:end + 2] == b"\r\n" else 1
        header = self._out[self._pos:end].decode("utf-8", errors="replace")
        self._pos = after
        return header


def _count_breaks(text: bytes, before: bytes) -> int:
    """Line breaks in ``text`` (``\\n``, ``\\r\\n`` or a lone ``\\r``), given the byte before it.
    numpy, because it is several times quicker than ``bytes.count`` and lets other threads run."""
    a = np.frombuffer(text, np.uint8)
    n = int(np.count_nonzero(a == 10))
    cr = int(np.count_nonzero(a == 13))
    if cr:
        n += cr - int(np.count_nonzero((a[:-1] == 13) & (a[1:] == 10)))
    if before == b"\r" and text[:1] == b"\n":
        n -= 1  # the "\r" ending the text before already counted this "\r\n"
    return n


def _first_non_ascii(data: bytes) -> int:
    match = _NON_ASCII.search(data)
    return match.start() if match else 0


# --- the inputs: CSV files and zip members ------------------------------------------------------


@dataclass(frozen=True)
class _Input:
    display: str  # project-relative; "x.zip:member" for a zip member
    size: int  # bytes (uncompressed, for a zip member)
    open: Callable[[], IO[bytes]]


def _open_file(path: Path) -> IO[bytes]:
    return path.open("rb")


def _open_member(path: Path, name: str) -> IO[bytes]:
    archive = zipfile.ZipFile(path)
    try:
        return archive.open(name)
    finally:
        archive.close()  # the member keeps the archive's file open until it is closed


def _is_junk(name: str) -> bool:
    # macOS adds "__MACOSX/._x-street.csv" resource forks to the zips it makes
    return name.startswith("__MACOSX/") or Path(name).name.startswith("._")


def _zip_inputs(path: Path, display: str, findings: list[Finding]) -> list[_Input]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [i for i in archive.infolist() if not i.is_dir() and not _is_junk(i.filename)]
    except (zipfile.BadZipFile, OSError) as exc:
        findings.append(Finding("error", f"not a readable zip archive: {exc}", display, None, None,
                                "download the archive again, or give the CSV files themselves"))
        return []
    csvs = [i for i in members if i.filename.lower().endswith(".csv")]
    street = [i for i in csvs if i.filename.lower().endswith("street.csv")]
    if not csvs:
        findings.append(Finding(
            "error", f"the zip has no CSV file in it ({len(members)} other file(s))", display, None,
            None, "a police.uk archive holds YYYY-MM/YYYY-MM-<force>-street.csv files: check this "
            "is the right download, or remove it from the source's files"))
    elif not street:
        findings.append(Finding(
            "error", f"the zip has no *street.csv file in it (it has {len(csvs)} other CSV file(s), "
            f"e.g. {csvs[0].filename!r})", display, None, None,
            "only street-level crime files (*-street.csv) are read; outcomes and stop-and-search "
            "files have other layouts"))
    return [_Input(f"{display}:{i.filename}", i.file_size, functools.partial(_open_member, path, i.filename))
            for i in sorted(street, key=lambda i: i.filename)]


def _inputs(catalogue: Catalogue, spec: SourceSpec, findings: list[Finding]) -> list[_Input]:
    found: dict[Path, None] = {}
    for pattern in spec.files:
        base = Path(pattern).expanduser()
        full = base if base.is_absolute() else catalogue.root / base
        matches = sorted(Path(p) for p in glob.glob(str(full), recursive=True) if Path(p).is_file())
        if not matches:
            what = "matches no files" if set("*?[") & set(pattern) else "does not exist"
            findings.append(Finding(
                "error", f"source {spec.id!r}: files: {pattern!r} {what}", "kpiboard.yaml", None,
                spec.id, "put the files there, or change the source's `files:` (paths are "
                "relative to the project folder)"))
        for path in matches:
            found.setdefault(path.resolve(), None)
    inputs: list[_Input] = []
    for path in found:
        display = catalogue.rel(path)
        if path.suffix.lower() == ".zip":
            inputs.extend(_zip_inputs(path, display, findings))
        else:
            inputs.append(_Input(display, path.stat().st_size, functools.partial(_open_file, path)))
    return inputs


def _peek_month(inp: _Input) -> str:
    """The Month of the input's first row ("" if it cannot be seen): the reading order."""
    try:
        with _Utf8Stream(inp.open(), inp.display, chunk=1 << 16) as stream:
            if stream.read_header() is None:
                return ""
            text = stream.read(1 << 16).decode("utf-8", errors="replace")
    except (OSError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
        return ""
    for line in io.StringIO(text, newline=""):
        if line.strip():
            cells = next(csv.reader([line]))
            return cells[1].strip() if len(cells) > 1 else ""
    return ""


# --- line numbers --------------------------------------------------------------------------------


@dataclass
class _Layout:
    """Where each row pyarrow returned sits in the file: ``row + 2`` (header = line 1), plus
    an offset that grows past skipped lines and values with line breaks."""

    rows: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)

    def line(self, row: int) -> int:
        i = bisect.bisect_right(self.rows, row) - 1
        return row + 2 + (self.offsets[i] if i >= 0 else 0)


@dataclass
class _Scan:
    layout: _Layout
    rows: int  # rows pyarrow returns (blank lines included, as null rows)
    bad: list[tuple[int, int]]  # (line, fields) of the lines pyarrow skips
    multiline: list[tuple[int, int]]  # (first, last line) of rows with a line break in a value


def _scan(inp: _Input) -> _Scan | None:
    """Read the file again with the csv module, line by line, for exact line numbers. Only run
    for a file whose line count does not add up, so its speed does not matter."""
    layout, bad, multiline, row = _Layout(), [], [], 0
    try:
        with io.TextIOWrapper(io.BufferedReader(_Utf8Stream(inp.open(), inp.display)),
                              encoding="utf-8", errors="replace", newline="") as text:
            reader = csv.reader(text)
            next(reader, None)
            previous = reader.line_num
            for cells in reader:
                start, previous = previous + 1, reader.line_num
                if len(cells) not in (0, len(COLUMNS)):  # pyarrow skips it (blank lines: null rows)
                    bad.append((start, len(cells)))
                    continue
                offset = start - row - 2
                if offset != (layout.offsets[-1] if layout.offsets else 0):
                    layout.rows.append(row)
                    layout.offsets.append(offset)
                if previous > start:
                    multiline.append((start, previous))
                row += 1
    except (csv.Error, OSError, zipfile.BadZipFile, zlib.error, EOFError):
        return None
    return _Scan(layout, row, bad, multiline)


# --- reading --------------------------------------------------------------------------------------


@dataclass
class _Pending:
    """A finding whose line is known once the whole file has been read."""

    level: str
    message: str
    row: int | None  # a row pyarrow returned ...
    line: int | None  # ... or a line
    hint: str
    other: int | None = None  # a row whose line fills "{other}" in the message


@dataclass
class _File:
    number: int
    inp: _Input
    month: str | None = None
    month_row: int = 0  # the first row of the file's month
    rows: int = 0  # rows pyarrow returned (blank lines included)
    data_rows: int = 0  # ... not blank
    records: int = 0
    invalid: int = 0  # rows pyarrow skipped (wrong number of fields)
    errors: int = 0
    pending: list[_Pending] = field(default_factory=list)
    layout: _Layout = field(default_factory=_Layout)
    months_reported: set[str] = field(default_factory=set)
    names_reported: set[str | None] = field(default_factory=set)
    blank_type_reported: bool = False

    @property
    def full(self) -> bool:
        return self.errors >= MAX_ERRORS_PER_FILE

    def add(self, level: str, message: str, hint: str, row: int | None = None,
            line: int | None = None, other: int | None = None) -> None:
        if level == "error":
            if self.full:
                return
            self.errors += 1
        self.pending.append(_Pending(level, message, row, line, hint, other))


@dataclass(frozen=True)
class _Name:
    """What one "Falls within" value means: an organisation, a name set aside, or unknown."""

    org: str | None = None
    aside: str | None = None
    unknown: KpiboardError | None = None


@dataclass
class _MonthIds:
    """The Crime IDs of the month being read, file by file, for the duplicate check."""

    month: str | None = None
    files: dict[int, _File] = field(default_factory=dict)
    ids: list[pa.Array] = field(default_factory=list)
    places: list[pa.Array] = field(default_factory=list)  # file number << 32 | row


def _first(mask: pa.Array) -> int:
    """The index of the first true value of a boolean array, -1 if none."""
    return int(pc.index(pc.fill_null(mask, False), True).as_py())


def _true_rows(mask: pa.Array, limit: int) -> list[int]:
    rows: list[int] = pc.indices_nonzero(pc.fill_null(mask, False))[:limit].to_pylist()
    return rows


def _and(a: pa.Array | None, b: pa.Array | None) -> pa.Array | None:
    if a is None:
        return b
    return a if b is None else pc.and_(a, b)


class _Reader:
    def __init__(self, catalogue: Catalogue, spec: SourceSpec, result: RecordRead,
                 progress: Progress | None, block_size: int) -> None:
        self.catalogue, self.spec, self.result = catalogue, spec, result
        self.progress, self.block_size = progress, block_size
        self.findings: list[Finding] = []
        self.errors = 0
        self.names: dict[str, _Name] = {}
        self.aside = {name.casefold().strip(): name for name in spec.set_aside}
        self.new_types: set[str] = set()
        self.month = _MonthIds()
        self.source = pa.scalar(spec.id, pa.string())
        self.one_month = pa.scalar(1, pa.int32())
        self.weight = pa.scalar(1.0, pa.float64())
        # every column read as text; only those a record keeps are converted
        self.read_options = pv.ReadOptions(column_names=list(COLUMNS), block_size=block_size)
        self.convert_options = pv.ConvertOptions(
            column_types={c: pa.string() for c in COLUMNS}, include_columns=list(READ_COLUMNS),
            null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True)

    # findings

    def _add(self, finding: Finding) -> None:
        if finding.subject is None:
            finding = dataclasses.replace(finding, subject=self.spec.id)
        self.findings.append(finding)
        if finding.level == "error":
            self.errors += 1
        else:
            self.result.warnings.append(finding)

    def _settle(self, f: _File) -> None:
        """Turn the file's pending findings into findings, with their lines."""
        for p in f.pending:
            line = f.layout.line(p.row) if p.row is not None else p.line
            message = p.message if p.other is None else p.message.format(other=f.layout.line(p.other))
            self._add(Finding(p.level, message, f.inp.display, line, self.spec.id, p.hint))
        if f.full:
            self._add(Finding("error", f"stopped checking this file after {f.errors} errors",
                              f.inp.display, None, self.spec.id, "fix these and run again to see the rest"))
        f.pending = []

    @property
    def failed(self) -> bool:
        return self.errors > 0

    # the read

    def batches(self) -> Iterator[pa.RecordBatch]:
        found: list[Finding] = []
        inputs = _inputs(self.catalogue, self.spec, found)
        for finding in found:
            self._add(finding)
        # in month order, so that only one month's Crime IDs are held for the duplicate check
        order = sorted(((_peek_month(inp), inp.display, inp) for inp in inputs), key=lambda t: t[:2])
        total, done = sum(inp.size for inp in inputs), 0
        for number, (key, _, inp) in enumerate(order):
            if key != self.month.month:
                self._check_duplicates()
                self.month = _MonthIds(key)
            f = _File(number, inp)
            self.month.files[number] = f
            try:
                yield from self._read(f, done, total)
            except (OSError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                f.add("error", f"cannot read the file: {exc}", "check the file (or the zip) is "
                      "complete and readable; download it again if need be")
            self._settle(f)
            done += inp.size
            if self.progress:
                self.progress(done, total, inp.display)
        self._check_duplicates()
        if self.failed:
            raise ValidationFailed(self.findings)

    def _read(self, f: _File, done: int, total: int) -> Iterator[pa.RecordBatch]:
        display = f.inp.display
        with _Utf8Stream(f.inp.open(), display) as stream:
            header = stream.read_header()
            if stream.problem:
                self._add(stream.problem)
                return
            if header is None:
                f.add("error", "the file is empty", "download it again: a police.uk street file "
                      f"starts with the line {_HEADER_TEXT}", line=None)
                return
            if not self._header_ok(f, header):
                return
            if not stream.more():
                f.add("warning", "no data rows under the header",
                      "add the rows, or remove the file if it is not needed")
                self.result.files.append(FileStamp(display, stream.sha256.hexdigest(), stream.size, 0))
                return
            complete, reader = False, None
            try:
                reader = pv.open_csv(stream, read_options=self.read_options,
                                     parse_options=pv.ParseOptions(
                                         newlines_in_values=True, ignore_empty_lines=False,
                                         invalid_row_handler=functools.partial(_skip_row, f)),
                                     convert_options=self.convert_options)
                for batch in reader:
                    out = self._batch(f, batch)
                    if out is not None and not self.failed and not f.errors:
                        f.records += out.num_rows
                        self.result.rows += out.num_rows
                        yield out
                    if self.progress:
                        self.progress(done + stream.size, total, display)
                    if f.full or stream.problem:
                        break
                else:
                    complete = True
            except pa.ArrowInvalid as exc:
                f.add("error", f"the file cannot be read as CSV: {exc}",
                      "check the file is a police.uk street-level CSV")
            finally:
                if reader is not None:
                    reader.close()
            if stream.problem:
                self._add(stream.problem)
                return
            if stream.warning:
                self._add(stream.warning)
            self._check_lines(f, stream, complete)
            if complete and f.data_rows == 0 and f.invalid == 0:
                f.add("warning", "no data rows under the header",
                      "add the rows, or remove the file if it is not needed")
            if complete:
                stamp = FileStamp(display, stream.sha256.hexdigest(), stream.size, f.records)
                self.result.files.append(stamp)

    def _header_ok(self, f: _File, header: str) -> bool:
        found = [c.strip() for c in next(csv.reader([header]))]
        if found == list(COLUMNS):
            return True
        expected = ", ".join(COLUMNS)
        missing = [c for c in COLUMNS if c not in found]
        extra = [c for c in found if c not in COLUMNS]
        details = []
        if not missing and not extra:
            moved = next(c for c, e in zip(found, COLUMNS) if c != e)
            details.append(f"the same columns in another order ({moved!r} is column "
                           f"{found.index(moved) + 1}, not {COLUMNS.index(moved) + 1})")
        for name in extra:
            near = difflib.get_close_matches(name, missing or COLUMNS, n=1, cutoff=0.6)
            details.append(f"unexpected {name!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
        if missing:
            details.append("missing " + ", ".join(repr(c) for c in missing))
        hint = f"the first line of a police.uk street file is exactly: {_HEADER_TEXT}"
        if "Outcome type" in found:
            hint = "this looks like a police.uk outcomes file; only street files (*-street.csv) are read"
        elif "Type" in found and "Part of a policing operation" in found:
            hint = "this looks like a police.uk stop-and-search file; only street files are read"
        f.add("error", f"wrong header: expected the {len(COLUMNS)} police.uk street columns in this "
              f"order: {expected}; found {len(found)}: {', '.join(found)} ({'; '.join(details)})",
              hint, line=HEADER_LINE)
        return False

    # one batch

    def _batch(self, f: _File, batch: pa.RecordBatch) -> pa.RecordBatch | None:
        base, n = f.rows, batch.num_rows
        f.rows += n
        cols = {name: batch.column(name) for name in READ_COLUMNS}
        month, ids, types = cols["Month"], cols["Crime ID"], cols["Crime type"]
        blank = None
        if month.null_count:  # a blank line (or a line of empty cells): skipped
            blank = functools.reduce(pc.and_, (pc.is_null(c) for c in cols.values()))
            blank = blank if pc.any(blank).as_py() else None
        keep = pc.invert(blank) if blank is not None else None
        f.data_rows += n if blank is None else n - int(pc.sum(blank).as_py())
        other_month = self._check_month(f, month, keep, base)
        org, aside = self._resolve(f, cols["Falls within"], keep, base)
        if aside is not None:
            keep = _and(keep, pc.invert(aside))
        self._check_types(f, types, keep, base)
        if ids.null_count:
            no_id = _and(pc.and_(pc.is_null(ids), pc.fill_null(pc.not_equal(types, ASB), False)), keep)
            rows = _true_rows(no_id, MAX_ERRORS_PER_FILE - f.errors)
            for row, kind in zip(rows, types.take(pa.array(rows, pa.int64())).to_pylist()):
                f.add("error", f"Crime ID: is blank on a {kind!r} record",
                      f"police.uk gives every crime a Crime ID; only {ASB} rows have none: check the "
                      "line was not edited or cut", row=base + row)
        if f.month is not None:
            self._remember_ids(f, ids, month, keep, other_month, base)
        if self.failed or f.errors or f.month is None:
            return None
        if keep is not None:
            batch, org = batch.filter(keep), org.filter(keep)
        m = batch.num_rows
        if m == 0:
            return None
        period_end = pa.scalar(dt.date(int(f.month[:4]), int(f.month[5:]), 1), pa.date32())
        return pa.RecordBatch.from_arrays([
            pa.repeat(self.source, m), org, pa.repeat(period_end, m), pa.repeat(self.one_month, m),
            batch.column("Crime ID"), batch.column("Crime type"), batch.column("Last outcome category"),
            batch.column("LSOA code"), pa.nulls(m, pa.string()), pa.nulls(m, pa.string()),
            pa.nulls(m, pa.string()), pa.repeat(self.weight, m),
            pa.repeat(pa.scalar(f.inp.display, pa.string()), m),
        ], schema=RECORD_SCHEMA)

    def _remember_ids(self, f: _File, ids: pa.Array, month: pa.Array, keep: pa.Array | None,
                      other_month: bool, base: int) -> None:
        """Keep the batch's Crime IDs, and where they are, for the month's duplicate check."""
        remember = keep
        if ids.null_count:
            remember = _and(remember, pc.is_valid(ids))
        if other_month:  # rows of another month are an error already
            remember = _and(remember, pc.fill_null(pc.equal(month, f.month), False))
        offset = (f.number << 32) + base
        if remember is None:
            self.month.ids.append(ids)
            self.month.places.append(pa.array(np.arange(offset, offset + len(ids), dtype=np.int64)))
        else:
            chosen = pc.indices_nonzero(remember)
            self.month.ids.append(ids.take(chosen))
            self.month.places.append(pc.add(chosen.cast(pa.int64()), offset))

    def _check_month(self, f: _File, month: pa.Array, keep: pa.Array | None, base: int) -> bool:
        """Check the months (YYYY-MM, one per file); True if the batch has another month."""
        other = False
        for value in pc.unique(month).to_pylist():
            if value is None:
                row = _first(_and(pc.is_null(month), keep))
                if row >= 0:
                    other = True
                    f.add("error", "Month: is blank", "give the month as YYYY-MM, e.g. 2017-07",
                          row=base + row)
                continue
            row = base + int(pc.index(month, value).as_py())
            if not re.match(_MONTH_RE, value):
                other = True
                f.add("error", f"Month: {value!r} is not a month written YYYY-MM",
                      "police.uk gives the month as YYYY-MM, e.g. 2017-07", row=row)
            elif f.month is None:
                f.month, f.month_row = value, row
            elif value != f.month:
                other = True
                if value not in f.months_reported:
                    f.months_reported.add(value)
                    f.add("error", f"Month: {value} in a file of {f.month} (the month from line "
                          "{other}); a police.uk file holds one month",
                          "police.uk publishes one file per force and month: split the rows by "
                          "month, or check two files were not joined", row=row, other=f.month_row)
        return other

    def _name(self, text: str) -> _Name:
        if text not in self.names:
            key = text.casefold().strip()
            if key in self.aside:
                self.names[text] = _Name(aside=self.aside[key])
            else:
                try:
                    self.names[text] = _Name(org=self.catalogue.resolve_org(text))
                except KpiboardError as exc:
                    self.names[text] = _Name(unknown=exc)
        return self.names[text]

    def _resolve(self, f: _File, falls: pa.Array, keep: pa.Array | None,
                 base: int) -> tuple[pa.Array, pa.Array | None]:
        """Each row's organisation id (resolved once per distinct name), and which rows are set
        aside."""
        coded = pc.dictionary_encode(falls)
        names: list[str] = coded.dictionary.to_pylist()
        meanings = [self._name(name) for name in names]
        org = pa.array([m.org for m in meanings], pa.string()).take(coded.indices)
        for name, meaning in zip(names, meanings):
            if meaning.unknown is not None and name not in f.names_reported:
                f.names_reported.add(name)
                near = meaning.unknown.hint or ""
                hint = ("add the name to the organisation's aliases in kpiboard.yaml, or to the "
                        "source's set_aside to skip its rows")
                hint = f"{near} If not, {hint}" if near.endswith("?") else f"{near}; {hint}" if near else hint
                f.add("error", f"Falls within: {meaning.unknown.message}", hint,
                      row=base + int(pc.index(falls, name).as_py()))
        if falls.null_count and None not in f.names_reported:
            row = _first(_and(pc.is_null(falls), keep))
            if row >= 0:
                f.names_reported.add(None)
                f.add("error", "Falls within: is blank", "give the force's name, as police.uk "
                      "writes it (e.g. West Yorkshire Police)", row=base + row)
        asides = [name for name, meaning in zip(names, meanings) if meaning.aside is not None]
        if not asides:
            return org, None
        aside = pc.is_in(falls, value_set=pa.array(asides, pa.string()))
        for item in pc.value_counts(falls.filter(aside)).to_pylist():
            label = self.names[item["values"]].aside
            assert label is not None
            self.result.set_aside[label] = self.result.set_aside.get(label, 0) + int(item["counts"])
        return org, aside

    def _check_types(self, f: _File, types: pa.Array, keep: pa.Array | None, base: int) -> None:
        for value in pc.unique(types).to_pylist():
            if value is None:
                row = _first(_and(pc.is_null(types), keep))
                if row >= 0 and not f.blank_type_reported:
                    f.blank_type_reported = True
                    f.add("error", "Crime type: is blank", "every police.uk record has a crime "
                          "type, e.g. Burglary", row=base + row)
            elif value not in CRIME_TYPES and value not in self.new_types:
                self.new_types.add(value)
                near = difflib.get_close_matches(value, CRIME_TYPES, n=1, cutoff=0.8)
                f.add("warning", f"Crime type: {value!r} is not one of the {len(CRIME_TYPES)} "
                      "published police.uk crime types; it is read as it is",
                      (f"did you mean {near[0]!r}? " if near else "") + "police.uk adds categories "
                      "over the years: name it in a measure's `where` if it should count",
                      row=base + int(pc.index(types, value).as_py()))

    def _check_lines(self, f: _File, stream: _Utf8Stream, complete: bool) -> None:
        """Make sure line numbers are exact: if the physical lines do not add up to the header
        plus the rows (or the file was not read to its end), rescan the file to place every row
        (and report the lines with the wrong number of fields)."""
        if complete and not f.invalid and stream.lines == HEADER_LINE + f.rows:
            return
        scan = _scan(f.inp)
        if scan is None or scan.rows < f.rows or (complete and scan.rows != f.rows):
            f.add("warning", "the line numbers given for this file may be inexact (its rows could "
                  "not be placed on their lines)", "check the quoting of the file", line=None)
            return
        f.layout = scan.layout
        last = stream.lines
        for line, fields in scan.bad:
            if line == last and fields < len(COLUMNS) and not stream.ended_with_break:
                f.add("error", f"the last line is cut short: {fields} of {len(COLUMNS)} fields and no "
                      "line break at the end (the file looks truncated)",
                      "download or copy the file again", line=line)
            else:
                f.add("error", f"the line has {fields} field{'s' * (fields != 1)} but the header has "
                      f"{len(COLUMNS)}",
                      "police.uk lines have 12 fields; a value containing a comma must be in "
                      "double quotes", line=line)
        if scan.multiline:
            first, end = scan.multiline[0]
            f.add("warning", f"{len(scan.multiline)} row(s) have a line break inside a quoted value "
                  f"(the first on lines {first}-{end}); police.uk files have none, so the file was "
                  "probably edited; it is read as it is, and line numbers count physical lines",
                  "check the file against the published one", line=first)

    def _check_duplicates(self) -> None:
        """Duplicate Crime IDs across the files of the month just read."""
        month, self.month = self.month, _MonthIds()
        if not month.ids:
            return
        ids = pa.chunked_array(month.ids, pa.string())
        if len(pc.unique(ids)) == len(ids):  # (several times quicker than count_distinct)
            return
        table = pa.table({"id": ids, "place": pa.chunked_array(month.places, pa.int64())})
        counts = table.group_by("id").aggregate([("place", "count")])
        repeated = counts.filter(pc.greater(counts["place_count"], 1))["id"].combine_chunks()
        rows = table.filter(pc.is_in(table["id"], value_set=repeated)).sort_by(
            [("id", "ascending"), ("place", "ascending")])
        first: dict[str, str] = {}
        reported = 0
        for crime_id, place in zip(rows["id"].to_pylist(), rows["place"].to_pylist()):
            f = month.files[place >> 32]
            where = f"{f.inp.display}:{f.layout.line(place & 0xFFFFFFFF)}"
            if crime_id not in first:
                first[crime_id] = where
                continue
            if reported >= MAX_ERRORS_PER_FILE:
                break
            reported += 1
            file, line = where.rsplit(":", 1)
            self._add(Finding(
                "error", f"Crime ID: {crime_id} appears again in {month.month} (first at "
                f"{first[crime_id]})", file, int(line), self.spec.id,
                "police.uk gives every crime its own Crime ID: check the same file was not given "
                "twice (e.g. as a CSV and inside a zip)"))


def _skip_row(f: _File, row: Any) -> str:
    """pyarrow's handler for a line with the wrong number of fields: counted, then placed and
    reported by the line-by-line scan."""
    f.invalid += 1
    return "skip"


def read_police_uk(catalogue: Catalogue, spec: SourceSpec, progress: Progress | None = None, *,
                   block_size: int = DEFAULT_BLOCK_SIZE) -> RecordRead:
    """Read a police.uk street-level source into record batches (see the module notes).

    ``progress(done, total, label)`` is called after each batch and each file, counting bytes
    (uncompressed, for zips) across the source's files. Nothing is read until the returned
    :class:`RecordRead` is iterated; problems raise ``ValidationFailed`` from the iteration.

    >>> read = read_police_uk(catalogue, spec)  # doctest: +SKIP
    >>> table = read.read_all(); read.set_aside  # doctest: +SKIP
    {'British Transport Police': 12}
    """
    if spec.type != SOURCE_TYPE:
        raise KpiboardError(f"source {spec.id!r} has type {spec.type!r}, not {SOURCE_TYPE!r}",
                            hint="read it with the reader of its type")
    if block_size < 1:
        raise ValueError("block_size must be positive")
    result = RecordRead(spec.id, iter(()))
    result.batches = _Reader(catalogue, spec, result, progress, block_size).batches()
    return result
