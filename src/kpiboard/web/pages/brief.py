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
from kpiboard.web.actions import executive_summary, save_commentary
from kpiboard.web.context import Context, Ctx, FormWriter, Reader, client_ip
from kpiboard.web.db import MAX_COMMENTARY_CHARS, CommentaryTooLong, Role
from kpiboard.web.errors import CommentaryFrozen
from kpiboard.web.security import UnusableText, Viewer, check_text
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
        request_saved=status == 200 and request.query_params.get("saved") == "1",
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
    try:
        save_commentary(ctx, user, o, m, SUMMARY_KEY, check_text("text", text), client_ip(request))
    except UnusableText as exc:
        return summary_response(
            ctx,
            request,
            viewer,
            o,
            m,
            status=422,
            draft=text.replace("\x00", "\ufffd"),
            problem=f"{exc.message} ({exc.hint})",
        )
    except CommentaryFrozen as exc:
        return summary_response(
            ctx, request, viewer, o, m, status=409, draft=text, problem=exc.message
        )
    except CommentaryTooLong as exc:
        return summary_response(
            ctx,
            request,
            viewer,
            o,
            m,
            status=413,
            draft=text[: MAX_COMMENTARY_CHARS + 1000],
            problem=f"{exc.message} ({exc.hint})" if exc.hint else exc.message,
        )
    return RedirectResponse(summary_path(o, m) + "?saved=1#edited", status_code=303)
