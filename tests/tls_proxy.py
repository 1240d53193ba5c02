"""A real TLS-terminating proxy for the tests (docs/SPARK.md, "Connecting through TLS"), as a
deployment puts in front of a Spark Connect server, which has no TLS of its own: it accepts TLS
on 127.0.0.1 with a certificate made when it starts (a throw-away CA's, for DNS:localhost and
IP:127.0.0.1), negotiates ALPN "h2" (gRPC will not talk without it) and pipes the bytes to the
server's plain port. A transport proxy only: the server checks tokens.

It runs an asyncio loop in a thread of the test process; :func:`tls_proxy` starts it and stops
it. It listens on 127.0.0.2 too (same port), an address its certificate does not name. The CA's certificate is written to a PEM file the client is told to trust through gRPC's
``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import secrets
import shutil
import ssl
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: gRPC core reads a bundle of root certificates of one's own from this variable
ROOTS_VARIABLE = "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"


@dataclass(frozen=True)
class TlsProxy:
    port: int
    #: the throw-away CA's certificate (PEM): what a client must trust
    ca: Path
    #: the port it pipes to
    upstream: int
    #: another address it listens on (same port), one its certificate does not name; None
    #: where 127.0.0.2 cannot be bound
    unnamed: str | None
    #: connections it piped to the upstream port (one item each)
    piped: list[int]


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate it signs for DNS:localhost and IP:127.0.0.1
    (and nothing else), written to ``folder``: (the CA's certificate, the server's
    certificate, the server's key), PEM."""
    now = datetime.datetime.now(datetime.UTC)
    valid = {"not_valid_before": now - datetime.timedelta(hours=1)}
    valid["not_valid_after"] = now + datetime.timedelta(days=2)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"kpiboard tests' throw-away CA {secrets.token_hex(4)}")  # each its own
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid["not_valid_before"])
        .not_valid_after(valid["not_valid_after"])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid["not_valid_before"])
        .not_valid_after(valid["not_valid_after"])
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths = folder / "ca.pem", folder / "server.pem", folder / "server-key.pem"
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(server.public_bytes(pem))
    paths[2].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@contextlib.contextmanager
def tls_proxy(upstream: int, *, h2: bool = True) -> Iterator[TlsProxy]:
    """A TLS proxy on 127.0.0.1 (a free port) in front of ``upstream``'s plain port on
    127.0.0.1, for as long as the context lasts; ``h2=False``: one that offers no ALPN
    protocol, as a proxy set up for HTTP/1 only."""
    folder = Path(tempfile.mkdtemp(prefix="kpiboard-tls-"))
    ca, cert, key = make_certificates(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    if h2:
        context.set_alpn_protocols(["h2"])

    piped: list[int] = []
    listening: dict[str, int] = {}

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", upstream)
        except OSError:
            client_w.transport.abort()  # as a proxy without its server: the connection drops
            return
        piped.append(upstream)
        await asyncio.gather(_pipe(client_r, server_w), _pipe(server_r, client_w))

    async def serve(ready: threading.Event, stop: asyncio.Event) -> None:
        def listen(host: str, port: int) -> Any:
            return asyncio.start_server(
                handle, host, port, ssl=context, ssl_handshake_timeout=5, ssl_shutdown_timeout=1
            )

        servers = [await listen("127.0.0.1", 0)]
        listening["port"] = int(servers[0].sockets[0].getsockname()[1])
        try:
            servers.append(await listen("127.0.0.2", listening["port"]))
            listening["127.0.0.2"] = 1
        except OSError:  # not Linux, whose loopback is the whole of 127/8
            pass
        ready.set()
        await stop.wait()
        for server in servers:
            server.close()
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()
    thread = threading.Thread(
        target=loop.run_until_complete, args=(serve(ready, stop),), name="tls-proxy"
    )
    thread.start()
    try:
        if not ready.wait(timeout=30):
            raise RuntimeError("the TLS proxy did not start")
        unnamed = "127.0.0.2" if "127.0.0.2" in listening else None
        yield TlsProxy(listening["port"], ca, upstream, unnamed, piped)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        loop.close()
        shutil.rmtree(folder, ignore_errors=True)
