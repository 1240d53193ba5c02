"""``kpiboard serve``: the project's web dashboard (docs/WEB.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kpiboard.cli.common import ProjectArg, WarehouseOption, fail, warehouse_option
from kpiboard.errors import KpiboardError


def serve(
    project: ProjectArg = Path("."),
    host: Annotated[
        str, typer.Option(help="address to listen on (127.0.0.1: this machine only)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    warehouse: WarehouseOption = None,
) -> None:
    """Serve the project's web dashboard: scorecard, KPI pages, commentary, published packs."""
    from kpiboard.web.serve import serve as run_dashboard

    try:
        run_dashboard(
            project, host, port, announce=typer.echo, warehouse=warehouse_option(warehouse)
        )
    except KpiboardError as exc:
        fail(exc)
