"""The dashboard application: `create_app(project)` gives the FastAPI app `kpiboard serve` runs.

Pages are rendered on the server (Jinja2) and work without JavaScript; the vendored htmx only
makes saving commentary swap the section in place. Every page has a JSON twin under /api
(:mod:`kpiboard.web.api`). Errors are one shape: a page that says what went wrong and what to
do, or ``{"error": {"status", "code", "message", "hint"}}`` under /api
(:mod:`kpiboard.web.errors`).

This module only assembles the app: its shared state (:class:`~kpiboard.web.context.Context`),
the middleware, the error handlers and the routers of :mod:`kpiboard.web.pages` and
:mod:`kpiboard.web.api`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from kpiboard import __version__
from kpiboard.catalogue.dashboard import Dashboard
from kpiboard.web.api import router as api_router
from kpiboard.web.context import Context
from kpiboard.web.db import AppStore
from kpiboard.web.entries_api import router as entries_router
from kpiboard.web.entries_bulk_api import router as entries_bulk_router
from kpiboard.web.errors import install_error_handlers, too_large
from kpiboard.web.notify import BackgroundSender, audit_failures, remind
from kpiboard.web.pages import ROUTERS as PAGE_ROUTERS
from kpiboard.web.security import Guard
from kpiboard.web.service import ScorecardService
from kpiboard.web.templating import environment

STATIC = Path(__file__).parent / "static"


def _sender_lifespan(
    service: ScorecardService, store: AppStore
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The background sender (kpiboard.web.notify) runs while the app does: started with the
    server, stopped (and waited for) when it stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sender = BackgroundSender(
            store,
            lambda: service.catalogue.project.announcements,
            audit_failures(store),
            before=lambda: remind(service.catalogue, store),  # reminders due: docs/ENTRY.md
        )
        app.state.sender = sender
        sender.start()
        try:
            yield
        finally:
            await run_in_threadpool(sender.stop)

    return lifespan


def create_app(
    service: ScorecardService, store: AppStore, settings: Dashboard | None = None
) -> FastAPI:
    """The dashboard over an open project (``service``) and application database (``store``)."""
    app = FastAPI(
        title=f"kpiboard — {service.title}",
        version=__version__,
        description="The scorecard, KPI pages, commentary and published packs as JSON. "
        'Errors are {"error": {status, code, message, hint}}.',
        docs_url=None,  # /docs is our own page (kpiboard.web.pages.apidocs): no CDN
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=_sender_lifespan(service, store),
    )
    # every handler reads it through kpiboard.web.context (tests may swap its parts)
    settings = settings or service.catalogue.project.dashboard
    app.state.ctx = Context(service, store, settings, environment())
    app.add_middleware(Guard, on_too_large=too_large, hsts=settings.https)
    if settings.trusted_proxies:
        # outermost, so that everything else sees the client behind a named proxy; nobody
        # else's forwarded headers are believed (they would forge the audit log's addresses
        # and escape the per-address sign-in throttle)
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_error_handlers(app)
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.include_router(api_router)
    app.include_router(entries_bulk_router)  # before entries_router: its paths are more specific
    app.include_router(entries_router)
    return app
