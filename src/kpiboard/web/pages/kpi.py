"""One KPI's page (its figures, charts, league, definition and commentary) and the form that
saves a new revision of its commentary."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from kpiboard.leaguetable import League
from kpiboard.render.charts import charts_for
from kpiboard.render.commentary import commentary_html
from kpiboard.render.league import funnel_label, funnel_svg, league_label, league_svg
from kpiboard.render.viewmodel import anchor_for, change_text, sections, spc_line
from kpiboard.scorecard import Row, Scorecard
from kpiboard.web import views
from kpiboard.web.actions import commentary_target
from kpiboard.web.context import Context, Ctx, FormWriter, Reader, client_ip
from kpiboard.web.db import MAX_COMMENTARY_CHARS
from kpiboard.web.pages.revisions import save_or_refuse
from kpiboard.web.security import Viewer
from kpiboard.web.shown import shown_scorecard
from kpiboard.web.templating import render_page
from kpiboard.web.urls import kpi_path

router = APIRouter(include_in_schema=False)


def league_charts(league: League | None) -> list[tuple[Markup, str]]:
    """The league (ski-slope) chart and, when the league has one, the funnel plot."""
    if league is None:
        return []
    charts = [(Markup(league_svg(league)), league_label(league))]
    if league.funnel is not None:
        charts.append(
            (Markup(funnel_svg(league, league.funnel)), funnel_label(league, league.funnel))
        )
    return charts


def kpi_view(ctx: Context, card: Scorecard, row: Row, org: str, month: str) -> dict[str, Any]:
    """The KPI page's values (cached per data version, except commentary state)."""

    def build() -> dict[str, Any]:
        league = ctx.service.league(org, month, row.measure)
        definition = ctx.service.definition(row.measure)
        line = next(
            (ln for s in sections(card) for ln in s.lines if ln.row.measure == row.measure), None
        )
        return {
            "charts": [(c.kind, Markup(c.svg), c.caption) for c in charts_for(row)],
            "league": league,
            "league_charts": league_charts(league),
            "definition": definition.items(ctx.service.sources(row.measure, org))
            if definition
            else [],
            "line": line,
            "flag": views.commentary_flag(row),
            "change": change_text(row),
            "spc": spc_line(row.spc),
            "anchor": anchor_for(row.id),
        }

    # the row's revision mark is in the line: a view per mark (the pack's, first reported)
    mark = row.revised.text if row.revised is not None else None
    return ctx.service.cached(("kpi-view", org, month, row.measure, mark), build)


def kpi_response(
    ctx: Context,
    request: Request,
    viewer: Viewer,
    org: str,
    month: str,
    measure: str,
    *,
    status: int = 200,
    draft: str | None = None,
    problem: str | None = None,
    saved: bool = False,
) -> HTMLResponse:
    """The KPI page; with ``draft`` and ``problem``, as the commentary form sent back; with
    ``saved``, saying (in a status message that takes the focus) that the revision was saved."""
    o, m = ctx.service.org(org), ctx.service.month(month)
    card = shown_scorecard(ctx, o.id, m)
    row = ctx.service.row(card, measure)
    revisions = ctx.kpi_revisions(o.id, m, row.measure)
    _, publication = ctx.month_state(o.id, m)
    saved = saved and bool(revisions)
    plain = draft is None and problem is None and not saved  # as anyone opening it: cacheable
    rendered = [(r, Markup(commentary_html(r.text))) for r in revisions]
    return render_page(
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
        saved=saved,
        publication=publication,
        max_chars=MAX_COMMENTARY_CHARS,
        cache_key=(tuple(r.id for r in revisions), publication.id if publication else None)
        if plain
        else None,
        **kpi_view(ctx, card, row, o.id, m),
    )


@router.get("/scorecard/{org}/{month}/kpi/{measure}", response_class=HTMLResponse)
def kpi_page(
    request: Request, org: str, month: str, measure: str, ctx: Ctx, viewer: Reader, saved: int = 0
) -> Response:
    return kpi_response(ctx, request, viewer, org, month, measure, saved=bool(saved))


@router.post("/scorecard/{org}/{month}/kpi/{measure}/commentary")
def save_commentary_form(
    request: Request,
    org: str,
    month: str,
    measure: str,
    ctx: Ctx,
    viewer: FormWriter,
    text: Annotated[str, Form(max_length=10 * 1024 * 1024)] = "",
) -> Response:
    user, o, m = commentary_target(ctx, viewer, org, month, measure)
    refused = save_or_refuse(ctx, user, o, m, measure, text, client_ip(request))
    if refused is not None:
        return kpi_response(
            ctx,
            request,
            viewer,
            o,
            m,
            measure,
            status=refused.status,
            draft=refused.draft,
            problem=refused.problem,
        )
    # ?saved=1 says so in a status message that takes the focus (with htmx or without), so a
    # keyboard or screen reader user hears "saved" and carries on from the commentary
    # (no #fragment: a page opened at one does not honour autofocus)
    return RedirectResponse(kpi_path(o, m, measure) + "?saved=1", status_code=303)
