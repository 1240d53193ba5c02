"""What every request works with: the dashboard's shared state (:class:`Context`) and who is
asking, as FastAPI dependencies.

A handler names what it needs by type: ``ctx: Ctx`` (the project, the application database,
the caches), ``viewer: AnyViewer`` (signed in or not), ``Depends(get_reader)`` (must be allowed to
read), ``viewer: FormWriter`` / ``viewer: ApiWriter`` (a state-changing request whose CSRF token,
from the form or the ``X-CSRF-Token`` header, matches the session's).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Form, Header, Request
from fastapi.concurrency import run_in_threadpool
from jinja2 import Environment

from kpiboard.announce import Pin
from kpiboard.announcements import Announcement
from kpiboard.catalogue.dashboard import Dashboard
from kpiboard.web.builds import build_owner
from kpiboard.web.db import AppStore, Publication, Revision, Session
from kpiboard.web.memo import SESSION_MEMORY_SECONDS, Memo
from kpiboard.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    SignInRequired,
    Viewer,
    check_csrf,
)
from kpiboard.web.service import ScorecardService
from kpiboard.web.snapshot import PageCache


@dataclass
class Context:
    """The dashboard's state, shared by every request (``app.state.ctx``)."""

    service: ScorecardService
    store: AppStore
    settings: Dashboard
    env: Environment
    pages: PageCache = dataclasses.field(default_factory=lambda: PageCache(256))
    # what the pages read from the application database, remembered (kpiboard.web.memo)
    sessions: Memo[str, Session | None] = dataclasses.field(
        default_factory=lambda: Memo(4096, seconds=SESSION_MEMORY_SECONDS)
    )
    states: Memo[tuple[str, str], tuple[dict[str, Revision], Publication | None]] = (
        dataclasses.field(default_factory=lambda: Memo(4096))
    )
    revisions: Memo[tuple[str, str, str], list[Revision]] = dataclasses.field(
        default_factory=lambda: Memo(4096)
    )
    pinned: Memo[str, tuple[Pin, ...]] = dataclasses.field(default_factory=lambda: Memo(1))

    def month_state(self, org: str, month: str) -> tuple[dict[str, Revision], Publication | None]:
        """The month's latest commentary and its publication."""
        return self.states.get(
            (org, month),
            lambda: (self.store.latest_commentary(org, month), self.store.publication(org, month)),
        )

    def kpi_revisions(self, org: str, month: str, measure: str) -> list[Revision]:
        """Every commentary revision of one KPI for the month, newest first."""
        return self.revisions.get(
            (org, month, measure), lambda: self.store.revisions(org, measure, month)
        )

    def pins(self) -> tuple[Pin, ...]:
        """The published packs that recorded their vintage (organisation, month, vintage)."""
        return self.pinned.get(
            "pins",
            lambda: tuple(
                Pin(p.org, p.month, p.vintage)
                for p in self.store.publications()
                if p.vintage is not None
            ),
        )

    def announcements(
        self, vintage: int | None = None
    ) -> tuple[int | None, tuple[Announcement, ...]]:
        """What vintage ``vintage`` (default: the request's) brought, revisions of the
        published packs included (docs/VINTAGES.md, "Announcements")."""
        return self.service.announcements(vintage, self.pins())

    def forget(self, org: str, month: str) -> None:
        """Commentary was saved or the month published: read its state afresh."""
        self.pinned.forget("pins")
        self.states.forget((org, month))
        self.revisions.forget_where(lambda key: key[:2] == (org, month))


def context_of(request: Request) -> Context:
    """The context of the app serving ``request``."""
    return cast(Context, request.app.state.ctx)


def viewer_of(ctx: Context, request: Request) -> Viewer:
    """Who is asking. Reading requests may use a session remembered for a few seconds;
    every state-changing request checks the application database."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return Viewer(None, None)
    if request.method in ("GET", "HEAD"):
        session = ctx.sessions.get(
            token, lambda: ctx.store.session(token), keep=lambda s: s is not None
        )
        if session is not None and session.expires_at <= ctx.store.now():
            ctx.sessions.forget(token)
            session = None
    else:
        session = ctx.store.session(token)
    return Viewer(session.user if session else None, session)


def check_reader(ctx: Context, viewer: Viewer) -> Viewer:
    """The viewer, who must be signed in unless anonymous reading is on."""
    if viewer.user is None and not ctx.settings.anonymous_read:
        raise SignInRequired(
            "sign in to read the dashboard", hint="anonymous reading is off for this project"
        )
    return viewer


def remembered_viewer(ctx: Context, request: Request) -> Viewer | None:
    """Who is asking, when that needs no database lookup: no session cookie, or a reading
    request whose session is remembered and unexpired; None otherwise."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return Viewer(None, None)
    if request.method not in ("GET", "HEAD"):
        return None
    session = ctx.sessions.peek(token, None)
    if session is None or session.expires_at <= ctx.store.now():
        return None  # viewer_of looks it up, or forgets it
    return Viewer(session.user, session)


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def owner_of(viewer: Viewer, request: Request) -> str:
    """Whose bound an uncached build counts against (kpiboard.web.builds): the signed-in user
    (all their sessions together), else the client's address."""
    if viewer.user is not None:
        return f"user:{viewer.user.id}"
    return f"address:{client_ip(request)}"


# --- as FastAPI dependencies ---------------------------------------------------------------


async def get_context(request: Request) -> Context:
    """The context, with the request's snapshot taken (kpiboard.web.snapshot): every service
    call of this request answers from that one vintage."""
    ctx = context_of(request)
    # Answered on the event loop (no I/O) except, at most once a second, a look for a new
    # vintage, which may read the warehouse: that goes to a worker thread.
    snapshot = ctx.service.current()
    if snapshot is None:
        snapshot = await run_in_threadpool(ctx.service.refresh)
    ctx.service.enter(snapshot)  # on the request's own task: its worker threads see it
    return ctx


Ctx = Annotated[Context, Depends(get_context)]


async def get_viewer(request: Request, ctx: Ctx) -> Viewer:
    # A remembered session (most page reads) is answered on the event loop; a database lookup
    # goes to a worker thread, so it never holds up other requests.
    viewer = remembered_viewer(ctx, request)
    if viewer is None:
        viewer = await run_in_threadpool(viewer_of, ctx, request)
    # Set here, on the request's own task, so the handler's worker thread sees it.
    build_owner.set(owner_of(viewer, request))
    return viewer


AnyViewer = Annotated[Viewer, Depends(get_viewer)]


async def get_reader(ctx: Ctx, viewer: AnyViewer) -> Viewer:
    return check_reader(ctx, viewer)


Reader = Annotated[Viewer, Depends(get_reader)]
CsrfHeader = Annotated[str | None, Header(alias=CSRF_HEADER)]


async def form_writer(
    viewer: AnyViewer, csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = ""
) -> Viewer:
    check_csrf(viewer, csrf_token)
    return _unbounded(viewer)


async def api_writer(viewer: AnyViewer, x_csrf_token: CsrfHeader = None) -> Viewer:
    check_csrf(viewer, x_csrf_token)
    return _unbounded(viewer)


def _unbounded(writer: Viewer) -> Viewer:
    """A write (saving commentary, publishing) is never refused for the builds it needs: it is
    rare, signed in and CSRF-checked, and an approver who browsed many pages before publishing
    must not be told to wait. Only reading is bounded (kpiboard.web.builds)."""
    build_owner.set(None)
    return writer


FormWriter = Annotated[Viewer, Depends(form_writer)]
ApiWriter = Annotated[Viewer, Depends(api_writer)]
