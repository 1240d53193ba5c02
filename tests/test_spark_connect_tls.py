"""A Spark Connect server behind a real TLS-terminating proxy (docs/SPARK.md, "Connecting
through TLS"): the session's server (tests/spark_connect_server.py) with a proxy of this
module's in front of it (tests/tls_proxy.py: a throw-away CA's certificate for localhost and
127.0.0.1, ALPN h2). The Met example ingested and reported with
``sc://localhost:PROXY/;use_ssl=true``, the CA trusted through GRPC_DEFAULT_SSL_ROOTS_FILE_PATH,
gives the DuckDB report; and each way TLS goes wrong is said, without a traceback, within
seconds rather than after the client's minutes of retries.

Each command runs in a process of its own, as a user runs it (tests/connect_cli.py), with the
roots variable set (or taken out) for that process alone."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from connect_cli import MONTH, duckdb_report, example, ok, refused, run_kpiboard
from same_json import assert_same
from spark_connect_server import ConnectServer
from tls_proxy import TlsProxy, make_certificates, tls_proxy

from kpiboard.warehouse.spark_tls import ROOTS_VARIABLE


@pytest.fixture(scope="module")
def tls_front(spark_connect: ConnectServer) -> Iterator[TlsProxy]:
    """A TLS proxy in front of the session's Connect server, for this module."""
    with tls_proxy(spark_connect.port) as proxy:
        yield proxy


def _trusting(proxy: TlsProxy) -> dict[str, str]:
    return {ROOTS_VARIABLE: str(proxy.ca)}


def test_an_example_through_a_tls_proxy_reports_the_same_as_duckdb(
    tmp_path: Path, spark_connect: ConnectServer, tls_front: TlsProxy
) -> None:
    on_duckdb = duckdb_report(tmp_path / "duckdb")
    root = example(tmp_path / "connect")
    url = f"sc://localhost:{tls_front.port}/;use_ssl=true"
    piped = len(tls_front.piped)
    ingest = run_kpiboard(["ingest", str(root), "--warehouse", url], **_trusting(tls_front))
    said = ok(ingest, spark_connect) + " ".join(ingest.stderr.split())
    assert f"into {url} (Parquet in {root / '.kpiboard' / 'spark'})" in said
    assert "vintage 1 made" in said
    # the certificate names 127.0.0.1 too
    url = f"sc://127.0.0.1:{tls_front.port}/;use_ssl=true"
    args = ["report", str(root), "--as-of", MONTH, "--format", "json", "--warehouse", url]
    report = run_kpiboard(args, **_trusting(tls_front))
    assert_same(json.loads(ok(report, spark_connect)), on_duckdb)
    assert len(tls_front.piped) > piped  # the connections went through the proxy's TLS


def _said(root: Path, url: str, *, unset: tuple[str, ...] = (), **env: str) -> str:
    """The error of `kpiboard report` with ``url``, once it failed as a user's mistake does."""
    return refused(run_kpiboard(["report", str(root), "--warehouse", url], unset, **env))


def test_a_certificate_not_trusted_says_how_to_trust_a_private_ca(
    tmp_path: Path, tls_front: TlsProxy
) -> None:
    root = example(tmp_path / "p")
    url = f"sc://localhost:{tls_front.port}/;use_ssl=true"
    # no roots of one's own: gRPC's public CAs, which do not know the proxy's
    said = _said(root, url, unset=(ROOTS_VARIABLE,))
    assert (
        f"cannot reach the Spark Connect server at {url}: the certificate of port "
        f"{tls_front.port} is not trusted ("
    ) in said
    assert "checked against the public CAs gRPC ships)" in said
    assert f"{ROOTS_VARIABLE}=/path/to/ca.pem" in said
    # roots of one's own, another CA's
    (tmp_path / "other").mkdir()
    other, _, _ = make_certificates(tmp_path / "other")
    said = _said(root, url, **{ROOTS_VARIABLE: str(other)})
    assert "is not trusted (unable to get local issuer certificate; checked against " in said
    assert f"{ROOTS_VARIABLE}={other})" in said
    # a roots file that holds no certificate
    (tmp_path / "not.pem").write_text("not a certificate\n")
    said = _said(root, url, **{ROOTS_VARIABLE: str(tmp_path / "not.pem")})
    assert (
        f"cannot talk TLS to the Spark Connect server at {url}: {ROOTS_VARIABLE} names "
        f"{tmp_path / 'not.pem'}, which is not a file of certificates ("
    ) in said
    assert not (root / ".kpiboard" / "spark" / "CURRENT.json").exists()


def test_a_certificate_for_another_host_is_said(tmp_path: Path, tls_front: TlsProxy) -> None:
    if tls_front.unnamed is None:
        pytest.skip("127.0.0.2 cannot be bound here (a loopback of 127.0.0.1 alone)")
    url = f"sc://{tls_front.unnamed}:{tls_front.port}/;use_ssl=true"
    said = _said(example(tmp_path / "p"), url, **_trusting(tls_front))
    assert (
        f"cannot reach the Spark Connect server at {url}: the certificate of port "
        f"{tls_front.port} is not for the host 127.0.0.2 (IP address mismatch"
    ) in said
    assert "write the host as the certificate names it" in said


def test_tls_to_the_plain_port_and_plain_to_the_tls_port_are_said(
    tmp_path: Path, spark_connect: ConnectServer, tls_front: TlsProxy
) -> None:
    root = example(tmp_path / "p")
    url = f"sc://localhost:{spark_connect.port}/;use_ssl=true"
    said = _said(root, url, **_trusting(tls_front))
    assert (
        f"cannot reach the Spark Connect server at {url}: port {spark_connect.port} does not "
        "answer TLS, and the URL asks for it (use_ssl=true)"
    ) in said
    assert "give the port of the TLS proxy in front of it" in said

    url = f"sc://localhost:{tls_front.port}"
    said = _said(root, url, **_trusting(tls_front))
    assert (
        f"cannot reach the Spark Connect server at {url}: port {tls_front.port} answers TLS, "
        "and the URL does not ask for it"
    ) in said
    assert "write sc://HOST:PORT/;use_ssl=true" in said


def _closed_port() -> int:
    """A port nothing listens on (for a proxy whose server is not running)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_proxy_without_http2_or_without_a_server_behind_it_is_said(
    tmp_path: Path, spark_connect: ConnectServer
) -> None:
    root = example(tmp_path / "p")
    with tls_proxy(spark_connect.port, h2=False) as proxy:
        url = f"sc://localhost:{proxy.port}/;use_ssl=true"
        said = _said(root, url, **_trusting(proxy))
    assert (
        f"cannot reach the Spark Connect server at {url}: port {proxy.port} answers TLS but "
        'not HTTP/2 (it chose no ALPN protocol "h2"), which gRPC needs'
    ) in said
    with tls_proxy(_closed_port()) as proxy:
        url = f"sc://localhost:{proxy.port}/;use_ssl=true"
        said = _said(root, url, **_trusting(proxy))
    assert (
        f"cannot reach the Spark Connect server at {url}: port {proxy.port} answers TLS and "
        "HTTP/2, but no Spark Connect server answers behind it"
    ) in said
    assert "check that the server behind the TLS proxy is running" in said
