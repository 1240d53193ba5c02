"""What every command shares: the error console, the project argument, turning an error into
its message and exit code, checking a --format against a document's formats, and writing a
command's bytes to stdout or a file."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from kpiboard.catalogue import Catalogue, load_catalogue
from kpiboard.errors import KpiboardError, UsageError, ValidationFailed
from kpiboard.render import Document, RenderOptions
from kpiboard.render.pdf import ORIENTATIONS, PAPERS, PdfWarning

# soft_wrap: a finding is one line (`LEVEL file:line measure: message (hint)`) however narrow
# the terminal, so it can be grepped and clicked; rich would otherwise wrap it at 80 columns
err = Console(stderr=True, highlight=False, soft_wrap=True)

WAIT_SECONDS = 60.0
WaitOption = Annotated[
    float,
    typer.Option(
        "--wait",
        min=0,
        help="seconds to wait while another process has the warehouse (an ingest, a DuckDB "
        "shell) before giving up",
    ),
]


def say_waiting(message: str) -> None:
    """One line on stderr when a command starts waiting for the warehouse."""
    err.print(message, markup=False)


ProjectArg = Annotated[Path, typer.Argument(help="the project folder (with kpiboard.yaml)")]
WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        metavar="URL",
        help="use this warehouse for this run instead of kpiboard.yaml's `warehouse:` (a DuckDB "
        "file, postgres://..., or Spark: local[N], spark://HOST:7077, sc://HOST:15002)",
    ),
]


def load_project(project: Path, warehouse: str | None = None) -> Catalogue:
    """The project, with its warehouse replaced by ``--warehouse`` when given."""
    return load_catalogue(project).with_warehouse(warehouse_option(warehouse))


def warehouse_option(warehouse: str | None) -> str | None:
    """A ``--warehouse`` URL as the warehouse takes it: a DuckDB file given on the command line
    is relative to the current folder (as a shell user means it), not to the project folder as
    in kpiboard.yaml."""
    if warehouse is None:
        return None
    text = warehouse.strip()
    if not text:
        raise UsageError("--warehouse: empty URL", hint="give a DuckDB file or a warehouse URL")
    # here, not at the top: `kpiboard users list` (which imports this module) needs no warehouse
    from kpiboard.warehouse.connect import duckdb_path

    path = duckdb_path(text, Path.cwd())
    return str(path.resolve()) if isinstance(path, Path) else text


OrgOption = Annotated[str | None, typer.Option(help="organisation id, name or alias")]
OutputOption = Annotated[Path | None, typer.Option(help="write to this file instead of stdout")]
PaperOption = Annotated[str, typer.Option(help=f"PDF paper size: {' or '.join(PAPERS)}")]
OrientationOption = Annotated[
    str, typer.Option(help=f"PDF orientation: {' or '.join(ORIENTATIONS)}")
]


def layout_options(project: Path, fmt: str, paper: str, orientation: str) -> RenderOptions:
    """The layout options: the PDF's page setup (checked before any work) and the project's
    protective marking; the defaults for every other format."""
    if fmt != "pdf":
        return RenderOptions()
    if paper not in PAPERS:
        raise UsageError(
            f"--paper: unknown paper size {paper!r}", hint=f"use one of {', '.join(PAPERS)}"
        )
    if orientation not in ORIENTATIONS:
        raise UsageError(
            f"--orientation: unknown orientation {orientation!r}",
            hint=f"use one of {', '.join(ORIENTATIONS)}",
        )
    marking = load_catalogue(project).project.protective_marking
    return RenderOptions(paper=paper, orientation=orientation, marking=marking)


def print_error(exc: KpiboardError) -> None:
    """The error (after the findings behind it, if any) on stderr."""
    if isinstance(exc, ValidationFailed):
        for f in exc.findings:
            err.print(f.render(), markup=False)
    err.print(f"error: {exc}", markup=False, style="bold red")


def fail(exc: KpiboardError) -> NoReturn:
    """Print the error and exit: 2 for a usage error, 1 otherwise."""
    print_error(exc)
    raise typer.Exit(2 if isinstance(exc, UsageError) else 1)


def check_format(document: Document[Any], fmt: str) -> None:
    """A --format the document has no renderer for is a usage error, found before any work."""
    try:
        document.check(fmt)
    except KpiboardError as exc:
        raise UsageError(
            f"--format: {exc.message}", hint=f"use one of {', '.join(document.formats)}"
        ) from None


def check_writable(output: Path | None) -> None:
    """Fail before the work (a PDF takes seconds) when ``output`` clearly cannot be written: a
    folder, or under a file or a folder that is not writable. :func:`write` still reports
    whatever else goes wrong."""
    if output is None:
        return
    if output.is_dir():
        raise _cannot_write(output, "Is a directory")
    existing = output.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise _cannot_write(output, f"{existing}: File exists (a file, not a folder)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise _cannot_write(output, f"{existing}: Permission denied")


def _cannot_write(output: Path, why: str) -> KpiboardError:
    return KpiboardError(
        f"cannot write {output}: {why}",
        hint="give --output a file path in a folder you can write to",
    )


def write(output: Path, data: bytes) -> None:
    """Write an output file; a path that cannot be written is the user's to fix, not a crash."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
    except OSError as exc:
        culprit = f"{exc.filename}: " if exc.filename and str(exc.filename) != str(output) else ""
        raise KpiboardError(
            f"cannot write {output}: {culprit}{exc.strerror or exc}",
            hint="give --output a file path in a folder you can write to",
        ) from None


# Formats whose bytes are a file, not text: written with --output (or to a pipe), never to
# a terminal.
BINARY_FORMATS: set[str] = {"pdf", "xlsx"}


def check_binary(fmt: str, output: Path | None) -> None:
    """A binary format with no --output and a terminal on stdout is a usage error, found
    before any work (the bytes would be garbage on screen); piped or redirected, it is
    written."""
    if fmt in BINARY_FORMATS and output is None and sys.stdout.isatty():
        raise UsageError(
            f"{fmt.upper()} is binary: use --output FILE (--format {fmt} writes a binary file, "
            "not text for a terminal)",
            hint=f"add --output FILE (e.g. --output report.{fmt}), or redirect to a file",
        )


@contextmanager
def shown_warnings() -> Iterator[None]:
    """What a renderer had to do without (a chart drawn as its text alternative only), said on
    stderr as ``warning: ...`` lines once the output is made."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PdfWarning)
        try:
            yield
        finally:
            for warning in caught:
                if issubclass(warning.category, PdfWarning):
                    err.print(f"warning: {warning.message}", markup=False, style="yellow")
                else:
                    warnings.showwarning(
                        warning.message,
                        warning.category,
                        warning.filename,
                        warning.lineno,
                    )


def emit(data: bytes, output: Path | None) -> None:
    """Write to ``output``, or to stdout when there is none."""
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write(output, data)
        err.print(f"wrote {output}", markup=False)
