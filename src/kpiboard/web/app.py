"""The dashboard application: `create_app(project)` gives the FastAPI app `kpiboard serve` runs.

Pages are rendered on the server (Jinja2) and work without JavaScript; the vendored htmx only
makes saving commentary swap the section in place. Every page has a JSON twin under /api
(:mod:`kpiboard.web.api`). Errors are one shape: a page that says what went wrong and what to
do, or ``{"error": {"status", "code", "message", "hint"}}`` under /api.
"""

from __future__ import annotations

import logging
import dataclasses
import threading
from dataclasses import dataclass
from html import escape
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from kpiboard import __version__
from kpiboard.catalogue.schema import Dashboard
from kpiboard.errors import KpiboardError
from kpiboard.periods import parse_month, short_month
from kpiboard.render._view import anchor_for, change_text, ranks_inline, spc_line, status_label
from kpiboard.render.charts import charts_for
from kpiboard.render.commentary import commentary_html
from kpiboard.render.html import PAGE_SWATCHES, STATUS_SWATCHES
from kpiboard.render.icons import assurance_icon, variation_icon
from kpiboard.render.league import funnel_label, funnel_svg, league_label, league_svg
from kpiboard.render._view import assurance_words, variation_words
from kpiboard.scorecard import Row, Scorecard
from kpiboard.web import views
from kpiboard.web.db import (
    AlreadyPublished,
    AppStore,
    CommentaryTooLong,
    LoginFailed,
    LoginThrottled,
    PermissionDenied,
    Publication,
    Revision,
    Role,
)
from kpiboard.web.packs import build_pack
from kpiboard.web.security import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    BodyTooLarge,
    CsrfFailed,
    Forbidden,
    Guard,
    SignInRequired,
    Viewer,
    check_csrf,
    check_login_csrf,
    login_csrf,
    safe_next,
    set_cookie,
)
from kpiboard.web.service import NotFound, PageCache, ScorecardService

log = logging.getLogger("kpiboard.web")
STATIC = Path(__file__).parent / "static"

class CommentaryFrozen(KpiboardError):
    """Commentary for a month whose pack is published."""

    def __init__(self) -> None:
        super().__init__("this month's pack is published, so its commentary is frozen",
                         hint="write commentary for the next month")


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
    _states: dict[tuple[str, str], tuple[dict[str, Revision], Publication | None]] = dataclasses.field(
        default_factory=dict)
    _states_lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def month_state(self, org: str, month: str) -> tuple[dict[str, Revision], Publication | None]:
        """The month's latest commentary and its publication. Remembered between requests:
        only this process writes them (commentary saves and publications go through the
        dashboard, which calls :meth:`forget`); revisions and packs never change once written."""
        with self._states_lock:
            hit = self._states.get((org, month))
        if hit is not None:
            return hit
        state = (self.store.latest_commentary(org, month), self.store.publication(org, month))
        with self._states_lock:
            if len(self._states) > 4096:
                self._states.clear()
            self._states[(org, month)] = state
        return state

    def forget(self, org: str, month: str) -> None:
        with self._states_lock:
            self._states.pop((org, month), None)


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("kpiboard.web", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
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


def create_app(service: ScorecardService, store: AppStore, settings: Dashboard | None = None) -> FastAPI:
    """The dashboard over an open project (``service``) and application database (``store``)."""
    ctx = Context(service, store, settings or service.catalogue.project.dashboard, _environment())
    app = FastAPI(title=f"kpiboard — {service.title}", version=__version__,
                  description="The scorecard, KPI pages, commentary and published packs as JSON. "
                              "Errors are {\"error\": {status, code, message, hint}}.",
                  docs_url="/docs", redoc_url=None, openapi_url="/openapi.json")
    app.state.ctx = ctx
    app.add_middleware(Guard, on_too_large=lambda scope: _too_large(ctx, scope))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_error_handlers(app, ctx)
    _pages(app, ctx)
    from kpiboard.web.api import api_router

    app.include_router(api_router(ctx))
    return app


# --- helpers ------------------------------------------------------------------------------


def viewer_of(ctx: Context, request: Request) -> Viewer:
    token = request.cookies.get(SESSION_COOKIE)
    session = ctx.store.session(token) if token else None
    return Viewer(session.user if session else None, session)


def reader_of(ctx: Context, request: Request) -> Viewer:
    """The viewer, who must be signed in unless anonymous reading is on."""
    viewer = viewer_of(ctx, request)
    if viewer.user is None and not ctx.settings.anonymous_read:
        raise SignInRequired("sign in to read the dashboard", hint="anonymous reading is off for this project")
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


def error_json(status: int, code: str, message: str, hint: str | None = None,
               headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "code": code, "message": message, "hint": hint}},
                        status_code=status, headers=headers)


def _page(ctx: Context, request: Request, template: str, *, status: int = 200,
          viewer: Viewer | None = None, cache_key: tuple[object, ...] | None = None, **values: Any) -> HTMLResponse:
    """Render a page. With ``cache_key`` (everything the page shows besides who is looking:
    the data version is implied, commentary and publication state must be in the key), the
    page is rendered once per role with placeholders for the viewer's name and CSRF token,
    which are filled in per request."""
    viewer = viewer if viewer is not None else viewer_of(ctx, request)
    if cache_key is None:
        return HTMLResponse(_render(ctx, request.url.path, template, viewer, values), status_code=status)
    role = viewer.user.role.value if viewer.user is not None else None
    stand_in = _stand_in(viewer)
    body = ctx.pages.get((template, request.url.path, role, *cache_key),
                         lambda: _render(ctx, request.url.path, template, stand_in, values))
    if viewer.user is not None and viewer.session is not None:
        body = (body.replace(_CSRF_MARK, escape(viewer.session.csrf_token))
                .replace(_NAME_MARK, escape(viewer.user.display_name)))
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
        request_path=path, viewer=viewer, title=ctx.service.title,
        orgs=ctx.service.organisations(), months=ctx.service.months(), **values)


def _error_page(ctx: Context, request: Request, status: int, message: str, hint: str | None,
                headers: dict[str, str] | None = None) -> HTMLResponse:
    try:
        viewer = viewer_of(ctx, request)
    except Exception:  # the database itself may be what failed
        viewer = Viewer(None, None)
    response = _page(ctx, request, "error.html", status=status, viewer=viewer, status_code=status,
                     message=message, hint=hint, org=None, month=None)
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def _too_large(ctx: Context, scope: dict[str, Any] | Any) -> Response:
    message = "the request is too large"
    hint = f"commentary is limited to {ctx_limit():,} characters; shorten it and save again"
    if is_api(str(scope.get("path", ""))):
        return error_json(413, "too_large", message, hint)
    return HTMLResponse(f"<!doctype html><title>Too large</title><h1>413: {message}</h1><p>{hint}</p>",
                        status_code=413)


def ctx_limit() -> int:
    from kpiboard.web.db import MAX_COMMENTARY_CHARS

    return MAX_COMMENTARY_CHARS


def _install_error_handlers(app: FastAPI, ctx: Context) -> None:
    @app.exception_handler(KpiboardError)
    async def kpiboard_error(request: Request, exc: KpiboardError) -> Response:
        status, code = error_status(exc)
        headers = {}
        if isinstance(exc, LoginThrottled):
            headers["Retry-After"] = str(exc.retry_after_seconds)
        if isinstance(exc, SignInRequired) and not is_api(request.url.path) and request.method == "GET":
            return RedirectResponse(f"/login?next={quote(str(request.url.path), safe='/')}", status_code=303)
        if is_api(request.url.path):
            return error_json(status, code, exc.message, exc.hint, headers)
        return _error_page(ctx, request, status, exc.message, exc.hint, headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = {404: "there is no page at this address", 405: "this address does not accept that method"}.get(
            exc.status_code, str(exc.detail))
        hint = "start from the scorecard" if exc.status_code == 404 else None
        if is_api(request.url.path):
            return error_json(exc.status_code, "not_found" if exc.status_code == 404 else "http_error",
                              message, hint)
        return _error_page(ctx, request, exc.status_code, message, hint)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        if is_api(request.url.path):
            return error_json(422, "invalid_request", f"the request is not valid: {problems}",
                              "see /docs for the shape of each call")
        return _error_page(ctx, request, 400, f"the form is not valid: {problems}", "go back and try again")

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        message, hint = "something went wrong on the server", "the error was logged; try again or tell the administrator"
        if is_api(request.url.path):
            return error_json(500, "server_error", message, hint)
        return HTMLResponse(f"<!doctype html><title>Server error</title><h1>500: {message}</h1><p>{hint}</p>",
                            status_code=500)


# --- what the pages show -------------------------------------------------------------------


def kpi_path(org: str, month: str, measure: str) -> str:
    return f"/scorecard/{quote(org, safe='')}/{month}/kpi/{quote(measure, safe='')}"


def scorecard_view(ctx: Context, card: Scorecard, org: str, month: str) -> dict[str, Any]:
    """The scorecard page's values (cached per data version, except commentary state)."""

    def build() -> dict[str, Any]:
        sections = views.page_sections(card)
        extras = {
            line.row.measure: {
                "spark": Markup(views.sparkline(line.row)),
                "change": change_text(line.row),
                "ranks": ranks_inline(line.row),
                "spc": spc_line(line.row.spc),
                "flag": views.commentary_flag(line.row),
                "href": kpi_path(org, month, line.row.measure),
            }
            for section in sections for line in section.lines
        }
        return {"sections": sections, "extras": extras}

    return ctx.service.cached(("scorecard-view", org, month), build)


def kpi_view(ctx: Context, card: Scorecard, row: Row, org: str, month: str) -> dict[str, Any]:
    def build() -> dict[str, Any]:
        charts = [(c.kind, Markup(c.svg), c.caption) for c in charts_for(row)]
        league = ctx.service.league(org, month, row.measure)
        league_charts = []
        if league is not None:
            league_charts.append((Markup(league_svg(league)), league_label(league)))
            if league.funnel is not None:
                league_charts.append((Markup(funnel_svg(league, league.funnel)), funnel_label(league, league.funnel)))
        measure = ctx.service.catalogue.measures.get(row.measure)
        definition = views.definition(measure, ctx.service.sources(row.measure, org)) if measure else []
        line = next((ln for s in views.page_sections(card) for ln in s.lines if ln.row.measure == row.measure), None)
        return {"charts": charts, "league": league, "league_charts": league_charts, "definition": definition,
                "line": line, "flag": views.commentary_flag(row), "change": change_text(row),
                "spc": spc_line(row.spc), "anchor": anchor_for(row.id)}

    return ctx.service.cached(("kpi-view", org, month, row.measure), build)


def _pages(app: FastAPI, ctx: Context) -> None:
    service, store = ctx.service, ctx.store

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        reader_of(ctx, request)
        return RedirectResponse(f"/scorecard/{quote(service.home, safe='')}/{service.latest_month}", status_code=303)

    @app.get("/scorecard", include_in_schema=False)
    def pick(request: Request, org: str | None = None, month: str | None = None, view: str = "scorecard") -> Response:
        """The pickers' form: redirect to the permalink of the chosen view."""
        reader_of(ctx, request)
        o = service.org(org).id if org else service.home
        m = service.month(month) if month else service.latest_month
        base = "summary" if view == "summary" else "scorecard"
        return RedirectResponse(f"/{base}/{quote(o, safe='')}/{m}", status_code=303)

    @app.get("/scorecard/{org}/{month}", response_class=HTMLResponse, include_in_schema=False)
    def scorecard_page(request: Request, org: str, month: str) -> Response:
        viewer = reader_of(ctx, request)
        o, m = service.org(org), service.month(month)
        card = service.scorecard(o.id, m)
        page = scorecard_view(ctx, card, o.id, m)
        commentary, publication = ctx.month_state(o.id, m)
        return _page(ctx, request, "scorecard.html", viewer=viewer, card=card, org=o, month=m,
                     commentary=commentary, publication=publication, **page,
                     cache_key=_state(commentary, publication))

    @app.get("/summary/{org}/{month}", response_class=HTMLResponse, include_in_schema=False)
    def summary_page(request: Request, org: str, month: str) -> Response:
        viewer = reader_of(ctx, request)
        o, m = service.org(org), service.month(month)
        card = service.scorecard(o.id, m)
        summary = service.cached(("summary", o.id, m), lambda: views.summary(card))
        commentary, publication = ctx.month_state(o.id, m)
        return _page(ctx, request, "summary.html", viewer=viewer, card=card, org=o, month=m, summary=summary,
                     commentary=commentary, publication=publication, kpi_path=kpi_path,
                     cache_key=_state(commentary, publication))

    @app.get("/scorecard/{org}/{month}/kpi/{measure}", response_class=HTMLResponse, include_in_schema=False)
    def kpi_page(request: Request, org: str, month: str, measure: str) -> Response:
        viewer = reader_of(ctx, request)
        return _kpi(request, viewer, org, month, measure)

    def _kpi(request: Request, viewer: Viewer, org: str, month: str, measure: str, *, status: int = 200,
             draft: str | None = None, problem: str | None = None) -> HTMLResponse:
        o, m = service.org(org), service.month(month)
        card = service.scorecard(o.id, m)
        row = service.row(card, measure)
        revisions = store.revisions(o.id, measure, m)
        publication = store.publication(o.id, m)
        plain = draft is None and problem is None  # the page as anyone opening it sees it: cacheable
        rendered = [(r, Markup(commentary_html(r.text))) for r in revisions]
        return _page(ctx, request, "kpi.html", status=status, viewer=viewer, card=card, org=o, month=m, row=row,
                     revisions=rendered, draft=draft if draft is not None else (revisions[0].text if revisions else ""),
                     problem=problem, publication=publication, max_chars=ctx_limit(),
                     cache_key=(tuple(r.id for r in revisions), publication.id if publication else None) if plain else None,
                     **kpi_view(ctx, card, row, o.id, m))

    @app.post("/scorecard/{org}/{month}/kpi/{measure}/commentary", include_in_schema=False)
    def save_commentary(request: Request, org: str, month: str, measure: str,
                        text: Annotated[str, Form(max_length=10 * 1024 * 1024)] = "",
                        csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
        viewer = viewer_of(ctx, request)
        check_csrf(viewer, csrf_token)
        user = viewer.require(Role.EDITOR, "write commentary")
        o, m = service.org(org), service.month(month)
        service.row(service.scorecard(o.id, m), measure)
        if store.publication(o.id, m) is not None:
            return _kpi(request, viewer, o.id, m, measure, status=409, draft=text,
                        problem="this month's pack is published, so its commentary is frozen")
        try:
            store.save_commentary(o.id, measure, m, text, user, ip=client_ip(request))
            ctx.forget(o.id, m)
        except CommentaryTooLong as exc:
            return _kpi(request, viewer, o.id, m, measure, status=413, draft=text[: ctx_limit() + 1000],
                        problem=f"{exc.message} ({exc.hint})" if exc.hint else exc.message)
        return RedirectResponse(kpi_path(o.id, m, measure) + "#commentary", status_code=303)

    @app.get("/packs", response_class=HTMLResponse, include_in_schema=False)
    def packs_page(request: Request) -> Response:
        viewer = reader_of(ctx, request)
        return _page(ctx, request, "packs.html", viewer=viewer, packs=store.publications(), org=None, month=None)

    @app.get("/packs/{org}/{month}", response_class=HTMLResponse, include_in_schema=False)
    def pack_page(request: Request, org: str, month: str) -> Response:
        viewer = reader_of(ctx, request)
        o = service.org(org)
        pub = store.publication(o.id, _month_text(month))
        if pub is None:
            raise NotFound(f"no published pack for {o.name} in {month}", hint="see the list of published packs")
        rendered = {m: Markup(commentary_html(r.text)) for m, r in pub.commentary.items()}
        return _page(ctx, request, "pack.html", viewer=viewer, pack=pub, org=o, month=pub.month,
                     rendered=rendered, current=service.version.hash)

    @app.get("/packs/{org}/{month}/pack.html", include_in_schema=False)
    def pack_file(request: Request, org: str, month: str) -> Response:
        reader_of(ctx, request)
        o = service.org(org)
        pub = store.publication(o.id, _month_text(month))
        if pub is None:
            raise NotFound(f"no published pack for {o.name} in {month}", hint="see the list of published packs")
        # Served byte for byte as frozen; it may only style itself (no scripts, no fetches).
        return Response(pub.pack_html.encode("utf-8"), media_type="text/html; charset=utf-8", headers={
            "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                       "frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
            "x-kpiboard-content-hash": pub.content_hash,
        })

    @app.post("/packs/{org}/{month}", include_in_schema=False)
    def publish(request: Request, org: str, month: str,
                csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
        viewer = viewer_of(ctx, request)
        check_csrf(viewer, csrf_token)
        publish_pack(ctx, viewer, org, month, client_ip(request))
        o = service.org(org)
        return RedirectResponse(f"/packs/{quote(o.id, safe='')}/{service.month(month)}", status_code=303)

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, next: str = "/") -> Response:
        token = login_csrf(request)
        response = _page(ctx, request, "login.html", login_token=token, next=safe_next(next), problem=None,
                         username="", org=None, month=None)
        set_cookie(response, request, LOGIN_CSRF_COOKIE, token, max_age=3600)
        return response

    @app.post("/login", include_in_schema=False)
    def login(request: Request, username: Annotated[str, Form(max_length=200)] = "",
              password: Annotated[str, Form(max_length=1000)] = "",
              csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
              next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
        check_login_csrf(request, csrf_token)
        token = login_csrf(request)
        try:
            user = store.authenticate(username, password, client_ip(request))
        except (LoginFailed, LoginThrottled) as exc:
            status, _ = error_status(exc)
            response = _page(ctx, request, "login.html", status=status, viewer=Viewer(None, None),
                             login_token=token, next=safe_next(next), problem=exc.message, hint=exc.hint,
                             username=username, org=None, month=None)
            if isinstance(exc, LoginThrottled):
                response.headers["Retry-After"] = str(exc.retry_after_seconds)
            return response
        session_token, _session = store.create_session(user, ctx.settings.session_hours)
        done = RedirectResponse(safe_next(next), status_code=303)
        set_cookie(done, request, SESSION_COOKIE, session_token, max_age=int(ctx.settings.session_hours * 3600))
        done.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return done

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
        viewer = viewer_of(ctx, request)
        check_csrf(viewer, csrf_token)
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            store.end_session(token, ip=client_ip(request))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/audit", response_class=HTMLResponse, include_in_schema=False)
    def audit_page(request: Request, event: str | None = None) -> Response:
        viewer = viewer_of(ctx, request)
        viewer.require(Role.ADMIN, "read the audit log")
        return _page(ctx, request, "audit.html", viewer=viewer, events=store.audit_log(500, event), event=event,
                     org=None, month=None)

    @app.post("/admin/reload", include_in_schema=False)
    def reload_page(request: Request, csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
        viewer = viewer_of(ctx, request)
        check_csrf(viewer, csrf_token)
        message = reload_data(ctx, viewer, client_ip(request))
        return _page(ctx, request, "message.html", viewer=viewer, heading="Data reloaded", message=message,
                     org=None, month=None)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)


def _state(commentary: dict[str, Revision], publication: Publication | None) -> tuple[object, ...]:
    """What a cached page depends on besides the data version: the commentary revisions shown
    and the publication."""
    return (tuple(sorted((m, r.id) for m, r in commentary.items())), publication.id if publication else None)


def _month_text(text: str) -> str:
    """A month from a URL as YYYY-MM (packs may be of months the data no longer cover)."""
    try:
        m = parse_month(text)
    except KpiboardError as exc:
        raise NotFound(f"{text!r} is not a month: {exc.message}", hint="months are written YYYY-MM") from None
    from kpiboard.periods import format_month

    return format_month(m)


def reload_data(ctx: Context, viewer: Viewer, ip: str | None) -> str:
    """Admins: re-read the definitions and ingest changed data files (audited)."""
    user = viewer.require(Role.ADMIN, "reload the data")
    before = ctx.service.version.hash
    summary = ctx.service.reload()
    ctx.pages.clear()
    after = ctx.service.version.hash
    detail: dict[str, object] = {"before": before, "after": after,
                                 "rows": summary.rows if summary is not None else 0}
    ctx.store.audit("data_reloaded", user.username, detail, ip)
    if before == after:
        return f"The data and definitions are unchanged (data version {after[:12]})."
    return (f"Reloaded: data version {before[:12]} → {after[:12]}"
            + (f"; {summary.rows:,} rows ingested." if summary is not None else "; definitions changed."))


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
        return ctx.store.publish(o.id, m, scorecard_json=pack.scorecard_json, pack_html=pack.pack_html,
                                 data_version=ctx.service.version.hash, commentary=pack.commentary,
                                 changes=pack.changes, user=user, ip=ip)
    finally:
        ctx.forget(o.id, m)
