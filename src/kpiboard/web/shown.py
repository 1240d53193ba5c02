"""The month's scorecard as every page and API answer shows it: a figure revised since the
month's published pack (the vintage it pinned), or since first reported when the month is not
published, carries its mark (docs/VINTAGES.md)."""

from __future__ import annotations

from dataclasses import dataclass

from kpiboard.scorecard import Scorecard
from kpiboard.web.context import Context
from kpiboard.web.db import Publication
from kpiboard.web.service import NotFound, Shown


def pinned(ctx: Context, org: str, month: str) -> int | None:
    """The vintage the month's published pack was built from; None when it is not published
    (or was published before packs pinned their vintage)."""
    _, publication = ctx.month_state(org, month)
    return publication.vintage if publication is not None else None


def shown(ctx: Context, org: str, month: str) -> Shown:
    return ctx.service.shown(org, month, pinned(ctx, org, month))


def shown_scorecard(ctx: Context, org: str, month: str) -> Scorecard:
    """The scorecard of ``org`` at ``month`` (both checked), revisions marked."""
    return shown(ctx, org, month).scorecard


def marks(card: Scorecard) -> tuple[tuple[str, str], ...]:
    """The revision marks of a scorecard, for the keys of views cached from it."""
    return tuple((r.measure, r.revised.text) for r in card.all_rows() if r.revised is not None)


@dataclass(frozen=True)
class SincePublished:
    """What a published pack's page says about the data now: the vintage the dashboard shows
    and the figures revised since the pack's vintage (row label, the mark's words)."""

    vintage: int | None
    revised: tuple[tuple[str, str], ...] = ()


def since_published(ctx: Context, pack: Publication) -> SincePublished:
    """The figures of ``pack``'s month revised since the vintage it pinned (none for a pack
    published before packs pinned their vintage, or a month the data no longer cover)."""
    try:
        page = ctx.service.shown(pack.org, ctx.service.month(pack.month), pack.vintage)
    except NotFound:
        return SincePublished(None)
    if pack.vintage is None:
        return SincePublished(page.vintage)
    rows = page.scorecard.all_rows()
    revised = tuple(
        (r.title if r.id == r.measure else f"{r.id} {r.title}", r.revised.text)
        for r in rows
        if r.revised is not None
    )
    return SincePublished(page.vintage, revised)
