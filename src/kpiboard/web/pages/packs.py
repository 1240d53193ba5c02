"""Published packs: the list, one pack's record, the frozen pack itself, and publishing."""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from kpiboard.brief import SUMMARY_KEY
from kpiboard.render.commentary import commentary_html
from kpiboard.scorecard import json_rows
from kpiboard.web.actions import publish_gate, publish_pack
from kpiboard.web.context import (
    AnyViewer,
    Context,
    Ctx,
    FormWriter,
    Reader,
    client_ip,
    get_reader,
)
from kpiboard.web.db import Publication, Role
from kpiboard.web.gate import MAX_REASON_CHARS, PublishGated
from kpiboard.web.security import Viewer
from kpiboard.web.service import NotFound, Org
from kpiboard.web.shown import since_published
from kpiboard.web.templating import render_page
from kpiboard.web.urls import FORMAT_NAMES, kpi_path, month_text

router = APIRouter(include_in_schema=False)

# A frozen pack may only style itself: no scripts, no fetches, no forms.
PACK_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


def published(ctx: Context, org: str, month: str) -> tuple[Org, Publication]:
    """The organisation and its pack for the month, or NotFound."""
    o = ctx.service.org(org)
    pub = ctx.store.publication(o.id, month_text(month))
    if pub is None:
        raise NotFound(
            f"no published pack for {o.name} in {month}", hint="see the list of published packs"
        )
    return o, pub


def commentary_labels(pub: Publication) -> dict[str, str]:
    """What the pack's page calls each piece of its commentary: the KPI's reference and title
    as the pack froze them (not its measure id), and the executive summary."""
    labels = {SUMMARY_KEY: "Executive summary"}
    for measure, row in json_rows(json.loads(pub.scorecard_json)).items():
        ref = f"{row['id']} " if row.get("id") and row["id"] != measure else ""
        labels[measure] = f"{ref}{row['title']}"
    return labels


@router.get("/packs", response_class=HTMLResponse)
def packs_page(request: Request, ctx: Ctx, viewer: Reader) -> Response:
    return render_page(
        ctx,
        request,
        "packs.html",
        viewer=viewer,
        packs=ctx.store.publications(),
        org=None,
        month=None,
    )


@router.get("/packs/{org}/{month}", response_class=HTMLResponse)
def pack_page(request: Request, org: str, month: str, ctx: Ctx, viewer: Reader) -> Response:
    o, pub = published(ctx, org, month)
    rendered = {m: Markup(commentary_html(r.text)) for m, r in pub.commentary.items()}
    return render_page(
        ctx,
        request,
        "pack.html",
        viewer=viewer,
        pack=pub,
        org=o,
        month=pub.month,
        rendered=rendered,
        current=ctx.service.version.hash,
        now=since_published(ctx, pub),
        files=ctx.store.pack_files(o.id, pub.month),
        format_names=FORMAT_NAMES,
        commentary_labels=commentary_labels(pub),
    )


@router.get("/packs/{org}/{month}/pack.html", dependencies=[Depends(get_reader)])
def pack_file(org: str, month: str, ctx: Ctx) -> Response:
    _, pub = published(ctx, org, month)
    # Served byte for byte as frozen.
    return Response(
        pub.pack_html.encode("utf-8"),
        media_type="text/html; charset=utf-8",
        headers={
            "content-security-policy": PACK_POLICY,
            "x-kpiboard-content-hash": pub.content_hash,
        },
    )


def _confirm_page(
    request: Request,
    ctx: Context,
    viewer: Viewer,
    org: str,
    month: str,
    *,
    status: int = 200,
    problem: str | None = None,
    reason: str = "",
) -> Response:
    viewer.require(Role.APPROVER, "publish a pack")
    o, m = ctx.service.org(org), ctx.service.month(month)
    existing = ctx.store.publication(o.id, m)
    if existing is not None:
        return RedirectResponse(f"/packs/{quote(o.id, safe='')}/{m}", status_code=303)
    return render_page(
        ctx,
        request,
        "publish.html",
        status=status,
        viewer=viewer,
        org=o,
        month=m,
        gate=publish_gate(ctx, o.id, m),
        problem=problem,
        reason=reason,
        max_reason=MAX_REASON_CHARS,
        kpi_path=kpi_path,
    )


@router.get("/packs/{org}/{month}/publish", response_class=HTMLResponse)
def confirm_page(request: Request, org: str, month: str, ctx: Ctx, viewer: AnyViewer) -> Response:
    """What the pack will contain (rows by status, missing comments, unapproved figures), and
    the form that publishes it (with a reason when something is missing)."""
    return _confirm_page(request, ctx, viewer, org, month)


@router.post("/packs/{org}/{month}")
def publish(
    request: Request,
    org: str,
    month: str,
    ctx: Ctx,
    viewer: FormWriter,
    reason: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    try:
        publish_pack(ctx, viewer, org, month, client_ip(request), reason)
    except PublishGated as exc:
        problem = f"Not published: {exc.message}. State a reason to publish without them."
        return _confirm_page(
            request, ctx, viewer, org, month, status=409, problem=problem, reason=reason
        )
    o = ctx.service.org(org)
    return RedirectResponse(
        f"/packs/{quote(o.id, safe='')}/{ctx.service.month(month)}", status_code=303
    )
