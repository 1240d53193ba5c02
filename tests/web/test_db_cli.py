"""`kpiboard users …` through Typer's CliRunner: each command, --password-stdin, each error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from appdb_helpers import PASSWORD
from click.testing import Result
from typer.testing import CliRunner

from kpiboard.cli import app
from kpiboard.web.db import AppStore, Role

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def run(*args: object, stdin: str | None = None, code: int = 0) -> Result:
    result = runner.invoke(app, [str(a) for a in args], input=stdin)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    return make_project()


def _store(project: Path) -> AppStore:
    return AppStore.open(AppStore.default_url(project, None))


def test_add_with_password_stdin_then_list(project: Path) -> None:
    out = run(
        "users",
        "add",
        project,
        "alice",
        "--role",
        "editor",
        "--name",
        "Alice Smith",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert out.stdout == "added alice (Alice Smith) as editor\n"
    run(
        "users",
        "add",
        project,
        "bob",
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD + "\r\n",
    )
    assert (project / ".kpiboard" / "app.sqlite3").is_file()
    listed = run("users", "list", project).stdout.splitlines()
    assert [line.split()[:3] for line in listed] == [
        ["alice", "editor", "active"],
        ["bob", "admin", "active"],
    ]
    assert "Alice Smith" in listed[0]
    store = _store(project)
    assert store.authenticate("alice", PASSWORD, None).display_name == "Alice Smith"
    assert store.authenticate("bob", PASSWORD, None).role is Role.ADMIN  # \r\n stripped
    assert [e.username for e in store.audit_log(event="user_added")] == [None, None]
    store.close()


def test_add_prompts_twice_when_no_stdin_flag(project: Path) -> None:
    out = run(
        "users", "add", project, "alice", "--role", "viewer", stdin=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert "added alice" in out.stdout and PASSWORD not in out.output  # hidden input
    store = _store(project)
    assert store.authenticate("alice", PASSWORD, None).role is Role.VIEWER
    store.close()


def test_prompt_mismatch_asks_again(project: Path) -> None:
    out = run(
        "users",
        "add",
        project,
        "alice",
        "--role",
        "viewer",
        stdin=f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert "do not match" in out.output and "added alice" in out.stdout


def test_set_role_set_password_deactivate(project: Path) -> None:
    run(
        "users",
        "add",
        project,
        "alice",
        "--role",
        "editor",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert (
        run("users", "set-role", project, "alice", "approver").stdout == "alice is now approver\n"
    )
    assert (
        run(
            "users",
            "set-password",
            project,
            "alice",
            "--password-stdin",
            stdin="another good passphrase\n",
        ).stdout
        == "password changed for alice\n"
    )
    store = _store(project)
    assert store.authenticate("alice", "another good passphrase", None).role is Role.APPROVER
    store.close()
    assert run("users", "deactivate", project, "alice").stdout == "deactivated alice\n"
    assert run("users", "list", project).stdout.split()[:3] == ["alice", "approver", "deactivated"]


def test_set_password_signs_the_user_out_everywhere(project: Path) -> None:
    run(
        "users",
        "add",
        project,
        "alice",
        "--role",
        "editor",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    store = _store(project)
    token, _ = store.create_session(store.authenticate("alice", PASSWORD, None), 12)
    run(
        "users",
        "set-password",
        project,
        "alice",
        "--password-stdin",
        stdin="another good passphrase\n",
    )
    assert store.session(token) is None
    assert store.audit_log(event="password_changed")[0].detail == {
        "username": "alice",
        "sessions_ended": 1,
    }
    store.close()


def test_the_last_admin_is_kept(project: Path) -> None:
    run(
        "users",
        "add",
        project,
        "root",
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    for args in (["set-role", project, "root", "editor"], ["deactivate", project, "root"]):
        out = run("users", *args, code=1)
        assert out.stderr.startswith("error: 'root' is the last active admin; ")
        assert "make another user an admin first" in out.stderr
    assert run("users", "list", project).stdout.split()[:3] == ["root", "admin", "active"]
    run(
        "users", "add", project, "ann", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert run("users", "set-role", project, "root", "editor").stdout == "root is now editor\n"


def test_rename_is_the_way_out_when_names_differ_only_in_case(project: Path) -> None:
    from sqlalchemy import text as sql

    from kpiboard.web.db import migrate
    from kpiboard.web.db.engine import make_engine

    url = AppStore.default_url(project, None)
    engine = make_engine(url)
    migrate.upgrade(engine, "0001")  # as an older kpiboard left it, with "Admin" and "admin"
    with engine.begin() as conn:
        for name in ("admin", "Admin"):
            conn.execute(
                sql(
                    "INSERT INTO users (username, display_name, role, password_hash, active, created_at) "
                    "VALUES (:n, :n, 'admin', 'x', 1, '2026-01-01 00:00:00')"
                ),
                {"n": name},
            )
    engine.dispose()
    out = run("users", "list", project, code=1)
    assert "differ only in case, which are now one account: 'Admin' and 'admin'" in out.stderr
    assert "kpiboard users rename PROJECT OLD NEW" in out.stderr
    assert run("users", "rename", project, "Admin", "admin2").stdout == "renamed Admin to admin2\n"
    assert [line.split()[0] for line in run("users", "list", project).stdout.splitlines()] == [
        "admin",
        "admin2",
    ]


def test_list_with_no_users(project: Path) -> None:
    assert "no users yet" in run("users", "list", project).stdout


def test_error_duplicate_user(project: Path) -> None:
    run(
        "users",
        "add",
        project,
        "alice",
        "--role",
        "editor",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    out = run(
        "users",
        "add",
        project,
        "alice",
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
        code=1,
    )
    assert out.stderr.startswith("error: user 'alice' already exists (")
    out = run(
        "users", "add", project, "alice", "--role", "admin", code=1
    )  # refused before any prompt
    assert "Password" not in out.output and "already exists" in out.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["add", "{p}", "alice", "--role", "editor", "--password-stdin"],
            "short\n",
            "error: password refused: it has 5 characters; at least 12 are needed (use at least 12 characters",
        ),
        (
            ["add", "{p}", "alice", "--role", "editor", "--password-stdin"],
            "alice\n",
            "password refused",
        ),
        (
            ["add", "{p}", "alice", "--role", "editor", "--password-stdin"],
            "",
            "--password-stdin: nothing on stdin",
        ),
        (
            ["add", "{p}", "bad name!", "--role", "editor", "--password-stdin"],
            PASSWORD + "\n",
            "error: 'bad name!' is not a valid username (use 1 to 64 letters",
        ),
        (
            ["set-role", "{p}", "ghost", "admin"],
            None,
            "error: no user 'ghost' (`kpiboard users list PROJECT`",
        ),
        (
            ["set-password", "{p}", "ghost", "--password-stdin"],
            PASSWORD + "\n",
            "error: no user 'ghost'",
        ),
        (["deactivate", "{p}", "ghost"], None, "error: no user 'ghost'"),
    ],
)
def test_error_paths(project: Path, args: list[str], stdin: str | None, message: str) -> None:
    out = run("users", *[a.replace("{p}", str(project)) for a in args], stdin=stdin, code=1)
    assert message in out.stderr
    assert PASSWORD not in out.output


def test_unknown_role_is_a_usage_error(project: Path) -> None:
    out = run(
        "users",
        "add",
        project,
        "alice",
        "--role",
        "superuser",
        "--password-stdin",
        stdin=PASSWORD + "\n",
        code=2,
    )
    assert "superuser" in out.output


def test_no_project(tmp_path: Path) -> None:
    out = run("users", "list", tmp_path, code=1)
    assert f"error: no kpiboard.yaml in {tmp_path}" in out.stderr


def test_unopenable_database_setting(make_project: Callable[..., Path], tmp_path: Path) -> None:
    project = make_project(
        project_extra="dashboard:\n  database: sqlite:////no/such/folder/app.sqlite3\n"
    )
    out = run("users", "list", project, code=1)
    assert (
        "error: cannot open the application database sqlite:////no/such/folder/app.sqlite3"
        in out.stderr
    )


def test_database_setting_used(make_project: Callable[..., Path], postgres_url: str) -> None:
    """The project's dashboard database (here the test PostgreSQL server) is the one used."""
    from appdb_helpers import create_pg_database, drop_pg_database

    name, url = create_pg_database(postgres_url)
    try:
        project = make_project(project_extra=f"dashboard:\n  database: {url}\n")
        run(
            "users",
            "add",
            project,
            "alice",
            "--role",
            "admin",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        assert not (project / ".kpiboard" / "app.sqlite3").exists()
        store = AppStore.open(url)
        assert [u.username for u in store.users()] == ["alice"]
        store.close()
    finally:
        drop_pg_database(postgres_url, name)


def test_users_commands_are_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for command in ("add", "list", "set-role", "set-password", "deactivate"):
        assert f"kpiboard users {command}" in readme, command
