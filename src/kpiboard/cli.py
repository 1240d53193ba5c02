"""The command line. Parses options, calls the layers below, turns errors into exit codes:
0 ok, 1 user error (bad input, validation), 2 usage error; anything else is a bug."""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import ibis.expr.types as ir
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from kpiboard import __version__
from kpiboard.assemble import assemble_league, assemble_scorecard
from kpiboard.catalogue import Catalogue, load_catalogue
from kpiboard.engine.spc import Direction, check_options
from kpiboard.engine.spc import spc as run_spc
from kpiboard.engine.spc_row import spc_from_result
from kpiboard.errors import KpiboardError, UsageError, ValidationFailed
from kpiboard.formatting import decimals_of
from kpiboard.ingest import check_data
from kpiboard.ingest.series import parse_period, read_series
from kpiboard.periods import parse_month, short_month
from kpiboard.render import FORMATS, print_table, render
from kpiboard.render.charts import Charted, series_chart_svg
from kpiboard.render.league import LEAGUE_FORMATS, render_league
from kpiboard.scorecard import League, Scorecard
from kpiboard.warehouse import IngestSummary, Warehouse, ingest_if_stale, ingest_project
from kpiboard.web.usercmd import users_app

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="kpiboard: KPI definitions and performance data in, the board scorecard out.",
)
app.add_typer(users_app, name="users")
# soft_wrap: a finding is one line (`LEVEL file:line measure: message (hint)`) however narrow
# the terminal, so it can be grepped and clicked; rich would otherwise wrap it at 80 columns
err = Console(stderr=True, highlight=False, soft_wrap=True)
PROGRESS_AFTER_SECONDS = 0.5  # show a bar only when a load takes more than a moment
DEMO_AS_OF = "2009-08"
DEMO_PROJECT = "met-cpa-2009-10"
LEAGUE_ORG = "all"  # --org all: the league table of one measure

ProjectArg = Annotated[Path, typer.Argument(help="the project folder (with kpiboard.yaml)")]


def _fail(exc: KpiboardError) -> None:
    if isinstance(exc, ValidationFailed):
        for f in exc.findings:
            err.print(f.render(), markup=False)
    err.print(f"error: {exc}", markup=False, style="bold red")
    raise typer.Exit(2 if isinstance(exc, UsageError) else 1)


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
    text = (
        f"ingested {summary.rows:,} rows from {len(summary.files)} file(s) into "
        f"{summary.warehouse}: {summary.new_keys:,} new, {summary.replaced_keys:,} replaced, "
        f"{summary.removed_rows:,} removed [{files}]"
    )
    if summary.records:
        text += f"; {summary.records:,} records from record sources"
    if summary.set_aside:
        text += "; set aside: " + ", ".join(
            f"{name} ({rows:,} rows)" for name, rows in summary.set_aside
        )
    return text


def _ingest(
    cat: Catalogue,
    warehouse: Warehouse | None = None,
    *,
    only_if_stale: bool = False,
    quiet: bool = False,
) -> None:
    bar = _Bar()
    try:
        if only_if_stale:
            assert warehouse is not None
            summary = ingest_if_stale(cat, warehouse, progress=bar)
        else:
            summary = ingest_project(cat, progress=bar, warehouse=warehouse)
    finally:
        bar.close()
    if summary is None:
        return
    for w in summary.warnings:
        err.print(w.render(), markup=False)
    if not quiet:
        err.print(_describe(summary), markup=False)


def _write(output: Path, data: bytes) -> None:
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


@contextmanager
def _observed(project: Path, as_of: str) -> Iterator[tuple[Catalogue, ir.Table, int]]:
    """The project, its observations (ingested first if the data changed) and the month."""
    try:
        month = parse_month(as_of)
    except KpiboardError as exc:
        raise UsageError(f"--as-of: {exc.message}", hint=exc.hint) from None
    cat = load_catalogue(project)
    wh = Warehouse.open(cat)
    try:
        _ingest(cat, wh, only_if_stale=True, quiet=True)
        yield cat, wh.scorecard_observations(cat), month
    finally:
        wh.close()


def _scorecard(project: Path, as_of: str, org: str | None) -> Scorecard:
    with _observed(project, as_of) as (cat, observations, month):
        return assemble_scorecard(cat, observations, month, org)


def _league(project: Path, as_of: str, measure: str, group: str | None) -> League:
    with _observed(project, as_of) as (cat, observations, month):
        return assemble_league(
            cat, observations, month, measure, group, highlight=cat.project.organisation
        )


@app.command()
def validate(project: ProjectArg = Path(".")) -> None:
    """Check the project's YAML and data; print every finding as LEVEL file:line measure: message."""
    data_checked = True
    try:
        # a catalogue that loads but fails a cross-check still says enough to check the data
        cat = load_catalogue(project, raise_on_error=False)
        findings = cat.findings + check_data(cat)
    except ValidationFailed as exc:
        findings, data_checked = exc.findings, False
    except KpiboardError as exc:
        _fail(exc)
        return
    for f in findings:
        err.print(f.render(), markup=False)
    if not data_checked:
        err.print("the data files were not checked: fix the definitions above first", markup=False)
    errors = sum(f.level == "error" for f in findings)
    warnings = sum(f.level == "warning" for f in findings)
    typer.echo(f"{errors} error(s), {warnings} warning(s)")
    if errors:
        raise typer.Exit(1)


@app.command()
def ingest(project: ProjectArg = Path(".")) -> None:
    """Load the project's data into its warehouse, atomically (all files or none)."""
    try:
        _ingest(load_catalogue(project))
    except KpiboardError as exc:
        _fail(exc)


@app.command()
def report(
    project: ProjectArg = Path("."),
    as_of: Annotated[str, typer.Option("--as-of", help="the report month, YYYY-MM")] = ...,  # type: ignore[assignment]
    org: Annotated[str | None, typer.Option(help="organisation id, name or alias")] = None,
    fmt: Annotated[str, typer.Option("--format", help=f"one of {', '.join(FORMATS)}")] = "table",
    output: Annotated[
        Path | None, typer.Option(help="write to this file instead of stdout")
    ] = None,
    measure: Annotated[
        str | None, typer.Option(help="with --org all: the measure whose league table to show")
    ] = None,
    group: Annotated[
        str | None,
        typer.Option(
            help="with --org all: the peer group to rank in (default: the measure's first)"
        ),
    ] = None,
) -> None:
    """Build the scorecard as of a month (ingesting first if the data changed); with
    --org all --measure ID, that measure's league table instead."""
    try:
        if org is not None and org.strip().lower() == LEAGUE_ORG:
            if measure is None:
                raise UsageError(
                    "--org all needs --measure", hint="e.g. --org all --measure total_crime_rate"
                )
            if fmt not in LEAGUE_FORMATS:
                raise UsageError(
                    f"--format: unknown format {fmt!r} for a league table",
                    hint=f"use one of {', '.join(LEAGUE_FORMATS)}",
                )
            _emit(render_league(_league(project, as_of, measure, group), fmt), output)
            return
        if measure is not None or group is not None:
            raise UsageError(
                "--measure and --group go with --org all",
                hint="add --org all for one measure's league table",
            )
        if fmt not in FORMATS:
            raise UsageError(
                f"--format: unknown format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}"
            )
        card = _scorecard(project, as_of, org)
        if fmt == "table" and output is None:
            print_table(card, Console(highlight=False))
            return
        data = render(card, fmt)
        _emit(data, output)
    except KpiboardError as exc:
        _fail(exc)


def _emit(data: bytes, output: Path | None) -> None:
    """Write to ``output``, or to stdout when there is none."""
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        _write(output, data)
        err.print(f"wrote {output}", markup=False)


def _demo_project() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "examples" / DEMO_PROJECT
        if (candidate / "kpiboard.yaml").is_file():
            return candidate
    raise KpiboardError(
        f"the bundled example {DEMO_PROJECT} was not found",
        hint="run the demo from a clone of the kpiboard repository",
    )


@app.command()
def demo(
    output: Annotated[Path, typer.Option(help="where to write the HTML report")] = Path("out")
    / f"{DEMO_PROJECT}-{DEMO_AS_OF}.html",
    serve_dashboard: Annotated[
        bool, typer.Option("--serve/--no-serve", help="end by serving the example's dashboard")
    ] = True,
    host: Annotated[str, typer.Option(help="address to serve the dashboard on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to serve the dashboard on")] = 8000,
) -> None:
    """Run the bundled 2009/10 example end to end: the terminal scorecard, the HTML report,
    then the dashboard with demo logins."""
    try:
        project = _demo_project()
        _ingest(load_catalogue(project))
        card = _scorecard(project, DEMO_AS_OF, None)
        print_table(card, Console(highlight=False))
        _write(output, render(card, "html"))
        typer.echo(f"HTML report: {output.resolve()}")
        if serve_dashboard:
            from kpiboard.web.serve import serve as run_dashboard

            run_dashboard(project, host, port, announce=typer.echo, demo=True)
    except KpiboardError as exc:
        _fail(exc)


@app.command()
def serve(
    project: ProjectArg = Path("."),
    host: Annotated[
        str, typer.Option(help="address to listen on (127.0.0.1: this machine only)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
) -> None:
    """Serve the project's web dashboard: scorecard, KPI pages, commentary, published packs."""
    from kpiboard.web.serve import serve as run_dashboard

    try:
        run_dashboard(project, host, port, announce=typer.echo)
    except KpiboardError as exc:
        _fail(exc)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kpiboard {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """kpiboard: KPI definitions and performance data in, the board scorecard out."""


def main() -> None:
    app()


# --- kpiboard spc: SPC for one date,value series ---------------------------------------------

SPC_FORMATS = ("json", "csv", "svg")
SPC_MAX_DECIMALS = 4  # the chart writes values with the input's decimals, at most this many


def _board_labels(periods: Sequence[str]) -> list[str]:
    """The periods as the board reads them: months (``2020-01``, or dates that are all the
    first of their month, as the chart's axis reads them) as ``Jan-20``; other dates as given."""
    if all(len(p) == len("YYYY-MM") or p.endswith("-01") for p in periods):
        return [short_month(parse_month(p[:7])) for p in periods]
    return list(periods)


@app.command("spc")
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
    fmt: Annotated[str, typer.Option("--format", help=f"one of {', '.join(SPC_FORMATS)}")] = "json",
    output: Annotated[
        Path | None, typer.Option(help="write to this file instead of stdout")
    ] = None,
) -> None:
    """SPC (XmR chart, Making Data Count rules) for one series: points, icons, limits."""
    try:
        if fmt not in SPC_FORMATS:
            raise UsageError(
                f"--format: unknown format {fmt!r}", hint=f"use one of {', '.join(SPC_FORMATS)}"
            )
        try:
            check_options(direction, target, fix_after)
            rebase_dates = [parse_period(text)[0] for text in rebase or []]
        except KpiboardError as exc:
            option = "--rebase" if exc.field is None else "--" + exc.field.replace("_", "-")
            raise UsageError(f"{option}: {exc.message}", hint=exc.hint) from None
        series = read_series(file)
        starts = series.rebase_indices(rebase_dates)
        series.check_gaps(starts)
        result = run_spc(
            series.values,
            direction=direction,
            target=target,
            rebase_indices=starts,
            fix_after=fix_after,
            screen_outliers=not no_screen,
        )
        points = result.records(series.labels)
        if fmt == "json":
            doc = {
                "points": points,
                "variation": result.variation.value,
                "assurance": result.assurance.value if result.assurance else None,
                "direction": result.direction.value,
                "target": result.target,
            }
            data = (json.dumps(doc, indent=2) + "\n").encode()
        elif fmt == "csv":
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=list(points[0]), lineterminator="\n")
            writer.writeheader()
            cell = {None: "", True: "true", False: "false"}
            writer.writerows(
                {k: cell[v] if v is None or isinstance(v, bool) else v for k, v in p.items()}
                for p in points
            )
            data = buffer.getvalue().encode()
        else:
            decimals = min(SPC_MAX_DECIMALS, max(decimals_of(float(v)) for v in series.values))
            block = spc_from_result(
                result, series.labels, _board_labels(series.labels), decimals=decimals
            )
            data = series_chart_svg(Charted(block, file.stem, file.stem)).encode()
        _emit(data, output)
    except KpiboardError as exc:
        _fail(exc)
