"""A Spark Connect server that wants a token (docs/SPARK.md, "A server that wants a token"),
real and started for this module (tests/spark_connect_server.py, ``spark_connect_token``): the
token in the URL (``sc://localhost:PORT/;token=T``) or in SPARK_CONNECT_AUTHENTICATE_TOKEN
gives the DuckDB report; a missing or wrong token, and a token PySpark would send only over
TLS, are each said within seconds, without a traceback; and the token is never shown.

Each command runs in a process of its own, as a user runs it (tests/connect_cli.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from connect_cli import MONTH, duckdb_report, example, ok, refused, run_kpiboard
from same_json import assert_same
from spark_connect_server import TOKEN, ConnectServer
from tls_proxy import TlsProxy, tls_proxy

from kpiboard.warehouse.spark_connect import TOKEN_VARIABLE
from kpiboard.warehouse.spark_tls import ROOTS_VARIABLE


@pytest.fixture(scope="module")
def tls_token_front(spark_connect_token: ConnectServer) -> Iterator[TlsProxy]:
    """A TLS proxy (tests/tls_proxy.py) in front of the token server, for this module."""
    with tls_proxy(spark_connect_token.port) as proxy:
        yield proxy


def _unseen(done: object, *secrets: str) -> None:
    """No secret in what the command wrote, on either stream."""
    said = getattr(done, "stdout", "") + getattr(done, "stderr", "")
    for secret in secrets:
        assert secret not in said, said


def test_a_token_in_the_url_or_the_environment_reports_the_same_as_duckdb_unseen(
    tmp_path: Path, spark_connect_token: ConnectServer, tls_token_front: TlsProxy
) -> None:
    on_duckdb = duckdb_report(tmp_path / "duckdb")
    root = example(tmp_path / "connect")
    url = f"sc://localhost:{spark_connect_token.port}/;token={TOKEN}"
    shown = f"sc://localhost:{spark_connect_token.port}/;token=***"

    ingest = run_kpiboard(["ingest", str(root), "--warehouse", url])
    said = ok(ingest, spark_connect_token) + " ".join(ingest.stderr.split())
    assert f"into {shown} (Parquet in {root / '.kpiboard' / 'spark'})" in said
    assert "vintage 1 made" in said
    _unseen(ingest, TOKEN)

    # the token from the environment, the URL without it
    bare = f"sc://localhost:{spark_connect_token.port}"
    args = ["report", str(root), "--as-of", MONTH, "--format", "json", "--warehouse", bare]
    report = run_kpiboard(args, **{TOKEN_VARIABLE: TOKEN})
    assert_same(json.loads(ok(report, spark_connect_token)), on_duckdb)
    _unseen(report, TOKEN)

    # the token over TLS, through a TLS proxy (sc://HOST:PORT/;use_ssl=true;token=T), and a
    # wrong one refused by the server behind it
    proxied = f"sc://localhost:{tls_token_front.port}/;use_ssl=true"
    args[-1] = f"{proxied};token={TOKEN}"
    trust = {ROOTS_VARIABLE: str(tls_token_front.ca)}
    report = run_kpiboard(args, **trust)
    assert_same(json.loads(ok(report, spark_connect_token)), on_duckdb)
    _unseen(report, TOKEN)
    assert tls_token_front.piped
    args[-1] = f"{proxied};token=not-the-token-4d1e"
    error = refused(run_kpiboard(args, **trust), spark_connect_token)
    assert (
        f"the Spark Connect server at {proxied};token=*** refused the token given (in the URL)"
    ) in error

    for fmt in ("table", "json"):
        listed = run_kpiboard(["vintages", str(root), "--format", fmt, "--warehouse", url])
        ok(listed, spark_connect_token)
        _unseen(listed, TOKEN)
    assert [v["id"] for v in json.loads(listed.stdout)] == [1]
    again = run_kpiboard(["ingest", str(root), "--format", "json", "--warehouse", url])
    said = json.loads(ok(again, spark_connect_token))
    assert said["warehouse"] == f"{shown} (Parquet in {root / '.kpiboard' / 'spark'})"
    _unseen(again, TOKEN)


@pytest.mark.parametrize(
    ("token", "env", "said"),
    [
        (None, None, "wants a token, and none was given"),
        ("not-the-token-4d1e", None, "refused the token given (in the URL)"),
        (None, "not-the-token-4d1e", f"refused the token given (in {TOKEN_VARIABLE})"),
    ],
    ids=["none", "wrong-in-url", "wrong-in-environment"],
)
def test_a_missing_or_wrong_token_is_said_without_showing_it(
    tmp_path: Path,
    spark_connect_token: ConnectServer,
    token: str | None,
    env: str | None,
    said: str,
) -> None:
    base = f"sc://localhost:{spark_connect_token.port}"
    url = base + (f"/;token={token}" if token else "")
    shown = base + ("/;token=***" if token else "")
    root = example(tmp_path / "p")
    done = run_kpiboard(
        ["report", str(root), "--warehouse", url], **({TOKEN_VARIABLE: env} if env else {})
    )
    error = refused(done, spark_connect_token)
    assert f"the Spark Connect server at {shown} {said}" in error
    assert f"{TOKEN_VARIABLE}=…" in error and "sc://localhost:PORT/;token=…" in error
    if token or env:
        assert "spark.connect.authenticate.token" in error
    _unseen(done, "not-the-token-4d1e", TOKEN)
    assert not (root / ".kpiboard" / "spark" / "CURRENT.json").exists()


def test_a_token_to_a_host_not_spelled_localhost_says_it_goes_over_tls(
    tmp_path: Path, spark_connect_token: ConnectServer
) -> None:
    # PySpark sends a token over TLS unless the host is `localhost`: the server (no TLS) never
    # completes the handshake, and the client would retry for minutes
    url = f"{spark_connect_token.url}/;token={TOKEN}"
    done = run_kpiboard(["ingest", str(example(tmp_path / "p")), "--warehouse", url])
    error = refused(done, spark_connect_token)
    assert (
        f"cannot reach the Spark Connect server at {spark_connect_token.url}/;token=***: port "
        f"{spark_connect_token.port} does not answer TLS, and a token (in the URL) is sent "
        "only over TLS unless the host is spelled `localhost`"
    ) in error
    assert "write its host as `localhost` (sc://localhost:PORT/;token=…)" in error
    assert "use_ssl=true" in error
    assert "Handshake failed" not in done.stderr  # gRPC's own log of each attempt, kept quiet
    _unseen(done, TOKEN)

    # and `use_ssl=true` to a server without TLS
    url = f"{spark_connect_token.url}/;use_ssl=true;token={TOKEN}"
    error = refused(run_kpiboard(["report", str(example(tmp_path / "q")), "--warehouse", url]))
    assert "does not answer TLS, and the URL asks for it (use_ssl=true)" in error
    assert TOKEN not in error


def test_a_url_pyspark_cannot_read_is_said_without_its_token(
    tmp_path: Path, spark_connect_token: ConnectServer
) -> None:
    # PySpark splits a parameter at its `=`: a token ending in `=` must be percent-encoded
    secret = "dG9rZW4tNWI4Yw=="
    url = f"sc://localhost:{spark_connect_token.port}/;token={secret}"
    done = run_kpiboard(["report", str(example(tmp_path / "p")), "--warehouse", url])
    error = refused(done)
    assert (
        f"the Spark Connect URL sc://localhost:{spark_connect_token.port}/;token=*** is not "
        "one PySpark reads: [INVALID_CONNECT_URL]"
    ) in error
    assert "percent-encoded (%3D, %3B)" in error
    _unseen(done, secret, "dG9rZW4tNWI4Yw")
