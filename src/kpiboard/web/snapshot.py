"""One vintage of the project as the dashboard shows it, and the one a request reads.

A :class:`Snapshot` is everything a page needs that does not depend on the page: the KPI
definitions, the vintage and data version, the months and organisations with data, and the
results built from them so far. It never changes; a new vintage (or "Reload the data") makes a
new one. A request takes the current snapshot once, at its start (:func:`use_snapshot`, called
by the request's context dependency), so every part of a page comes from the same vintage
whatever an ingest commits meanwhile; a request still running when a new one comes keeps its
own, and the old one's results go when the last such request ends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field

from kpiboard.catalogue import Catalogue
from kpiboard.catalogue.load import PROJECT_FILE
from kpiboard.warehouse import Warehouse
from kpiboard.web.builds import Flights
from kpiboard.web.definition import Definition

MISSING = object()


@dataclass(frozen=True)
class DataVersion:
    """What a page or pack was built from: the sha256 of every data file in the warehouse's
    latest load and of every KPI definition file, and one hash over both."""

    files: dict[str, str]
    definitions: dict[str, str]
    hash: str

    @property
    def short(self) -> str:
        return self.hash[:12]

    @classmethod
    def of(cls, files: dict[str, str], definitions: dict[str, str]) -> DataVersion:
        canonical = json.dumps({"data": files, "definitions": definitions}, sort_keys=True)
        return cls(files, definitions, hashlib.sha256(canonical.encode()).hexdigest())


def definition_hashes(cat: Catalogue) -> dict[str, str]:
    """The sha256 of the project file and of every KPI definition file, by project path."""
    files = [cat.root / PROJECT_FILE, *sorted((cat.root / "measures").glob("*.y*ml"))]
    return {cat.rel(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}


def data_version(cat: Catalogue, wh: Warehouse) -> DataVersion:
    """What a page or pack built from ``wh`` (a vintage's view) was built from."""
    return DataVersion.of(wh.recorded_files(), definition_hashes(cat))


class Cache:
    """A small LRU map. Not locked itself: the service guards it with a short lock and builds
    values outside that lock, so a slow build never holds up pages already cached."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[object, object] = OrderedDict()

    def peek(self, key: object) -> object:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        return MISSING

    def put(self, key: object, value: object) -> None:
        self._items[key] = value
        if len(self._items) > self._size:
            self._items.popitem(last=False)


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The project at one vintage (None: nothing ingested yet), as the dashboard shows it."""

    owner: int  # id() of the service it belongs to
    catalogue: Catalogue
    vintage: int | None
    loaded: dt.datetime | None  # when the vintage was made (UTC)
    version: DataVersion
    months: tuple[int, ...]  # kpiboard.periods numbers, ascending
    orgs_with_data: frozenset[str]
    definitions: Mapping[str, Definition]
    cache: Cache = field(default_factory=lambda: Cache(4096))
    flights: Flights = field(default_factory=Flights)

    @property
    def key(self) -> tuple[int | None, str]:
        """What a cached page of this snapshot is keyed by."""
        return (self.vintage, self.version.hash)


_request: ContextVar[Snapshot | None] = ContextVar("kpiboard_snapshot", default=None)


def use_snapshot(snapshot: Snapshot) -> None:
    """The snapshot the current request (its task, and the worker threads it hands work to)
    reads from."""
    _request.set(snapshot)


def request_snapshot(owner: int) -> Snapshot | None:
    """The current request's snapshot of service ``owner``, None outside a request."""
    snap = _request.get()
    return snap if snap is not None and snap.owner == owner else None


class PageCache:
    """Rendered pages by key, least recently used dropped first; thread-safe. A page missing
    from the cache is rendered outside the lock."""

    def __init__(self, size: int) -> None:
        self._cache = Cache(size)
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...], build: Callable[[], str]) -> str:
        with self._lock:
            hit = self._cache.peek(key)
        if isinstance(hit, str):
            return hit
        value = build()
        with self._lock:
            self._cache.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._cache = Cache(self._cache._size)
