"""`kpiboard users …`: who may sign in to the dashboard, from the command line.

Whoever can run commands on the project folder manages its users (no sign-in needed here); the
audit log records these changes with no username. The database is the project's dashboard
`database` setting, or the SQLite file .kpiboard/app.sqlite3 in the project.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from kpiboard.catalogue import load_catalogue
from kpiboard.cli.common import ProjectArg, print_error
from kpiboard.errors import KpiboardError
from kpiboard.web.db import AppStore, Role, UnknownUser, UserExists, UsernamesDifferOnlyInCase
from kpiboard.web.db.engine import make_engine
from kpiboard.web.db.rules import check_username

users_app = typer.Typer(
    no_args_is_help=True, help="Manage who may sign in to the dashboard (kpiboard serve)."
)
UsernameArg = Annotated[str, typer.Argument(help="letters, digits, dots, underscores or hyphens")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")
]


def _fail(exc: KpiboardError) -> NoReturn:
    """Every error here, usage errors included, exits 1 (as these commands always have)."""
    print_error(exc)
    raise typer.Exit(1)


@contextmanager
def _store(project: Path, *, before_upgrade: bool = False) -> Iterator[AppStore]:
    """The project's store. ``before_upgrade``: when the upgrade stops because two usernames
    differ only in case, use the database as it is (renaming one is the way out)."""
    cat = load_catalogue(project)
    url = AppStore.default_url(cat.root, cat.project.dashboard.database)
    try:
        store = AppStore.open(url)
    except UsernamesDifferOnlyInCase:
        if not before_upgrade:
            raise
        store = AppStore(make_engine(url))
    try:
        yield store
    finally:
        store.close()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise KpiboardError(
                "--password-stdin: nothing on stdin",
                hint="e.g. pass-tool show kpiboard | kpiboard users …",
            )
        return line.rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def add(
    project: ProjectArg,
    username: UsernameArg,
    role: Annotated[Role, typer.Option(help="viewer, editor, approver or admin")],
    name: Annotated[str | None, typer.Option(help="the name shown in the dashboard")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user who may sign in with ROLE."""
    try:
        check_username(username)
        with _store(project) as store:
            if store.user(username) is not None:  # say so before asking for a password
                raise UserExists(username)
            user = store.add_user(username, _password(password_stdin), role, name)
        typer.echo(f"added {user.username} ({user.display_name}) as {user.role}")
    except KpiboardError as exc:
        _fail(exc)


@users_app.command("list")
def list_users(project: ProjectArg) -> None:
    """Every user: username, role, active or deactivated (and external: signs in through the
    identity provider), name, when added."""
    try:
        with _store(project) as store:
            users = store.users()
    except KpiboardError as exc:
        _fail(exc)
    if not users:
        typer.echo("no users yet: add one with `kpiboard users add PROJECT USERNAME --role admin`")
        return
    width = max(len(u.username) for u in users)
    for u in users:
        state = "active" if u.active else "deactivated"
        state += ", external" if u.external else ""  # signs in through the identity provider
        typer.echo(
            f"{u.username:<{width}}  {u.role.value:<8}  {state:<11}  {u.display_name}  "
            f"(added {u.created_at:%Y-%m-%d})"
        )


@users_app.command("set-role")
def set_role(
    project: ProjectArg,
    username: UsernameArg,
    role: Annotated[Role, typer.Argument(help="viewer, editor, approver or admin")],
) -> None:
    """Change what a user may do."""
    try:
        with _store(project) as store:
            user = store.set_role(username, role)
        typer.echo(f"{user.username} is now {user.role}")
    except KpiboardError as exc:
        _fail(exc)


@users_app.command("set-password")
def set_password(
    project: ProjectArg, username: UsernameArg, password_stdin: PasswordStdin = False
) -> None:
    """Set a new password for a user."""
    try:
        with _store(project) as store:
            if store.user(username) is None:  # say so before asking for a password
                raise UnknownUser(username)
            store.set_password(username, _password(password_stdin))
        typer.echo(f"password changed for {username}")
    except KpiboardError as exc:
        _fail(exc)


@users_app.command("rename")
def rename(
    project: ProjectArg,
    username: UsernameArg,
    new: Annotated[str, typer.Argument(help="the new username (case is ignored when signing in)")],
) -> None:
    """Change a username; the user's commentary, publications and sessions stay theirs."""
    try:
        check_username(new)
        with _store(project, before_upgrade=True) as store:
            user = store.rename_user(username, new)
        typer.echo(f"renamed {username} to {user.username}")
    except KpiboardError as exc:
        _fail(exc)


@users_app.command("deactivate")
def deactivate(project: ProjectArg, username: UsernameArg) -> None:
    """Stop a user signing in and end their sessions (their commentary stays theirs)."""
    try:
        with _store(project) as store:
            user = store.deactivate(username)
        typer.echo(f"deactivated {user.username}")
    except KpiboardError as exc:
        _fail(exc)


@users_app.command("set-email")
def set_email(
    project: ProjectArg,
    username: UsernameArg,
    address: Annotated[
        str, typer.Argument(help="a plain address such as name@force.police.uk; '' removes it")
    ],
) -> None:
    """Set where a user's announcements and packs are e-mailed (they choose which on the
    dashboard's "Your e-mail and subscriptions" page)."""
    try:
        with _store(project) as store:
            store.set_email(username, address or None)
        typer.echo(f"{username}: {address or 'no e-mail address'}")
    except KpiboardError as exc:
        _fail(exc)
