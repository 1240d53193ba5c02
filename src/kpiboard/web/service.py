"""The dashboard's read side: one project, its warehouse, and the Scorecards the pages show.

Scorecards come from the engine exactly as `kpiboard report` builds them; this module only
caches them. The warehouse is ingested (when its files changed) when the service opens, and the
*data version* — a content hash of the data files loaded and of the KPI definitions — names
what every page and published pack was built from.

Engine calls share one warehouse connection, so they are serialised by a lock; a Scorecard, a
league table or a chart is built once per data version and then served from memory. A page
being built is built once however many ask for it, and one reader has only a few builds in
flight at a time (:mod:`kpiboard.web.builds`); a cached page never waits for a build.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import ibis.expr.types as ir

from kpiboard.announce import announcements
from kpiboard.announcements import Announcement
from kpiboard.assemble import assemble_league, assemble_scorecard
from kpiboard.catalogue import Catalogue, load_catalogue
from kpiboard.catalogue.load import PROJECT_FILE
from kpiboard.engine.needs import BeforeAnyData
from kpiboard.errors import KpiboardError
from kpiboard.periods import format_month, parse_month
from kpiboard.scorecard import League, Row, Scorecard
from kpiboard.warehouse import IngestSummary, Warehouse, ingest_if_stale
from kpiboard.web.builds import BuildQuota, Flights, Slot, build_owner
from kpiboard.web.definition import Definition, definitions

T = TypeVar("T")


class NotFound(KpiboardError):
    """Something named in a URL does not exist: an organisation, a month, a measure, a pack."""


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


@dataclass(frozen=True)
class Org:
    id: str
    name: str


_MISSING = object()


class _Cache:
    """A small LRU map. Not locked itself: the service guards it with a short lock and builds
    values outside that lock, so a slow build never holds up pages already cached."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[object, object] = OrderedDict()

    def peek(self, key: object) -> object:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        return _MISSING

    def put(self, key: object, value: object) -> None:
        self._items[key] = value
        if len(self._items) > self._size:
            self._items.popitem(last=False)


class PageCache:
    """Rendered pages by key, least recently used dropped first; thread-safe. A page missing
    from the cache is rendered outside the lock."""

    def __init__(self, size: int) -> None:
        self._cache = _Cache(size)
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
            self._cache = _Cache(self._cache._size)


def _definition_hashes(cat: Catalogue) -> dict[str, str]:
    files = [cat.root / PROJECT_FILE, *sorted((cat.root / "measures").glob("*.y*ml"))]
    return {cat.rel(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}


class ScorecardService:
    """One project as the dashboard reads it. Thread-safe; open once per process."""

    def __init__(self, catalogue: Catalogue, warehouse: Warehouse) -> None:
        self._warehouse = warehouse
        # The warehouse connection: DuckDB's is not safe to share between threads (each would
        # need its own cursor and its own Ibis backend) and a build is mostly Python under the
        # GIL, so engine calls run one at a time; a cached page never takes this lock.
        self._lock = threading.RLock()
        self._flights = Flights()
        self.quota = BuildQuota()
        self._cache = _Cache(4096)
        self._cache_lock = threading.Lock()  # held only to read or write the cache
        self._use(catalogue)

    def _use(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._observations: ir.Table = self._warehouse.scorecard_observations(catalogue)
        self.version = DataVersion.of(
            self._warehouse.recorded_files(), _definition_hashes(catalogue)
        )
        self._months = self._read_months()
        self._definitions = definitions(catalogue)
        with self._cache_lock:
            self._cache = _Cache(4096)

    def reload(self) -> IngestSummary | None:
        """Re-read the KPI definitions and ingest data files that changed since the last load
        (the dashboard holds the warehouse open, so new data come in through it). On any error
        nothing changes and the error is raised; returns the ingest summary, None when the data
        were up to date."""
        with self._lock:
            catalogue = load_catalogue(self.catalogue.root)
            summary = ingest_if_stale(catalogue, self._warehouse)
            self._use(catalogue)
            return summary

    @classmethod
    def open(cls, project: Path) -> ScorecardService:
        """Load the project and its warehouse, ingesting first when the data files changed."""
        cat = load_catalogue(project)
        wh = Warehouse.open(cat)
        try:
            ingest_if_stale(cat, wh)
            return cls(cat, wh)
        except BaseException:
            wh.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._warehouse.close()

    # --- what exists ------------------------------------------------------------------------

    @property
    def title(self) -> str:
        return self.catalogue.project.title

    @property
    def home(self) -> str:
        return self.catalogue.resolve_org(self.catalogue.project.organisation)

    def organisations(self) -> list[Org]:
        """The organisations with any data, the home organisation first, then by name."""
        home = self.home
        with_data = self._orgs_with_data
        orgs = [
            Org(o.id, o.name or o.id)
            for o in self.catalogue.project.organisations
            if o.id in with_data or o.id == home
        ]
        return sorted(orgs, key=lambda o: (o.id != home, o.name.lower()))

    def org(self, text: str) -> Org:
        """The organisation a URL names (by id; a name or alias also resolves), or NotFound."""
        try:
            org_id = self.catalogue.resolve_org(text)
        except KpiboardError as exc:
            raise NotFound(exc.message, hint=exc.hint) from None
        return Org(org_id, self.catalogue.org_name(org_id) or org_id)

    def months(self) -> list[str]:
        """Months (YYYY-MM) that some observation ends in, newest first."""
        return [format_month(m) for m in reversed(self._months)]

    @property
    def latest_month(self) -> str:
        if not self._months:
            raise NotFound(
                "the project has no data yet", hint="add data files and run `kpiboard ingest`"
            )
        return format_month(self._months[-1])

    def month(self, text: str) -> str:
        """A month from a URL (YYYY-MM) that the data cover, or NotFound."""
        try:
            m = parse_month(text)
        except KpiboardError as exc:
            raise NotFound(
                f"{text!r} is not a month: {exc.message}", hint="months are written YYYY-MM"
            ) from None
        if not self._months or not self._months[0] <= m <= self._months[-1]:
            span = (
                f"{format_month(self._months[0])} to {format_month(self._months[-1])}"
                if self._months
                else "none"
            )
            raise NotFound(f"no data for {format_month(m)}", hint=f"the data cover {span}")
        return format_month(m)

    def _read_months(self) -> list[int]:
        with self._lock:
            months = self._warehouse.months_with_data(self.catalogue)
            self._orgs_with_data = self._warehouse.organisations_with_data(self.catalogue)
        return months

    # --- what the engine computes -----------------------------------------------------------

    def scorecard(self, org: str, month: str) -> Scorecard:
        """The Scorecard for ``org`` at ``month`` (both already checked by org()/month())."""

        def build() -> Scorecard:
            try:
                return assemble_scorecard(
                    self.catalogue, self._observations, parse_month(month), org
                )
            except BeforeAnyData as exc:  # its words are the command line's (--as-of)
                first, last = format_month(exc.first), self.latest_month
                raise NotFound(
                    f"No data for {format_month(exc.as_of)}: the data start in {first}",
                    hint=f"the data for this organisation cover {first} to {last}; "
                    "pick a month in that range",
                ) from None

        return self._cached(("scorecard", org, month), build)

    def row(self, card: Scorecard, measure: str) -> Row:
        for row in card.all_rows():
            if row.measure == measure:
                return row
        raise NotFound(
            f"no KPI {measure!r} on the scorecard of {card.organisation.name}",
            hint="pick a KPI from the scorecard page",
        )

    def league(self, org: str, month: str, measure: str, group: str | None = None) -> League | None:
        """The league table of ``measure`` (the league the KPI is ranked in), or None when the
        measure is not ranked."""
        m = self.catalogue.measures.get(measure)
        if m is None or m.ranks is None or not m.ranks.groups:
            return None

        def build() -> League | None:
            try:
                return assemble_league(
                    self.catalogue,
                    self._observations,
                    parse_month(month),
                    measure,
                    group,
                    highlight=org,
                )
            except KpiboardError:
                return None  # no values at that month: the page says there is no comparison

        return self._cached(("league", org, month, measure, group), build)

    def announcements(
        self, vintage: int | None = None, pins: tuple[tuple[str, str, int], ...] = ()
    ) -> tuple[int | None, tuple[Announcement, ...]]:
        """What vintage ``vintage`` (default the latest; None before the first ingest)
        brought against the one before it (docs/VINTAGES.md, "Announcements"), with the
        vintage; ``pins``: published packs as (org, YYYY-MM, vintage). NotFound for an id
        that is no vintage."""

        def build() -> tuple[int | None, tuple[Announcement, ...]]:
            # under the warehouse lock; the latest is this data version's (a reload clears
            # the cache), so a page asking again takes no lock
            v = self._warehouse.latest_vintage() if vintage is None else vintage
            if v is None:
                return None, ()
            try:
                self._warehouse.at(v)
            except KpiboardError as exc:  # no such vintage: the message lists them
                raise NotFound(exc.message, hint=exc.hint) from None
            return v, tuple(announcements(self.catalogue, self._warehouse, v, pins))

        return self._cached(("announcements", vintage, pins), build)

    def definition(self, measure: str) -> Definition | None:
        """The measure's definition as its YAML states it (None for an unknown measure)."""
        return self._definitions.get(measure)

    def sources(self, measure: str, org: str | None = None) -> list[str]:
        """The files (or record sources) the measure's observations came from, as the
        warehouse recorded them, without their line numbers."""

        return self._cached(
            ("sources", measure, org),
            lambda: self._warehouse.measure_sources(self.catalogue, measure, org),
        )

    def cached(self, key: Sequence[object], build: Callable[[], T]) -> T:
        """Memoise something derived from this data version (a chart's SVG, a page's view).
        ``build`` runs without any lock held; two first requests may both build it."""
        full = ("derived", *key)
        with self._cache_lock:
            hit = self._cache.peek(full)
        if hit is not _MISSING:
            return hit  # type: ignore[return-value]
        value = build()
        with self._cache_lock:
            self._cache.put(full, value)
        return value

    def _cached(self, key: tuple[object, ...], build: Callable[[], T]) -> T:
        """Memoise an engine result. A missing one takes one of the reader's build slots
        (kpiboard.web.builds: refused with TooManyBuilds beyond the bound), joins the build of
        the same key already under way if there is one, and otherwise waits for the warehouse
        connection (engine calls run one at a time) and builds it."""
        hit = self._peek(key)
        if hit is not _MISSING:
            return hit  # type: ignore[return-value]
        with self.quota.slot(build_owner.get()) as slot:
            return self._flights.run(key, lambda: self._build(key, build, slot))

    def _build(self, key: tuple[object, ...], build: Callable[[], T], slot: Slot) -> T:
        with self._lock:
            hit = self._peek(key)  # built by a flight that ended just before this one began
            if hit is not _MISSING:
                return hit  # type: ignore[return-value]
            started = self.quota.clock()
            try:
                value = build()
            finally:  # the reader who asked pays for the time, whether or not it worked
                slot.charge(self.quota.clock() - started)
            with self._cache_lock:  # under the warehouse lock: a reload cannot come between
                self._cache.put(key, value)
            return value

    def _peek(self, key: tuple[object, ...]) -> object:
        with self._cache_lock:
            return self._cache.peek(key)
