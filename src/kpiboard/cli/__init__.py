"""The command line. Parses options, calls the layers below, writes their bytes, and turns
errors into exit codes: 0 ok, 1 user error (bad input, validation), 2 usage error; anything
else is a bug.

Each command lives in a module of its own (:mod:`.project`: validate and ingest;
:mod:`.report`; :mod:`.pack`; :mod:`.vintages`; :mod:`.demo`; :mod:`.serve`; :mod:`.spc`; :mod:`.users`; :mod:`.outbox`); this module only
assembles them into the ``kpiboard`` app (``kpiboard = "kpiboard.cli:main"``, and
``python -m kpiboard``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from kpiboard import __version__
from kpiboard.cli.demo import demo
from kpiboard.cli.outbox import outbox
from kpiboard.cli.pack import pack
from kpiboard.cli.project import ingest, validate
from kpiboard.cli.report import report
from kpiboard.cli.serve import serve
from kpiboard.cli.spc import spc_command
from kpiboard.cli.users import users_app
from kpiboard.cli.vintages import vintages

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="kpiboard: KPI definitions and performance data in, the board scorecard out.",
)
app.add_typer(users_app, name="users")
# in the order `kpiboard --help` lists them
app.command()(validate)
app.command()(ingest)
app.command()(report)
app.command()(pack)
app.command()(vintages)
app.command()(demo)
app.command()(serve)
app.command("spc")(spc_command)
app.command()(outbox)


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
