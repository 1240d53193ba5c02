"""``kpiboard spc``: SPC (XmR chart, Making Data Count rules) for one date,value series (a CSV,
without a project), or for one measure of a project as its scorecard judges it
(:mod:`.spc_project`); docs/SPC.md."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kpiboard.cli.common import OrgOption, WarehouseOption, check_format, emit, fail
from kpiboard.engine.spc import Direction, check_options
from kpiboard.engine.spc_series import spc_series
from kpiboard.errors import KpiboardError, UsageError
from kpiboard.ingest.series import parse_period, read_series
from kpiboard.render import SPC_SERIES
from kpiboard.scorecard import SpcSeries


def spc_command(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE|PROJECT",
            help="a CSV with the header date,value (YYYY-MM or YYYY-MM-DD), or a project folder "
            "(with kpiboard.yaml) to chart its --measure from the warehouse",
        ),
    ],
    direction: Annotated[
        Direction | None, typer.Option(help="which way is better (CSV; default increase)")
    ] = None,
    target: Annotated[
        float | None, typer.Option(help="judge assurance against this target (CSV)")
    ] = None,
    rebase: Annotated[
        list[str] | None, typer.Option(help="start new limits at this date (CSV; repeatable)")
    ] = None,
    fix_after: Annotated[
        int | None,
        typer.Option("--fix-after", help="fix each group's limits after N points (CSV; N >= 12)"),
    ] = None,
    no_screen: Annotated[
        bool,
        typer.Option(
            "--no-screen",
            help="do not screen large moving ranges (as the MDC Excel tool; CSV)",
        ),
    ] = False,
    measure: Annotated[
        str | None, typer.Option(help="a project: the measure to chart, as the scorecard does")
    ] = None,
    org: OrgOption = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="a project: the report month, YYYY-MM (default: latest)"),
    ] = None,
    vintage: Annotated[
        int | None,
        typer.Option(help="a project: the vintage to chart as it was (default: the latest)"),
    ] = None,
    warehouse: WarehouseOption = None,
    fmt: Annotated[
        str, typer.Option("--format", help=f"one of {', '.join(SPC_SERIES.formats)}")
    ] = "json",
    output: Annotated[
        Path | None, typer.Option(help="write to this file instead of stdout")
    ] = None,
) -> None:
    """SPC (XmR chart, Making Data Count rules) for one series: a date,value CSV, or a
    project's measure as its scorecard judges it; points, icons, limits."""
    try:
        check_format(SPC_SERIES, fmt)
        if file.is_dir():
            # here, not at the top: the CSV mode needs neither the warehouse nor the scorecard
            from kpiboard.cli.spc_project import project_series, refuse_series_options

            refuse_series_options(
                {
                    "--direction": direction is not None,
                    "--target": target is not None,
                    "--rebase": bool(rebase),
                    "--fix-after": fix_after is not None,
                    "--no-screen": no_screen,
                }
            )
            judged = project_series(file, measure, org, as_of, vintage, warehouse)
        else:
            refuse_project_options(
                file,
                {
                    "--measure": measure is not None,
                    "--org": org is not None,
                    "--as-of": as_of is not None,
                    "--vintage": vintage is not None,
                    "--warehouse": warehouse is not None,
                },
            )
            judged = csv_series(
                file, direction or Direction.INCREASE, target, rebase, fix_after, no_screen
            )
        emit(SPC_SERIES.render(judged, fmt), output)
    except KpiboardError as exc:
        fail(exc)


def csv_series(
    file: Path,
    direction: Direction,
    target: float | None,
    rebase: list[str] | None,
    fix_after: int | None,
    no_screen: bool,
) -> SpcSeries:
    """The CSV's series through SPC with the command's options."""
    try:
        check_options(direction, target, fix_after)
        rebase_dates = [parse_period(text)[0] for text in rebase or []]
    except KpiboardError as exc:
        option = "--rebase" if exc.field is None else "--" + exc.field.replace("_", "-")
        raise UsageError(f"{option}: {exc.message}", hint=exc.hint) from None
    series = read_series(file)
    starts = series.rebase_indices(rebase_dates)
    series.check_gaps(starts)
    return spc_series(
        series.values,
        series.labels,
        file.stem,
        direction=direction,
        target=target,
        rebase_indices=starts,
        fix_after=fix_after,
        screen_outliers=not no_screen,
    )


def refuse_project_options(file: Path, given: dict[str, bool]) -> None:
    """A project's option with a CSV file is a usage error; with a path that is nothing, the
    project folder was probably mistyped: said so."""
    named = [name for name, there in given.items() if there]
    if not named:
        return
    if not file.exists():
        raise KpiboardError(
            f"{file}: no such project folder", hint="give the folder that holds kpiboard.yaml"
        )
    raise UsageError(
        f"{', '.join(named)}: only with a project folder, not a CSV file ({file})",
        hint="give the project folder instead of the file, or leave the option out",
    )
