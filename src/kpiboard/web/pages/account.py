"""Your e-mail and subscriptions: where a signed-in person's announcements and packs are
e-mailed, which measures and sections they want to hear about (kpiboard.web.notify sends
them after each load), and which reminders about the figures they enter or approve they want
(all of them unless they say otherwise)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from kpiboard.web.api import ERROR_SHAPE
from kpiboard.web.context import (
    AnyViewer,
    Context,
    CsrfHeader,
    Ctx,
    FormWriter,
    client_ip,
)
from kpiboard.web.db import Role, User
from kpiboard.web.db.reminders import REMINDER_KINDS
from kpiboard.web.security import check_csrf
from kpiboard.web.templating import render_page

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["account"])  # the page's JSON twin
PATH = "/account"
NO_SECTION = "Other measures"
Values = Annotated[list[str], Form()]
REMINDERS = (  # the reminders' kinds (docs/ENTRY.md), as the page offers them
    ("entry_due", "a figure of mine is due soon"),
    ("entry_overdue", "a figure of mine (or one waiting for my approval) is overdue"),
    ("entry_returned", "a figure of mine was returned, with the reason"),
)


def choices(ctx: Context) -> list[tuple[str, list[tuple[str, str]]]]:
    """Sections in report order, each with its measures (id, title), parts of a composite under
    its section; measures without a section last."""
    by_section: dict[str, list[tuple[str, str]]] = {
        s: [] for s in ctx.service.catalogue.project.sections
    }
    measures = ctx.service.catalogue.measures
    for m in measures.values():
        parent = measures.get(m.parent) if m.parent else None  # a part: under its whole
        section = m.section or (parent.section if parent else None) or NO_SECTION
        by_section.setdefault(section, []).append((m.id, m.title))
    return [(s, ms) for s, ms in by_section.items() if ms]


def _values(ctx: Context, user: User) -> dict[str, Any]:
    measures, sections, packs = ctx.store.subscription(user)
    return {
        "choices": choices(ctx),
        "email": ctx.store.email(user) or "",
        "measures": measures,
        "sections": sections,
        "packs": packs,
        "reminder_choices": REMINDERS,
        "reminders": frozenset(REMINDER_KINDS) - ctx.store.reminder_optouts(user),
        "packs_configured": ctx.service.catalogue.project.announcements.packs is not None,
        "email_configured": ctx.service.catalogue.project.announcements.email is not None,
        "no_section": NO_SECTION,
        "org": None,
        "month": None,
    }


@router.get(PATH, response_class=HTMLResponse)
def account_page(request: Request, ctx: Ctx, viewer: AnyViewer, saved: int = 0) -> Response:
    user = viewer.require(Role.VIEWER, "choose your subscriptions")
    return render_page(
        ctx, request, "account.html", viewer=viewer, saved=bool(saved), **_values(ctx, user)
    )


@router.post(PATH)
def save_account(
    request: Request,
    ctx: Ctx,
    viewer: FormWriter,
    email: Annotated[str, Form(max_length=254)] = "",
    measure: Values = [],  # noqa: B006 (FastAPI copies defaults)
    section: Values = [],  # noqa: B006
    packs: Annotated[bool, Form()] = False,
    reminder: Values = [],  # noqa: B006
    reminders_shown: Annotated[bool, Form()] = False,
) -> Response:
    """Save the address and the subscriptions; measures and sections the project does not
    have are dropped. The reminders ticked are those wanted (the page says it showed them, so
    none ticked is none wanted, not a form from before reminders)."""
    user = viewer.require(Role.VIEWER, "choose your subscriptions")
    wanted = reminder if reminders_shown else None
    _save(ctx, user, email, measure, section, packs, client_ip(request), wanted)
    return RedirectResponse(f"{PATH}?saved=1", status_code=303)


def _save(
    ctx: Context,
    user: User,
    email: str | None,
    measures: list[str],
    sections: list[str],
    packs: bool,
    ip: str | None,
    reminders: list[str] | None = None,
) -> None:
    known = choices(ctx)
    known_measures = {m for _, ms in known for m, _ in ms}
    known_sections = {s for s, _ in known if s != NO_SECTION}
    ctx.store.set_email(user.username, (email or "").strip() or None, actor=user.username)
    ctx.store.subscribe(
        user,
        sorted(set(measures) & known_measures),
        sorted(set(sections) & known_sections),
        packs,
        ip=ip,
    )
    if reminders is not None:  # the kinds not wanted are kept (reminders go out by default)
        ctx.store.set_reminder_optouts(user, set(REMINDER_KINDS) - set(reminders), ip=ip)


class SubscriptionsIn(BaseModel):
    email: str | None = Field(None, max_length=254, description="None or '' removes it")
    measures: list[str] = Field(default_factory=list, max_length=1000)
    sections: list[str] = Field(default_factory=list, max_length=100)
    packs: bool = False
    reminders: list[str] | None = Field(
        None,
        max_length=10,
        description="the reminders about entered figures wanted (entry_due, entry_overdue, "
        "entry_returned); left out: unchanged",
    )


def _json(ctx: Context, user: User) -> dict[str, Any]:
    measures, sections, packs = ctx.store.subscription(user)
    return {
        "email": ctx.store.email(user),
        "measures": sorted(measures),
        "sections": sorted(sections),
        "packs": packs,
        "reminders": sorted(set(REMINDER_KINDS) - ctx.store.reminder_optouts(user)),
    }


@api_router.get(PATH, summary="Your e-mail address and subscriptions", responses={401: ERROR_SHAPE})
def account_json(ctx: Ctx, viewer: AnyViewer) -> dict[str, Any]:
    return _json(ctx, viewer.require(Role.VIEWER, "read your subscriptions"))


@api_router.put(
    PATH,
    summary="Set your e-mail address and subscriptions (X-CSRF-Token header); unknown "
    "measures and sections are dropped",
    responses=dict.fromkeys((400, 401, 403, 422), ERROR_SHAPE),
)
def put_account(
    request: Request,
    body: SubscriptionsIn,
    ctx: Ctx,
    viewer: AnyViewer,
    x_csrf_token: CsrfHeader = None,
) -> dict[str, Any]:
    check_csrf(viewer, x_csrf_token)  # here, after the body: a malformed one is a 422 first
    user = viewer.require(Role.VIEWER, "choose your subscriptions")
    ip = client_ip(request)
    _save(ctx, user, body.email, body.measures, body.sections, body.packs, ip, body.reminders)
    return _json(ctx, user)
