"""The dashboard's read side: one project, its warehouse, and the Scorecards the pages show.

Scorecards come from the engine exactly as `kpiboard report` builds them; this module only
caches them. The warehouse is ingested (when its files changed) when the service opens, and the
*data version* — a content hash of the data files loaded and of the KPI definitions — names
what every page and published pack was built from, beside the vintage.

The service holds no warehouse connection between builds (kpiboard.warehouse.access): `kpiboard
ingest` and `report` run while it serves. Every page is built from one vintage: a request
reads one :class:`~kpiboard.web.snapshot.Snapshot`, taken at its start, and every build reads
the warehouse as that vintage knew it. At most once a second (``check_seconds``) a request
looks whether a new vintage was made, cheaply (a DuckDB file's size and time; the latest id on
a server), and switches the service to it without a restart.

A Scorecard, a league table or a chart is built once per snapshot and then served from memory.
A page being built is built once however many ask for it, and one reader has only a few builds
in flight at a time (:mod:`kpiboard.web.builds`); a cached page never waits for a build.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from kpiboard.announce import announcements
from kpiboard.announcements import Announcement
from kpiboard.assemble import assemble_league, assemble_scorecard, mark_revisions
from kpiboard.catalogue import Catalogue, load_catalogue
from kpiboard.catalogue.placeholders import timeless
from kpiboard.engine.needs import BeforeAnyData
from kpiboard.errors import KpiboardError
from kpiboard.leaguetable import League
from kpiboard.periods import format_month, parse_month
from kpiboard.scorecard import Row, Scorecard
from kpiboard.warehouse import DataLoading, IngestSummary, Warehouse, WarehouseAccess
from kpiboard.web.builds import BuildQuota, Flights, Slot, build_owner
from kpiboard.web.definition import Definition, definitions
from kpiboard.web.snapshot import (
    MISSING,
    Snapshot,
    request_snapshot,
    use_snapshot,
)
from kpiboard.web.snapshot import DataVersion as DataVersion  # where pages and packs import it
from kpiboard.web.snapshot import data_version as data_version

T = TypeVar("T")


class NotFound(KpiboardError):
    """Something named in a URL does not exist: an organisation, a month, a measure, a pack."""


@dataclass(frozen=True)
class Org:
    id: str
    name: str


@dataclass(frozen=True)
class Shown:
    """A month's scorecard as the dashboard shows it, its revised figures marked, and the
    warehouse vintage it was built from (what a pack published from it pins)."""

    scorecard: Scorecard
    vintage: int | None


CHECK_SECONDS = 1.0  # how often, at most, a request looks for a new vintage (the setting's)

# the warehouse a build reads (the vintage of the snapshot it is for), while it runs
_building: ContextVar[Warehouse | None] = ContextVar("kpiboard_building", default=None)


class ScorecardService:
    """One project as the dashboard reads it. Thread-safe; open once per process."""

    def __init__(
        self,
        catalogue: Catalogue,
        access: WarehouseAccess,
        *,
        check_seconds: float = CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._access = access
        self.quota = BuildQuota()
        self._cache_lock = threading.Lock()  # held only to read or write a snapshot's cache
        self._switching = threading.Lock()  # one look for a new vintage at a time
        self._check_seconds, self._clock = check_seconds, clock
        self._stamp = access.stamp()  # before reading: a change after it is seen next time
        self._current = self._read_snapshot(catalogue)
        self._checked = clock()

    def _read_snapshot(
        self, catalogue: Catalogue, vintage: int | None = None, wait: float | None = None
    ) -> Snapshot:
        """The project at ``vintage`` (None: the latest), read in one use of the warehouse."""
        with self._access.read(wait=wait) as latest:
            v = latest.latest_vintage() if vintage is None else vintage
            wh = latest.at(v, check=False)
            known = [x for x in wh.vintages() if x.id == v]
            return Snapshot(
                id(self),
                catalogue,
                v,
                known[0].created if known else None,
                data_version(catalogue, wh),
                tuple(wh.months_with_data(catalogue)),
                wh.organisations_with_data(catalogue),
                definitions(catalogue),
            )

    # --- which vintage ------------------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        """The snapshot the current request reads (taken at its start), else the current one."""
        return request_snapshot(id(self)) or self._current

    def current(self) -> Snapshot | None:
        """The current snapshot, or None when it is time to look for a new vintage
        (:meth:`refresh`, which may read the warehouse: not on the event loop)."""
        if self._clock() - self._checked < self._check_seconds:
            return self._current
        return None

    def refresh(self) -> Snapshot:
        """The current snapshot, after switching to the latest vintage if one was made since
        the last look. Never waits: while another thread looks, or a writer holds the
        warehouse, it answers the current one (and the next request looks again)."""
        if not self._switching.acquire(blocking=False):
            return self._current
        try:
            if self._clock() - self._checked < self._check_seconds:
                return self._current
            stamp = self._access.stamp()
            if stamp is None or stamp != self._stamp:
                self._switch_to_latest(stamp)
            self._checked = self._clock()
            return self._current
        finally:
            self._switching.release()

    def _switch_to_latest(self, stamp: object) -> None:
        try:
            latest = self._access.latest_vintage() if stamp is None else self._latest_now()
            if latest != self._current.vintage:
                self._current = self._read_snapshot(self._current.catalogue, latest, wait=0)
        except DataLoading:
            return  # a writer is at it: look again next time
        self._stamp = stamp

    def _latest_now(self) -> int | None:
        with self._access.read(wait=0) as wh:
            return wh.latest_vintage()

    def enter(self, snapshot: Snapshot) -> None:
        """The snapshot the current request reads from now on."""
        use_snapshot(snapshot)

    @property
    def catalogue(self) -> Catalogue:
        return self.snapshot.catalogue

    @property
    def protective_marking(self) -> str | None:
        """The project's protective marking (kpiboard.yaml), printed on every page of a PDF."""
        return self.catalogue.project.protective_marking

    @property
    def version(self) -> DataVersion:
        """The data version of the request's snapshot."""
        return self.snapshot.version

    @property
    def vintage(self) -> int | None:
        """The vintage of the request's snapshot (None: nothing ingested yet)."""
        return self.snapshot.vintage

    @property
    def _flights(self) -> Flights:
        return self.snapshot.flights

    def reload(self, load: Callable[[Warehouse], object] | None = None) -> IngestSummary | None:
        """Re-read the KPI definitions and ingest data files that changed since the last load,
        as one writer (IngestRunning while another ingest runs), or instead run ``load`` on the
        warehouse opened to write (approved entered figures). On any error nothing changes
        and the error is raised; returns the ingest summary, None when the data were up to
        date or ``load`` ran. The request that reloads reads the new snapshot from then on."""
        # the warehouse this service opened (a `serve --warehouse` URL), whatever the YAML says
        catalogue = load_catalogue(self.catalogue.root).with_warehouse(
            self.catalogue.project.warehouse
        )
        with self._switching:
            self._stamp = self._access.stamp()
            summary = None
            if load is None:
                summary = self._access.ensure_ingested(catalogue=catalogue)
            else:
                with self._access.write() as wh:
                    load(wh)
            self._current = self._read_snapshot(catalogue)
            self._checked = self._clock()
        self.enter(self._current)
        return summary

    @classmethod
    def open(cls, project: Path, warehouse: str | None = None) -> ScorecardService:
        """Load the project and its warehouse (``warehouse``: a URL instead of the project's
        setting), ingesting first when the data files changed."""
        cat = load_catalogue(project).with_warehouse(warehouse)
        access = WarehouseAccess(cat)
        try:
            access.ensure_ingested()
            return cls(cat, access, check_seconds=cat.project.dashboard.vintage_check_seconds)
        except BaseException:
            access.close()
            raise

    def close(self) -> None:
        self._access.close()

    @contextmanager
    def _reading(self, snap: Snapshot) -> Iterator[Warehouse]:
        """The warehouse as ``snap``'s vintage knew it, for one build."""
        with self._access.read(snap.vintage) as wh:
            token = _building.set(wh)
            try:
                yield wh
            finally:
                _building.reset(token)

    def _warehouse(self) -> Warehouse:
        """The warehouse of the build running on this thread (see :meth:`_cached`)."""
        wh = _building.get()
        assert wh is not None, "read the warehouse only inside a build (_cached)"
        return wh

    # --- what exists ------------------------------------------------------------------------

    @property
    def title(self) -> str:
        return timeless(self.catalogue.project.title)  # the dashboard's, for no month

    @property
    def home(self) -> str:
        return self.catalogue.resolve_org(self.catalogue.project.organisation)

    def organisations(self) -> list[Org]:
        """The organisations with any data, the home organisation first, then by name."""
        home, snap = self.home, self.snapshot
        with_data = snap.orgs_with_data
        orgs = [
            Org(o.id, o.name or o.id)
            for o in snap.catalogue.project.organisations
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
        return [format_month(m) for m in reversed(self.snapshot.months)]

    @property
    def latest_month(self) -> str:
        months = self.snapshot.months
        if not months:
            raise NotFound(
                "the project has no data yet", hint="add data files and run `kpiboard ingest`"
            )
        return format_month(months[-1])

    def month(self, text: str) -> str:
        """A month from a URL (YYYY-MM) that the data cover, or NotFound."""
        try:
            m = parse_month(text)
        except KpiboardError as exc:
            raise NotFound(
                f"{text!r} is not a month: {exc.message}", hint="months are written YYYY-MM"
            ) from None
        months = self.snapshot.months
        if not months or not months[0] <= m <= months[-1]:
            span = f"{format_month(months[0])} to {format_month(months[-1])}" if months else "none"
            raise NotFound(f"no data for {format_month(m)}", hint=f"the data cover {span}")
        return format_month(m)

    # --- what the engine computes -----------------------------------------------------------

    def scorecard(self, org: str, month: str) -> Scorecard:
        """The Scorecard for ``org`` at ``month`` (both already checked by org()/month())."""

        cat = self.catalogue

        def build() -> Scorecard:
            observations = self._warehouse().scorecard_observations(cat)
            try:
                return assemble_scorecard(cat, observations, parse_month(month), org)
            except BeforeAnyData as exc:  # its words are the command line's (--as-of)
                first, last = format_month(exc.first), self.latest_month
                raise NotFound(
                    f"No data for {format_month(exc.as_of)}: the data start in {first}",
                    hint=f"the data for this organisation cover {first} to {last}; "
                    "pick a month in that range",
                ) from None

        return self._cached(("scorecard", org, month), build)

    def shown(self, org: str, month: str, published: int | None) -> Shown:
        """:meth:`scorecard` with its figures revised since ``published`` (the vintage the
        month's published pack pinned; None: since first reported) marked, and the request's
        vintage, which it was built from."""
        card = self.scorecard(org, month)
        vintage = self.vintage

        def build() -> Shown:
            marked = mark_revisions(
                self.catalogue,
                self._warehouse(),
                card,
                parse_month(month),
                shown=vintage,
                published=published,
            )
            return Shown(marked, vintage)

        return self._cached(("shown", org, month, published), build)

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
        cat = self.catalogue
        m = cat.measures.get(measure)
        if m is None or m.ranks is None or not m.ranks.groups:
            return None

        def build() -> League | None:
            observations = self._warehouse().scorecard_observations(cat)
            try:
                return assemble_league(
                    cat,
                    observations,
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

        shown = self.vintage

        def build() -> tuple[int | None, tuple[Announcement, ...]]:
            # the latest is the request's snapshot's vintage, cached with it, so a page
            # asking again takes no lock
            v = shown if vintage is None else vintage
            if v is None:
                return None, ()
            wh = self._warehouse()
            known = [x.id for x in wh.vintages() if shown is not None and x.id <= shown]
            if v not in known:  # none such, or later than the vintage this request reads
                listed = ", ".join(map(str, known)) or "none yet"
                raise NotFound(
                    f"no vintage {v} (vintages: {listed})",
                    hint="see them with `kpiboard vintages PROJECT`",
                )
            earlier = [p for p in pins if p[2] < v]  # packs published before vintage v
            return v, tuple(announcements(self.catalogue, wh, v, earlier))

        return self._cached(("announcements", vintage, pins), build)

    def definition(self, measure: str) -> Definition | None:
        """The measure's definition as its YAML states it (None for an unknown measure)."""
        return self.snapshot.definitions.get(measure)

    def sources(self, measure: str, org: str | None = None) -> list[str]:
        """The files (or record sources) the measure's observations came from, as the
        warehouse recorded them, without their line numbers."""

        cat = self.catalogue
        return self._cached(
            ("sources", measure, org),
            lambda: self._warehouse().measure_sources(cat, measure, org),
        )

    def cached(self, key: Sequence[object], build: Callable[[], T]) -> T:
        """Memoise something derived from the request's snapshot (a chart's SVG, a page's
        view). ``build`` runs without any lock held; two first requests may both build it."""
        snap, full = self.snapshot, ("derived", *key)
        hit = self._peek(snap, full)
        if hit is not MISSING:
            return hit  # type: ignore[return-value]
        value = build()
        with self._cache_lock:
            snap.cache.put(full, value)
        return value

    def rendered(self, key: tuple[object, ...], build: Callable[[], bytes]) -> bytes:
        """A download rendered from the request's snapshot (a PDF, a workbook): memoised per
        snapshot like an engine result, built once per key however many ask, and charged to the
        reader's build quota (refused with TooManyBuilds beyond it); it reads no warehouse."""
        snap, full = self.snapshot, ("rendered", *key)
        hit = self._peek(snap, full)
        if hit is not MISSING:
            return hit  # type: ignore[return-value]

        def run(slot: Slot) -> bytes:
            started = self.quota.clock()
            try:
                value = build()
            finally:
                slot.charge(self.quota.clock() - started)
            with self._cache_lock:
                snap.cache.put(full, value)
            return value

        with self.quota.slot(build_owner.get()) as slot:
            return snap.flights.run(full, lambda: run(slot))

    def _cached(self, key: tuple[object, ...], build: Callable[[], T]) -> T:
        """Memoise an engine result of the request's snapshot. A missing one takes one of the
        reader's build slots (kpiboard.web.builds: refused with TooManyBuilds beyond the bound),
        joins the build of the same key already under way if there is one, and otherwise waits
        for the warehouse (engine calls run one at a time; a writer goes first) and builds it,
        reading the warehouse as the snapshot's vintage knew it (:meth:`_warehouse`)."""
        snap = self.snapshot
        hit = self._peek(snap, key)
        if hit is not MISSING:
            return hit  # type: ignore[return-value]
        with self.quota.slot(build_owner.get()) as slot:
            return snap.flights.run(key, lambda: self._build(snap, key, build, slot))

    def _build(
        self, snap: Snapshot, key: tuple[object, ...], build: Callable[[], T], slot: Slot
    ) -> T:
        with self._reading(snap):
            hit = self._peek(snap, key)  # built by a flight that ended just before this began
            if hit is not MISSING:
                return hit  # type: ignore[return-value]
            started = self.quota.clock()
            try:
                value = build()
            finally:  # the reader who asked pays for the time, whether or not it worked
                slot.charge(self.quota.clock() - started)
            with self._cache_lock:
                snap.cache.put(key, value)
            return value

    def _peek(self, snap: Snapshot, key: tuple[object, ...]) -> object:
        with self._cache_lock:
            return snap.cache.peek(key)
