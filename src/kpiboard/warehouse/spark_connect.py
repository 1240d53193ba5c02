"""The first words with a Spark Connect server (docs/SPARK.md, "Through a Spark Connect
server"): its client installed, its port answering as one, the URL read as PySpark reads it,
and a session opened with the token it wants; each mistake said plainly, within seconds, with
the URL shown without its secrets (kpiboard.redaction).

PySpark's rules, which these messages explain (``DefaultChannelBuilder.toChannel`` in PySpark
4.0): a token (``;token=T`` in the URL, or the variable SPARK_CONNECT_AUTHENTICATE_TOKEN) is
sent over TLS, unless the URL's host is spelled ``localhost`` and it has no ``use_ssl=true``:
then over gRPC's local credentials, which only a connection on this machine has. So a token
with ``sc://127.0.0.1:…`` makes the client try TLS, which a server without it never completes
(the client would retry for minutes); a Spark Connect 4.0 server has no TLS of its own (a proxy
in front of it has). When gRPC gives up on a port, kpiboard.warehouse.spark_tls says why, in
terms of TLS: a certificate not trusted or not the host's, TLS asked of a port without it or
not asked of a port with it, a proxy without HTTP/2 or without a server behind it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from kpiboard.errors import KpiboardError
from kpiboard.warehouse.spark_target import SparkUrl
from kpiboard.warehouse.spark_tls import ROOTS_VARIABLE, answers_tls, check_roots, tls_problem

CONNECT_HINT = "install Spark Connect's client: pip install 'kpiboard[spark]'"
#: How long a Spark Connect server has to answer as one (gRPC over HTTP/2) once its port
#: accepts a connection: a port that accepts but never answers (a master's 7077, the UI's
#: 4040, another service) would otherwise hold the client in its retries for minutes.
HANDSHAKE_SECONDS = 5.0
#: The variable PySpark reads a token from when the URL has none (and that a server reads its
#: own from).
TOKEN_VARIABLE = "SPARK_CONNECT_AUTHENTICATE_TOKEN"
PORT_HINT = (
    "check the port (a Spark Connect server listens on 15002 unless told otherwise; 7077 is a "
    "standalone master's, 4040 Spark's UI) and, for a server behind TLS, `use_ssl=true` in the "
    "URL (sc://HOST:PORT/;use_ssl=true)"
)
TOKEN_HINT = (
    f"give the server's token in kpiboard's environment, {TOKEN_VARIABLE}=… (it keeps the "
    "secret out of kpiboard.yaml and the shell's history), or in the URL: "
    "sc://localhost:PORT/;token=… for a server on this machine, "
    "sc://HOST:PORT/;use_ssl=true;token=… through TLS"
)


def check_client(target: SparkUrl) -> None:
    """KpiboardError naming the package when Spark Connect's client (grpcio & co) is missing."""
    try:
        from pyspark.sql.connect.utils import check_dependencies

        check_dependencies("kpiboard")  # an ImportError naming the package and its version
    except ImportError as exc:
        raise KpiboardError(
            f"the warehouse {target.shown} is Spark Connect, whose client is not installed: "
            f"{str(exc).strip().splitlines()[0]}",
            hint=CONNECT_HINT,
        ) from None


def _channel_builder(target: SparkUrl) -> Any:
    """PySpark's reading of the URL; KpiboardError (the URL shown without its secrets) when it
    cannot read it: PySpark's own error quotes the parameter, token and all."""
    from pyspark.errors import PySparkValueError
    from pyspark.sql.connect.client.core import DefaultChannelBuilder

    try:
        return DefaultChannelBuilder(target.text)
    except PySparkValueError as exc:
        raise KpiboardError(
            f"the Spark Connect URL {target.shown} is not one PySpark reads: "
            f"{target.scrub(str(exc).strip().splitlines()[0])}",
            hint="write it sc://HOST:PORT/;name=value;name=value, with a `=` or `;` inside a "
            "value percent-encoded (%3D, %3B): a token ending in `=` too",
        ) from None


def _tls(builder: Any) -> bool:
    """Whether PySpark talks TLS to the server (its rule, above)."""
    return bool(builder.use_ssl or (builder.secure and builder.host != "localhost"))


def _token_origin(builder: Any) -> str | None:
    """Where the token PySpark sends comes from; None when it sends none."""
    if builder.getDefault("token", None) is not None:  # the URL's own wins over the variable
        return "in the URL"
    return f"in {TOKEN_VARIABLE}" if builder.token is not None else None


def _settled(channel: Any, seconds: float) -> Any:
    """The channel's state once it is READY, or in TRANSIENT_FAILURE (every address of the host
    failed: refused, or a TLS or HTTP/2 handshake that failed); None when neither within
    ``seconds`` (a port that accepts connections and says nothing)."""
    import grpc  # type: ignore[import-untyped]

    settled: list[Any] = []
    done = threading.Event()
    ends = (grpc.ChannelConnectivity.READY, grpc.ChannelConnectivity.TRANSIENT_FAILURE)

    def watch(state: Any) -> None:
        if state in ends and not settled:
            settled.append(state)
            done.set()

    channel.subscribe(watch, try_to_connect=True)
    try:
        done.wait(seconds)
    finally:
        channel.unsubscribe(watch)
    return settled[0] if settled else None


def handshake(target: SparkUrl, seconds: float = HANDSHAKE_SECONDS) -> None:
    """KpiboardError naming the URL when its port accepts a connection but does not answer as
    a Spark Connect server within ``seconds``: a gRPC channel that is not ready. When gRPC
    gives up on it sooner, why is asked (kpiboard.warehouse.spark_tls): a certificate not
    trusted or not the host's, TLS asked of a port without it, TLS not asked of a port with
    it, a TLS proxy without HTTP/2 or without a server behind it."""
    import grpc

    builder = _channel_builder(target)
    tls = _tls(builder)
    if tls:
        check_roots(target)
    channel = builder.toChannel()
    began = time.monotonic()
    try:
        state = _settled(channel, seconds)
    finally:
        channel.close()
    if state == grpc.ChannelConnectivity.READY:
        return
    # gRPC gave up (TRANSIENT_FAILURE), or is still connecting: ask the port why
    if not tls:
        if state is not None and answers_tls(target, _left(began, seconds)):
            raise KpiboardError(
                f"cannot reach the Spark Connect server at {target.shown}: port "
                f"{target.port} answers TLS, and the URL does not ask for it",
                hint="write sc://HOST:PORT/;use_ssl=true (the TLS proxy's certificate is "
                "checked: one of a private CA is trusted with "
                f"{ROOTS_VARIABLE}=/path/to/ca.pem)",
            )
        within = f" (within {seconds:g} s)" if state is None else ""
        raise KpiboardError(
            f"cannot reach the Spark Connect server at {target.shown}: port {target.port} "
            f"accepts connections but does not answer as a Spark Connect server{within}",
            hint=PORT_HINT,
        )
    if state is None:  # still connecting: a port that says nothing, or a proxy without a server
        said = f"no TLS connection with port {target.port} within {seconds:g} s"
        within = f" (within {seconds:g} s)"
    else:
        said, within = f"port {target.port} does not answer TLS", ""
    raise tls_problem(target, _left(began, seconds), _no_tls(target, builder, said)) or (
        KpiboardError(
            f"cannot reach the Spark Connect server at {target.shown}: port {target.port} "
            f"answers TLS and HTTP/2, but no Spark Connect server answers behind it{within}",
            hint="check that the server behind the TLS proxy is running and that the proxy "
            "passes to its port (15002 unless told otherwise)",
        )
    )


def _left(began: float, seconds: float) -> float:
    """What is left of the handshake's ``seconds`` for asking why, at least a second."""
    return max(seconds - (time.monotonic() - began), 1.0)


def _no_tls(target: SparkUrl, builder: Any, said: str) -> KpiboardError:
    if builder.use_ssl:
        return KpiboardError(
            f"cannot reach the Spark Connect server at {target.shown}: {said}, and the URL "
            "asks for it (use_ssl=true)",
            hint="a Spark Connect 4.0 server has no TLS of its own: give the port of the TLS "
            "proxy in front of it, or, for a server on this machine, leave `use_ssl=true` out "
            "(sc://localhost:PORT, with a token too)",
        )
    return KpiboardError(
        f"cannot reach the Spark Connect server at {target.shown}: {said}, and a token "
        f"({_token_origin(builder)}) is sent only over TLS unless the host is spelled "
        "`localhost`",
        hint="a server on this machine without TLS: write its host as `localhost` "
        "(sc://localhost:PORT/;token=…); a server elsewhere: TLS is the server's side (a Spark "
        "Connect 4.0 server has none of its own: a TLS proxy in front of it), then "
        "sc://HOST:PORT/;use_ssl=true;token=…",
    )


def _refused(exc: BaseException) -> bool:
    """Whether the server refused the client's credentials (gRPC's UNAUTHENTICATED): PySpark
    keeps only the gRPC error's text (its status code is not kept on the exception)."""
    text = str(exc)
    return "UNAUTHENTICATED" in text or "authentication token" in text


def open_session(target: SparkUrl) -> Any:
    """A session of its own on the server ``target`` names, once it answers (:func:`handshake`);
    KpiboardError when the server wants a token and has none, or refuses the one given."""
    from pyspark.sql import SparkSession

    handshake(target)
    builder = SparkSession.builder.remote(target.text)
    try:
        # the first call that needs the token: the session's time zone is set on the server
        return builder.config("spark.sql.session.timeZone", "UTC").create()
    except Exception as exc:  # PySpark raises its own (SparkConnectGrpcException) for them all
        if not _refused(exc):
            raise
        origin = _token_origin(_channel_builder(target))
        if origin is None:
            said = "wants a token, and none was given"
            hint = TOKEN_HINT
        else:
            said = f"refused the token given ({origin})"
            hint = (
                "check it against the server's `spark.connect.authenticate.token` (or the "
                f"{TOKEN_VARIABLE} it was started with); " + TOKEN_HINT
            )
        raise KpiboardError(
            f"the Spark Connect server at {target.shown} {said}", hint=hint
        ) from None
