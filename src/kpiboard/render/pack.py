"""A published pack (:data:`kpiboard.render.registry.PACK`): ``html``, the scorecard's HTML
report with the pack's commentary beside its KPIs, a stamp under the title (who signed it off,
when, from which data version) and what changed since the previous pack.

The dashboard stores these bytes when the pack is published and serves them back unchanged,
so this layout is frozen into every pack published with it.
"""

from __future__ import annotations

from kpiboard.render.html import render_html
from kpiboard.render.registry import RenderOptions
from kpiboard.scorecard import PublishedPack


def stamp(pack: PublishedPack) -> tuple[str, ...]:
    """The lines under the title: who signed the pack off and when; which data it was built
    from."""
    return (
        f"Published pack for {pack.scorecard.as_of_text}, signed off on "
        f"{pack.signed_off_at:%d %b %Y} by {pack.signed_off_by} ({pack.username}).",
        f"Data version {pack.data_version}: sha256 of the data files and KPI definitions it was "
        "built from.",
    )


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
            changes=pack.changes,
        ),
    )
