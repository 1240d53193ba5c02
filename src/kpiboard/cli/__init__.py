"""The command line. Parses options, calls the layers below, writes their bytes, and turns
errors into exit codes: 0 ok, 1 user error (bad input, validation), 2 usage error; anything
else is a bug.

Each command lives in a module of its own (:mod:`.project`: validate and ingest;
:mod:`.report`; :mod:`.pack`; :mod:`.vintages`; :mod:`.demo`; :mod:`.serve`; :mod:`.spc`;
:mod:`.users`; :mod:`.outbox`); this module only assembles them into the ``kpiboard`` app
(``kpiboard = "kpiboard.cli:main"``, and ``python -m kpiboard``).

A command's module is imported only when that command runs (or shows its own help): the
warehouse, the renderers and the web stack cost about a second to import, which ``kpiboard
--help`` or ``kpiboard users list`` should not pay for what they do not use. ``kpiboard --help``
lists the commands from :data:`COMMANDS` (a test checks each summary against the command's own
help).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from kpiboard import __version__


@dataclass(frozen=True)
class LazyCommand:
    """A command by where it lives: ``module`` (in kpiboard.cli) and ``attr`` (its function,
    or a Typer app for a group of commands), with the first paragraph of its help."""

    module: str
    attr: str
    summary: str

    def load(self, name: str) -> Any:
        """The command as Click runs it."""
        found = getattr(importlib.import_module(f"kpiboard.cli.{self.module}"), self.attr)
        if isinstance(found, typer.Typer):
            return typer.main.get_command(found)
        one = typer.Typer(add_completion=False)
        one.command(name)(found)
        return typer.main.get_command(one)


# in the order `kpiboard --help` lists them
COMMANDS: dict[str, LazyCommand] = {
    "validate": LazyCommand(
        "project",
        "validate",
        "Check the project's YAML and data; print every finding as LEVEL file:line measure: "
        "message.",
    ),
    "ingest": LazyCommand(
        "project",
        "ingest",
        "Load the project's data into its warehouse, atomically (all files or none), as a new "
        "vintage; say what changed (months added, revised, removed) since the last, and what "
        "that brings (statuses changed, new signals, measures gone stale: docs/VINTAGES.md).",
    ),
    "report": LazyCommand(
        "report",
        "report",
        "Build the scorecard as of a month (ingesting first if the data changed); with --org "
        "all --measure ID, that measure's league table instead.",
    ),
    "pack": LazyCommand(
        "pack",
        "pack",
        "The month's board pack: a DRAFT with the executive summary drafted from the figures "
        "(against the last published pack, else the month before), or the published pack as "
        "it was frozen.",
    ),
    "vintages": LazyCommand(
        "vintages",
        "vintages",
        "List the warehouse's vintages: every load that changed something, oldest first.",
    ),
    "demo": LazyCommand(
        "demo",
        "demo",
        "Run the bundled 2009/10 example end to end: the terminal scorecard, the HTML report, "
        "the board pack (a draft, as PDF and Excel workbook), then the dashboard with demo "
        "logins.",
    ),
    "serve": LazyCommand(
        "serve",
        "serve",
        "Serve the project's web dashboard: scorecard, KPI pages, commentary, published packs.",
    ),
    "spc": LazyCommand(
        "spc",
        "spc_command",
        "SPC (XmR chart, Making Data Count rules) for one series: a date,value CSV, or a "
        "project's measure as its scorecard judges it; points, icons, limits.",
    ),
    "outbox": LazyCommand(
        "outbox",
        "outbox",
        "List the deliveries waiting (and why), or with --send, send those due now.",
    ),
    "users": LazyCommand(
        "users", "users_app", "Manage who may sign in to the dashboard (kpiboard serve)."
    ),
}


class _Listed(typer.core.TyperCommand):
    """A command as ``kpiboard --help`` lists it: its name and summary, nothing imported."""


class LazyGroup(TyperGroup):
    """The ``kpiboard`` group: lists :data:`COMMANDS` from their summaries and imports a
    command's module only when the command is the one to run."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name, lazy in COMMANDS.items():
            self.commands[name] = _Listed(name=name, help=lazy.summary)

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name, cmd, rest = super().resolve_command(ctx, args)  # "no such command", suggestions
        if name is not None and isinstance(cmd, _Listed):
            cmd = COMMANDS[name].load(name)
            self.commands[name] = cmd
        return name, cmd, rest


app = typer.Typer(
    cls=LazyGroup,
    add_completion=False,
    no_args_is_help=True,
    # a bug's traceback never lists variables' values: a warehouse URL's password or token
    # would be among them (Typer's default, which was True in older Typers)
    pretty_exceptions_show_locals=False,
    help="kpiboard: KPI definitions and performance data in, the board scorecard out.",
)


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
