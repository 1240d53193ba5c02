"""The dashboard's errors, answered in one shape: a page that says what went wrong and what to
do, or ``{"error": {"status", "code", "message", "hint"}}`` under /api.

A :class:`~kpiboard.errors.KpiboardError` maps to its status and code through :data:`ERRORS`
(any other is a 400); a reader who must sign in is sent to the sign-in page instead.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from kpiboard.errors import KpiboardError
from kpiboard.warehouse import DataLoading, IngestRunning
from kpiboard.warehouse.connect import WarehouseLocked
from kpiboard.web.builds import TooManyBuilds
from kpiboard.web.context import context_of, viewer_of
from kpiboard.web.db import (
    MAX_COMMENTARY_CHARS,
    AlreadyPublished,
    CommentaryTooLong,
    EntryConflict,
    EntryRefused,
    LoginFailed,
    LoginThrottled,
    PermissionDenied,
)
from kpiboard.web.gate import PublishGated
from kpiboard.web.security import (
    BodyTooLarge,
    CsrfFailed,
    Forbidden,
    SignInRequired,
    UnusableText,
    Viewer,
)
from kpiboard.web.service import NotFound
from kpiboard.web.templating import render_page

log = logging.getLogger("kpiboard.web")


class CommentaryFrozen(KpiboardError):
    """Commentary for a month whose pack is published."""

    def __init__(self) -> None:
        super().__init__(
            "this month's pack is published, so its commentary is frozen",
            hint="write commentary for the next month",
        )


# Error class -> (HTTP status, code in the JSON error shape)
ERRORS: list[tuple[type[Exception], int, str]] = [
    (NotFound, 404, "not_found"),
    (SignInRequired, 401, "sign_in_required"),
    (LoginFailed, 401, "sign_in_failed"),
    (CsrfFailed, 403, "csrf_failed"),
    (Forbidden, 403, "forbidden"),
    (PermissionDenied, 403, "forbidden"),
    (AlreadyPublished, 409, "already_published"),
    (CommentaryFrozen, 409, "commentary_frozen"),
    (PublishGated, 409, "publish_gated"),
    (EntryConflict, 409, "entry_conflict"),
    (EntryRefused, 409, "entry_refused"),
    (CommentaryTooLong, 413, "too_large"),
    (BodyTooLarge, 413, "too_large"),
    (UnusableText, 422, "invalid_text"),
    (LoginThrottled, 429, "throttled"),
    (TooManyBuilds, 429, "too_many_builds"),
    (IngestRunning, 409, "ingest_running"),
    (DataLoading, 503, "data_loading"),
    (WarehouseLocked, 503, "warehouse_locked"),  # another program (a DuckDB shell) holds it
]
HTTP_MESSAGES = {
    # the framework's only 400: a body it cannot parse (our own refusals are KpiboardErrors)
    400: "the request's body could not be read: it is not valid JSON (or form data)",
    404: "there is no page at this address",
    405: "this address does not accept that method",
}
SERVER_ERROR = (
    "something went wrong on the server",
    "the error was logged; try again or tell the administrator",
)


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def error_status(exc: Exception) -> tuple[int, str]:
    for cls, status, code in ERRORS:
        if isinstance(exc, cls):
            return status, code
    return 400, "bad_request"


def error_json(
    status: int,
    code: str,
    message: str,
    hint: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": {"status": status, "code": code, "message": message, "hint": hint}},
        status_code=status,
        headers=headers,
    )


def error_page(
    request: Request,
    status: int,
    message: str,
    hint: str | None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    ctx = context_of(request)
    try:
        viewer = viewer_of(ctx, request)
    except Exception:  # noqa: BLE001 - the database itself may be what failed
        viewer = Viewer(None, None)
    response = render_page(
        ctx,
        request,
        "error.html",
        status=status,
        viewer=viewer,
        status_code=status,
        message=message,
        hint=hint,
        org=None,
        month=None,
    )
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def too_large(scope: dict[str, Any] | Any) -> Response:
    """The answer to a request body over the limit (kpiboard.web.security.Guard)."""
    message = "the request is too large"
    hint = (
        f"commentary is limited to {MAX_COMMENTARY_CHARS:,} characters; shorten it and save again"
    )
    if is_api(str(scope.get("path", ""))):
        return error_json(413, "too_large", message, hint)
    return HTMLResponse(
        f"<!doctype html><title>Too large</title><h1>413: {message}</h1><p>{hint}</p>",
        status_code=413,
    )


async def kpiboard_error(request: Request, exc: KpiboardError) -> Response:
    status, code = error_status(exc)
    headers = {}
    if isinstance(exc, LoginThrottled | TooManyBuilds | DataLoading | WarehouseLocked):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    if isinstance(exc, SignInRequired) and not is_api(request.url.path) and request.method == "GET":
        return RedirectResponse(
            f"/login?next={quote(str(request.url.path), safe='/')}", status_code=303
        )
    if is_api(request.url.path):
        return error_json(status, code, exc.message, exc.hint, headers)
    return error_page(request, status, exc.message, exc.hint, headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method the app accepts at the request's path, for a 405's ``Allow`` header. The
    router names only the first route whose path matched, and a path may have several (a
    pack is read with GET and published with POST by two routes)."""
    path = request.scope["path"]
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.methods and route.path and compile_path(route.path)[0].match(path):
            methods |= route.methods
    return sorted(methods)


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    message = HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
    hint = {404: "start from the scorecard", 400: "see /docs for the shape of each call"}.get(
        exc.status_code
    )
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        hint = f"it accepts {', '.join(allowed)}" if allowed else None
    if is_api(request.url.path):
        code = {404: "not_found", 400: "bad_request"}.get(exc.status_code, "http_error")
        return error_json(exc.status_code, code, message, hint, headers)
    return error_page(request, exc.status_code, message, hint, headers)


async def invalid(request: Request, exc: RequestValidationError) -> Response:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
    )
    if is_api(request.url.path):
        return error_json(
            422,
            "invalid_request",
            f"the request is not valid: {problems}",
            "see /docs for the shape of each call",
        )
    return error_page(request, 400, f"the form is not valid: {problems}", "go back and try again")


async def crashed(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path)
    message, hint = SERVER_ERROR
    if is_api(request.url.path):
        return error_json(500, "server_error", message, hint)
    return HTMLResponse(
        f"<!doctype html><title>Server error</title><h1>500: {message}</h1><p>{hint}</p>",
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.exception_handler(KpiboardError)(kpiboard_error)
    app.exception_handler(StarletteHTTPException)(http_error)
    app.exception_handler(RequestValidationError)(invalid)
    app.exception_handler(Exception)(crashed)
