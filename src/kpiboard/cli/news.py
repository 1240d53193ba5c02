"""What ``kpiboard ingest`` announces: the changes that matter since the last load (status,
new signals, assurance, gone stale; docs/VINTAGES.md, "Announcements"), found by comparing the
new vintage's scorecard with the previous one's. ``ingest --check`` finds them inside the load
it rolls back, so it shows what the load would announce."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kpiboard.announce import announcements, announcements_between
from kpiboard.announcements import Announcement
from kpiboard.catalogue import Catalogue
from kpiboard.cli.common import err
from kpiboard.errors import KpiboardError
from kpiboard.warehouse import Warehouse

LISTED = 20  # `ingest` lists up to this many announcements; --format json lists them all


def checked_news(cat: Catalogue, wh: Warehouse, found: list[Announcement]) -> Callable[[], None]:
    """What ``ingest --check`` calls inside the load before its rollback: it adds to ``found``
    what the vintage the load would make brings (the latest view reads it)."""

    def would_bring() -> None:
        previous = wh.latest_vintage()  # the checked load records no vintage
        before = wh.at(previous) if previous else None
        try:
            found.extend(announcements_between(cat, before, wh, (previous or 0) + 1))
        except KpiboardError as exc:  # the check of the load itself still stands
            _warn(f"what the load would bring could not be worked out: {exc.message}")

    return would_bring


def after_load(cat: Catalogue, wh: Warehouse, vintage: int) -> list[Announcement]:
    """The vintage is committed: a failure to compare scorecards is a warning, not a failed
    load."""
    try:
        return announcements(cat, wh, vintage)
    except KpiboardError as exc:
        _warn(
            f"vintage {vintage} was made, but what it brings could not be worked out: "
            f"{exc.message} (see it with `kpiboard report --vintage {vintage}`)"
        )
        return []


def _warn(text: str) -> None:
    err.print(f"warning: {text}", markup=False)


def news_lines(news: Sequence[Announcement], *, checked: bool = False) -> list[str]:
    """The block ``ingest`` prints: a heading, one line each (the organisation named when
    there are several), at most LISTED."""
    if not news:
        return []
    several = len({a.organisation for a in news}) > 1
    lines = ["would be announced:" if checked else "since the last load:"]
    for a in news[:LISTED]:
        lines.append(f"  {a.organisation_name}: {a.text}" if several else f"  {a.text}")
    if len(news) > LISTED:
        lines.append(f"  … and {len(news) - LISTED} more (--format json lists them all)")
    return lines
