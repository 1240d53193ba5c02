"""The dashboard application: `create_app(project)` gives the FastAPI app `kpiboard serve` runs.

Pages are rendered on the server (Jinja2) and work without JavaScript; the vendored htmx only
makes saving commentary swap the section in place. Every page has a JSON twin under /api
(:mod:`kpiboard.web.api`). Errors are one shape: a page that says what went wrong and what to
do, or ``{"error": {"status", "code", "message", "hint"}}`` under /api.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from kpiboard import __version__
from kpiboard.catalogue.schema import Dashboard
from kpiboard.errors import Finding, KpiboardError
from kpiboard.periods import parse_month, short_month
from kpiboard.render.icons import assurance_icon, variation_icon
from kpiboard.render.viewmodel import assurance_words, status_label, variation_words
from kpiboard.web.db import (
    MAX_COMMENTARY_CHARS,
    AlreadyPublished,
    AppStore,
    CommentaryTooLong,
    LoginFailed,
    LoginThrottled,
    PermissionDenied,
    Publication,
    Revision,
    Role,
    Session,
)
from kpiboard.web.memo import SESSION_MEMORY_SECONDS, Memo
from kpiboard.web.packs import build_pack
from kpiboard.web.security import (
    SESSION_COOKIE,
    BodyTooLarge,
    CsrfFailed,
    Forbidden,
    Guard,
    SignInRequired,
    Viewer,
)
from kpiboard.web.service import NotFound, PageCache, ScorecardService

log = logging.getLogger("kpiboard.web")
STATIC = Path(__file__).parent / "static"


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
    (CommentaryTooLong, 413, "too_large"),
    (BodyTooLarge, 413, "too_large"),
    (LoginThrottled, 429, "throttled"),
]


@dataclass
class Context:
    service: ScorecardService
    store: AppStore
    settings: Dashboard
    env: Environment
    pages: PageCache = dataclasses.field(default_factory=lambda: PageCache(256))
    # what the pages read from the application database, remembered (kpiboard.web.memo)
    sessions: Memo[str, Session | None] = dataclasses.field(
        default_factory=lambda: Memo(4096, seconds=SESSION_MEMORY_SECONDS)
    )
    states: Memo[tuple[str, str], tuple[dict[str, Revision], Publication | None]] = (
        dataclasses.field(default_factory=lambda: Memo(4096))
    )
    revisions: Memo[tuple[str, str, str], list[Revision]] = dataclasses.field(
        default_factory=lambda: Memo(4096)
    )

    def month_state(self, org: str, month: str) -> tuple[dict[str, Revision], Publication | None]:
        """The month's latest commentary and its publication."""
        return self.states.get(
            (org, month),
            lambda: (self.store.latest_commentary(org, month), self.store.publication(org, month)),
        )

    def kpi_revisions(self, org: str, month: str, measure: str) -> list[Revision]:
        """Every commentary revision of one KPI for the month, newest first."""
        return self.revisions.get(
            (org, month, measure), lambda: self.store.revisions(org, measure, month)
        )

    def forget(self, org: str, month: str) -> None:
        """Commentary was saved or the month published: read its state afresh."""
        self.states.forget((org, month))
        self.revisions.forget_where(lambda key: key[:2] == (org, month))


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("kpiboard.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        variation_icon=lambda key, label=None: Markup(variation_icon(key, label)),
        assurance_icon=lambda key, label=None: Markup(assurance_icon(key, label)),
        variation_words=variation_words,
        assurance_words=assurance_words,
        status_label=status_label,
        short_month=lambda m: short_month(parse_month(m)),
        quote=lambda s: quote(str(s), safe=""),
        version=__version__,
        Role=Role,
    )
    return env


def create_app(
    service: ScorecardService, store: AppStore, settings: Dashboard | None = None
) -> FastAPI:
    """The dashboard over an open project (``service``) and application database (``store``)."""
    ctx = Context(service, store, settings or service.catalogue.project.dashboard, _environment())
    app = FastAPI(
        title=f"kpiboard — {service.title}",
        version=__version__,
        description="The scorecard, KPI pages, commentary and published packs as JSON. "
        'Errors are {"error": {status, code, message, hint}}.',
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.ctx = ctx
    app.add_middleware(Guard, on_too_large=lambda scope: _too_large(ctx, scope))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_error_handlers(app, ctx)
    from kpiboard.web.api import api_router
    from kpiboard.web.pages import add_pages

    add_pages(app, ctx)
    app.include_router(api_router(ctx))
    return app


# --- helpers ------------------------------------------------------------------------------


def viewer_of(ctx: Context, request: Request) -> Viewer:
    """Who is asking. Reading requests may use a session remembered for a few seconds;
    every state-changing request checks the application database."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return Viewer(None, None)
    if request.method in ("GET", "HEAD"):
        session = ctx.sessions.get(
            token, lambda: ctx.store.session(token), keep=lambda s: s is not None
        )
        if session is not None and session.expires_at <= ctx.store.now():
            ctx.sessions.forget(token)
            session = None
    else:
        session = ctx.store.session(token)
    return Viewer(session.user if session else None, session)


def end_session(ctx: Context, request: Request) -> None:
    """End the request's session (audited) and forget it at once."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        ctx.store.end_session(token, ip=client_ip(request))
        ctx.sessions.forget(token)


def reader_of(ctx: Context, request: Request) -> Viewer:
    """The viewer, who must be signed in unless anonymous reading is on."""
    viewer = viewer_of(ctx, request)
    if viewer.user is None and not ctx.settings.anonymous_read:
        raise SignInRequired(
            "sign in to read the dashboard", hint="anonymous reading is off for this project"
        )
    return viewer


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


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


def _page(
    ctx: Context,
    request: Request,
    template: str,
    *,
    status: int = 200,
    viewer: Viewer | None = None,
    cache_key: tuple[object, ...] | None = None,
    **values: Any,
) -> HTMLResponse:
    """Render a page. With ``cache_key`` (everything the page shows besides who is looking:
    the data version is implied, commentary and publication state must be in the key), the
    page is rendered once per role with placeholders for the viewer's name and CSRF token,
    which are filled in per request."""
    viewer = viewer if viewer is not None else viewer_of(ctx, request)
    if cache_key is None:
        return HTMLResponse(
            _render(ctx, request.url.path, template, viewer, values), status_code=status
        )
    role = viewer.user.role.value if viewer.user is not None else None
    stand_in = _stand_in(viewer)
    body = ctx.pages.get(
        (template, request.url.path, role, *cache_key),
        lambda: _render(ctx, request.url.path, template, stand_in, values),
    )
    if viewer.user is not None and viewer.session is not None:
        body = body.replace(_CSRF_MARK, escape(viewer.session.csrf_token)).replace(
            _NAME_MARK, escape(viewer.user.display_name)
        )
    return HTMLResponse(body, status_code=status)


_CSRF_MARK = "__kpiboard_csrf_placeholder__"
_NAME_MARK = "__kpiboard_name_placeholder__"


def _stand_in(viewer: Viewer) -> Viewer:
    """The viewer with placeholders where the page would show their name and CSRF token."""
    if viewer.user is None or viewer.session is None:
        return viewer
    user = dataclasses.replace(viewer.user, display_name=_NAME_MARK)
    return Viewer(user, dataclasses.replace(viewer.session, user=user, csrf_token=_CSRF_MARK))


def _render(ctx: Context, path: str, template: str, viewer: Viewer, values: dict[str, Any]) -> str:
    return ctx.env.get_template(template).render(
        request_path=path,
        viewer=viewer,
        title=ctx.service.title,
        orgs=ctx.service.organisations(),
        months=ctx.service.months(),
        **values,
    )


def _error_page(
    ctx: Context,
    request: Request,
    status: int,
    message: str,
    hint: str | None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    try:
        viewer = viewer_of(ctx, request)
    except Exception:  # noqa: BLE001 - the database itself may be what failed
        viewer = Viewer(None, None)
    response = _page(
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


def _too_large(ctx: Context, scope: dict[str, Any] | Any) -> Response:
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


def _install_error_handlers(app: FastAPI, ctx: Context) -> None:
    @app.exception_handler(KpiboardError)
    async def kpiboard_error(request: Request, exc: KpiboardError) -> Response:
        status, code = error_status(exc)
        headers = {}
        if isinstance(exc, LoginThrottled):
            headers["Retry-After"] = str(exc.retry_after_seconds)
        if (
            isinstance(exc, SignInRequired)
            and not is_api(request.url.path)
            and request.method == "GET"
        ):
            return RedirectResponse(
                f"/login?next={quote(str(request.url.path), safe='/')}", status_code=303
            )
        if is_api(request.url.path):
            return error_json(status, code, exc.message, exc.hint, headers)
        return _error_page(ctx, request, status, exc.message, exc.hint, headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = {
            404: "there is no page at this address",
            405: "this address does not accept that method",
        }.get(exc.status_code, str(exc.detail))
        hint = "start from the scorecard" if exc.status_code == 404 else None
        if is_api(request.url.path):
            return error_json(
                exc.status_code,
                "not_found" if exc.status_code == 404 else "http_error",
                message,
                hint,
            )
        return _error_page(ctx, request, exc.status_code, message, hint)

    @app.exception_handler(RequestValidationError)
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
        return _error_page(
            ctx, request, 400, f"the form is not valid: {problems}", "go back and try again"
        )

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        message, hint = (
            "something went wrong on the server",
            "the error was logged; try again or tell the administrator",
        )
        if is_api(request.url.path):
            return error_json(500, "server_error", message, hint)
        return HTMLResponse(
            f"<!doctype html><title>Server error</title><h1>500: {message}</h1><p>{hint}</p>",
            status_code=500,
        )


def _month_text(text: str) -> str:
    """A month from a URL as YYYY-MM (packs may be of months the data no longer cover)."""
    try:
        m = parse_month(text)
    except KpiboardError as exc:
        raise NotFound(
            f"{text!r} is not a month: {exc.message}", hint="months are written YYYY-MM"
        ) from None
    from kpiboard.periods import format_month

    return format_month(m)


@dataclass(frozen=True)
class Reloaded:
    """What a reload says: one sentence, and the ingest's warnings (rows read but worth a look,
    measures' ``where`` values matching no record, ...)."""

    message: str
    warnings: tuple[Finding, ...] = ()


def reload_data(ctx: Context, viewer: Viewer, ip: str | None) -> Reloaded:
    """Admins: re-read the definitions and ingest changed data files (audited)."""
    user = viewer.require(Role.ADMIN, "reload the data")
    before = ctx.service.version.hash
    summary = ctx.service.reload()
    ctx.pages.clear()
    after = ctx.service.version.hash
    warnings = tuple(summary.warnings) if summary is not None else ()
    detail: dict[str, object] = {
        "before": before,
        "after": after,
        "rows": summary.rows if summary is not None else 0,
        "warnings": len(warnings),
    }
    ctx.store.audit("data_reloaded", user.username, detail, ip)
    if before == after:
        return Reloaded(
            f"The data and definitions are unchanged (data version {after[:12]}).", warnings
        )
    return Reloaded(
        f"Reloaded: data version {before[:12]} → {after[:12]}"
        + (
            f"; {summary.rows:,} rows ingested."
            if summary is not None
            else "; definitions changed."
        ),
        warnings,
    )


def publish_pack(ctx: Context, viewer: Viewer, org: str, month: str, ip: str | None) -> Any:
    """Freeze and store the month's pack (approvers only; a month is published once)."""
    user = viewer.require(Role.APPROVER, "publish a pack")
    o, m = ctx.service.org(org), ctx.service.month(month)
    existing = ctx.store.publication(o.id, m)
    if existing is not None:
        ctx.store.audit("pack_publish_refused", user.username, {"org": o.id, "month": m}, ip)
        raise AlreadyPublished(o.id, m, existing.published_by, existing.published_at)
    card = ctx.service.scorecard(o.id, m)
    commentary = ctx.store.latest_commentary(o.id, m)
    previous = ctx.store.previous_publication(o.id, m)
    pack = build_pack(card, ctx.service.version, commentary, previous, user, datetime.now(UTC))
    try:
        return ctx.store.publish(
            o.id,
            m,
            scorecard_json=pack.scorecard_json,
            pack_html=pack.pack_html,
            data_version=ctx.service.version.hash,
            commentary=pack.commentary,
            changes=pack.changes,
            user=user,
            ip=ip,
        )
    finally:
        ctx.forget(o.id, m)
