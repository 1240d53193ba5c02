"""No file left unread: every file under the project's ``data/`` folder is read by the
``data:`` globs or a record source's ``files:``, or named in a warning.

A file dropped into ``data/`` that nothing reads (a new month saved as a plain CSV when the
source reads zips) would otherwise leave ``ingest`` and ``report`` showing the old figures
without a word. Files that are not data are passed over without a warning:

* hidden files and folders (``.DS_Store``, ``.git/``);
* notes: ``README``, ``LICENCE``/``LICENSE``, ``NOTICE``, ``COPYING``, ``PROVENANCE`` (any
  suffix), and ``*.md``, ``*.rst``, ``*.pdf`` files;
* whatever the project's ``ignore:`` globs match.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kpiboard.errors import Finding
from kpiboard.ingest.records import matching_files

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue

DATA_FOLDER = "data"
#: Names (before the first dot, any case) of the notes that travel with published data.
NOTE_NAMES = frozenset({"readme", "licence", "license", "notice", "copying", "provenance"})
NOTE_SUFFIXES = frozenset({".md", ".rst", ".pdf"})


def is_note(path: Path) -> bool:
    """A file that documents data rather than holding it (see the module notes)."""
    return path.name.split(".", 1)[0].lower() in NOTE_NAMES or path.suffix.lower() in NOTE_SUFFIXES


def readers(catalogue: Catalogue) -> list[tuple[str, list[str]]]:
    """Who reads files, in the words of the warning, with their globs."""
    out: list[tuple[str, list[str]]] = []
    if catalogue.project.data:
        out.append(("`data:`", list(catalogue.project.data)))
    out += [(f"source `{s.id}`", list(s.files)) for s in catalogue.project.sources]
    return out


def _matched(root: Path, patterns: list[str]) -> set[Path]:
    return {p.resolve() for pattern in patterns for p in matching_files(root, pattern)}


def unread_files(catalogue: Catalogue) -> list[Finding]:
    """A warning for each file under ``data/`` that nothing reads (and that is not a note or
    ignored), saying what each reader reads."""
    root = catalogue.root
    folder = root / DATA_FOLDER
    if not folder.is_dir():
        return []
    who = readers(catalogue)
    read = set().union(*(_matched(root, patterns) for _, patterns in who))
    skipped = _matched(root, list(catalogue.project.ignore))
    what = "; ".join(f"{name} reads {', '.join(patterns)}" for name, patterns in who)
    findings: list[Finding] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
        resolved = path.resolve()
        if hidden or is_note(path) or resolved in read or resolved in skipped:
            continue
        rel = catalogue.rel(path)
        findings.append(
            Finding(
                "warning",
                "matches no source" + (f"; {what}" if what else ": nothing reads data files"),
                rel,
                None,
                None,
                "add a pattern that matches it to a source's `files:` (or to `data:`) in "
                "kpiboard.yaml, list it under `ignore:` if it is not data, or move it out of "
                f"{DATA_FOLDER}/",
            )
        )
    return findings
