"""Why a Spark Connect server's port did not answer gRPC (docs/SPARK.md, "Connecting through
TLS"), asked once gRPC's channel has failed: gRPC itself only says its last address's error
(``localhost`` is ``::1`` before ``127.0.0.1``, and a server bound to the second one gets the
first one's "connection refused" reported), so this module asks the port once more with
Python's own TLS, as gRPC would: the same roots (``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`` when set,
else the bundle grpcio ships), the host's name checked, ALPN "h2".

Each finding is a KpiboardError naming the URL (without its secrets) and saying what to do;
None when the port shows nothing wrong at this level.
"""

from __future__ import annotations

import os
import socket
import ssl
from importlib import resources
from pathlib import Path

from kpiboard.errors import KpiboardError
from kpiboard.warehouse.spark_target import SparkUrl

#: gRPC core's variable naming a bundle of root certificates (PEM) that replaces its own
ROOTS_VARIABLE = "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"
TRUST_HINT = (
    f"a certificate of a private CA: name the CA's certificate (PEM) in kpiboard's environment, "
    f"{ROOTS_VARIABLE}=/path/to/ca.pem; gRPC then trusts only the certificates in that file "
    "(add a public CA's there too when kpiboard also reaches a server that has one)"
)
#: OpenSSL's verification results (X509_V_ERR_*) for a certificate whose name is not the host's
_NAME_MISMATCH = {62, 64}  # HOSTNAME_MISMATCH, IP_ADDRESS_MISMATCH


def roots_file() -> Path | None:
    """The root certificates gRPC checks a server's certificate against: the file named by
    ``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`` when set, else the bundle grpcio ships (Mozilla's);
    None when a grpcio keeps that bundle elsewhere (then the system's roots stand in)."""
    named = os.environ.get(ROOTS_VARIABLE)
    if named:
        return Path(named)
    shipped = Path(str(resources.files("grpc") / "_cython" / "_credentials" / "roots.pem"))
    return shipped if shipped.is_file() else None


def check_roots(target: SparkUrl) -> None:
    """KpiboardError when ``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`` names a file that cannot be read
    as certificates: gRPC would then trust nothing, and say only that it cannot connect."""
    named = os.environ.get(ROOTS_VARIABLE)
    if not named:
        return
    try:
        ssl.create_default_context(cafile=named)
    except (OSError, ssl.SSLError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise KpiboardError(
            f"cannot talk TLS to the Spark Connect server at {target.shown}: {ROOTS_VARIABLE} "
            f"names {named}, which is not a file of certificates ({why})",
            hint=f"set {ROOTS_VARIABLE} to the CA's certificate (PEM), or unset it to trust "
            "the public CAs gRPC ships",
        ) from None


def _handshake(
    target: SparkUrl, context: ssl.SSLContext, seconds: float
) -> ssl.SSLSocket | BaseException:
    """A TLS connection with the port (the caller closes it), or why there is none."""
    assert target.host is not None and target.port is not None
    try:
        raw = socket.create_connection((target.host, target.port), timeout=seconds)
    except OSError as exc:
        return exc
    try:
        return context.wrap_socket(raw, server_hostname=target.host)
    except (OSError, ssl.SSLError) as exc:  # the socket is closed with it
        raw.close()
        return exc


def _client(verify: bool) -> ssl.SSLContext:
    if verify:
        roots = roots_file()
        context = ssl.create_default_context(cafile=None if roots is None else str(roots))
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    return context


def tls_problem(target: SparkUrl, seconds: float, no_tls: KpiboardError) -> KpiboardError | None:
    """Why a client talking TLS to ``target`` had no gRPC channel: its certificate is not
    trusted, is not the host's, the port does not answer TLS (``no_tls``, said by the caller),
    or it answers TLS without HTTP/2; None when the TLS connection is whole."""
    found = _handshake(target, _client(verify=True), seconds)
    if isinstance(found, ssl.SSLSocket):
        alpn = found.selected_alpn_protocol()
        found.close()
        if alpn == "h2":
            return None
        return KpiboardError(
            f"cannot reach the Spark Connect server at {target.shown}: port {target.port} "
            'answers TLS but not HTTP/2 (it chose no ALPN protocol "h2"), which gRPC needs',
            hint="have the TLS proxy in front of the server pass HTTP/2 (gRPC) through and "
            "offer ALPN h2",
        )
    if isinstance(found, ssl.SSLCertVerificationError):
        reason = found.verify_message or found.reason or "certificate verify failed"
        if found.verify_code in _NAME_MISMATCH:
            return KpiboardError(
                f"cannot reach the Spark Connect server at {target.shown}: the certificate of "
                f"port {target.port} is not for the host {target.host} ({reason})",
                hint="write the host as the certificate names it (its subject alternative "
                "names), or give the server a certificate that names this host",
            )
        return KpiboardError(
            f"cannot reach the Spark Connect server at {target.shown}: the certificate of "
            f"port {target.port} is not trusted ({reason}; checked against "
            f"{_roots_said()})",
            hint=TRUST_HINT,
        )
    return no_tls


def _roots_said() -> str:
    named = os.environ.get(ROOTS_VARIABLE)
    return f"{ROOTS_VARIABLE}={named}" if named else "the public CAs gRPC ships"


def answers_tls(target: SparkUrl, seconds: float) -> bool:
    """Whether the port completes a TLS handshake (its certificate unchecked): a client not
    talking TLS to it is then talking to a TLS proxy."""
    found = _handshake(target, _client(verify=False), seconds)
    if isinstance(found, ssl.SSLSocket):
        found.close()
        return True
    return False
