"""The dashboard's pages: each route reads the engine's Scorecard through the service, the
month's commentary and publication through the application database, and renders a template.
Every page has a JSON twin in :mod:`kpiboard.web.api`.

One router per part of the site, included by :func:`kpiboard.web.app.create_app` in this
order: the scorecard and board cover, a KPI and its commentary, the month's executive summary,
what the last load brought, published packs, the figures owners enter and approvers sign off, the files to download (a scorecard view in every
format, a pack's kept files), signing in and out (with a password, or through the identity
provider), the admins' pages, your e-mail and subscriptions, the API reference.
"""

from __future__ import annotations

from fastapi import APIRouter

from kpiboard.web.pages import (
    account,
    admin,
    apidocs,
    brief,
    downloads,
    entries,
    entry_upload,
    kpi,
    news,
    oidc,
    packs,
    scorecard,
    signin,
)

ROUTERS: tuple[APIRouter, ...] = (
    scorecard.router,
    kpi.router,
    brief.router,
    news.router,
    packs.router,
    entry_upload.router,  # before entries: its /upload is no measure
    entries.router,
    downloads.router,
    signin.router,
    oidc.router,
    admin.router,
    account.router,
    account.api_router,
    apidocs.router,
)

__all__ = ["ROUTERS"]
