"""The JSON API: every page's content as JSON, under /api (OpenAPI at /docs).

Reads follow the same rules as the pages (signed in, or anonymous reading on). Writes need a
session cookie (from ``POST /api/session`` or the sign-in page) and the session's CSRF token in
the ``X-CSRF-Token`` header. Errors are always
``{"error": {"status": 404, "code": "not_found", "message": "...", "hint": "..."}}``.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from kpiboard.brief import SUMMARY_KEY
from kpiboard.render.viewmodel import Line, status_label
from kpiboard.scorecard import Scorecard
from kpiboard.web import views
from kpiboard.web.actions import (
    commentary_target,
    end_session,
    executive_summary,
    publish_pack,
    reload_data,
    save_commentary,
    set_session_cookie,
    start_session,
)
from kpiboard.web.context import AnyViewer, ApiWriter, CsrfHeader, Ctx, client_ip, get_reader
from kpiboard.web.db import AuditEvent, Publication, Revision, Role
from kpiboard.web.gate import PublishGated
from kpiboard.web.security import SESSION_COOKIE, check_csrf, check_text
from kpiboard.web.service import NotFound, ScorecardService
from kpiboard.web.shown import marks, shown_scorecard, since_published
from kpiboard.web.urls import kpi_path, month_text

ERROR_SHAPE = {
    "description": "the error shape",
    "content": {
        "application/json": {
            "example": {
                "error": {
                    "status": 404,
                    "code": "not_found",
                    "message": "unknown organisation 'x'",
                    "hint": "...",
                }
            }
        }
    },
}
RESPONSES: dict[int | str, dict[str, Any]] = {401: ERROR_SHAPE, 403: ERROR_SHAPE, 404: ERROR_SHAPE}
# what some calls answer besides: a body that is not JSON, a refused write, an over-long or
# unusable text, throttling
CONFLICT: dict[int | str, dict[str, Any]] = {409: ERROR_SHAPE}
WRITE_TEXT: dict[int | str, dict[str, Any]] = dict.fromkeys((400, 409, 413, 422), ERROR_SHAPE)
SIGN_IN: dict[int | str, dict[str, Any]] = dict.fromkeys((400, 413, 422, 429), ERROR_SHAPE)


class Credentials(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1000)


class CommentaryIn(BaseModel):
    text: str


class PublishIn(BaseModel):
    reason: str | None = Field(
        default=None,
        max_length=2000,
        description="why the pack is published with required commentary missing or entered "
        "figures unapproved; kept in the pack (changes.gate) and the audit log",
    )


def _when(dt: datetime) -> str:
    return dt.isoformat()


def revision_json(r: Revision) -> dict[str, Any]:
    return {
        "id": r.id,
        "org": r.org,
        "measure": r.measure,
        "month": r.month,
        "number": r.number,
        "text": r.text,
        "author": r.author,
        "created_at": _when(r.created_at),
    }


def publication_json(p: Publication, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "org": p.org,
        "month": p.month,
        "published_at": _when(p.published_at),
        "published_by": p.published_by,
        "data_version": p.data_version,
        "content_hash": p.content_hash,
        "vintage": p.vintage,  # the warehouse vintage it was built from; None before pinning
        "url": f"/packs/{quote(p.org, safe='')}/{p.month}",
        "pack_html_url": f"/packs/{quote(p.org, safe='')}/{p.month}/pack.html",
    }
    if full:
        out["scorecard"] = json.loads(p.scorecard_json)
        out["commentary"] = {m: revision_json(r) for m, r in p.commentary.items()}
        out["changes"] = p.changes
    return out


def audit_json(e: AuditEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": _when(e.at),
        "username": e.username,
        "event": e.event,
        "detail": e.detail,
        "ip": e.ip,
    }


def version_headers(service: ScorecardService) -> dict[str, str]:
    """What an answer was built from: the data version and the vintage (empty: none yet)."""
    vintage = service.vintage
    return {
        "x-kpiboard-data-version": service.version.hash,
        "x-kpiboard-vintage": "" if vintage is None else str(vintage),
    }


async def _with_version(ctx: Ctx, response: Response) -> None:
    response.headers.update(version_headers(ctx.service))


router = APIRouter(prefix="/api", responses=RESPONSES, dependencies=[Depends(_with_version)])
READ = [Depends(get_reader)]


@router.get(
    "/organisations",
    summary="Organisations with data, the home organisation first",
    dependencies=READ,
)
def organisations(ctx: Ctx) -> dict[str, Any]:
    service = ctx.service
    return {
        "home": service.home,
        "organisations": [{"id": o.id, "name": o.name} for o in service.organisations()],
    }


@router.get("/months", summary="Months with data, newest first", dependencies=READ)
def months(ctx: Ctx) -> dict[str, Any]:
    service = ctx.service
    return {
        "latest": service.latest_month,
        "months": service.months(),
        "data_version": service.version.hash,
        "vintage": service.vintage,
    }


@router.get(
    "/scorecards/{org}/{month}",
    summary="The Scorecard (the JSON contract of docs/DESIGN.md)",
    dependencies=READ,
)
def scorecard(org: str, month: str, ctx: Ctx) -> Response:
    service = ctx.service
    o, m = service.org(org), service.month(month)
    card = shown_scorecard(ctx, o.id, m)
    body = service.cached(
        ("scorecard-json", o.id, m, marks(card)),
        lambda: json.dumps(card.to_dict(), ensure_ascii=False),
    )
    return Response(
        body,
        media_type="application/json",
        headers=version_headers(service),
    )


@router.get(
    "/scorecards/{org}/{month}/summary",
    summary="The board cover: KPIs by status and SPC icon",
    dependencies=READ,
)
def summary(org: str, month: str, ctx: Ctx) -> dict[str, Any]:
    o, m = ctx.service.org(org), ctx.service.month(month)
    s = views.summary(ctx.service.scorecard(o.id, m))
    return {
        "org": o.id,
        "month": m,
        "counts": s.counts,
        "by_status": [
            {"status": g.label.key, "word": g.label.word, "kpis": [_entry(x) for x in g.lines]}
            for g in s.by_status
        ],
        "by_variation": [
            {"variation": g.key, "words": g.words, "kpis": [_entry(x) for x in g.lines]}
            for g in s.by_variation
        ],
        "commentary_required": [_entry(x) for x in s.required],
    }


def _entry(line: Line) -> dict[str, str]:
    return {"id": line.row.id, "measure": line.row.measure, "title": line.row.title}


@router.get(
    "/scorecards/{org}/{month}/kpis/{measure}",
    summary="One KPI: its row, definition, commentary",
    dependencies=READ,
)
def kpi(org: str, month: str, measure: str, ctx: Ctx) -> dict[str, Any]:
    service = ctx.service
    o, m = service.org(org), service.month(month)
    card = shown_scorecard(ctx, o.id, m)
    row = service.row(card, measure)
    definition = service.definition(measure)
    flag = views.commentary_flag(row)
    league = service.league(o.id, m, measure)
    return {
        "org": o.id,
        "month": m,
        "row": _row_dict(card, measure),
        "status": status_label(row.status).key,
        "commentary_required": flag.required,
        "commentary_required_because": list(flag.reasons),
        "definition": dict(definition.items(service.sources(measure, o.id))) if definition else {},
        "league": league.to_dict() if league is not None else None,
        "commentary": [revision_json(r) for r in ctx.kpi_revisions(o.id, m, measure)],
    }


@router.get(
    "/commentary/{org}/{month}/{measure}",
    summary="Every revision of a KPI's commentary, newest first",
    dependencies=READ,
)
def commentary(org: str, month: str, measure: str, ctx: Ctx) -> dict[str, Any]:
    service = ctx.service
    o, m = service.org(org), service.month(month)
    service.row(service.scorecard(o.id, m), measure)
    return {
        "org": o.id,
        "month": m,
        "measure": measure,
        "revisions": [revision_json(r) for r in ctx.kpi_revisions(o.id, m, measure)],
    }


@router.post(
    "/commentary/{org}/{month}/{measure}",
    status_code=201,
    summary="Save a new revision (editors; X-CSRF-Token header)",
    responses=WRITE_TEXT,
)
def save(
    request: Request,
    org: str,
    month: str,
    measure: str,
    body: CommentaryIn,
    ctx: Ctx,
    viewer: AnyViewer,
    x_csrf_token: CsrfHeader = None,
) -> dict[str, Any]:
    # The token is checked here rather than by ApiWriter: a malformed body is a 422 before
    # anything else, and dependencies run before the body is validated.
    check_text("text", body.text)
    check_csrf(viewer, x_csrf_token)
    user, o, m = commentary_target(ctx, viewer, org, month, measure)
    return revision_json(save_commentary(ctx, user, o, m, measure, body.text, client_ip(request)))


@router.get(
    "/executive-summary/{org}/{month}",
    summary="The month's executive summary: the draft from the figures, and its edited revisions",
    dependencies=READ,
)
def executive_summary_json(org: str, month: str, ctx: Ctx) -> dict[str, Any]:
    o, m = ctx.service.org(org), ctx.service.month(month)
    draft = executive_summary(ctx, o.id, m, shown_scorecard(ctx, o.id, m))
    return {
        "org": o.id,
        "month": m,
        "draft": draft.to_dict(),
        "draft_markdown": draft.markdown(),
        "revisions": [revision_json(r) for r in ctx.kpi_revisions(o.id, m, SUMMARY_KEY)],
    }


@router.post(
    "/executive-summary/{org}/{month}",
    status_code=201,
    summary="Save a new revision of the executive summary (editors; X-CSRF-Token header)",
    responses=WRITE_TEXT,
)
def save_executive_summary(
    request: Request,
    org: str,
    month: str,
    body: CommentaryIn,
    ctx: Ctx,
    viewer: AnyViewer,
    x_csrf_token: CsrfHeader = None,
) -> dict[str, Any]:
    check_text("text", body.text)
    check_csrf(viewer, x_csrf_token)
    user = viewer.require(Role.EDITOR, "write the executive summary")
    o, m = ctx.service.org(org).id, ctx.service.month(month)
    saved = save_commentary(ctx, user, o, m, SUMMARY_KEY, body.text, client_ip(request))
    return revision_json(saved)


@router.get(
    "/announcements",
    summary="What a load brought: statuses changed, new signals, assurance changed, "
    "published figures revised, measures gone stale (default: the latest vintage)",
    dependencies=READ,
)
def announcements(ctx: Ctx, vintage: int | None = None) -> dict[str, Any]:
    shown, news = ctx.announcements(vintage)
    return {
        "vintage": shown,
        "announcements": [
            {**a.to_dict(), "url": kpi_path(a.organisation, a.month, a.measure)} for a in news
        ],
    }


@router.get("/packs", summary="Published packs, newest month first", dependencies=READ)
def packs(ctx: Ctx, org: str | None = None) -> dict[str, Any]:
    org_id = ctx.service.org(org).id if org else None
    return {"packs": [publication_json(p) for p in ctx.store.publications(org_id)]}


@router.get(
    "/packs/{org}/{month}",
    summary="A published pack: frozen Scorecard, commentary, changes",
    dependencies=READ,
)
def pack(org: str, month: str, ctx: Ctx) -> dict[str, Any]:
    o = ctx.service.org(org)
    pub = ctx.store.publication(o.id, month_text(month))
    if pub is None:
        raise NotFound(
            f"no published pack for {o.name} in {month}", hint="GET /api/packs lists them"
        )
    now = since_published(ctx, pub)
    base = f"/packs/{quote(o.id, safe='')}/{pub.month}/pack."
    return publication_json(pub, full=True) | {
        "vintage_now": now.vintage,
        "revised_since_published": [{"row": row, "text": text} for row, text in now.revised],
        "files": [
            {
                "format": f.format,
                "media_type": f.media_type,
                "sha256": f.sha256,
                "size": f.size,
                "url": base + f.format,
            }
            for f in ctx.store.pack_files(o.id, pub.month)
        ],
    }


@router.post(
    "/packs/{org}/{month}",
    status_code=201,
    summary="Publish the month's pack (approvers; once)",
    responses=WRITE_TEXT,  # a body with the reason: 400, 413, 422 as for text
    response_model=None,
)
def publish(
    request: Request,
    org: str,
    month: str,
    ctx: Ctx,
    viewer: ApiWriter,
    body: PublishIn | None = None,
) -> dict[str, Any] | JSONResponse:
    """Refused (409, code ``publish_gated``, with ``missing_commentary`` and
    ``unapproved_figures``) while a required comment is missing or an entered figure is not
    approved, unless the body states a ``reason``."""
    reason = body.reason if body is not None else None
    try:
        published = publish_pack(ctx, viewer, org, month, client_ip(request), reason)
    except PublishGated as exc:
        error = {
            "status": 409,
            "code": "publish_gated",
            "message": exc.message,
            "hint": exc.hint,
            **exc.gate.to_dict(),
        }
        return JSONResponse({"error": error}, status_code=409)
    return publication_json(published, full=True)


@router.post(
    "/session",
    summary="Sign in: sets the session cookie, returns the CSRF token",
    responses=SIGN_IN,
)
def sign_in(request: Request, body: Credentials, ctx: Ctx) -> Response:
    check_text("username", body.username)
    check_text("password", body.password)
    user = ctx.store.authenticate(body.username, body.password, client_ip(request))
    token, session = start_session(ctx, request, user)
    response = JSONResponse(
        {
            "username": user.username,
            "role": user.role.value,
            "csrf_token": session.csrf_token,
            "expires_at": _when(session.expires_at),
        }
    )
    set_session_cookie(ctx, request, response, token)
    return response


@router.delete("/session", status_code=204, summary="Sign out (X-CSRF-Token header)")
def sign_out(request: Request, ctx: Ctx, viewer: ApiWriter) -> Response:
    end_session(ctx, request)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post(
    "/admin/reload",
    summary="Re-read definitions, ingest changed data files (admins; X-CSRF-Token)",
)
def reload(request: Request, ctx: Ctx, viewer: ApiWriter) -> dict[str, Any]:
    done = reload_data(ctx, viewer, client_ip(request))
    return {
        "message": done.message,
        "warnings": [dataclasses.asdict(w) for w in done.warnings],
        "data_version": ctx.service.version.hash,
        "latest": ctx.service.latest_month,
    }


@router.get("/audit", summary="The audit log, newest first (admins)")
def audit(
    ctx: Ctx, viewer: AnyViewer, event: str | None = None, limit: int = 200
) -> dict[str, Any]:
    viewer.require(Role.ADMIN, "read the audit log")
    return {"events": [audit_json(e) for e in ctx.store.audit_log(max(1, min(limit, 5000)), event)]}


def _row_dict(card: Scorecard, measure: str) -> dict[str, Any]:
    def find(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        for row in rows:
            if row["measure"] == measure:
                return row
            found = find(row.get("children") or [])
            if found is not None:
                return found
        return None

    return find(card.to_dict()["rows"]) or {}
