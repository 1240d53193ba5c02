"""The dashboard's application database as the command line uses it: the vintages published
packs pinned (what ``report`` marks revisions against and ``ingest`` announces revisions of),
and the outbox ``ingest`` puts its announcements in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpiboard.announce import Pin
from kpiboard.catalogue import Catalogue
from kpiboard.web import DEFAULT_DB

if TYPE_CHECKING:
    from kpiboard.web.db.store import AppStore


def app_store(cat: Catalogue, *, create: bool = False) -> AppStore | None:
    """The project's application database (``dashboard: database``, else the SQLite file the
    dashboard makes); None when none is configured and the dashboard never made one, unless
    ``create`` (something must be kept there: announcements to send)."""
    configured = cat.project.dashboard.database
    if configured is None and not (cat.root / DEFAULT_DB).is_file() and not create:
        return None  # never served: opening the store would create a database
    from kpiboard.web.db.store import AppStore  # the web stack, only when there is a database

    return AppStore.open(AppStore.default_url(cat.root, configured))


def published_pins(store: AppStore | None) -> tuple[Pin, ...]:
    """Every published pack that recorded its vintage (packs published before they did have
    none, and count as unpublished)."""
    if store is None:
        return ()
    return tuple(
        Pin(p.org, p.month, p.vintage) for p in store.publications() if p.vintage is not None
    )
