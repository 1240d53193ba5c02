"""``kpiboard pack``: the month's board pack — the scorecard with the executive summary drafted
from the figures, the commentary saved on the dashboard, and what changed since the last pack —
as a DRAFT until it is published on the dashboard; a published month's pack is the frozen one,
byte for byte (its HTML, or a file kept with it at publication: PDF, XLSX)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kpiboard.assemble import assemble_revised, assemble_scorecard
from kpiboard.catalogue import Catalogue
from kpiboard.cli.appdb import app_store
from kpiboard.cli.common import (
    WAIT_SECONDS,
    OrgOption,
    OrientationOption,
    OutputOption,
    PaperOption,
    ProjectArg,
    WaitOption,
    check_binary,
    check_format,
    check_writable,
    emit,
    fail,
    layout_options,
)
from kpiboard.cli.report import observed
from kpiboard.engine.needs import BeforeAnyData
from kpiboard.errors import KpiboardError, UsageError
from kpiboard.periods import format_month, short_month
from kpiboard.render import PACK, RenderOptions
from kpiboard.render.pdf import ORIENTATIONS, PAPERS
from kpiboard.scorecard import Scorecard
from kpiboard.warehouse import Warehouse


def pack(
    project: ProjectArg = Path("."),
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="the pack's month, YYYY-MM (default: the latest with data)"),
    ] = None,
    org: OrgOption = None,
    fmt: Annotated[str, typer.Option("--format", help="the pack's format")] = "html",
    output: OutputOption = None,
    vintage: Annotated[
        int | None,
        typer.Option(help="build the draft from this vintage (default: the latest)"),
    ] = None,
    wait: WaitOption = WAIT_SECONDS,
    paper: PaperOption = PAPERS[0],
    orientation: OrientationOption = ORIENTATIONS[0],
) -> None:
    """The month's board pack: a DRAFT with the executive summary drafted from the figures
    (against the last published pack, else the month before), or the published pack as it was
    frozen."""
    try:
        check_format(PACK, fmt)
        check_binary(fmt, output)
        check_writable(output)
        options = layout_options(project, fmt, paper, orientation)
        emit(board_pack(project, as_of, org, fmt, vintage, wait, options), output)
    except KpiboardError as exc:
        fail(exc)


def board_pack(
    project: Path,
    as_of: str | None,
    org: str | None,
    fmt: str,
    vintage: int | None = None,
    wait: float = WAIT_SECONDS,
    options: RenderOptions | None = None,
) -> bytes:
    """The pack's bytes: the published one for a published month (as frozen: its HTML, or a
    file rendered once at publication such as its PDF), else a draft built from ``vintage``
    (default the latest) and laid out with ``options`` (default: the project's protective
    marking on A4 landscape)."""
    # the dashboard's definitions of a pack, loaded only by this command
    from kpiboard.web.packs import pack_document, summary_of
    from kpiboard.web.service import data_version

    with observed(project, as_of, vintage, wait) as (cat, wh, month):
        home = cat.resolve_org(org or cat.project.organisation)
        store = app_store(cat)
        try:
            published = None if store is None else store.publication(home, format_month(month))
            if store is not None and published is not None:
                kept = None if fmt == "html" else store.pack_file(home, published.month, fmt)
                if vintage is not None or (fmt != "html" and kept is None):
                    raise UsageError(
                        f"the pack for {short_month(month)} was published on "
                        f"{published.published_at:%d %b %Y} by {published.published_by} and "
                        "is kept as it was frozen",
                        hint="leave out --vintage for the published pack, in a format it was "
                        "kept in: html"
                        + "".join(f", {f.format}" for f in store.pack_files(home, published.month))
                        + "; or `kpiboard report` for the scorecard as the data now stand",
                    )
                if kept is not None:
                    return kept.content
                return published.pack_html.encode("utf-8")
            key = format_month(month)
            previous = None if store is None else store.previous_publication(home, key)
            commentary = {} if store is None else store.latest_commentary(home, key)
        finally:
            if store is not None:
                store.close()
        view = wh.at(vintage)
        pin = None if previous is None else previous.vintage
        card = assemble_revised(cat, wh, month, home, vintage=vintage, published=pin)
        summary = summary_of(card, previous, _month_before(cat, view, month, home))
        document, _ = pack_document(
            card,
            data_version(cat, view),
            commentary,
            previous,
            summary,
            vintage=view.vintage if view.vintage is not None else wh.latest_vintage(),
        )
        if options is None:
            options = RenderOptions(marking=cat.project.protective_marking)
        return PACK.render(document, fmt, options)


def _month_before(cat: Catalogue, view: Warehouse, month: int, org: str) -> Scorecard | None:
    """The scorecard of the month before, from the same vintage; None before any data."""
    try:
        return assemble_scorecard(cat, view.scorecard_observations(cat), month - 1, org)
    except BeforeAnyData:
        return None
