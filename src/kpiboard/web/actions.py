"""What the dashboard changes, shared by the pages and the JSON API: saving commentary,
publishing a month's pack, reloading the data, signing in and out. Each checks the viewer's role and
is audited by the application database; the caller has already checked the CSRF token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request, Response

from kpiboard.errors import Finding, KpiboardError
from kpiboard.executive import ExecutiveSummary
from kpiboard.periods import format_month, parse_month
from kpiboard.scorecard import Scorecard
from kpiboard.web.context import Context, client_ip
from kpiboard.web.db import AlreadyPublished, Publication, Revision, Role, Session, User
from kpiboard.web.errors import CommentaryFrozen
from kpiboard.web.gate import Gate, PublishGated, clean_reason, entered_measures, gate_of
from kpiboard.web.notify import announce, audit_failures, distribute_pack
from kpiboard.web.packs import build_pack, summary_of
from kpiboard.web.security import SESSION_COOKIE, Viewer, set_cookie
from kpiboard.web.service import NotFound
from kpiboard.web.shown import shown


def shift_month(month: str, by: int) -> str:
    return format_month(parse_month(month) + by)


def commentary_target(
    ctx: Context, viewer: Viewer, org: str, month: str, measure: str
) -> tuple[User, str, str]:
    """Who writes (an editor), for which organisation id and month: the KPI must be on the
    month's scorecard."""
    user = viewer.require(Role.EDITOR, "write commentary")
    o, m = ctx.service.org(org), ctx.service.month(month)
    ctx.service.row(ctx.service.scorecard(o.id, m), measure)
    return user, o.id, m


def save_commentary(
    ctx: Context, user: User, org: str, month: str, measure: str, text: str, ip: str | None
) -> Revision:
    """A new revision of the KPI's commentary; CommentaryFrozen once the month is published."""
    if ctx.store.publication(org, month) is not None:
        raise CommentaryFrozen
    saved = ctx.store.save_commentary(org, measure, month, text, user, ip=ip)
    ctx.forget(org, month)
    return saved


def executive_summary(ctx: Context, org: str, month: str, card: Scorecard) -> ExecutiveSummary:
    """The month's executive summary drafted from ``card`` against the last published pack,
    else the month before (from the same vintage)."""
    previous = ctx.store.previous_publication(org, month)
    before = None
    if previous is None:
        try:
            before = ctx.service.scorecard(org, ctx.service.month(shift_month(month, -1)))
        except NotFound:  # the first month with data
            before = None
    return summary_of(card, previous, before)


def publish_gate(ctx: Context, org: str, month: str) -> Gate:
    """What the month's pack will hold and what is missing from it (docs/WEB.md, the gate)."""
    o, m = ctx.service.org(org), ctx.service.month(month)
    card = shown(ctx, o.id, m).scorecard
    commentary = ctx.store.latest_commentary(o.id, m)
    entered = entered_measures(ctx.service.catalogue.measures, m)
    return gate_of(ctx.store, card, o.id, m, commentary, entered)


def publish_pack(
    ctx: Context,
    viewer: Viewer,
    org: str,
    month: str,
    ip: str | None,
    reason: str | None = None,
) -> Publication:
    """Freeze and store the month's pack (approvers only; a month is published once). Refused
    (PublishGated) while a required comment is missing or an entered figure is unapproved,
    unless ``reason`` says why: the reason and what was missing go into the pack's changes
    (``gate``) and the audit log."""
    user = viewer.require(Role.APPROVER, "publish a pack")
    o, m = ctx.service.org(org), ctx.service.month(month)
    existing = ctx.store.publication(o.id, m)
    if existing is not None:
        ctx.store.audit("pack_publish_refused", user.username, {"org": o.id, "month": m}, ip)
        raise AlreadyPublished(o.id, m, existing.published_by, existing.published_at)
    why = clean_reason(reason)
    page = shown(ctx, o.id, m)  # the scorecard as the approver saw it, and its vintage
    card = page.scorecard
    commentary = ctx.store.latest_commentary(o.id, m)
    entered = entered_measures(ctx.service.catalogue.measures, m)
    gate = gate_of(ctx.store, card, o.id, m, commentary, entered)
    if not gate.open and why is None:
        detail = {"org": o.id, "month": m, **gate.to_dict()}
        ctx.store.audit("pack_publish_gated", user.username, detail, ip)
        raise PublishGated(gate)
    previous = ctx.store.previous_publication(o.id, m)
    pack = build_pack(
        card,
        ctx.service.version,
        commentary,
        previous,
        user,
        datetime.now(UTC),
        summary=executive_summary(ctx, o.id, m, card),
        vintage=page.vintage,
        marking=ctx.service.protective_marking,
    )
    changes = dict(pack.changes)
    if not gate.open:
        changes["gate"] = {"reason": why, **gate.to_dict()}
    try:
        published = ctx.store.publish(
            o.id,
            m,
            scorecard_json=pack.scorecard_json,
            pack_html=pack.pack_html,
            data_version=ctx.service.version.hash,
            commentary=pack.commentary,
            changes=changes,
            user=user,
            ip=ip,
            vintage=page.vintage,
            files=pack.files,
        )
    finally:
        ctx.forget(o.id, m)
    if not gate.open:
        detail = {"org": o.id, "month": m, "reason": why, **gate.to_dict()}
        ctx.store.audit("pack_published_over_gate", user.username, detail, ip)
    # its e-mails wait in the outbox for their time (`announcements: packs:`); the sender sends
    distribute_pack(ctx.service.catalogue, ctx.store, published)
    return published


@dataclass(frozen=True)
class Reloaded:
    """What a reload says: one sentence, and the ingest's warnings (rows read but worth a look,
    measures' ``where`` values matching no record, ...)."""

    message: str
    warnings: tuple[Finding, ...] = ()


def reload_data(ctx: Context, viewer: Viewer, ip: str | None) -> Reloaded:
    """Admins: re-read the definitions and ingest changed data files (audited)."""
    user = viewer.require(Role.ADMIN, "reload the data")
    before = ctx.service.version.hash
    summary = ctx.service.reload()
    ctx.pages.clear()
    after = ctx.service.version.hash
    warnings = tuple(summary.warnings) if summary is not None else ()
    detail: dict[str, object] = {
        "before": before,
        "after": after,
        "rows": summary.rows if summary is not None else 0,
        "warnings": len(warnings),
    }
    ctx.store.audit("data_reloaded", user.username, detail, ip)
    if summary is not None and summary.vintage is not None:
        announce_vintage(ctx, summary.vintage, ip)
    if before == after:
        return Reloaded(
            f"The data and definitions are unchanged (data version {after[:12]}).", warnings
        )
    return Reloaded(
        f"Reloaded: data version {before[:12]} → {after[:12]}"
        + (
            f"; {summary.rows:,} rows ingested."
            if summary is not None
            else "; definitions changed."
        ),
        warnings,
    )


def announce_vintage(ctx: Context, vintage: int, ip: str | None) -> None:
    """Send what a vintage made by the dashboard's reload brought to kpiboard.yaml's webhooks
    and subscribers, as ``kpiboard ingest`` does for its own (a vintage ingested from the
    command line was announced there). A delivery that fails goes to the audit log and the
    outbox; failing to work them out is audited too; the reload stands either way."""
    if not ctx.service.catalogue.project.announcements.configured:
        return
    try:
        _, news = ctx.announcements(vintage)
    except KpiboardError as exc:
        ctx.store.audit(
            "announcements_failed", None, {"vintage": vintage, "error": exc.message}, ip
        )
        return
    if news:
        announce(ctx.service.catalogue, ctx.store, vintage, news, log=audit_failures(ctx.store))


def end_session(ctx: Context, request: Request) -> None:
    """Sign out: end the request's session (audited) and forget it at once."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        ctx.store.end_session(token, ip=client_ip(request))
        ctx.sessions.forget(token)


def start_session(ctx: Context, request: Request, user: User) -> tuple[str, Session]:
    """Sign ``user`` in (they proved who they are, by password or through the identity
    provider): the session the browser held ends first, so a planted or copied cookie dies,
    and a new one is opened. Returns its token (for the cookie) and the session."""
    end_session(ctx, request)
    return ctx.store.create_session(user, ctx.settings.session_hours)


def set_session_cookie(ctx: Context, request: Request, response: Response, token: str) -> None:
    """The session cookie on ``response``, lasting as long as the session."""
    set_cookie(
        response,
        request,
        SESSION_COOKIE,
        token,
        max_age=int(ctx.settings.session_hours * 3600),
        https=ctx.settings.https,
    )
