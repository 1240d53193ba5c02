"""``kpiboard vintages``: the loads a warehouse keeps, and how `ingest` says what a load changed
(docs/VINTAGES.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from kpiboard.announcements import Announcement
from kpiboard.cli.common import ProjectArg, WarehouseOption, err, fail, load_project, say_waiting
from kpiboard.cli.news import news_lines
from kpiboard.errors import KpiboardError, UsageError
from kpiboard.formatting import decimals_of, number
from kpiboard.vocabulary import ChangeKind
from kpiboard.warehouse import IngestSummary, WarehouseAccess
from kpiboard.warehouse.changes import SubjectChanges

FORMATS = ("table", "json")
LISTED_SUBJECTS = 5  # `vintages` names up to this many changed measures, else counts them


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UsageError(
            f"--format: unknown format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}"
        )


def _figures(n: int) -> str:
    return f"{n:,} figure{'' if n == 1 else 's'}"


def _runs(months: list[str]) -> str:
    """``2007-04..2009-08, 2010-01``: consecutive months as one run (a first load adds years)."""
    index = [int(m[:4]) * 12 + int(m[5:7]) - 1 for m in months]
    runs: list[list[int]] = []
    for i, m in enumerate(index):
        if runs and m == index[runs[-1][-1]] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return ", ".join(
        months[r[0]] if len(r) == 1 else f"{months[r[0]]}..{months[r[-1]]}" for r in runs
    )


def change_lines(changes: tuple[SubjectChanges, ...]) -> list[str]:
    """One line per measure or record source: months added, revised (how many figures, the
    largest change) and removed."""
    lines = []
    for c in changes:
        parts = []
        if added := c.of_kind(ChangeKind.ADDED):
            parts.append("added " + _runs([m.month for m in added]))
        if revised := c.of_kind(ChangeKind.REVISED):
            parts.append(
                "revised "
                + ", ".join(
                    f"{m.month} ({_figures(m.figures)}"
                    + (
                        f", largest change {number(m.largest, min(decimals_of(m.largest), 2))}"
                        if m.largest
                        else ""
                    )
                    + ")"
                    for m in revised
                )
            )
        if removed := c.of_kind(ChangeKind.REMOVED):
            parts.append("removed " + _runs([m.month for m in removed]))
        lines.append(f"  {c.of} {c.subject}: " + "; ".join(parts))
    return lines


def outcome(summary: IngestSummary) -> str:
    """The ingest's one-line verdict: the vintage made, or that nothing changed."""
    if summary.checked_only:
        if not summary.changed:
            return f"check: nothing would change since vintage {summary.previous}; nothing written"
        return f"check: this would be vintage {summary.previous + 1}; nothing written"
    if not summary.changed and not summary.previous:
        return "no data files and no records: no vintage made"
    if not summary.changed:
        return f"nothing changed since vintage {summary.previous}: no new vintage"
    return f"vintage {summary.vintage} made"


def summary_json(summary: IngestSummary) -> dict[str, Any]:
    return {
        "vintage": summary.vintage,
        "previous": summary.previous or None,
        "checked_only": summary.checked_only,
        "changed": summary.changed,
        "warehouse": summary.warehouse,
        "rows": summary.rows,
        "records": summary.records,
        "files": [f.as_json() for f in summary.files],
        "changes": [c.as_json() for c in summary.changes],
        "warnings": [w.render() for w in summary.warnings],
    }


def show_ingest(summary: IngestSummary, fmt: str, news: Sequence[Announcement] = ()) -> None:
    """What an ingest changed and what that brings (``news``), on stdout: lines for
    ``table``, one object for ``json``."""
    if fmt == "json":
        out = summary_json(summary)
        out["announcements"] = [a.to_dict() for a in news]
        typer.echo(json.dumps(out, indent=2))
        return
    typer.echo(outcome(summary))
    for line in change_lines(summary.changes) + news_lines(news, checked=summary.checked_only):
        typer.echo(line)


def vintages(
    project: ProjectArg = Path("."),
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    warehouse: WarehouseOption = None,
) -> None:
    """List the warehouse's vintages: every load that changed something, oldest first."""
    try:
        check_format(fmt)
        cat = load_project(project, warehouse)
        access = WarehouseAccess(cat, on_wait=say_waiting)
        try:
            if access.needs_writer(data=False):  # nothing there yet: made empty, as before
                with access.write() as wh:
                    found = wh.vintages()
            else:
                with access.read() as wh:
                    found = wh.vintages()
        finally:
            access.close()
    except KpiboardError as exc:
        fail(exc)
    if fmt == "json":
        typer.echo(json.dumps([v.as_json() for v in found], indent=2))
        return
    if not found:
        err.print("no vintages yet: run `kpiboard ingest` first", markup=False)
        return
    for v in found:
        rows = sum(f.rows for f in v.files)
        subjects = sorted({c.subject for c in v.changes})
        changed = (
            ", ".join(subjects)
            if len(subjects) <= LISTED_SUBJECTS
            else f"{len(subjects)} measures and sources"
        )
        typer.echo(
            f"{v.id:>4}  {v.created:%Y-%m-%d %H:%M} UTC  {v.who}  {len(v.files)} file(s), "
            f"{rows:,} rows  changed: {changed or 'no figure'}"
        )
