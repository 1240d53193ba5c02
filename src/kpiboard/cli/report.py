"""``kpiboard report``: the scorecard as of a month, or one measure's league table
(``--org all --measure ID``), in any of the document's registered formats."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from kpiboard.assemble import assemble_league, assemble_revised
from kpiboard.catalogue import Catalogue
from kpiboard.cli.appdb import app_store
from kpiboard.cli.common import (
    WAIT_SECONDS,
    OrgOption,
    OrientationOption,
    OutputOption,
    PaperOption,
    ProjectArg,
    WaitOption,
    WarehouseOption,
    check_binary,
    check_format,
    check_writable,
    emit,
    fail,
    layout_options,
    load_project,
    say_waiting,
    shown_warnings,
)
from kpiboard.cli.project import run_ingest
from kpiboard.engine.needs import report_month
from kpiboard.errors import KpiboardError, UsageError
from kpiboard.funnelplot import FunnelMethod
from kpiboard.leaguetable import League
from kpiboard.periods import format_month, parse_month
from kpiboard.render import FORMATS, LEAGUE, SCORECARD, print_table, render
from kpiboard.render.pdf import ORIENTATIONS, PAPERS
from kpiboard.scorecard import Scorecard
from kpiboard.warehouse import Warehouse, WarehouseAccess

LEAGUE_ORG = "all"  # --org all: the league table of one measure


@contextmanager
def _warehouse(cat: Catalogue, vintage: int | None, wait: float) -> Iterator[Warehouse]:
    """The latest warehouse to report from, read-only (shared with `kpiboard serve`'s reads)
    unless the data files changed: then it is ingested first, as one writer."""
    access = WarehouseAccess(cat, read_wait=wait, lock_wait=wait, on_wait=say_waiting)
    try:
        with access.kept():  # the staleness check and the read share one open of the file
            if not access.needs_writer(data=vintage is None):
                with access.read() as wh:
                    yield wh
                return
            with access.write() as wh:
                if vintage is None:
                    run_ingest(cat, wh, only_if_stale=True, quiet=True)
                yield wh
    finally:
        access.close()


@contextmanager
def observed(
    project: Path,
    as_of: str | None,
    vintage: int | None = None,
    wait: float = WAIT_SECONDS,
    warehouse: str | None = None,
) -> Iterator[tuple[Catalogue, Warehouse, int]]:
    """The project, its warehouse (ingested first if the data changed; ingesting nothing when
    ``vintage`` is given) and the month: the one asked for, else the latest with data (of that
    vintage). ``warehouse``: a URL used instead of the project's (``--warehouse``)."""
    try:
        asked = None if as_of is None else parse_month(as_of)
    except KpiboardError as exc:
        raise UsageError(f"--as-of: {exc.message}", hint=exc.hint) from None
    cat = load_project(project, warehouse)
    with _warehouse(cat, vintage, wait) as wh:
        month = report_month(wh.at(vintage).months_with_data(cat), asked)
        yield cat, wh, month


def published_vintage(cat: Catalogue, org: str, month: int) -> int | None:
    """The vintage a pack published on the dashboard for ``org`` and ``month`` was built from:
    None without an application database (the dashboard's, ``dashboard: database``), without
    such a pack, or for a pack published before packs pinned their vintage."""
    store = app_store(cat)
    if store is None:
        return None
    try:
        pack = store.publication(org, format_month(month))
    finally:
        store.close()
    return None if pack is None else pack.vintage


def scorecard_of(
    project: Path,
    as_of: str | None,
    org: str | None,
    vintage: int | None = None,
    wait: float = WAIT_SECONDS,
    warehouse: str | None = None,
) -> Scorecard:
    """The scorecard, its figures revised since the month's published pack (else since first
    reported) marked; only vintages up to ``vintage`` count."""
    with observed(project, as_of, vintage, wait, warehouse) as (cat, wh, month):
        home = cat.resolve_org(org or cat.project.organisation)
        pin = published_vintage(cat, home, month)
        return assemble_revised(cat, wh, month, home, vintage=vintage, published=pin)


def league_of(
    project: Path,
    as_of: str | None,
    measure: str,
    group: str | None,
    vintage: int | None = None,
    wait: float = WAIT_SECONDS,
    funnel_limits: FunnelMethod = FunnelMethod.ADDITIVE,
    warehouse: str | None = None,
) -> League:
    with observed(project, as_of, vintage, wait, warehouse) as (cat, wh, month):
        return assemble_league(
            cat,
            wh.at(vintage).scorecard_observations(cat),
            month,
            measure,
            group,
            highlight=cat.project.organisation,
            funnel_method=funnel_limits,
        )


def report(
    project: ProjectArg = Path("."),
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="the report month, YYYY-MM (default: the latest with data)"),
    ] = None,
    org: OrgOption = None,
    fmt: Annotated[str, typer.Option("--format", help=f"one of {', '.join(FORMATS)}")] = "table",
    output: OutputOption = None,
    measure: Annotated[
        str | None, typer.Option(help="with --org all: the measure whose league table to show")
    ] = None,
    group: Annotated[
        str | None,
        typer.Option(
            help="with --org all: the peer group to rank in (default: the measure's first)"
        ),
    ] = None,
    vintage: Annotated[
        int | None,
        typer.Option(help="the vintage to report as it was (default: the latest; see `vintages`)"),
    ] = None,
    wait: WaitOption = WAIT_SECONDS,
    paper: PaperOption = PAPERS[0],
    orientation: OrientationOption = ORIENTATIONS[0],
    funnel_limits: Annotated[
        FunnelMethod,
        typer.Option(
            "--funnel-limits",
            help="with --org all, a rate's funnel plot: limits widened for overdispersion by "
            "additive random effects (default) or multiplicatively, or plain poisson",
        ),
    ] = FunnelMethod.ADDITIVE,
    warehouse: WarehouseOption = None,
) -> None:
    """Build the scorecard as of a month (ingesting first if the data changed); with
    --org all --measure ID, that measure's league table instead."""
    try:
        league = org is not None and org.strip().lower() == LEAGUE_ORG
        if league and measure is None:
            raise UsageError(
                "--org all needs --measure", hint="e.g. --org all --measure total_crime_rate"
            )
        if not league and funnel_limits is not FunnelMethod.ADDITIVE:
            raise UsageError(
                "--funnel-limits goes with --org all (a league table's funnel plot)",
                hint="add --org all --measure ID",
            )
        if not league and (measure is not None or group is not None):
            raise UsageError(
                "--measure and --group go with --org all",
                hint="add --org all for one measure's league table",
            )
        check_format(LEAGUE if league else SCORECARD, fmt)
        check_binary(fmt, output)
        check_writable(output)
        options = layout_options(project, fmt, paper, orientation)
        with shown_warnings():
            if league:
                assert measure is not None
                data = LEAGUE.render(
                    league_of(
                        project, as_of, measure, group, vintage, wait, funnel_limits, warehouse
                    ),
                    fmt,
                    options,
                )
            else:
                card = scorecard_of(project, as_of, org, vintage, wait, warehouse)
                if fmt == "table" and output is None:
                    print_table(card, Console(highlight=False))
                    return
                data = render(card, fmt, options)
        emit(data, output)
    except KpiboardError as exc:
        fail(exc)
