"""Upload a month's figures in bulk (docs/ENTRY.md, "Bulk entry"): download the template, fill
it in, upload it; the page shows every row with its problems, and a Save button that posts the
same file again (kept in the page, so it works without JavaScript). Saving writes every row as
a draft, or none: the same checks as the API (:mod:`kpiboard.web.entries_bulk_api`)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kpiboard.web.bulk import MAX_UPLOAD_ROWS, BulkError, RowCheck
from kpiboard.web.context import Context, Ctx, FormWriter, Reader, client_ip
from kpiboard.web.db import EntryConflict, Figures, Role
from kpiboard.web.entries_bulk_api import check_upload, require_enterer, save_upload
from kpiboard.web.security import Viewer
from kpiboard.web.templating import render_page

router = APIRouter(include_in_schema=False)


def upload_path(org: str, month: str) -> str:
    return f"/entries/{quote(org, safe='')}/{quote(month, safe='')}/upload"


def figures_words(f: Figures) -> str:
    """A row's figures as the preview shows them: "numerator 3; denominator 40"."""
    given = [
        f"{name.replace('_', ' ')} {value:,.10g}"
        for name in ("numerator", "denominator", "value", "sample_size")
        if (value := getattr(f, name)) is not None
    ]
    return "; ".join(given) + (" (provisional)" if f.provisional else "")


def _page(
    ctx: Context,
    request: Request,
    viewer: Viewer,
    org: str,
    month: str,
    *,
    status: int = 200,
    checks: list[RowCheck] | None = None,
    content: str = "",
    problem: str | None = None,
    saved: int | None = None,
) -> HTMLResponse:
    o = ctx.service.org(org)
    return render_page(
        ctx,
        request,
        "entry_upload.html",
        status=status,
        viewer=viewer,
        place=o,
        entry_month=month,
        checks=checks,
        content=content,
        problem=problem,
        saved=saved,
        api=f"/api/entries/{quote(o.id, safe='')}/{quote(month, safe='')}",
        action=upload_path(o.id, month),
        max_rows=MAX_UPLOAD_ROWS,
        figures_words=figures_words,
        org=None,
        month=None,
    )


@router.get("/entries/{org}/{month}/upload", response_class=HTMLResponse)
def upload_page(request: Request, org: str, month: str, ctx: Ctx, viewer: Reader) -> Response:
    viewer.require(Role.VIEWER, "enter figures")
    require_enterer(ctx, viewer, org, month)
    done = request.query_params.get("saved", "")
    return _page(ctx, request, viewer, org, month, saved=int(done) if done.isdigit() else None)


@router.post("/entries/{org}/{month}/upload", response_class=HTMLResponse)
def upload_form(
    request: Request,
    org: str,
    month: str,
    ctx: Ctx,
    viewer: FormWriter,
    file: Annotated[UploadFile | None, File()] = None,
    content: Annotated[str, Form()] = "",
    save: Annotated[str, Form()] = "",
) -> Response:
    """Check the file (``file``: as chosen; ``content``: the one already checked, posted again
    with the Save button); save it when asked and no row has a problem."""
    viewer.require(Role.VIEWER, "enter figures")
    require_enterer(ctx, viewer, org, month)
    if file is not None and file.filename:
        data = file.file.read()
    else:
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            data = b""
    if not data:
        return _page(ctx, request, viewer, org, month, status=422, problem="Choose a file.")
    try:
        mo, checks = check_upload(ctx, viewer, org, month, data)
    except BulkError as exc:
        problem = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        return _page(ctx, request, viewer, org, month, status=422, problem=problem)
    kept = base64.b64encode(data).decode("ascii")
    bad = any(c.problems for c in checks)
    if not save or bad:
        status = 422 if save and bad else 200
        return _page(ctx, request, viewer, org, month, status=status, checks=checks, content=kept)
    try:
        steps = save_upload(ctx, viewer, mo, checks, client_ip(request))
    except EntryConflict as exc:
        problem = (
            f"Nothing was saved: {exc.message}. Someone changed a figure since the template was "
            "made: download a fresh one."
        )
        return _page(ctx, request, viewer, org, month, status=409, checks=checks, problem=problem)
    except BulkError as exc:
        return _page(ctx, request, viewer, org, month, status=422, problem=exc.message)
    return RedirectResponse(f"{upload_path(mo.org, mo.month)}?saved={len(steps)}", status_code=303)
