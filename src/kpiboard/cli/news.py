"""What ``kpiboard ingest`` announces: the changes that matter since the last load (status,
new signals, assurance, gone stale; docs/VINTAGES.md, "Announcements"), found by comparing the
new vintage's scorecard with the previous one's. ``ingest --check`` finds them inside the load
it rolls back, so it shows what the load would announce."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from kpiboard.announce import Pin, announcements, announcements_between
from kpiboard.announcements import Announcement
from kpiboard.catalogue import Catalogue
from kpiboard.cli.appdb import app_store, published_pins
from kpiboard.cli.common import err
from kpiboard.errors import KpiboardError
from kpiboard.warehouse import Warehouse

if TYPE_CHECKING:
    from kpiboard.web.db import Delivery

LISTED = 20  # `ingest` lists up to this many announcements; --format json lists them all


def checked_news(
    cat: Catalogue, wh: Warehouse, found: list[Announcement], pins: Sequence[Pin] = ()
) -> Callable[[], None]:
    """What ``ingest --check`` calls inside the load before its rollback: it adds to ``found``
    what the vintage the load would make brings (the latest view reads it)."""

    def would_bring() -> None:
        previous = wh.latest_vintage()  # the checked load records no vintage
        before = wh.at(previous) if previous else None
        try:
            found.extend(announcements_between(cat, before, wh, (previous or 0) + 1, pins))
        except KpiboardError as exc:  # the check of the load itself still stands
            _warn(f"what the load would bring could not be worked out: {exc.message}")

    return would_bring


def after_load(
    cat: Catalogue, wh: Warehouse, vintage: int, pins: Sequence[Pin] = ()
) -> list[Announcement]:
    """The vintage is committed: a failure to compare scorecards is a warning, not a failed
    load."""
    try:
        return announcements(cat, wh, vintage, pins)
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


def published_pins_of(cat: Catalogue) -> tuple[Pin, ...]:
    """The published packs whose revisions a load announces; none when the application
    database cannot be read (a warning: the load itself does not need it)."""
    try:
        store = app_store(cat)
    except KpiboardError as exc:
        _warn(f"published packs not read, so their revisions are not announced: {exc.message}")
        return ()
    if store is None:
        return ()
    try:
        return published_pins(store)
    finally:
        store.close()


def send_news(cat: Catalogue, vintage: int, news: Sequence[Announcement]) -> None:
    """Hand the vintage's announcements to the webhooks and subscribers of kpiboard.yaml's
    ``announcements:`` (kpiboard.web.notify): each tried once now; one that fails is said on
    stderr and left in the outbox for ``kpiboard serve``'s sender or ``kpiboard outbox
    --send``. The load stands whatever becomes of them."""
    if not cat.project.announcements.configured:
        return
    from kpiboard.web import notify  # the web stack, only when something is to be sent

    try:
        store = app_store(cat, create=True)
        assert store is not None
    except KpiboardError as exc:
        _warn(f"vintage {vintage}'s announcements were not sent: {exc.message}")
        return
    try:
        report = notify.announce(cat, store, vintage, news, log=_failed)
    finally:
        store.close()
    if report.deliveries:
        waiting = len(report.failed)
        err.print(
            f"announcements: {len(report.delivered)} delivered"
            + (f", {waiting} waiting to be retried (`kpiboard outbox`)" if waiting else ""),
            markup=False,
        )


def _failed(delivery: Delivery) -> None:
    from kpiboard.web.notify import describe

    _warn(describe(delivery))
