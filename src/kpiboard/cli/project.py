"""``kpiboard validate`` and ``kpiboard ingest``: check a project, load its data (with a
progress bar on long loads)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from kpiboard.announcements import Announcement
from kpiboard.catalogue import Catalogue, load_catalogue
from kpiboard.cli.common import (
    WAIT_SECONDS,
    ProjectArg,
    WaitOption,
    WarehouseOption,
    err,
    fail,
    load_project,
    say_waiting,
)
from kpiboard.cli.news import after_load, checked_news, published_pins_of, send_news
from kpiboard.cli.vintages import check_format, show_ingest
from kpiboard.errors import KpiboardError, ValidationFailed
from kpiboard.ingest import check_data
from kpiboard.ingest.unread import unread_files
from kpiboard.warehouse import (
    IngestSummary,
    Warehouse,
    WarehouseAccess,
    ingest_if_stale,
    ingest_project,
)

PROGRESS_AFTER_SECONDS = 0.5  # show a bar only when a load takes more than a moment


class _Bar:
    """A rich progress bar that appears only if the load is still going after a moment."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int, label: str) -> None:
        if self.progress is None:
            if time.monotonic() - self.started < PROGRESS_AFTER_SECONDS:
                return
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task(label, total=total)
        assert self.task is not None
        self.progress.update(self.task, completed=done, total=total, description=label)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _describe(summary: IngestSummary) -> str:
    files = ", ".join(f"{path} ({rows:,})" for path, rows in summary.rows_by_file.items())
    read = f"{summary.rows:,} rows from {len(summary.files)} file(s)"
    if summary.checked_only or not summary.changed:
        # nothing was written: counts of keys "replaced" would say the opposite
        done = "checked against" if summary.checked_only else "nothing new in"
        text = f"read {read}, {done} {summary.warehouse} [{files}]"
    else:
        text = (
            f"ingested {read} into {summary.warehouse}: {summary.new_keys:,} new, "
            f"{summary.replaced_keys:,} already stored, {summary.removed_rows:,} removed [{files}]"
        )
    if summary.records:
        text += f"; {summary.records:,} records from record sources"
    if summary.set_aside:
        text += "; set aside: " + ", ".join(
            f"{name} ({rows:,} rows)" for name, rows in summary.set_aside
        )
    return text


def run_ingest(
    cat: Catalogue,
    warehouse: Warehouse | None = None,
    *,
    only_if_stale: bool = False,
    quiet: bool = False,
    check: bool = False,
    who: str | None = None,
    on_check: Callable[[], None] | None = None,
) -> IngestSummary | None:
    bar = _Bar()
    try:
        if only_if_stale:
            assert warehouse is not None
            summary = ingest_if_stale(cat, warehouse, progress=bar)
        else:
            summary = ingest_project(cat, bar, warehouse, check=check, who=who, on_check=on_check)
    finally:
        bar.close()
    if summary is None:
        return None
    for w in summary.warnings:
        err.print(w.render(), markup=False)
    if not quiet:
        err.print(_describe(summary), markup=False)
    return summary


def validate(project: ProjectArg = Path(".")) -> None:
    """Check the project's YAML and data; print every finding as LEVEL file:line measure: message."""
    data_checked = True
    try:
        # a catalogue that loads but fails a cross-check still says enough to check the data
        cat = load_catalogue(project, raise_on_error=False)
        findings = cat.findings + check_data(cat) + unread_files(cat)
    except ValidationFailed as exc:
        findings, data_checked = exc.findings, False
    except KpiboardError as exc:
        fail(exc)
    for f in findings:
        err.print(f.render(), markup=False)
    if not data_checked:
        err.print("the data files were not checked: fix the definitions above first", markup=False)
    errors = sum(f.level == "error" for f in findings)
    warnings = sum(f.level == "warning" for f in findings)
    typer.echo(f"{errors} error(s), {warnings} warning(s)")
    if errors:
        raise typer.Exit(1)


def ingest(
    project: ProjectArg = Path("."),
    check: Annotated[
        bool, typer.Option("--check", help="validate and say what would change; load nothing")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    by: Annotated[
        str | None, typer.Option("--by", help="who the vintage records (default: the OS user)")
    ] = None,
    wait: WaitOption = WAIT_SECONDS,
    warehouse: WarehouseOption = None,
) -> None:
    """Load the project's data into its warehouse, atomically (all files or none), as a new
    vintage; say what changed (months added, revised, removed) since the last, and what that
    brings (statuses changed, new signals, measures gone stale: docs/VINTAGES.md)."""
    news: list[Announcement] = []
    try:
        check_format(fmt)
        cat = load_project(project, warehouse)
        pins = published_pins_of(cat)
        access = WarehouseAccess(cat, read_wait=wait, lock_wait=wait, on_wait=say_waiting)
        try:
            with access.write() as wh:
                on_check = checked_news(cat, wh, news, pins)
                summary = run_ingest(cat, wh, check=check, who=by, on_check=on_check)
            assert summary is not None
            if summary.vintage is not None:
                # worked out once the writer has let go: the dashboard reads meanwhile
                with access.read() as wh:
                    news = after_load(cat, wh, summary.vintage, pins)
        finally:
            access.close()
    except KpiboardError as exc:
        fail(exc)
    show_ingest(summary, fmt, news)
    if summary.vintage is not None and news:
        send_news(cat, summary.vintage, news)  # after the listing: a slow server waits for it
