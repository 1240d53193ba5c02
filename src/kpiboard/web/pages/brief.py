"""The month's executive summary: the draft the figures give (against the last published pack,
else the month before), the text an editor wrote from it (numbered revisions, kept like any
commentary, frozen with the pack), and the form that saves a new revision."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from kpiboard.brief import SUMMARY_KEY
from kpiboard.render.commentary import commentary_html
from kpiboard.web.actions import executive_summary
from kpiboard.web.context import Context, Ctx, FormWriter, Reader, client_ip
from kpiboard.web.db import MAX_COMMENTARY_CHARS, Role
from kpiboard.web.pages.revisions import save_or_refuse
from kpiboard.web.security import Viewer
from kpiboard.web.shown import shown_scorecard
from kpiboard.web.templating import render_page
from kpiboard.web.urls import kpi_path, summary_path

router = APIRouter(include_in_schema=False)


def summary_response(
    ctx: Context,
    request: Request,
    viewer: Viewer,
    org: str,
    month: str,
    *,
    status: int = 200,
    draft: str | None = None,
    problem: str | None = None,
) -> HTMLResponse:
    o, m = ctx.service.org(org), ctx.service.month(month)
    card = shown_scorecard(ctx, o.id, m)
    summary = executive_summary(ctx, o.id, m, card)
    revisions = ctx.kpi_revisions(o.id, m, SUMMARY_KEY)
    _, publication = ctx.month_state(o.id, m)
    if draft is None:
        draft = revisions[0].text if revisions else summary.markdown()
    return render_page(
        ctx,
        request,
        "brief.html",
        status=status,
        viewer=viewer,
        card=card,
        org=o,
        month=m,
        summary=summary,
        revisions=[(r, Markup(commentary_html(r.text))) for r in revisions],
        draft=draft,
        problem=problem,
        publication=publication,
        max_chars=MAX_COMMENTARY_CHARS,
        kpi_path=kpi_path,
        saved=status == 200 and request.query_params.get("saved") == "1",
    )


@router.get("/scorecard/{org}/{month}/executive-summary", response_class=HTMLResponse)
def summary_page(request: Request, org: str, month: str, ctx: Ctx, viewer: Reader) -> Response:
    return summary_response(ctx, request, viewer, org, month)


@router.post("/scorecard/{org}/{month}/executive-summary")
def save_summary_form(
    request: Request,
    org: str,
    month: str,
    ctx: Ctx,
    viewer: FormWriter,
    text: Annotated[str, Form(max_length=10 * 1024 * 1024)] = "",
) -> Response:
    user = viewer.require(Role.EDITOR, "write the executive summary")
    o, m = ctx.service.org(org).id, ctx.service.month(month)
    refused = save_or_refuse(ctx, user, o, m, SUMMARY_KEY, text, client_ip(request))
    if refused is not None:
        return summary_response(
            ctx,
            request,
            viewer,
            o,
            m,
            status=refused.status,
            draft=refused.draft,
            problem=refused.problem,
        )
    # as a KPI's commentary: a status message that takes the focus (no #fragment, which
    # would keep the browser from honouring autofocus)
    return RedirectResponse(summary_path(o, m) + "?saved=1", status_code=303)
