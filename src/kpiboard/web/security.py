"""Who is asking, and may they: session cookies, CSRF tokens, roles, request limits, headers.

- The session cookie carries a random token; the application database keeps only its hash
  (kpiboard.web.db). The cookie is HttpOnly, SameSite=Lax, Path=/, and Secure when the page
  was served over HTTPS.
- Every state-changing request carries a CSRF token: the session's own token in a hidden
  form field (or the ``X-CSRF-Token`` header for the JSON API). The sign-in form, before any
  session exists, uses a double-submit token: a random cookie that the form must repeat.
- Roles are ordered viewer < editor < approver < admin; a page says which it needs.
- Request bodies over :data:`MAX_BODY_BYTES` are refused before they are read.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from kpiboard.errors import KpiboardError
from kpiboard.web.db import MAX_COMMENTARY_CHARS, Role, Session, User

SESSION_COOKIE = "kpiboard_session"
LOGIN_CSRF_COOKIE = "kpiboard_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# A commentary of the maximum length in 4-byte characters, form-encoded, fits comfortably.
MAX_BODY_BYTES = 16 * MAX_COMMENTARY_CHARS

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class SignInRequired(KpiboardError):
    """The page needs an account (anonymous reading is off, or the action writes)."""


class CsrfFailed(KpiboardError):
    """A form or API call without the right CSRF token."""


class Forbidden(KpiboardError):
    """Signed in, but the role does not allow this."""


class BodyTooLarge(KpiboardError):
    """A request body over the limit."""


class UnusableText(KpiboardError):
    """A text field with a NUL byte or a lone surrogate: it cannot be stored as sent."""


def check_text(field: str, value: str) -> str:
    """``value`` if it can be stored as sent; :class:`UnusableText` naming ``field`` if it
    holds a NUL byte (PostgreSQL refuses them, and they hide text from readers) or a lone
    surrogate (JSON's ``"\\ud800"``, which has no UTF-8 spelling).

    >>> check_text("text", "Rising é")
    'Rising é'
    >>> try:
    ...     check_text("text", "a\\x00b")
    ... except UnusableText as exc:
    ...     print(exc.message)
    the text contains a NUL byte (character 2)
    """
    if "\x00" in value:
        raise UnusableText(
            f"the {field} contains a NUL byte (character {value.index(chr(0)) + 1})",
            hint="remove it (it often comes from pasting out of another program) and send again",
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UnusableText(
            f"the {field} contains a lone surrogate (character {exc.start + 1}), "
            "half of a character that cannot be stored",
            hint="send the whole character (a surrogate pair in JSON, or UTF-8)",
        ) from None
    return value


@dataclass(frozen=True)
class Viewer:
    """The person behind a request: a signed-in user with a session, or anonymous."""

    user: User | None
    session: Session | None

    @property
    def csrf(self) -> str:
        return self.session.csrf_token if self.session is not None else ""

    def can(self, role: Role) -> bool:
        return self.user is not None and self.user.active and self.user.role.at_least(role)

    def require(self, role: Role, doing: str) -> User:
        if self.user is None:
            raise SignInRequired(
                f"sign in to {doing}", hint="use the Sign in link at the top of the page"
            )
        if not self.can(role):
            raise Forbidden(
                f"{doing} needs the {role.value} role; {self.user.username} is a {self.user.role.value}",
                hint="ask an administrator for the role (kpiboard users set-role)",
            )
        return self.user


def check_csrf(viewer: Viewer, submitted: str | None) -> None:
    """The session's CSRF token must come back with every state-changing request."""
    if viewer.session is None:
        raise SignInRequired("your session has ended; sign in again", hint="nothing was saved")
    if not submitted or not _same(submitted, viewer.session.csrf_token):
        raise CsrfFailed(
            "the form's security token is missing or wrong, so nothing was saved",
            hint="reload the page and try again",
        )


def _same(submitted: str, token: str) -> bool:
    """Constant-time comparison that also takes text compare_digest refuses (non-ASCII)."""
    return hmac.compare_digest(submitted.encode("utf-8", "replace"), token.encode("utf-8"))


def check_login_csrf(request: Request, submitted: str | None) -> None:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not submitted or not cookie or not _same(submitted, cookie):
        raise CsrfFailed(
            "the sign-in form's security token is missing or wrong",
            hint="reload the sign-in page and try again (cookies must be allowed)",
        )


def login_csrf(request: Request) -> str:
    """The double-submit token for the sign-in form: the cookie's, or a new one."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)


def set_cookie(
    response: Response,
    request: Request,
    name: str,
    value: str,
    max_age: int | None,
    *,
    https: bool = False,
) -> None:
    """A cookie for this site only, out of scripts' reach; Secure when the request came over
    HTTPS or the project says it is served over HTTPS (a TLS proxy may forward plain HTTP)."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=https or request.url.scheme == "https",
    )


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (no //host, no scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    # The dashboard uses no device or browser feature, so none may be asked for (nor by
    # anything injected into a page).
    "permissions-policy": ", ".join(
        f"{feature}=()"
        for feature in (
            "accelerometer",
            "autoplay",
            "bluetooth",
            "camera",
            "display-capture",
            "encrypted-media",
            "fullscreen",
            "geolocation",
            "gyroscope",
            "hid",
            "identity-credentials-get",
            "magnetometer",
            "microphone",
            "midi",
            "payment",
            "picture-in-picture",
            "publickey-credentials-create",
            "publickey-credentials-get",
            "screen-wake-lock",
            "serial",
            "sync-xhr",
            "usb",
            "web-share",
            "xr-spatial-tracking",
        )
    ),
}
# Sent only when the project says it is served over HTTPS (`dashboard: https: true`): a
# browser then refuses plain HTTP to the host for a year, which would lock out a dashboard
# actually served over HTTP. No includeSubDomains: the dashboard does not speak for its
# organisation's other hosts.
HSTS = ("strict-transport-security", "max-age=31536000")


class Guard:
    """ASGI middleware: refuses oversized bodies (413) and adds the security headers to every
    response that does not set its own (and :data:`HSTS` when ``hsts``)."""

    def __init__(
        self, app: ASGIApp, on_too_large: Callable[[Scope], Response], *, hsts: bool = False
    ) -> None:
        self.app = app
        self.on_too_large = on_too_large
        self.headers = {**SECURITY_HEADERS, **dict([HSTS] if hsts else [])}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > MAX_BODY_BYTES:
            await self.on_too_large(scope)(scope, receive, send)
            return
        exchange = _Exchange(receive, send, self.headers)
        with contextlib.suppress(_Overflow):
            await self.app(scope, exchange.receive, exchange.send)
        # The app may have caught the overflow (FastAPI answers a body it cannot read with a
        # 400): its answer was held back, and the body is refused as a sized one would be.
        if exchange.overflowed and not exchange.started:
            exchange.overflowed = False
            await self.on_too_large(scope)(scope, receive, exchange.send)


def _declared_length(scope: Scope) -> int:
    """The request's Content-Length, 0 when it has none (or not a number)."""
    length = dict(scope.get("headers") or []).get(b"content-length")
    return int(length) if length is not None and length.isdigit() else 0


def with_security_headers(
    headers: list[tuple[bytes, bytes]], security: dict[str, str] | None = None
) -> list[tuple[bytes, bytes]]:
    """The response's headers plus every security header (``security``, by default
    :data:`SECURITY_HEADERS`) it does not set itself."""
    present = {k.lower() for k, _ in headers}
    return headers + [
        (key.encode(), value.encode())
        for key, value in (SECURITY_HEADERS if security is None else security).items()
        if key.encode() not in present
    ]


class _Exchange:
    """One request's receive and send, watched: the body counted as it arrives (a body over
    the limit without a Content-Length raises _Overflow, and the app's answer to it is held
    back), the security headers added to the response, and whether the response has started."""

    def __init__(self, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        self._receive = receive
        self._send = send
        self.headers = headers
        self.received = 0
        self.overflowed = False
        self.started = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > MAX_BODY_BYTES:
                self.overflowed = True
                raise _Overflow
        return message

    async def send(self, message: Message) -> None:
        if self.overflowed:
            return
        if message["type"] == "http.response.start":
            self.started = True
            message["headers"] = with_security_headers(
                list(message.get("headers") or []), self.headers
            )
        await self._send(message)


class _Overflow(Exception):
    pass
