"""The admins' pages: the audit log, and reloading the data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kpiboard.web.actions import reload_data
from kpiboard.web.context import AnyViewer, Ctx, FormWriter, client_ip
from kpiboard.web.db import Role
from kpiboard.web.templating import render_page

router = APIRouter(include_in_schema=False)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, ctx: Ctx, viewer: AnyViewer, event: str | None = None) -> Response:
    viewer.require(Role.ADMIN, "read the audit log")
    return render_page(
        ctx,
        request,
        "audit.html",
        viewer=viewer,
        events=ctx.store.audit_log(500, event),
        event=event,
        org=None,
        month=None,
    )


@router.post("/admin/reload")
def reload_page(request: Request, ctx: Ctx, viewer: FormWriter) -> Response:
    done = reload_data(ctx, viewer, client_ip(request))
    return render_page(
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
