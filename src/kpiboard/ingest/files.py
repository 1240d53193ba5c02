"""Finding a project's data files and turning their bytes into text.

Text is UTF-8 (a byte-order mark is fine). Files saved by older spreadsheet tools are often
Windows-1252 ("£" as byte 0xA3): they are read as such, with a warning naming the first
byte that is not UTF-8, because the figures are still right and refusing them helps no one.
"""

from __future__ import annotations

import codecs
import glob
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from kpiboard.errors import Finding

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue

_GLOB_CHARS = set("*?[")


def data_files(catalogue: Catalogue) -> tuple[list[Path], list[Finding]]:
    """The files matched by the project's ``data:`` globs (relative to the project root), in
    sorted order without repeats, and an error finding for each glob that matches nothing."""
    root = catalogue.root
    found: dict[Path, None] = {}
    findings: list[Finding] = []
    for pattern in catalogue.project.data:
        base = Path(pattern).expanduser()
        full = base if base.is_absolute() else root / base
        matches = sorted(Path(p) for p in glob.glob(str(full), recursive=True) if Path(p).is_file())
        if not matches:
            what = "matches no files" if _GLOB_CHARS & set(pattern) else "does not exist"
            findings.append(
                Finding(
                    "error",
                    f"data: {pattern!r} {what}",
                    "kpiboard.yaml",
                    None,
                    None,
                    "put the CSV files there, or change `data:` in kpiboard.yaml "
                    "(paths are relative to the project folder)",
                )
            )
        for path in matches:
            found.setdefault(path.resolve(), None)
    return list(found), findings


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes (streamed, so large files are fine)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def decode(data: bytes, display: str) -> tuple[str, Finding | None]:
    """Bytes -> text, and a warning when the file was not UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text": unambiguous thanks to the mark, so no warning
        return data.decode("utf-16"), None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start]
        try:
            text, encoding = data.decode("cp1252"), "Windows-1252 (cp1252)"
        except UnicodeDecodeError:
            # the five bytes cp1252 leaves undefined: Latin-1 maps every byte
            text, encoding = data.decode("latin-1"), "Latin-1"
        warning = Finding(
            "warning",
            f"not UTF-8 (byte 0x{bad:02X} is the first that is not); read as {encoding}",
            display,
            line,
            None,
            "check the text reads right (e.g. £ signs), and save the file as CSV UTF-8",
        )
        return text, warning
