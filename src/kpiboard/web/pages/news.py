"""Since the last load: what the latest vintage brought (status changes, new signals,
assurance changes, figures of published packs revised, measures gone stale), as a page of its
own and as a panel on the scorecard page (docs/WEB.md). The service finds them, once per
vintage; this module only links each to its KPI."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kpiboard.announcements import Announcement
from kpiboard.web.context import Ctx, Reader
from kpiboard.web.templating import render_page
from kpiboard.web.urls import kpi_path

router = APIRouter(include_in_schema=False)

PANEL_ITEMS = 8  # the scorecard page lists this many; the page lists them all


def linked(news: tuple[Announcement, ...]) -> list[tuple[Announcement, str]]:
    """Each announcement with the address of its KPI's page (at the month it is about)."""
    return [(a, kpi_path(a.organisation, a.month, a.measure)) for a in news]


def by_organisation(
    news: tuple[Announcement, ...],
) -> list[tuple[str, list[tuple[Announcement, str]]]]:
    """The linked announcements grouped by organisation, in the order they first come (the
    home organisation's first), each group in the announcements' own order."""
    groups: dict[str, list[tuple[Announcement, str]]] = {}
    for a, href in linked(news):
        groups.setdefault(a.organisation_name, []).append((a, href))
    return list(groups.items())


@router.get("/announcements", response_class=HTMLResponse)
def news_page(request: Request, ctx: Ctx, viewer: Reader, vintage: int | None = None) -> Response:
    shown, news = ctx.announcements(vintage)
    return render_page(
        ctx,
        request,
        "news.html",
        viewer=viewer,
        vintage=shown,
        groups=by_organisation(news),
        org=None,
        month=None,
        cache_key=("announcements", shown),
    )
