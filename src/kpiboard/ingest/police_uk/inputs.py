"""A source's inputs: the CSV files its ``files:`` globs match, and the ``*street.csv`` members of
the zips among them, each with the name messages give it (project-relative; ``x.zip:member``
for a zip member), its size and how to open it; and the month each starts with (the reading
order)."""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from kpiboard.errors import Finding
from kpiboard.ingest.police_uk.stream import Utf8Stream
from kpiboard.ingest.records import SourceSpec, matching_files

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue

#: What opening or reading an input can raise (a zip member can be corrupt, or compressed in a
#: way zipfile cannot read).
READ_ERRORS = (OSError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)
#: How data.police.uk names a force's month of street records (in a ``YYYY-MM/`` folder).
MONTH_FILE = re.compile(r"\d{4}-\d{2}-[a-z0-9-]+-street\.csv")


@dataclass(frozen=True)
class Input:
    """One file to read: a CSV file, or a CSV member of a zip."""

    display: str  # project-relative; "x.zip:member" for a zip member
    size: int  # bytes (uncompressed, for a zip member)
    open: Callable[[], IO[bytes]]
    path: Path | None = None  # the file itself, when not a zip member


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


def _zip_inputs(path: Path, display: str, findings: list[Finding]) -> list[Input]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [i for i in archive.infolist() if not i.is_dir() and not _is_junk(i.filename)]
    except (zipfile.BadZipFile, OSError) as exc:
        findings.append(
            Finding(
                "error",
                f"not a readable zip archive: {exc}",
                display,
                None,
                None,
                "download the archive again, or give the CSV files themselves",
            )
        )
        return []
    csvs = [i for i in members if i.filename.lower().endswith(".csv")]
    street = [i for i in csvs if i.filename.lower().endswith("street.csv")]
    if not csvs:
        findings.append(
            Finding(
                "error",
                f"the zip has no CSV file in it ({len(members)} other file(s))",
                display,
                None,
                None,
                "a police.uk archive holds YYYY-MM/YYYY-MM-<force>-street.csv files: check this "
                "is the right download, or remove it from the source's files",
            )
        )
    elif not street:
        findings.append(
            Finding(
                "error",
                f"the zip has no *street.csv file in it (it has {len(csvs)} other CSV file(s), "
                f"e.g. {csvs[0].filename!r})",
                display,
                None,
                None,
                "only street-level crime files (*-street.csv) are read; outcomes and stop-and-search "
                "files have other layouts",
            )
        )
    return [
        Input(
            f"{display}:{i.filename}",
            i.file_size,
            functools.partial(_open_member, path, i.filename),
        )
        for i in sorted(street, key=lambda i: i.filename)
    ]


def find_inputs(catalogue: Catalogue, spec: SourceSpec, findings: list[Finding]) -> list[Input]:
    """The source's inputs, each file once whatever globs match it, and each police.uk month
    file once whether it comes plain or zipped (see :func:`once_each`); an error finding when
    none of the globs matches a file (one may: the month's plain CSVs come and go), and for
    each zip that is unreadable or holds no street file."""
    found: dict[Path, None] = {}
    for pattern in spec.files:
        for path in matching_files(catalogue.root, pattern):
            found.setdefault(path.resolve(), None)
    if not found:
        findings.append(_nothing_matches(spec))
    inputs: list[Input] = []
    for path in found:
        display = catalogue.rel(path)
        if path.suffix.lower() == ".zip":
            inputs.extend(_zip_inputs(path, display, findings))
        else:
            inputs.append(
                Input(display, path.stat().st_size, functools.partial(_open_file, path), path)
            )
    return once_each(inputs, findings)


def _nothing_matches(spec: SourceSpec) -> Finding:
    if len(spec.files) == 1:
        pattern = spec.files[0]
        what = f"{pattern!r} " + (
            "matches no files" if set("*?[") & set(pattern) else "does not exist"
        )
    else:
        what = ", ".join(repr(p) for p in spec.files) + " match no files"
    return Finding(
        "error",
        f"source {spec.id!r}: files: {what}",
        "kpiboard.yaml",
        None,
        spec.id,
        "put the files there, or change the source's `files:` (paths are relative to the "
        "project folder)",
    )


def _month_file(inp: Input) -> str | None:
    """The police.uk name of the input (``2017-07-west-yorkshire-street.csv``), whether a file
    or a zip member, if it has that form: one force's month."""
    name = inp.display.rsplit(":", 1)[-1].replace("\\", "/").rsplit("/", 1)[-1].lower()
    return name if MONTH_FILE.fullmatch(name) else None


def _sha256(inp: Input) -> str | None:
    digest = hashlib.sha256()
    try:
        with inp.open() as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except READ_ERRORS:
        return None  # the read says what is wrong with it
    return digest.hexdigest()


def once_each(inputs: list[Input], findings: list[Finding]) -> list[Input]:
    """The inputs with each force's month file once. A month published as a plain CSV and also
    found in a zip (or in two folders) is read once when the copies are the same bytes; copies
    that differ are an error naming both, since which one is right is the user's call and
    reading both would count every crime twice."""
    by_name: dict[str, list[Input]] = {}
    for inp in inputs:
        name = _month_file(inp)
        if name is not None:
            by_name.setdefault(name, []).append(inp)
    dropped: set[str] = set()
    for name, same in by_name.items():
        if len(same) < 2:
            continue
        first, first_hash = same[0], _sha256(same[0])
        for other in same[1:]:
            if first_hash is not None and _sha256(other) == first_hash:
                dropped.add(other.display)
                continue
            findings.append(
                Finding(
                    "error",
                    f"{first.display} and {other.display} are both {name}, with different "
                    "contents: the month would be counted twice",
                    other.display,
                    None,
                    None,
                    "keep the one you mean (usually the later download) and move the other out "
                    "of the source's files",
                )
            )
            dropped.add(other.display)
    return [inp for inp in inputs if inp.display not in dropped]


def peek_month(inp: Input) -> str:
    """The Month of the input's first row ("" if it cannot be seen): the reading order."""
    try:
        with Utf8Stream(inp.open(), inp.display, chunk=1 << 16) as stream:
            if stream.read_header() is None:
                return ""
            text = stream.read(1 << 16).decode("utf-8", errors="replace")
    except READ_ERRORS:
        return ""
    for line in io.StringIO(text, newline=""):
        if line.strip():
            cells = next(csv.reader([line]))
            return cells[1].strip() if len(cells) > 1 else ""
    return ""
