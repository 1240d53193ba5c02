"""Your e-mail and subscriptions: where a signed-in person's announcements and packs are
e-mailed, and which measures and sections they want to hear about (kpiboard.web.notify sends
them after each load)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kpiboard.web.context import AnyViewer, Context, Ctx, FormWriter, client_ip
from kpiboard.web.db import Role, User
from kpiboard.web.templating import render_page

router = APIRouter(include_in_schema=False)
PATH = "/account"
NO_SECTION = "Other measures"
Values = Annotated[list[str], Form()]


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
) -> Response:
    """Save the address and the subscriptions; measures and sections the project does not
    have are dropped."""
    user = viewer.require(Role.VIEWER, "choose your subscriptions")
    known = choices(ctx)
    measures = {m for _, ms in known for m, _ in ms}
    sections = {s for s, _ in known if s != NO_SECTION}
    ctx.store.set_email(user.username, email.strip() or None, actor=user.username)
    ctx.store.subscribe(
        user,
        sorted(set(measure) & measures),
        sorted(set(section) & sections),
        packs,
        ip=client_ip(request),
    )
    return RedirectResponse(f"{PATH}?saved=1", status_code=303)
