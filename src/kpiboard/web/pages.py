"""The dashboard's pages: each route reads the engine's Scorecard through the service, the
month's commentary and publication through the application database, and renders a template.
Every page has a JSON twin in :mod:`kpiboard.web.api`."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from kpiboard.render.charts import charts_for
from kpiboard.render.commentary import commentary_html
from kpiboard.render.league import funnel_label, funnel_svg, league_label, league_svg
from kpiboard.render.sparkline import sparkline
from kpiboard.render.viewmodel import anchor_for, change_text, ranks_inline, sections, spc_line
from kpiboard.scorecard import Row, Scorecard
from kpiboard.web import views
from kpiboard.web.app import (
    Context,
    _month_text,
    _page,
    client_ip,
    end_session,
    error_status,
    publish_pack,
    reader_of,
    reload_data,
    viewer_of,
)
from kpiboard.web.db import (
    MAX_COMMENTARY_CHARS,
    CommentaryTooLong,
    LoginFailed,
    LoginThrottled,
    Publication,
    Revision,
    Role,
)
from kpiboard.web.security import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Viewer,
    check_csrf,
    check_login_csrf,
    login_csrf,
    safe_next,
    set_cookie,
)
from kpiboard.web.service import NotFound

# --- what the pages show -------------------------------------------------------------------


def kpi_path(org: str, month: str, measure: str) -> str:
    return f"/scorecard/{quote(org, safe='')}/{month}/kpi/{quote(measure, safe='')}"


def scorecard_view(ctx: Context, card: Scorecard, org: str, month: str) -> dict[str, Any]:
    """The scorecard page's values (cached per data version, except commentary state)."""

    def build() -> dict[str, Any]:
        by_section = sections(card)
        extras = {
            line.row.measure: {
                "spark": Markup(sparkline(line.row)),
                "change": change_text(line.row),
                "ranks": ranks_inline(line.row),
                "spc": spc_line(line.row.spc),
                "flag": views.commentary_flag(line.row),
                "href": kpi_path(org, month, line.row.measure),
            }
            for section in by_section
            for line in section.lines
        }
        return {"sections": by_section, "extras": extras}

    return ctx.service.cached(("scorecard-view", org, month), build)


def kpi_view(ctx: Context, card: Scorecard, row: Row, org: str, month: str) -> dict[str, Any]:
    def build() -> dict[str, Any]:
        charts = [(c.kind, Markup(c.svg), c.caption) for c in charts_for(row)]
        league = ctx.service.league(org, month, row.measure)
        league_charts = []
        if league is not None:
            league_charts.append((Markup(league_svg(league)), league_label(league)))
            if league.funnel is not None:
                league_charts.append(
                    (Markup(funnel_svg(league, league.funnel)), funnel_label(league, league.funnel))
                )
        measure = ctx.service.definition(row.measure)
        definition = measure.items(ctx.service.sources(row.measure, org)) if measure else []
        line = next(
            (ln for s in sections(card) for ln in s.lines if ln.row.measure == row.measure), None
        )
        return {
            "charts": charts,
            "league": league,
            "league_charts": league_charts,
            "definition": definition,
            "line": line,
            "flag": views.commentary_flag(row),
            "change": change_text(row),
            "spc": spc_line(row.spc),
            "anchor": anchor_for(row.id),
        }

    return ctx.service.cached(("kpi-view", org, month, row.measure), build)


def add_pages(app: FastAPI, ctx: Context) -> None:
    service, store = ctx.service, ctx.store

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        reader_of(ctx, request)
        return RedirectResponse(
            f"/scorecard/{quote(service.home, safe='')}/{service.latest_month}", status_code=303
        )

    @app.get("/scorecard", include_in_schema=False)
    def pick(
        request: Request, org: str | None = None, month: str | None = None, view: str = "scorecard"
    ) -> Response:
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
        return _page(
            ctx,
            request,
            "scorecard.html",
            viewer=viewer,
            card=card,
            org=o,
            month=m,
            commentary=commentary,
            publication=publication,
            **page,
            cache_key=_state(commentary, publication),
        )

    @app.get("/summary/{org}/{month}", response_class=HTMLResponse, include_in_schema=False)
    def summary_page(request: Request, org: str, month: str) -> Response:
        viewer = reader_of(ctx, request)
        o, m = service.org(org), service.month(month)
        card = service.scorecard(o.id, m)
        summary = service.cached(("summary", o.id, m), lambda: views.summary(card))
        commentary, publication = ctx.month_state(o.id, m)
        return _page(
            ctx,
            request,
            "summary.html",
            viewer=viewer,
            card=card,
            org=o,
            month=m,
            summary=summary,
            commentary=commentary,
            publication=publication,
            kpi_path=kpi_path,
            cache_key=_state(commentary, publication),
        )

    @app.get(
        "/scorecard/{org}/{month}/kpi/{measure}",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def kpi_page(request: Request, org: str, month: str, measure: str) -> Response:
        viewer = reader_of(ctx, request)
        return _kpi(request, viewer, org, month, measure)

    def _kpi(
        request: Request,
        viewer: Viewer,
        org: str,
        month: str,
        measure: str,
        *,
        status: int = 200,
        draft: str | None = None,
        problem: str | None = None,
    ) -> HTMLResponse:
        o, m = service.org(org), service.month(month)
        card = service.scorecard(o.id, m)
        row = service.row(card, measure)
        revisions = ctx.kpi_revisions(o.id, m, row.measure)
        _, publication = ctx.month_state(o.id, m)
        plain = (
            draft is None and problem is None
        )  # the page as anyone opening it sees it: cacheable
        rendered = [(r, Markup(commentary_html(r.text))) for r in revisions]
        return _page(
            ctx,
            request,
            "kpi.html",
            status=status,
            viewer=viewer,
            card=card,
            org=o,
            month=m,
            row=row,
            revisions=rendered,
            draft=draft if draft is not None else (revisions[0].text if revisions else ""),
            problem=problem,
            publication=publication,
            max_chars=MAX_COMMENTARY_CHARS,
            cache_key=(tuple(r.id for r in revisions), publication.id if publication else None)
            if plain
            else None,
            **kpi_view(ctx, card, row, o.id, m),
        )

    @app.post("/scorecard/{org}/{month}/kpi/{measure}/commentary", include_in_schema=False)
    def save_commentary(
        request: Request,
        org: str,
        month: str,
        measure: str,
        text: Annotated[str, Form(max_length=10 * 1024 * 1024)] = "",
        csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    ) -> Response:
        viewer = viewer_of(ctx, request)
        check_csrf(viewer, csrf_token)
        user = viewer.require(Role.EDITOR, "write commentary")
        o, m = service.org(org), service.month(month)
        service.row(service.scorecard(o.id, m), measure)
        if store.publication(o.id, m) is not None:
            return _kpi(
                request,
                viewer,
                o.id,
                m,
                measure,
                status=409,
                draft=text,
                problem="this month's pack is published, so its commentary is frozen",
            )
        try:
            store.save_commentary(o.id, measure, m, text, user, ip=client_ip(request))
            ctx.forget(o.id, m)
        except CommentaryTooLong as exc:
            return _kpi(
                request,
                viewer,
                o.id,
                m,
                measure,
                status=413,
                draft=text[: MAX_COMMENTARY_CHARS + 1000],
                problem=f"{exc.message} ({exc.hint})" if exc.hint else exc.message,
            )
        return RedirectResponse(kpi_path(o.id, m, measure) + "#commentary", status_code=303)

    @app.get("/packs", response_class=HTMLResponse, include_in_schema=False)
    def packs_page(request: Request) -> Response:
        viewer = reader_of(ctx, request)
        return _page(
            ctx,
            request,
            "packs.html",
            viewer=viewer,
            packs=store.publications(),
            org=None,
            month=None,
        )

    @app.get("/packs/{org}/{month}", response_class=HTMLResponse, include_in_schema=False)
    def pack_page(request: Request, org: str, month: str) -> Response:
        viewer = reader_of(ctx, request)
        o = service.org(org)
        pub = store.publication(o.id, _month_text(month))
        if pub is None:
            raise NotFound(
                f"no published pack for {o.name} in {month}", hint="see the list of published packs"
            )
        rendered = {m: Markup(commentary_html(r.text)) for m, r in pub.commentary.items()}
        return _page(
            ctx,
            request,
            "pack.html",
            viewer=viewer,
            pack=pub,
            org=o,
            month=pub.month,
            rendered=rendered,
            current=service.version.hash,
        )

    @app.get("/packs/{org}/{month}/pack.html", include_in_schema=False)
    def pack_file(request: Request, org: str, month: str) -> Response:
        reader_of(ctx, request)
        o = service.org(org)
        pub = store.publication(o.id, _month_text(month))
        if pub is None:
            raise NotFound(
                f"no published pack for {o.name} in {month}", hint="see the list of published packs"
            )
        # Served byte for byte as frozen; it may only style itself (no scripts, no fetches).
        return Response(
            pub.pack_html.encode("utf-8"),
            media_type="text/html; charset=utf-8",
            headers={
                "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                "frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
                "x-kpiboard-content-hash": pub.content_hash,
            },
        )

    @app.post("/packs/{org}/{month}", include_in_schema=False)
    def publish(
        request: Request,
        org: str,
        month: str,
        csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    ) -> Response:
        viewer = viewer_of(ctx, request)
        check_csrf(viewer, csrf_token)
        publish_pack(ctx, viewer, org, month, client_ip(request))
        o = service.org(org)
        return RedirectResponse(
            f"/packs/{quote(o.id, safe='')}/{service.month(month)}", status_code=303
        )

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, next: str = "/") -> Response:
        token = login_csrf(request)
        response = _page(
            ctx,
            request,
            "login.html",
            login_token=token,
            next=safe_next(next),
            problem=None,
            username="",
            org=None,
            month=None,
        )
        set_cookie(response, request, LOGIN_CSRF_COOKIE, token, max_age=3600)
        return response

    @app.post("/login", include_in_schema=False)
    def login(
        request: Request,
        username: Annotated[str, Form(max_length=200)] = "",
        password: Annotated[str, Form(max_length=1000)] = "",
        csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
        next: Annotated[str, Form(max_length=2000)] = "/",
    ) -> Response:
        check_login_csrf(request, csrf_token)
        token = login_csrf(request)
        try:
            user = store.authenticate(username, password, client_ip(request))
        except (LoginFailed, LoginThrottled) as exc:
            status, _ = error_status(exc)
            response = _page(
                ctx,
                request,
                "login.html",
                status=status,
                viewer=Viewer(None, None),
                login_token=token,
                next=safe_next(next),
                problem=exc.message,
                hint=exc.hint,
                username=username,
                org=None,
                month=None,
            )
            if isinstance(exc, LoginThrottled):
                response.headers["Retry-After"] = str(exc.retry_after_seconds)
            return response
        session_token, _session = store.create_session(user, ctx.settings.session_hours)
        done = RedirectResponse(safe_next(next), status_code=303)
        set_cookie(
            done,
            request,
            SESSION_COOKIE,
            session_token,
            max_age=int(ctx.settings.session_hours * 3600),
        )
        done.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return done

    @app.post("/logout", include_in_schema=False)
    def logout(
        request: Request, csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = ""
    ) -> Response:
        viewer = viewer_of(ctx, request)
        check_csrf(viewer, csrf_token)
        end_session(ctx, request)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/audit", response_class=HTMLResponse, include_in_schema=False)
    def audit_page(request: Request, event: str | None = None) -> Response:
        viewer = viewer_of(ctx, request)
        viewer.require(Role.ADMIN, "read the audit log")
        return _page(
            ctx,
            request,
            "audit.html",
            viewer=viewer,
            events=store.audit_log(500, event),
            event=event,
            org=None,
            month=None,
        )

    @app.post("/admin/reload", include_in_schema=False)
    def reload_page(
        request: Request, csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = ""
    ) -> Response:
        viewer = viewer_of(ctx, request)
        check_csrf(viewer, csrf_token)
        done = reload_data(ctx, viewer, client_ip(request))
        return _page(
            ctx,
            request,
            "message.html",
            viewer=viewer,
            heading="Data reloaded",
            message=done.message,
            warnings=[w.render() for w in done.warnings],
            org=None,
            month=None,
        )

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)


def _state(commentary: dict[str, Revision], publication: Publication | None) -> tuple[object, ...]:
    """What a cached page depends on besides the data version: the commentary revisions shown
    and the publication."""
    return (
        tuple(sorted((m, r.id) for m, r in commentary.items())),
        publication.id if publication else None,
    )
