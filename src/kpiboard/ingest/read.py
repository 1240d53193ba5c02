"""Reading a project's observation CSV files into one validated Arrow table.

Every row of every file is checked and every problem collected (up to MAX_ERRORS_PER_FILE per
file) before anything is raised, so one run of ``kpiboard validate`` shows them all.

Two paths, one result: the files are first read and checked in bulk (``ingest.bulk``: Arrow
parses, vector kernels check, no Python per row), which either returns the very table this
module would or is not sure; then (any bad row, any unusual file) every row is checked here
one by one (``rows.RowChecker``), and every problem is worded here.

Choices worth knowing:

* an empty (0-byte) file is an **error**: it is usually a failed export, and loading "nothing"
  from it would silently drop that file's figures;
* a header-only file is a **warning**: it is a legitimate "no data yet" file;
* column names are matched ignoring case, with spaces or hyphens read as underscores;
* a blank ``provisional`` cell means *not provisional* (False), other blank cells are null;
* line numbers are physical lines of the file, the header being line 1.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kpiboard.errors import Finding, KpiboardError, ValidationFailed
from kpiboard.ingest.bulk import NotSure, read_bulk
from kpiboard.ingest.files import data_files, decode
from kpiboard.ingest.header import check_header
from kpiboard.ingest.rows import RowChecker
from kpiboard.ingest.schema import CSV_COLUMNS, FileStamp, Progress, ReadResult

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

    from kpiboard.catalogue import Catalogue

MAX_ERRORS_PER_FILE = 50
PROGRESS_EVERY = 5000  # rows between progress calls: often enough for a bar, cheap enough


@dataclass
class _File:
    path: Path
    display: str
    text: str
    sha256: str
    size: int


def _resolve(
    catalogue: Catalogue, files: Sequence[Path | str] | None
) -> tuple[list[Path], list[Finding]]:
    if files is None:
        return data_files(catalogue)
    paths: list[Path] = []
    findings: list[Finding] = []
    for given in files:
        path = Path(given) if Path(given).is_absolute() else catalogue.root / given
        if path.is_file():
            paths.append(path)
        else:
            findings.append(
                Finding(
                    "error",
                    "file not found",
                    catalogue.rel(path),
                    None,
                    None,
                    "check the path (relative paths are relative to the project folder)",
                )
            )
    return paths, findings


def _load(catalogue: Catalogue, path: Path, findings: list[Finding]) -> _File | None:
    display = catalogue.rel(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        findings.append(
            Finding(
                "error",
                f"cannot read the file: {exc.strerror or exc}",
                display,
                None,
                None,
                "check the file exists and is readable",
            )
        )
        return None
    text, warning = decode(data, display)
    if warning:
        findings.append(warning)
    return _File(path, display, text, hashlib.sha256(data).hexdigest(), len(data))


def _read_file(
    f: _File,
    checker: RowChecker,
    findings: list[Finding],
    tick: Progress | None,
    done: int,
    total: int,
) -> int:
    """Check one file's rows, adding good rows to ``checker.columns``; return its row count."""
    if f.size == 0:
        hint = (
            "write a header line (" + ",".join(CSV_COLUMNS) + ") and data rows, or remove the file"
        )
        findings.append(_error(f, "the file is empty", None, hint))
        return 0
    reader = csv.reader(io.StringIO(f.text, newline=""), strict=True)
    try:
        header = _header(f, reader, findings)
    except csv.Error as exc:
        findings.append(_unparsable(f, exc, reader))
        return 0
    if header is None:
        return 0
    pos, width = header
    return _read_rows(f, reader, pos, width, checker, findings, tick, done, total)


def _header(
    f: _File, reader: CsvReader, findings: list[Finding]
) -> tuple[list[int | None], int] | None:
    """The cell index of each of CSV_COLUMNS (None when absent) and the header's width; None
    when the header has errors (then the rows cannot be read meaningfully)."""
    header: list[str] = next(reader, [])
    if not any(c.strip() for c in header):
        findings.append(
            _error(
                f,
                "the first line is not a header",
                1,
                "start the file with the column names: " + ",".join(CSV_COLUMNS),
            )
        )
        return None
    positions, header_findings = check_header(header, f.display)
    findings.extend(header_findings)
    if any(h.level == "error" for h in header_findings):
        return None
    return [positions.get(name) for name in CSV_COLUMNS], len(header)


def _read_rows(
    f: _File,
    reader: CsvReader,
    pos: list[int | None],
    width: int,
    checker: RowChecker,
    findings: list[Finding],
    tick: Progress | None,
    done: int,
    total: int,
) -> int:
    """Check the rows under the header (up to MAX_ERRORS_PER_FILE errors); return how many
    were good."""
    rows, errors, previous = 0, 0, reader.line_num
    try:
        for cells in reader:
            line, previous = previous + 1, reader.line_num
            if not "".join(cells).strip():
                continue  # blank lines and spreadsheet rows of empty cells
            if len(cells) != width:
                problems = [
                    Finding(
                        "error",
                        f"the line has {len(cells)} fields but the header has {width}",
                        f.display,
                        line,
                        None,
                        "put text containing commas (e.g. a note) in double quotes",
                    )
                ]
            else:
                problems = checker.check(cells, pos, f.display, line)
            if problems:
                findings.extend(problems)
                errors += len(problems)
                if errors >= MAX_ERRORS_PER_FILE:
                    findings.append(
                        _error(
                            f,
                            f"stopped checking this file after {errors} errors",
                            line,
                            "fix these and run again to see the rest",
                        )
                    )
                    return rows
            else:
                rows += 1
            if tick and rows % PROGRESS_EVERY == 0:
                tick(done + line, total, f.display)
    except csv.Error as exc:
        findings.append(_unparsable(f, exc, reader))
        return rows
    if rows == 0 and errors == 0:
        findings.append(
            Finding(
                "warning",
                "no data rows under the header",
                f.display,
                None,
                None,
                "add data rows, or remove the file if it is not needed",
            )
        )
    return rows


def _unparsable(f: _File, exc: csv.Error, reader: CsvReader) -> Finding:
    return _error(
        f,
        f"the CSV cannot be parsed: {exc}",
        reader.line_num or None,
        "check the quoting near this line (a quote must be closed before the line ends)",
    )


def _error(f: _File, message: str, line: int | None, hint: str) -> Finding:
    return Finding("error", message, f.display, line, None, hint)


def read_observations(
    catalogue: Catalogue,
    files: Sequence[Path | str] | None = None,
    progress: Progress | None = None,
    *,
    bulk: bool = True,
) -> ReadResult:
    """Read and validate observation CSV files into one Arrow table.

    A clean read is checked in bulk (``ingest.bulk``: DuckDB, no per-row Python); when the
    bulk path is not sure (any bad row, any unusual file) or ``bulk`` is False, every row is
    checked here one by one, with the same result and every problem reported.

    ``files`` defaults to the project's ``data:`` globs; relative paths are relative to the
    project root. ``progress(done, total, label)`` counts lines across all files. Raises
    :class:`ValidationFailed` with every finding (errors and warnings) if any row is bad.

    >>> result = read_observations(load_catalogue(Path("examples/met-cpa-2009-10")))  # doctest: +SKIP
    >>> result.table.num_rows, [f.path for f in result.files]  # doctest: +SKIP
    """
    paths, findings = _resolve(catalogue, files)
    if bulk and paths and not findings:
        try:
            return read_bulk(catalogue, paths, progress)
        except NotSure:
            pass  # every row is checked one by one below, and every problem reported
    loaded = [f for f in (_load(catalogue, p, findings) for p in paths) if f is not None]
    total = sum(f.text.count("\n") + 1 for f in loaded)
    checker = RowChecker(catalogue)
    stamps: list[FileStamp] = []
    done = 0
    for f in loaded:
        rows = _read_file(f, checker, findings, progress, done, total)
        stamps.append(FileStamp(f.display, f.sha256, f.size, rows))
        done += f.text.count("\n") + 1
        if progress:
            progress(done, total, f.display)
    if any(x.level == "error" for x in findings):
        raise ValidationFailed(findings)
    return ReadResult(checker.columns.to_table(), stamps, findings)


def check_data(catalogue: Catalogue) -> list[Finding]:
    """Every finding about the project's data files (errors and warnings), writing nothing.
    Used by ``kpiboard validate``."""
    try:
        return read_observations(catalogue).warnings
    except ValidationFailed as exc:
        return list(exc.findings)
    except KpiboardError as exc:
        return [Finding("error", exc.message, exc.where, None, None, exc.hint)]
