"""A published pack (:data:`kpiboard.render.registry.PACK`): ``html``, the scorecard's HTML
report with the pack's commentary beside its KPIs, a stamp under the title (who signed it off,
when, from which data version; DRAFT until then), the executive summary drafted from the
figures (or as an editor rewrote it, the draft kept beside it) and what changed since the
previous pack.

The dashboard stores these bytes when the pack is published and serves them back unchanged,
so this layout is frozen into every pack published with it.
"""

from __future__ import annotations

from kpiboard.boardpack import PublishedPack
from kpiboard.render.html import render_html
from kpiboard.render.registry import RenderOptions


def stamp(pack: PublishedPack) -> tuple[str, ...]:
    """The lines under the title: who signed the pack off and when (a draft says so); which
    data it was built from."""
    if pack.signed_off_at is None:
        first = f"DRAFT pack for {pack.scorecard.as_of_text}: not yet published."
    else:
        first = (
            f"Published pack for {pack.scorecard.as_of_text}, signed off on "
            f"{pack.signed_off_at:%d %b %Y} by {pack.signed_off_by} ({pack.username})."
        )
    vintage = f" (vintage {pack.vintage})" if pack.vintage is not None else ""
    lines: tuple[str, ...] = (
        first,
        f"Data version {pack.data_version}{vintage}: sha256 of the data files and KPI "
        "definitions it was built from.",
    )
    if pack.content_hash is not None:
        lines += (f"Pack content hash {pack.content_hash} (as the dashboard records it).",)
    return lines


def render_pack_html(pack: PublishedPack, options: RenderOptions) -> bytes:
    """The pack as one UTF-8 HTML document (``options``' own commentary, stamp and changes
    give way to the pack's)."""
    return render_html(
        pack.scorecard,
        RenderOptions(
            width=options.width,
            color=options.color,
            commentary=pack.commentary,
            stamp=stamp(pack),
            # a draft says nothing of changes when there is no published pack to compare with
            changes=None if pack.draft and not pack.changes else pack.changes,
            summary=pack.summary,
            summary_text=pack.summary_text,
        ),
    )
