"""``kpiboard spc PROJECT --measure M``: one measure's SPC chart from the project's warehouse,
exactly as the scorecard judges it (docs/SPC.md).

The series is not computed here: the scorecard of the organisation is built as ``kpiboard report``
builds it (the same month, vintage and warehouse; ingesting first if the data files changed) and
the row's own Spc block is what every format renders, so the chart can never disagree with the
report's."""

from __future__ import annotations

from pathlib import Path

from kpiboard.cli.common import load_project
from kpiboard.cli.report import scorecard_of
from kpiboard.engine.spc import short_groups
from kpiboard.engine.spc_row import SPC_MIN_POINTS
from kpiboard.errors import KpiboardError, UsageError
from kpiboard.render.charts import row_heading
from kpiboard.scorecard import Row, Scorecard, SpcSeries

# the options that shape a CSV's series; a project's measure defines its own
SERIES_OPTIONS = ("--direction", "--target", "--rebase", "--fix-after", "--no-screen")


def project_series(
    project: Path,
    measure: str | None,
    org: str | None,
    as_of: str | None,
    vintage: int | None,
    warehouse: str | None,
) -> SpcSeries:
    """Measure ``measure``'s SPC for organisation ``org`` (default: the project's own) as of
    ``as_of`` (default: the latest month with data) at ``vintage`` (default: the latest), read
    from ``warehouse`` (default: the project's): the scorecard row's own Spc block."""
    if measure is None:
        raise UsageError(
            "a project needs --measure: the measure to chart",
            hint=f"e.g. kpiboard spc {project} --measure ID (`kpiboard report` shows the rows)",
        )
    cat = load_project(project, warehouse)
    found = cat.resolve_measure(measure)  # unknown: fail before any warehouse work
    if found.hidden:
        raise KpiboardError(
            f"measure {measure!r} is hidden: it is not on the scorecard, so it has no SPC",
            hint="chart a measure the scorecard shows (`kpiboard report` lists them)",
        )
    card = scorecard_of(project, as_of, org, vintage, warehouse=warehouse)
    row = next((r for r in card.all_rows() if r.measure == measure), None)
    if row is None:  # under a hidden parent
        raise KpiboardError(
            f"measure {measure!r} is not on the scorecard, so it has no SPC",
            hint="chart a measure the scorecard shows (`kpiboard report` lists them)",
        )
    return row_series(card, row)


def row_series(card: Scorecard, row: Row) -> SpcSeries:
    """The row's Spc block as ``kpiboard spc`` renders a series; an error saying why the
    scorecard has no SPC for the row when it has none."""
    spc = row.spc
    if spc is None or not spc.points:
        raise no_spc(card, row)
    trial = short_groups([p.rebase_group for p in spc.points])
    name = f"{row_heading(row)} ({card.organisation.name})"
    return SpcSeries(name, spc, tuple(bool(t) for t in trial), title=row.title, unit=row.unit)


def no_spc(card: Scorecard, row: Row) -> KpiboardError:
    """Why the scorecard has no SPC for ``row``: no figure as of the month (with the row's own
    reason), or a latest figure without a long enough monthly series before it."""
    where = f"{row.measure!r} for {card.organisation.name} as of {card.as_of_text}"
    if row.latest is None:
        return KpiboardError(
            f"no SPC for {where}: it has no figure ({row.status_reason})",
            hint="pick another --as-of or --org, or a measure with monthly data",
        )
    spans = {p.months for p in row.series}
    if spans and 1 not in spans:
        published = " or ".join(f"{n} months" for n in sorted(spans))
        why = f"its data are published for {published} at a time, not monthly"
    else:
        why = (
            f"fewer than {SPC_MIN_POINTS} consecutive monthly values end at its latest figure "
            f"({row.latest.period or row.latest.text})"
        )
    return KpiboardError(
        f"no SPC for {where}: {why}",
        hint=f"SPC needs at least {SPC_MIN_POINTS} months in a row; nothing is interpolated",
    )


def refuse_series_options(given: dict[str, bool]) -> None:
    """A series option with a project is a usage error: the measure's definition sets them."""
    named = [name for name in SERIES_OPTIONS if given.get(name)]
    if named:
        raise UsageError(
            f"{', '.join(named)}: a project's measure defines its own SPC options",
            hint="change the measure's `spc:` (and targets) in its YAML, or leave the option out",
        )
