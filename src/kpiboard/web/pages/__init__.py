"""The dashboard's pages: each route reads the engine's Scorecard through the service, the
month's commentary and publication through the application database, and renders a template.
Every page has a JSON twin in :mod:`kpiboard.web.api`.

One router per part of the site, included by :func:`kpiboard.web.app.create_app` in this
order: the scorecard and board cover, the scorecard as a file (Excel, CSV for Excel), a KPI and its commentary, what the last load brought,
published packs, signing in and out (with a password, or through the identity provider), the
admins' pages, your e-mail and subscriptions, the API reference.
"""

from __future__ import annotations

from fastapi import APIRouter

from kpiboard.web.pages import (
    account,
    admin,
    apidocs,
    downloads,
    kpi,
    news,
    oidc,
    packs,
    scorecard,
    signin,
)

ROUTERS: tuple[APIRouter, ...] = (
    scorecard.router,
    downloads.router,
    kpi.router,
    news.router,
    packs.router,
    signin.router,
    oidc.router,
    admin.router,
    account.router,
    account.api_router,
    apidocs.router,
)

__all__ = ["ROUTERS"]
