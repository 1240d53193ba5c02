"""Shared plumbing of the readers of small published tables (the Home Office recorded-crime
table, population tables): finding a source's files (CSVs, and CSVs inside ``.zip`` archives),
decoding them, matching headers loosely, resolving organisation names, and collecting findings
with file, line, column and hint.

These tables are small (tens of thousands of rows a year), so each file is read whole and
parsed with the ``csv`` module: line numbers are exact (the header is line 1) and every row is
checked. XLSX and ODS files are read by ``kpiboard.ingest.spreadsheet`` into the same rows of
text (the header found below any title rows, on whichever sheets have it), named
``file[sheet]`` with the spreadsheet's row numbers; the old binary ``.xls`` is refused.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kpiboard.errors import Finding
from kpiboard.ingest.org_names import OrgLookup, OrgName
from kpiboard.ingest.read import MAX_ERRORS_PER_FILE
from kpiboard.ingest.records import SourceSpec, matching_files
from kpiboard.ingest.schema import FileStamp

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue

SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods")
READ_SPREADSHEETS = (".xlsx", ".xlsm", ".ods")  # read by kpiboard.ingest.spreadsheet
HEADER_LINE = 1


def column_key(name: str) -> str:
    """A column name ignoring case, spaces and underscores: "Force_Name" == "force name"."""
    return re.sub(r"[\s_\-]+", "", name.casefold())


@dataclass(frozen=True)
class TableFile:
    """One input: a file, or a CSV member of a zip (``display`` is then ``x.zip:member``)."""

    display: str
    path: Path
    member: str | None = None

    def read_bytes(self) -> bytes:
        if self.member is None:
            return self.path.read_bytes()
        with zipfile.ZipFile(self.path) as archive:
            return archive.read(self.member)


@dataclass
class Findings:
    """Findings of one source, at most MAX_ERRORS_PER_FILE errors per file. A finding's subject
    is the source id; its message starts with the column it is about."""

    source: str
    items: list[Finding] = field(default_factory=list)
    errors_by_file: dict[str, int] = field(default_factory=dict)

    def add(self, level: str, file: str, line: int | None, message: str, hint: str) -> None:
        if level == "error":
            count = self.errors_by_file.get(file, 0)
            if count >= MAX_ERRORS_PER_FILE:
                return
            self.errors_by_file[file] = count + 1
        self.items.append(Finding(level, message, file, line, self.source, hint))

    @property
    def errors(self) -> int:
        return sum(self.errors_by_file.values())

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.items if f.level == "warning"]


def source_files(
    catalogue: Catalogue, spec: SourceSpec, found: Findings, what: str
) -> list[TableFile]:
    """The source's files (globs relative to the project), zips opened to their CSV members."""
    paths: dict[Path, None] = {}
    for pattern in spec.files:
        matches = matching_files(catalogue.root, pattern)
        if not matches:
            state = "matches no files" if set("*?[") & set(pattern) else "does not exist"
            found.add(
                "error",
                "kpiboard.yaml",
                None,
                f"source {spec.id!r}: files: {pattern!r} {state}",
                "put the files there, or change the source's `files:` (paths are relative "
                "to the project folder)",
            )
        for path in matches:
            paths.setdefault(path.resolve(), None)
    out: list[TableFile] = []
    for path in paths:
        display = catalogue.rel(path)
        suffix = path.suffix.lower()
        if suffix == ".zip":
            out.extend(_zip_members(path, display, found, what))
        elif suffix in SPREADSHEETS and suffix not in READ_SPREADSHEETS:
            found.add(
                "error",
                display,
                None,
                f"an old binary Excel file ({suffix}) cannot be read",
                f"open it and save it as XLSX (Excel Workbook) or ODS, or save the sheet of "
                f"{what} as CSV (UTF-8)",
            )
        else:
            out.append(TableFile(display, path))
    return out


def _zip_members(path: Path, display: str, found: Findings, what: str) -> list[TableFile]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [
                i.filename
                for i in archive.infolist()
                if not i.is_dir()
                and not i.filename.startswith("__MACOSX/")
                and not Path(i.filename).name.startswith("._")
            ]
    except (zipfile.BadZipFile, OSError) as exc:
        found.add(
            "error",
            display,
            None,
            f"not a readable zip archive: {exc}",
            "download the archive again, or give the CSV file itself",
        )
        return []
    csvs = [n for n in names if n.lower().endswith(".csv")]
    if not csvs:
        found.add(
            "error",
            display,
            None,
            f"the zip has no CSV file in it ({len(names)} other file(s))",
            f"the archive should hold {what} as CSV",
        )
    return [TableFile(f"{display}:{n}", path, n) for n in sorted(csvs)]


def decode(data: bytes, display: str, found: Findings) -> str | None:
    """The file's text: UTF-8 (with or without a byte-order mark), UTF-16 with a mark, or, with
    a warning, Windows-1252. None (with an error) if it is a spreadsheet in disguise."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        found.add(
            "error",
            display,
            None,
            "this is a spreadsheet (XLSX/ODS/XLS), not a CSV file",
            "give it its real extension (.xlsx or .ods) to have it read as a spreadsheet, "
            "or open it and save the sheet as CSV (UTF-8)",
        )
        return None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        found.add(
            "warning",
            display,
            line,
            f"not UTF-8 (byte 0x{data[exc.start]:02X} is the first that is not); read as "
            "Windows-1252 (cp1252)",
            "check names with accents read right, and save the file as CSV UTF-8",
        )
        return data.decode("cp1252", errors="replace")


def read_file(
    inp: TableFile, found: Findings
) -> tuple[list[tuple[int, list[str]]], FileStamp] | None:
    """The file's rows as (line, cells), header first, blank lines dropped; and its stamp."""
    try:
        data = inp.read_bytes()
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        found.add(
            "error",
            inp.display,
            None,
            f"cannot be read: {exc}",
            "check the file is there and readable",
        )
        return None
    text = decode(data, inp.display, found)
    if text is None:
        return None
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        found.add(
            "error",
            inp.display,
            start,
            f"not a readable CSV line: {exc}",
            "check the quoting (a value with a comma or line break must be in double quotes)",
        )
        return None
    stamp = FileStamp(
        inp.display, hashlib.sha256(data).hexdigest(), len(data), max(len(rows) - 1, 0)
    )
    return rows, stamp


@dataclass
class OrgNames:
    """Organisation names resolved once each, through the catalogue's aliases; set-aside names
    (as configured, compared ignoring case and spaces) counted."""

    catalogue: Catalogue
    spec: SourceSpec
    set_aside: dict[str, int] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._lookup = OrgLookup(self.catalogue, self.spec.set_aside, column_key)

    def resolve(self, text: str) -> OrgName:
        return self._lookup.resolve(text)

    def org(self, text: str, column: str, file: str, line: int, found: Findings) -> str | None:
        """The id for a row's name (None, reported once per name, if unknown or set aside)."""
        name = text.strip()
        if not name:
            found.add("error", file, line, f"{column}: is blank", "give the force's name")
            return None
        meaning = self.resolve(name)
        if meaning.aside is not None:
            self.set_aside[meaning.aside] = self.set_aside.get(meaning.aside, 0) + 1
            return None
        if meaning.unknown is not None and name not in self.reported:
            self.reported.add(name)
            found.add("error", file, line, f"{column}: {meaning.unknown.message}", meaning.hint())
        return meaning.org
