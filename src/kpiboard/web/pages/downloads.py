"""The scorecard as a file to download: the month's scorecard as the dashboard shows it
(revisions marked), in a format of the output registry that is a file rather than a page."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from kpiboard.render import SCORECARD
from kpiboard.web.context import Ctx, get_reader
from kpiboard.web.service import NotFound
from kpiboard.web.shown import shown

router = APIRouter(include_in_schema=False)

# format -> (media type, file suffix)
DOWNLOADS: dict[str, tuple[str, str]] = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv-excel": ("text/csv; charset=utf-8", "csv"),
}


def download_path(org: str, month: str, fmt: str) -> str:
    return f"/scorecard/{quote(org, safe='')}/{month}/download/{fmt}"


@router.get("/scorecard/{org}/{month}/download/{fmt}", dependencies=[Depends(get_reader)])
def download(org: str, month: str, fmt: str, ctx: Ctx) -> Response:
    if fmt not in DOWNLOADS:
        raise NotFound(f"no download as {fmt!r}", hint=f"choose one of: {', '.join(DOWNLOADS)}")
    o, m = ctx.service.org(org), ctx.service.month(month)
    page = shown(ctx, o.id, m)
    card = replace(page.scorecard, vintage=page.vintage)
    media, suffix = DOWNLOADS[fmt]
    return Response(
        SCORECARD.render(card, fmt),
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{o.id}-{m}.{suffix}"'},
    )
