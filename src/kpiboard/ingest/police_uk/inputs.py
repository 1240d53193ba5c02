"""A source's inputs: the CSV files its ``files:`` globs match, and the ``*street.csv`` members of
the zips among them, each with the name messages give it (project-relative; ``x.zip:member``
for a zip member), its size and how to open it; and the month each starts with (the reading
order)."""

from __future__ import annotations

import csv
import functools
import io
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


@dataclass(frozen=True)
class Input:
    """One file to read: a CSV file, or a CSV member of a zip."""

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
    """The source's inputs, each file once whatever globs match it; an error finding for each
    glob that matches nothing and for each zip that is unreadable or holds no street file."""
    found: dict[Path, None] = {}
    for pattern in spec.files:
        matches = matching_files(catalogue.root, pattern)
        if not matches:
            what = "matches no files" if set("*?[") & set(pattern) else "does not exist"
            findings.append(
                Finding(
                    "error",
                    f"source {spec.id!r}: files: {pattern!r} {what}",
                    "kpiboard.yaml",
                    None,
                    spec.id,
                    "put the files there, or change the source's `files:` (paths are "
                    "relative to the project folder)",
                )
            )
        for path in matches:
            found.setdefault(path.resolve(), None)
    inputs: list[Input] = []
    for path in found:
        display = catalogue.rel(path)
        if path.suffix.lower() == ".zip":
            inputs.extend(_zip_inputs(path, display, findings))
        else:
            inputs.append(Input(display, path.stat().st_size, functools.partial(_open_file, path)))
    return inputs


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
