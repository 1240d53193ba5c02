"""``kpiboard spc``: SPC (XmR chart, Making Data Count rules) for one date,value series, without
a project (docs/SPC.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kpiboard.cli.common import check_format, emit, fail
from kpiboard.engine.spc import Direction, check_options
from kpiboard.engine.spc_series import spc_series
from kpiboard.errors import KpiboardError, UsageError
from kpiboard.ingest.series import parse_period, read_series
from kpiboard.render import SPC_SERIES


def spc_command(
    file: Annotated[
        Path, typer.Argument(help="a CSV with the header date,value (YYYY-MM or YYYY-MM-DD)")
    ],
    direction: Annotated[Direction, typer.Option(help="which way is better")] = Direction.INCREASE,
    target: Annotated[
        float | None, typer.Option(help="judge assurance against this target")
    ] = None,
    rebase: Annotated[
        list[str] | None, typer.Option(help="start new limits at this date (repeatable)")
    ] = None,
    fix_after: Annotated[
        int | None,
        typer.Option("--fix-after", help="fix each group's limits after N points (N >= 12)"),
    ] = None,
    no_screen: Annotated[
        bool,
        typer.Option(
            "--no-screen", help="do not screen large moving ranges (as the MDC Excel tool)"
        ),
    ] = False,
    fmt: Annotated[
        str, typer.Option("--format", help=f"one of {', '.join(SPC_SERIES.formats)}")
    ] = "json",
    output: Annotated[
        Path | None, typer.Option(help="write to this file instead of stdout")
    ] = None,
) -> None:
    """SPC (XmR chart, Making Data Count rules) for one series: points, icons, limits."""
    try:
        check_format(SPC_SERIES, fmt)
        try:
            check_options(direction, target, fix_after)
            rebase_dates = [parse_period(text)[0] for text in rebase or []]
        except KpiboardError as exc:
            option = "--rebase" if exc.field is None else "--" + exc.field.replace("_", "-")
            raise UsageError(f"{option}: {exc.message}", hint=exc.hint) from None
        series = read_series(file)
        starts = series.rebase_indices(rebase_dates)
        series.check_gaps(starts)
        judged = spc_series(
            series.values,
            series.labels,
            file.stem,
            direction=direction,
            target=target,
            rebase_indices=starts,
            fix_after=fix_after,
            screen_outliers=not no_screen,
        )
        emit(SPC_SERIES.render(judged, fmt), output)
    except KpiboardError as exc:
        fail(exc)
