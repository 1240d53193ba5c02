"""The scorecard page, the board cover (summary), and the pickers that lead to them."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from kpiboard.announcements import Announcement
from kpiboard.errors import KpiboardError
from kpiboard.render.sparkline import sparkline
from kpiboard.render.viewmodel import change_text, ranks_inline, sections, spc_line
from kpiboard.scorecard import Scorecard
from kpiboard.web import views
from kpiboard.web.context import Context, Ctx, Reader, get_reader
from kpiboard.web.db import Publication, Revision
from kpiboard.web.due import commentary_due
from kpiboard.web.pages.news import PANEL_ITEMS, linked
from kpiboard.web.shown import marks, shown_scorecard
from kpiboard.web.templating import render_page
from kpiboard.web.urls import kpi_path

router = APIRouter(include_in_schema=False)


def scorecard_view(ctx: Context, card: Scorecard, org: str, month: str) -> dict[str, Any]:
    """The scorecard page's values (cached per data version, except commentary state)."""

    measures = ctx.service.catalogue.measures

    def build() -> dict[str, Any]:
        by_section = sections(card)
        extras = {
            line.row.measure: {
                "spark": Markup(sparkline(line.row)),
                "change": change_text(line.row),
                "ranks": ranks_inline(line.row),
                "spc": spc_line(line.row.spc),
                "flag": views.commentary_flag(line.row),
                "due": commentary_due(measures.get(line.row.measure), month),
                "href": kpi_path(org, month, line.row.measure),
            }
            for section in by_section
            for line in section.lines
        }
        return {"sections": by_section, "extras": extras}

    return ctx.service.cached(("scorecard-view", org, month, marks(card)), build)


def since_last_load(ctx: Context) -> tuple[int | None, tuple[Announcement, ...]]:
    """The latest vintage's announcements for the panel. The panel is an aside: when they
    cannot be had (the reader's building budget spent, an old vintage the engine refuses), the
    scorecard is shown without it, and /announcements says why."""
    try:
        return ctx.announcements()
    except KpiboardError:
        return None, ()


def month_state_key(
    commentary: dict[str, Revision], publication: Publication | None
) -> tuple[object, ...]:
    """What a cached page depends on besides the data version: the commentary revisions shown
    and the publication."""
    return (
        tuple(sorted((m, r.id) for m, r in commentary.items())),
        publication.id if publication else None,
    )


@router.get("/", dependencies=[Depends(get_reader)])
def home(ctx: Ctx) -> Response:
    service = ctx.service
    return RedirectResponse(
        f"/scorecard/{quote(service.home, safe='')}/{service.latest_month}", status_code=303
    )


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(status_code=204)  # no icon, and no 404 page rendered for every visit


@router.get("/scorecard", dependencies=[Depends(get_reader)])
def pick(
    ctx: Ctx, org: str | None = None, month: str | None = None, view: str = "scorecard"
) -> Response:
    """The pickers' form: redirect to the permalink of the chosen view."""
    service = ctx.service
    o = service.org(org).id if org else service.home
    m = service.month(month) if month else service.latest_month
    base = "summary" if view == "summary" else "scorecard"
    return RedirectResponse(f"/{base}/{quote(o, safe='')}/{m}", status_code=303)


@router.get("/scorecard/{org}/{month}", response_class=HTMLResponse)
def scorecard_page(request: Request, org: str, month: str, ctx: Ctx, viewer: Reader) -> Response:
    o, m = ctx.service.org(org), ctx.service.month(month)
    card = shown_scorecard(ctx, o.id, m)
    page = scorecard_view(ctx, card, o.id, m)
    commentary, publication = ctx.month_state(o.id, m)
    vintage, news = since_last_load(ctx)
    today = dt.datetime.now(dt.UTC).date()  # commentary due or overdue
    return render_page(
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
        news=linked(tuple(a for a in news if a.organisation == o.id)),
        news_vintage=vintage,
        panel_items=PANEL_ITEMS,
        today=today,
        cache_key=(*month_state_key(commentary, publication), vintage, today),
    )


@router.get("/summary/{org}/{month}", response_class=HTMLResponse)
def summary_page(request: Request, org: str, month: str, ctx: Ctx, viewer: Reader) -> Response:
    o, m = ctx.service.org(org), ctx.service.month(month)
    card = ctx.service.scorecard(o.id, m)
    summary = ctx.service.cached(("summary", o.id, m), lambda: views.summary(card))
    commentary, publication = ctx.month_state(o.id, m)
    return render_page(
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
        cache_key=month_state_key(commentary, publication),
    )
