"""No secret of a warehouse URL is ever shown (docs/SECURITY.md, "Secrets in warehouse URLs"):
each command run with a PostgreSQL URL holding a password (in its user part, or as libpq's
``?password=``) shows the URL as ``postgres://user:***@…`` / ``?password=***`` in its output,
table and JSON, its progress lines and its errors, and the password nowhere.

A real PostgreSQL server (tests/conftest.py): it trusts its local connections, so a URL with
any password works, and the commands show it as they would a real one. The Spark Connect token
is tested the same way against a real server: tests/test_spark_connect_token.py."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator

import pytest
from click.testing import Result
from conftest import ProjectFactory
from typer.testing import CliRunner

from kpiboard.cli import app

PASSWORD = "pw-9c41e7-not-shown"  # the server trusts local connections: any password works


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """A fresh database on the test server (the tests' shared one has other tests' tables):
    its URL, without a password."""
    import psycopg
    from psycopg import sql

    name = f"kpiboard_secrets_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield postgres_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _with_password(url: str, where: str) -> tuple[str, str]:
    """``url`` with :data:`PASSWORD` in its user part or as ``?password=``; and as shown."""
    scheme, rest = url.split("://", 1)
    if where == "user":
        user, host = rest.split("@", 1)
        return f"{scheme}://{user}:{PASSWORD}@{host}", f"{scheme}://{user}:***@{host}"
    query = "?sslmode=disable&password="
    return f"{url}{query}{PASSWORD}&application_name=kpi", f"{url}{query}***&application_name=kpi"


def _run(args: list[str]) -> Result:
    return CliRunner().invoke(app, args)


def _unseen(done: Result) -> str:
    """What the command wrote (both streams, on one line), once checked for the password."""
    said = done.output + (done.stderr if done.stderr_bytes is not None else "")
    assert PASSWORD not in said, said
    assert "Traceback" not in said, said
    return " ".join(said.split())


@pytest.mark.parametrize("where", ["user", "query"])
def test_every_command_shows_a_postgres_url_without_its_password(
    make_project: ProjectFactory, database: str, where: str
) -> None:
    root = make_project()
    url, shown = _with_password(database, where)
    at = ["--warehouse", url]

    said = _unseen(done := _run(["ingest", str(root), *at]))
    assert done.exit_code == 0, said
    assert f"into {shown}: " in said and "vintage 1 made" in said
    done = _run(["ingest", str(root), "--format", "json", *at])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["warehouse"] == shown
    _unseen(done)
    for fmt in ("table", "json"):
        done = _run(["vintages", str(root), "--format", fmt, *at])
        assert done.exit_code == 0, done.output
        _unseen(done)
        done = _run(["report", str(root), "--as-of", "2009-08", "--format", fmt, *at])
        assert done.exit_code == 0, done.output
        _unseen(done)

    # an error that names the warehouse
    said = _unseen(done := _run(["report", str(root), "--vintage", "9", *at]))
    assert done.exit_code == 1
    assert f"the warehouse {shown} has no vintage 9" in said


@pytest.mark.parametrize("where", ["user", "query"])
@pytest.mark.parametrize("command", ["ingest", "report", "vintages", "serve"])
def test_a_warehouse_that_cannot_be_reached_is_named_without_its_password(
    make_project: ProjectFactory, postgres_url: str, where: str, command: str
) -> None:
    root = make_project()
    url, shown = _with_password(postgres_url.rsplit("/", 1)[0] + "/no_such_database", where)
    said = _unseen(done := _run([command, str(root), "--warehouse", url]))
    assert done.exit_code == 1, said
    assert f"cannot connect to the warehouse {shown}: " in said
    assert 'database "no_such_database" does not exist' in said


def test_the_project_file_s_url_is_shown_without_its_password_too(
    make_project: ProjectFactory, database: str
) -> None:
    url, shown = _with_password(database, "user")
    root = make_project(project_extra=f"warehouse: {url}\n")
    said = _unseen(done := _run(["ingest", str(root)]))
    assert done.exit_code == 0, said
    assert f"into {shown}: " in said


def test_a_wrong_password_is_refused_by_the_server_and_not_shown(
    postgres_password_url: str, make_project: ProjectFactory
) -> None:
    # the one role of the test server whose password is checked: the right one loads, a wrong
    # one is the server's refusal, said with the URL and neither password shown
    from urllib.parse import urlsplit

    right = urlsplit(postgres_password_url).password
    assert right
    root = make_project()
    done = _run(["ingest", str(root), "--warehouse", postgres_password_url])
    assert done.exit_code == 0, done.output
    assert right not in done.output
    wrong = postgres_password_url.replace(right, PASSWORD)
    for command in ("ingest", "report"):
        refused = _run([command, str(root), "--warehouse", wrong])
        said = _unseen(refused)
        assert refused.exit_code == 1, said
        assert 'password authentication failed for user "kpiboard_pw"' in said, said
        assert "postgres://kpiboard_pw:***@127.0.0.1" in said, said
