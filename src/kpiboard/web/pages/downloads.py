"""Downloads: every scorecard view in each format the registry has for it (PDF and XLSX among
them when installed), and a published pack's files as they were rendered at publication,
served unchanged with their SHA-256."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from fastapi import APIRouter, Depends, Response

from kpiboard.render import PACK, SCORECARD, RenderOptions, media_type
from kpiboard.web.context import Ctx, get_reader
from kpiboard.web.pages.packs import published
from kpiboard.web.service import NotFound
from kpiboard.web.shown import shown
from kpiboard.web.urls import download_formats

router = APIRouter(include_in_schema=False)

# shown in the browser; anything else is saved
INLINE = frozenset({"html", "pdf", "json", "svg"})


# a format whose file ends otherwise than in its name
SUFFIXES = {"csv-excel": "csv"}


def _headers(stem: str, fmt: str) -> dict[str, str]:
    how = "inline" if fmt in INLINE else "attachment"
    name = f"{stem}.{SUFFIXES.get(fmt, fmt)}"
    return {"content-disposition": f"{how}; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"}


def _check(formats: list[str], fmt: str, what: str) -> None:
    if fmt not in formats:
        raise NotFound(f"no {fmt!r} download of {what}", hint=f"formats: {', '.join(formats)}")


@router.get("/scorecard/{org}/{month}/scorecard.{fmt}", dependencies=[Depends(get_reader)])
def scorecard_file(org: str, month: str, fmt: str, ctx: Ctx) -> Response:
    """The scorecard as the dashboard shows it (revised figures marked, the vintage it was
    built from named), with the month's latest commentary."""
    o, m = ctx.service.org(org), ctx.service.month(month)
    _check([f for f, _ in download_formats()], fmt, "a scorecard")
    page = shown(ctx, o.id, m)
    card = replace(page.scorecard, vintage=page.vintage)
    latest, _ = ctx.month_state(o.id, m)
    commentary = {measure: rev.text for measure, rev in latest.items()}
    key = ("scorecard", o.id, m, fmt, tuple(sorted((k, r.id) for k, r in latest.items())))
    data = ctx.service.rendered(
        key,
        lambda: SCORECARD.render(
            card,
            fmt,
            RenderOptions(commentary=commentary, marking=ctx.service.protective_marking),
        ),
    )
    return Response(
        data, media_type=media_type(fmt), headers=_headers(f"scorecard-{o.id}-{m}", fmt)
    )


@router.get("/packs/{org}/{month}/pack.{fmt}", dependencies=[Depends(get_reader)])
def pack_file_in(org: str, month: str, fmt: str, ctx: Ctx) -> Response:
    """A published pack's file in ``fmt`` (its HTML has a route of its own), byte for byte as
    rendered at publication."""
    o, pub = published(ctx, org, month)
    stored = ctx.store.pack_file(o.id, pub.month, fmt)
    if stored is None:
        kept = [f.format for f in ctx.store.pack_files(o.id, pub.month)]
        raise NotFound(
            f"the pack for {pub.month} has no {fmt!r} file",
            hint=f"kept at publication: html{''.join(', ' + k for k in kept)}"
            + ("" if fmt not in PACK.formats else " (packs published before it was installed)"),
        )
    headers = _headers(f"pack-{o.id}-{pub.month}", fmt)
    headers["x-kpiboard-sha256"] = stored.sha256
    return Response(stored.content, media_type=stored.media_type, headers=headers)
