"""Real receivers the notification tests send to, on 127.0.0.1: a tiny threaded HTTP server
answering as scripted (a status, or hanging until released), and a real SMTP server
(aiosmtpd) keeping what it is sent."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG = 0  # a scripted answer: keep the request waiting until the test ends


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next scripted status (200 once the script is used up)."""

    script: list[int]
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def answer(self) -> int:
        return self.script.pop(0) if self.script else 200


@contextmanager
def http_receiver(*script: int) -> Iterator[Receiver]:
    receiver = Receiver(list(script))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                receiver.received.append(Received(dict(self.headers.items()), body))
                status = receiver.answer()
            receiver.arrived.set()
            if status == HANG:
                receiver.release.wait()
                return
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[tuple[str, list[str], Message]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def to(self, address: str) -> list[Message]:
        return [m for _, rcpt, m in self.messages if address in rcpt]


@contextmanager
def smtp_server(login: tuple[str, str] | None = None) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 keeping every message it accepts; with
    ``login`` (username, password), only from a client that signed in with them."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    box = Mailbox("127.0.0.1", 0)

    class Keep:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.messages.append(
                (envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content))
            )
            box.arrived.set()
            return "250 OK"

    with socket.socket() as probe:  # aiosmtpd needs a port number before it listens
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and login is not None
        ok = ok and (data.login.decode(), data.password.decode()) == login
        return AuthResult(success=ok)

    options: dict[str, Any] = {}
    if login is not None:  # plain text is fine on 127.0.0.1 for the test
        options = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
    controller = Controller(Keep(), hostname="127.0.0.1", port=box.port, **options)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
