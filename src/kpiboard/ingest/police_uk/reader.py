"""The read: :func:`read_police_uk` and the reader behind it, which takes a source's files in
month order, streams each through pyarrow in batches, runs the checks on every batch, turns
the good ones into records and gathers the findings (raised together at the end).

Several files are read at once (``workers``, each in a thread: pyarrow parses and computes
without the GIL), each into its own :class:`~.state.FileState`; the read takes the files'
batches, findings, Crime IDs and counts in file order, so the outcome (batches, findings and
their order, warnings, counts) is the same as reading the files one after another
(``workers=1``, which uses no threads)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from kpiboard.errors import Finding, KpiboardError, ValidationFailed
from kpiboard.ingest.police_uk.ahead import ReadAhead, lower_priority
from kpiboard.ingest.police_uk.checks import check_ids, check_lines, check_month, check_types
from kpiboard.ingest.police_uk.crime_ids import MonthIds, remember
from kpiboard.ingest.police_uk.forces import Forces
from kpiboard.ingest.police_uk.inputs import READ_ERRORS, find_inputs, peek_month
from kpiboard.ingest.police_uk.layout import (
    COLUMNS,
    HEADER_LINE,
    HEADER_TEXT,
    READ_COLUMNS,
    SOURCE_TYPE,
    header_problem,
)
from kpiboard.ingest.police_uk.masks import both
from kpiboard.ingest.police_uk.state import FileState
from kpiboard.ingest.police_uk.stream import Utf8Stream
from kpiboard.ingest.records import RECORD_SCHEMA, RecordRead, SourceSpec
from kpiboard.ingest.schema import FileStamp, Progress

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue

DEFAULT_BLOCK_SIZE = 1 << 20  # bytes parsed per batch: ~4,500 rows of a police.uk file
#: Files read at once by default: one per core (up to 4), at least two (while the loader writes
#: to the warehouse, one core's worth of reading leaves the other idle part of the time).
DEFAULT_WORKERS = max(2, min(4, os.cpu_count() or 1))

#: Bytes of files (as many as fit, at least ``workers`` files) read ahead of the one being
#: taken: enough for the threads to go on while the loader waits for the warehouse to write.
AHEAD_BYTES = 64 << 20
#: Files up to this size (uncompressed) are decoded and parsed whole, then checked batch by
#: batch; bigger ones are streamed. A police.uk force-month is at most ~20 MiB.
WHOLE_FILE = 32 << 20

# What reading a file hands the read, batch by batch: a batch of records (None if the batch gave
# none) and the bytes of the file read so far (for progress).
_Step = tuple[pa.RecordBatch | None, int]


class _Reader:
    """One read of a source: its findings so far, the month's Crime IDs, what it has resolved."""

    def __init__(
        self,
        catalogue: Catalogue,
        spec: SourceSpec,
        result: RecordRead,
        progress: Progress | None,
        block_size: int,
        workers: int,
    ) -> None:
        self.catalogue, self.spec, self.result = catalogue, spec, result
        self.progress = progress
        self.workers = workers
        self.findings: list[Finding] = []
        self.errors = 0
        self.forces = Forces(catalogue, spec)
        self.new_types: set[str] = set()
        self.month = MonthIds()
        self.source = pa.scalar(spec.id, pa.string())
        self.one_month = pa.scalar(1, pa.int32())
        self.weight = pa.scalar(1.0, pa.float64())
        # every column read as text; only those a record keeps are converted
        self.read_options = pv.ReadOptions(column_names=list(COLUMNS), block_size=block_size)
        self.convert_options = pv.ConvertOptions(
            column_types={c: pa.string() for c in COLUMNS},
            include_columns=list(READ_COLUMNS),
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        )

    # findings

    def _add(self, finding: Finding) -> None:
        if finding.subject is None:
            finding = dataclasses.replace(finding, subject=self.spec.id)
        self.findings.append(finding)
        if finding.level == "error":
            self.errors += 1
        else:
            self.result.warnings.append(finding)

    def _settle(self, f: FileState) -> None:
        """Turn the file's pending findings into findings, with their lines (a warning given
        once a read only if no earlier file gave it)."""
        for p in f.pending:
            if p.once is not None:
                if p.once in self.new_types:
                    continue
                self.new_types.add(p.once)
            line = f.line_map.line(p.row) if p.row is not None else p.line
            message = (
                p.message if p.other is None else p.message.format(other=f.line_map.line(p.other))
            )
            self._add(Finding(p.level, message, f.inp.display, line, self.spec.id, p.hint))
        if f.full:
            self._add(
                Finding(
                    "error",
                    f"stopped checking this file after {f.errors} errors",
                    f.inp.display,
                    None,
                    self.spec.id,
                    "fix these and run again to see the rest",
                )
            )
        f.pending = []

    def _check_duplicates(self) -> None:
        """Duplicate Crime IDs across the files of the month just read."""
        month, self.month = self.month, MonthIds()
        for finding in month.duplicates(self.spec.id):
            self._add(finding)

    @property
    def failed(self) -> bool:
        return self.errors > 0

    # the read

    def batches(self) -> Iterator[pa.RecordBatch]:
        found: list[Finding] = []
        inputs = find_inputs(self.catalogue, self.spec, found)
        for finding in found:
            self._add(finding)
        pool = (
            ThreadPoolExecutor(
                self.workers, thread_name_prefix="kpiboard-read", initializer=lower_priority
            )
            if self.workers > 1 and len(inputs) > 1
            else None
        )
        stop = threading.Event()
        try:
            # in month order, so that only one month's Crime IDs are held for the duplicate check
            months = pool.map(peek_month, inputs) if pool is not None else map(peek_month, inputs)
            order = sorted(
                zip(months, (inp.display for inp in inputs), inputs, strict=True),
                key=lambda t: t[:2],
            )
            files = [FileState(number, inp) for number, (_, _, inp) in enumerate(order)]
            ahead = (
                ReadAhead(
                    pool,
                    [(f.inp.size, functools.partial(self._file, f)) for f in files],
                    stop,
                    self.workers,
                    AHEAD_BYTES,
                )
                if pool is not None
                else None
            )
            yield from self._in_order(files, [key for key, _, _ in order], ahead)
            self._check_duplicates()
        finally:
            stop.set()  # a read abandoned: the threads reading ahead give up
            if pool is not None:
                pool.shutdown()
        if self.failed:
            raise ValidationFailed(self.findings)

    def _in_order(
        self, files: list[FileState], months: list[str], ahead: ReadAhead[_Step] | None
    ) -> Iterator[pa.RecordBatch]:
        """The files' records, file after file (each read ahead in a thread, or here)."""
        total, done = sum(f.inp.size for f in files), 0
        for number, f in enumerate(files):
            steps = ahead.take(number) if ahead is not None else self._file(f)
            if months[number] != self.month.month:
                self._check_duplicates()
                self.month = MonthIds(months[number])
            failed = self.failed  # (nothing changes it while the file's batches come)
            for out, size in steps:
                if out is not None and not failed:
                    f.records += out.num_rows
                    self.result.rows += out.num_rows
                    yield out
                if self.progress:
                    self.progress(done + size, total, f.inp.display)
            self._take(f)
            if ahead is not None:
                ahead.taken(number)
            done += f.inp.size
            if self.progress:
                self.progress(done, total, f.inp.display)

    def _take(self, f: FileState) -> None:
        """What the read keeps of a file once it is read, in file order: its findings, its
        Crime IDs (for the month's duplicates), the rows it set aside, its stamp."""
        for finding in f.found:
            self._add(finding)
        self.month.add(f)
        for label, count in f.set_aside.items():
            self.result.set_aside[label] = self.result.set_aside.get(label, 0) + count
        if f.stamp is not None:
            sha256, size = f.stamp
            self.result.files.append(FileStamp(f.inp.display, sha256, size, f.records))
        self._settle(f)

    # one file (in a thread of its own when reading ahead: it changes nothing but ``f``)

    def _file(self, f: FileState) -> Iterator[_Step]:
        try:
            yield from self._read(f)
        except READ_ERRORS as exc:
            f.add(
                "error",
                f"cannot read the file: {exc}",
                "check the file (or the zip) is "
                "complete and readable; download it again if need be",
            )

    def _read(self, f: FileState) -> Iterator[_Step]:
        """Read a file whole (up to ``WHOLE_FILE`` bytes), else stream it; a file that cannot be
        read, decoded or parsed whole is streamed, so that what is found (and where reading
        stops) is the same as when every file was streamed."""
        display = f.inp.display
        with Utf8Stream(f.inp.open(), display) as stream:
            if not self._header(f, stream):
                return
            if f.inp.size > WHOLE_FILE:
                yield from self._streamed(f, stream)
                return
            try:
                text: bytes | None = stream.read()
            except READ_ERRORS:  # (e.g. a zip member's CRC): streamed, it fails where it did
                text = None
            batches = None if text is None or stream.problem else self._parsed(f, text)
            del text
            if batches is not None:
                yield from self._checked(f, stream, batches)
                return
        f.invalid = 0
        with Utf8Stream(f.inp.open(), display) as stream:
            self._header(f, stream)
            yield from self._streamed(f, stream)

    def _header(self, f: FileState, stream: Utf8Stream) -> bool:
        """Check the file's first line; True if rows follow it."""
        header = stream.read_header()
        if stream.problem:
            f.found.append(stream.problem)
            return False
        if header is None:
            f.add(
                "error",
                "the file is empty",
                f"download it again: a police.uk street file starts with the line {HEADER_TEXT}",
                line=None,
            )
            return False
        problem = header_problem(header)
        if problem is not None:
            message, hint = problem
            f.add("error", message, hint, line=HEADER_LINE)
            return False
        if not stream.more():
            f.add(
                "warning",
                "no data rows under the header",
                "add the rows, or remove the file if it is not needed",
            )
            f.stamp = (stream.sha256.hexdigest(), stream.size)
            return False
        return True

    def _parse_options(self, f: FileState, quotes: bool = True) -> pv.ParseOptions:
        return pv.ParseOptions(
            newlines_in_values=quotes,
            ignore_empty_lines=False,
            invalid_row_handler=functools.partial(_skip_row, f),
        )

    def _parsed(self, f: FileState, text: bytes) -> list[pa.RecordBatch] | None:
        """The rows after the header, parsed in batches as a stream would be; None if pyarrow
        cannot parse them. Without a double quote in the text no value can hold a line break,
        and pyarrow splits the lines twice as fast when told so."""
        reader = None
        try:
            reader = pv.open_csv(
                pa.BufferReader(text),
                read_options=self.read_options,
                parse_options=self._parse_options(f, quotes=b'"' in text),
                convert_options=self.convert_options,
            )
            return list(reader)
        except pa.ArrowInvalid:
            return None
        finally:
            if reader is not None:
                reader.close()

    def _checked(
        self, f: FileState, stream: Utf8Stream, batches: list[pa.RecordBatch]
    ) -> Iterator[_Step]:
        complete = False
        try:
            for batch in batches:
                yield self._batch(f, batch), stream.size
                if f.full:
                    break
            else:
                complete = True
        except pa.ArrowInvalid as exc:
            _unreadable(f, exc)
        self._end(f, stream, complete)

    def _streamed(self, f: FileState, stream: Utf8Stream) -> Iterator[_Step]:
        complete, reader = False, None
        try:
            reader = pv.open_csv(
                stream,
                read_options=self.read_options,
                parse_options=self._parse_options(f),
                convert_options=self.convert_options,
            )
            for batch in reader:
                yield self._batch(f, batch), stream.size
                if f.full or stream.problem:
                    break
            else:
                complete = True
        except pa.ArrowInvalid as exc:
            _unreadable(f, exc)
        finally:
            if reader is not None:
                reader.close()
        self._end(f, stream, complete)

    def _end(self, f: FileState, stream: Utf8Stream, complete: bool) -> None:
        """What is known once the file's rows are read: its lines, its encoding, its stamp."""
        if stream.problem:
            f.found.append(stream.problem)
            return
        if stream.warning:
            f.found.append(stream.warning)
        check_lines(f, stream, complete)
        if complete and f.data_rows == 0 and f.invalid == 0:
            f.add(
                "warning",
                "no data rows under the header",
                "add the rows, or remove the file if it is not needed",
            )
        if complete:
            f.stamp = (stream.sha256.hexdigest(), stream.size)

    # one batch

    def _batch(self, f: FileState, batch: pa.RecordBatch) -> pa.RecordBatch | None:
        """Check a batch (findings in ``f``); its records, unless the file has errors."""
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
        other_month = check_month(f, month, keep, base)
        org, aside = self.forces.resolve(f, cols["Falls within"], keep, base)
        if aside is not None:
            keep = both(keep, pc.invert(aside))
        check_types(f, types, keep, base)
        check_ids(f, ids, types, keep, base)
        if f.month is not None:
            remember(f, ids, month, keep, other_month, base)
        if f.errors or f.month is None:
            return None
        if keep is not None:
            batch, org = batch.filter(keep), org.filter(keep)
        m = batch.num_rows
        if m == 0:
            return None
        period_end = pa.scalar(dt.date(int(f.month[:4]), int(f.month[5:]), 1), pa.date32())
        return pa.RecordBatch.from_arrays(
            [
                pa.repeat(self.source, m),
                org,
                pa.repeat(period_end, m),
                pa.repeat(self.one_month, m),
                batch.column("Crime ID"),
                batch.column("Crime type"),
                batch.column("Last outcome category"),
                batch.column("LSOA code"),
                pa.nulls(m, pa.string()),
                pa.nulls(m, pa.string()),
                pa.nulls(m, pa.string()),
                pa.repeat(self.weight, m),
                pa.repeat(pa.scalar(f.inp.display, pa.string()), m),
            ],
            schema=RECORD_SCHEMA,
        )


def _skip_row(f: FileState, row: Any) -> str:
    """pyarrow's handler for a line with the wrong number of fields: counted, then placed and
    reported by the line-by-line scan."""
    f.invalid += 1
    return "skip"


def read_police_uk(
    catalogue: Catalogue,
    spec: SourceSpec,
    progress: Progress | None = None,
    *,
    block_size: int = DEFAULT_BLOCK_SIZE,
    workers: int | None = None,
) -> RecordRead:
    """Read a police.uk street-level source into record batches (see the package notes).

    ``progress(done, total, label)`` is called after each batch and each file, counting bytes
    (uncompressed, for zips) across the source's files, always from the thread iterating.
    ``workers`` files are read at once (default :data:`DEFAULT_WORKERS`; 1 reads them one
    after another, without threads): the outcome is the same. Nothing is read until the returned
    :class:`RecordRead` is iterated; problems raise ``ValidationFailed`` from the iteration.

    >>> read = read_police_uk(catalogue, spec)  # doctest: +SKIP
    >>> table = read.read_all(); read.set_aside  # doctest: +SKIP
    {'British Transport Police': 12}
    """
    if spec.type != SOURCE_TYPE:
        raise KpiboardError(
            f"source {spec.id!r} has type {spec.type!r}, not {SOURCE_TYPE!r}",
            hint="read it with the reader of its type",
        )
    if block_size < 1:
        raise ValueError("block_size must be positive")
    workers = DEFAULT_WORKERS if workers is None else workers
    if workers < 1:
        raise ValueError("workers must be positive")
    result = RecordRead(spec.id, iter(()), spec=spec, catalogue=catalogue, progress=progress)
    result.batches = _Reader(catalogue, spec, result, progress, block_size, workers).batches()
    return result


def _unreadable(f: FileState, exc: pa.ArrowInvalid) -> None:
    f.add(
        "error",
        f"the file cannot be read as CSV: {exc}",
        "check the file is a police.uk street-level CSV",
    )
