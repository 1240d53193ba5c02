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
in front of it has).
"""

from __future__ import annotations

from typing import Any

from kpiboard.errors import KpiboardError
from kpiboard.warehouse.spark_target import SparkUrl

CONNECT_HINT = "install Spark Connect's client: pip install 'kpiboard[spark]'"
#: How long a Spark Connect server has to answer as one (gRPC over HTTP/2) once its port
#: accepts a connection: a port that accepts but never answers (a master's 7077, the UI's
#: 4040, another service) would otherwise hold the client in its retries for minutes.
HANDSHAKE_SECONDS = 5.0
#: The variable PySpark reads a token from when the URL has none (and that a server reads its
#: own from).
TOKEN_VARIABLE = "SPARK_CONNECT_AUTHENTICATE_TOKEN"
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


def handshake(target: SparkUrl, seconds: float = HANDSHAKE_SECONDS) -> None:
    """KpiboardError naming the URL when its port accepts a connection but does not answer as
    a Spark Connect server (a gRPC channel that is not ready within ``seconds``), saying so
    when the client was talking TLS to it."""
    import grpc  # type: ignore[import-untyped]

    builder = _channel_builder(target)
    channel = builder.toChannel()
    try:
        grpc.channel_ready_future(channel).result(timeout=seconds)
    except grpc.FutureTimeoutError:
        if _tls(builder):
            raise _no_tls(target, builder, seconds) from None
        raise KpiboardError(
            f"cannot reach the Spark Connect server at {target.shown}: port {target.port} "
            f"accepts connections but does not answer as a Spark Connect server (within "
            f"{seconds:g} s)",
            hint="check the port (a Spark Connect server listens on 15002 unless told "
            "otherwise; 7077 is a standalone master's, 4040 Spark's UI) and, for a server "
            "behind TLS, `use_ssl=true` in the URL (sc://HOST:PORT/;use_ssl=true)",
        ) from None
    finally:
        channel.close()


def _no_tls(target: SparkUrl, builder: Any, seconds: float) -> KpiboardError:
    if builder.use_ssl:
        why = "the URL asks for TLS (use_ssl=true)"
    else:
        why = (
            f"a token ({_token_origin(builder)}) is sent only over TLS unless the host is "
            "spelled `localhost`"
        )
    return KpiboardError(
        f"cannot reach the Spark Connect server at {target.shown}: no TLS connection with "
        f"port {target.port} within {seconds:g} s; {why}, and the server does not answer TLS",
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
