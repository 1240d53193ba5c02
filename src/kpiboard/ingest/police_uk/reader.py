"""The read: :func:`read_police_uk` and the reader behind it, which takes a source's files in
month order, streams each through pyarrow in batches, runs the checks on every batch, turns
the good ones into records and gathers the findings (raised together at the end)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from kpiboard.errors import Finding, KpiboardError, ValidationFailed
from kpiboard.ingest.police_uk.checks import check_ids, check_lines, check_month, check_types
from kpiboard.ingest.police_uk.crime_ids import MonthIds
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


class _Reader:
    """One read of a source: its findings so far, the month's Crime IDs, what it has resolved."""

    def __init__(self, catalogue: Catalogue, spec: SourceSpec, result: RecordRead,
                 progress: Progress | None, block_size: int) -> None:
        self.catalogue, self.spec, self.result = catalogue, spec, result
        self.progress = progress
        self.findings: list[Finding] = []
        self.errors = 0
        self.forces = Forces(catalogue, spec, result)
        self.new_types: set[str] = set()
        self.month = MonthIds()
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

    def _settle(self, f: FileState) -> None:
        """Turn the file's pending findings into findings, with their lines."""
        for p in f.pending:
            line = f.line_map.line(p.row) if p.row is not None else p.line
            message = p.message if p.other is None else p.message.format(other=f.line_map.line(p.other))
            self._add(Finding(p.level, message, f.inp.display, line, self.spec.id, p.hint))
        if f.full:
            self._add(Finding("error", f"stopped checking this file after {f.errors} errors",
                              f.inp.display, None, self.spec.id, "fix these and run again to see the rest"))
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
        # in month order, so that only one month's Crime IDs are held for the duplicate check
        order = sorted(((peek_month(inp), inp.display, inp) for inp in inputs), key=lambda t: t[:2])
        total, done = sum(inp.size for inp in inputs), 0
        for number, (key, _, inp) in enumerate(order):
            if key != self.month.month:
                self._check_duplicates()
                self.month = MonthIds(key)
            f = FileState(number, inp)
            self.month.files[number] = f
            try:
                yield from self._read(f, done, total)
            except READ_ERRORS as exc:
                f.add("error", f"cannot read the file: {exc}", "check the file (or the zip) is "
                      "complete and readable; download it again if need be")
            self._settle(f)
            done += inp.size
            if self.progress:
                self.progress(done, total, inp.display)
        self._check_duplicates()
        if self.failed:
            raise ValidationFailed(self.findings)

    def _read(self, f: FileState, done: int, total: int) -> Iterator[pa.RecordBatch]:
        display = f.inp.display
        with Utf8Stream(f.inp.open(), display) as stream:
            header = stream.read_header()
            if stream.problem:
                self._add(stream.problem)
                return
            if header is None:
                f.add("error", "the file is empty", "download it again: a police.uk street file "
                      f"starts with the line {HEADER_TEXT}", line=None)
                return
            problem = header_problem(header)
            if problem is not None:
                message, hint = problem
                f.add("error", message, hint, line=HEADER_LINE)
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
            check_lines(f, stream, complete)
            if complete and f.data_rows == 0 and f.invalid == 0:
                f.add("warning", "no data rows under the header",
                      "add the rows, or remove the file if it is not needed")
            if complete:
                stamp = FileStamp(display, stream.sha256.hexdigest(), stream.size, f.records)
                self.result.files.append(stamp)

    # one batch

    def _batch(self, f: FileState, batch: pa.RecordBatch) -> pa.RecordBatch | None:
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
        check_types(f, types, keep, base, self.new_types)
        check_ids(f, ids, types, keep, base)
        if f.month is not None:
            self.month.remember(f, ids, month, keep, other_month, base)
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


def _skip_row(f: FileState, row: Any) -> str:
    """pyarrow's handler for a line with the wrong number of fields: counted, then placed and
    reported by the line-by-line scan."""
    f.invalid += 1
    return "skip"


def read_police_uk(catalogue: Catalogue, spec: SourceSpec, progress: Progress | None = None, *,
                   block_size: int = DEFAULT_BLOCK_SIZE) -> RecordRead:
    """Read a police.uk street-level source into record batches (see the package notes).

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
