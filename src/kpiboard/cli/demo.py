"""``kpiboard demo``: the bundled 2009/10 example end to end (the terminal scorecard, the HTML
report, the board pack as PDF and workbook, then the dashboard with demo logins)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from kpiboard.catalogue import load_catalogue
from kpiboard.cli.common import fail, write
from kpiboard.cli.pack import board_pack
from kpiboard.cli.project import run_ingest
from kpiboard.cli.report import scorecard_of
from kpiboard.errors import KpiboardError
from kpiboard.render import print_table, render

DEMO_AS_OF = "2009-08"
DEMO_PROJECT = "met-cpa-2009-10"


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
    the board pack (a draft, as PDF and Excel workbook), then the dashboard with demo logins."""
    try:
        project = _demo_project()
        run_ingest(load_catalogue(project))
        card = scorecard_of(project, DEMO_AS_OF, None)
        print_table(card, Console(highlight=False))
        write(output, render(card, "html"))
        typer.echo(f"HTML report: {output.resolve()}")
        for fmt, what in (("pdf", "PDF"), ("xlsx", "Excel workbook")):
            pack = output.with_name(f"{output.stem}-pack.{fmt}")
            write(pack, board_pack(project, DEMO_AS_OF, None, fmt))
            typer.echo(f"Board pack ({what}): {pack.resolve()}")
        if serve_dashboard:
            from kpiboard.web.serve import serve as run_dashboard

            run_dashboard(project, host, port, announce=typer.echo, demo=True)
    except KpiboardError as exc:
        fail(exc)
