"""The warehouse: where observations live between ingest and the engine.

>>> wh = Warehouse.open(catalogue)  # doctest: +SKIP
>>> wh.observations().filter(_.measure == "burglary").to_pyarrow()  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import ibis
import pyarrow as pa
from ibis.backends import BaseBackend
from ibis.common.exceptions import TableNotFound

from kpiboard.errors import KpiboardError
from kpiboard.ingest import FileStamp, file_sha256
from kpiboard.ingest.records import RECORD_COLUMNS, RecordRead
from kpiboard.vocabulary import MeasureKind
from kpiboard.warehouse import present
from kpiboard.warehouse.connect import connect
from kpiboard.warehouse.derived import with_records
from kpiboard.warehouse.load import LoadOptions, LoadResult, load_table, run_ddl
from kpiboard.warehouse.reads import Observations
from kpiboard.warehouse.tables import (
    LOADS,
    OBSERVATIONS,
    OBSERVATIONS_IBIS_SCHEMA,
    PSEUDO_PREFIX,
    RECORDS,
    VINTAGE_FROM,
    VINTAGE_TO,
    VINTAGES,
    loads_ddl,
    observations_ddl,
    records_ddl,
    vintages_ddl,
)
from kpiboard.warehouse.vintage_log import Vintage, list_vintages

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue


def _member_sha256(archive: Path, member: str) -> str | None:
    """SHA-256 of one member of a zip archive, None when it is no longer there."""
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(archive) as z, z.open(member) as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except KeyError:
        return None
    return digest.hexdigest()


# the observations and records tables as kpiboard made them before vintages
_BEFORE_VINTAGES = (
    (OBSERVATIONS, list(OBSERVATIONS_IBIS_SCHEMA.names)),
    (RECORDS, list(RECORD_COLUMNS)),
)


class NotIngested(KpiboardError):
    """A warehouse opened for reading has not got the tables an ingest makes."""


class Warehouse:
    """An Ibis connection holding the ``kpiboard_observations``, ``kpiboard_records``,
    ``kpiboard_vintages`` and ``kpiboard_loads`` tables.

    The tables are created (empty) when missing, so :meth:`observations` always answers: an
    empty table means nothing has been ingested yet. Every read is of one vintage: the latest
    by default, an earlier one through :meth:`at` (docs/VINTAGES.md).
    """

    def __init__(
        self,
        backend: BaseBackend,
        url: str,
        root: Path | None = None,
        *,
        rebuild_old: bool = False,
        read_only: bool = False,
    ) -> None:
        self.backend = backend
        self.url = url  # as shown to users (password removed)
        self.root = root
        self.vintage: int | None = None  # None: the latest, whichever it is when read
        self._owner = True  # a view made by at() shares the connection and does not close it
        if read_only:  # a reader creates nothing: the tables must be there, as made
            self._check_tables()
        else:
            self._ensure_tables(rebuild_old)

    def at(self, vintage: int | None, *, check: bool = True) -> Warehouse:
        """The same warehouse as vintage ``vintage`` knew it (None: the latest): every read
        (observations, records, the engine's, the dashboard's) answers for that vintage. It
        shares this connection; closing it leaves the connection open. An id that is no
        vintage is an error listing the vintages (``check=False``: the caller knows it is one)."""
        if vintage is not None and check:
            known = [v.id for v in self.vintages()]
            if vintage not in known:
                shown = ", ".join(map(str, known)) if known else "none: nothing is ingested yet"
                raise KpiboardError(
                    f"the warehouse {self.url} has no vintage {vintage} (vintages: {shown})",
                    hint="see them with `kpiboard vintages PROJECT`"
                    if known
                    else "run `kpiboard ingest PROJECT` to load the data as vintage 1",
                )
        view = object.__new__(Warehouse)
        view.__dict__.update(self.__dict__)
        view.vintage, view._owner = vintage, False
        return view

    def _known(self, table: ibis.Table) -> ibis.Table:
        """``table``'s rows known at this warehouse's vintage, without the vintage columns."""
        if self.vintage is None:
            rows = table.filter(table[VINTAGE_TO].isnull())
        else:
            v = self.vintage
            rows = table.filter(
                (table[VINTAGE_FROM] <= v) & (table[VINTAGE_TO].isnull() | (table[VINTAGE_TO] > v))
            )
        return rows.drop(VINTAGE_FROM, VINTAGE_TO)

    @classmethod
    def open(cls, catalogue: Catalogue, *, read_only: bool = False) -> Warehouse:
        """The project's warehouse: ``project.warehouse`` or ``<project>/.kpiboard/warehouse.duckdb``.
        ``read_only``: a DuckDB file opened for reading, shared with other readers; an error
        (NotIngested) when the tables are not there as this kpiboard makes them."""
        project = catalogue.project
        backend, shown = connect(
            project.warehouse,
            catalogue.root,
            read_only=read_only,
            spark_location=project.spark_location,
        )
        # kpiboard's own file (no `warehouse:` set) holds nothing but what the data files give,
        # so one made before vintages is rebuilt from them rather than refused
        rebuild = catalogue.project.warehouse is None
        try:
            return cls(backend, shown, catalogue.root, rebuild_old=rebuild, read_only=read_only)
        except BaseException:
            backend.disconnect()
            raise

    @classmethod
    def from_url(cls, url: str, root: Path | None = None) -> Warehouse:
        """A warehouse at any Ibis URL (``duckdb:///x.duckdb``, ``postgres://...``); ``root``
        is the folder relative DuckDB paths and file stamps are relative to."""
        backend, shown = connect(url, root)
        return cls(backend, shown, root)

    @property
    def backend_name(self) -> str:
        return str(self.backend.name)

    def _ensure_tables(self, rebuild_old: bool = False) -> None:
        if rebuild_old and self._made_before_vintages():
            for name in (OBSERVATIONS, LOADS, RECORDS):
                run_ddl(self.backend, f"DROP TABLE IF EXISTS {name}")
        for name, ddl in (
            (OBSERVATIONS, observations_ddl()),
            (LOADS, loads_ddl()),
            (RECORDS, records_ddl()),
            (VINTAGES, vintages_ddl()),
        ):
            # not list_tables(): ibis 12 calls a method DuckDB 2.0 no longer has
            try:
                self.backend.table(name)
            except TableNotFound:
                run_ddl(self.backend, ddl)
        self._check_tables()

    def _check_tables(self) -> None:
        """The tables are this kpiboard's: NotIngested when one is missing, an error naming the
        fix when one has an older shape."""
        for name in (OBSERVATIONS, LOADS, RECORDS, VINTAGES):
            try:
                self.backend.table(name)
            except TableNotFound:
                raise NotIngested(
                    f"the warehouse {self.url} has no {name} table: nothing is ingested yet",
                    hint="run `kpiboard ingest PROJECT`",
                ) from None
        stored = [*OBSERVATIONS_IBIS_SCHEMA.names, VINTAGE_FROM, VINTAGE_TO]
        for name, before in _BEFORE_VINTAGES:
            if list(self.backend.table(name).schema().names) == before:
                raise NotIngested(  # a reader leaves it to a writer: rebuilt, or refused
                    f"the warehouse {self.url} was made by a kpiboard without vintages "
                    f"(its {name} table has no {VINTAGE_FROM} column)",
                    hint="ingest again into a new warehouse: delete the DuckDB file (it is "
                    "rebuilt from the data files) or drop the kpiboard_* tables, then run "
                    "`kpiboard ingest PROJECT`",
                )
        found = list(self.backend.table(OBSERVATIONS).schema().names)
        if found != stored:
            raise KpiboardError(
                f"the warehouse {self.url} has a {OBSERVATIONS} table of another shape",
                hint="it was made by another kpiboard version: delete the DuckDB file (it is "
                f"rebuilt from the data) or drop the table {OBSERVATIONS}",
            )

    def _made_before_vintages(self) -> bool:
        """Whether an observations or records table has the shape it had before vintages."""
        for name, before in _BEFORE_VINTAGES:
            try:
                if list(self.backend.table(name).schema().names) == before:
                    return True
            except TableNotFound:
                pass
        return False

    def observations(self) -> ibis.Table:
        """All observations: org, measure, period_end (date, first of the month), months,
        numerator, denominator, value, sample_size, provisional, note, source. Empty when
        nothing has been ingested. Those of this warehouse's vintage (default the latest)."""
        return self._known(self.backend.table(OBSERVATIONS))

    def scorecard_observations(self, catalogue: Catalogue) -> ibis.Table:
        """What the engine reads: stored observations plus the measures counted from records."""
        return with_records(self.observations(), self.records(), catalogue)

    def reads(self, catalogue: Catalogue) -> Observations:
        """What the engine reads, from :meth:`scorecard_observations`."""
        return Observations(self.scorecard_observations(catalogue))

    def records(self) -> ibis.Table:
        """Records read from record sources (docs/RECORDS.md), one row per crime or count, as
        this warehouse's vintage (default the latest) knew them."""
        return self._known(self.backend.table(RECORDS))

    def loads(self) -> ibis.Table:
        """The files of every vintage: load_id (the vintage), path, sha256, size, rows,
        loaded_at (one row per file and vintage)."""
        return self.backend.table(LOADS)

    def vintages(self) -> list[Vintage]:
        """Every vintage, oldest first, with its files and what it changed."""
        return list_vintages(self.backend.table(VINTAGES), self.loads())

    def latest_vintage(self) -> int | None:
        """The id of the vintage this warehouse reads: :meth:`at`'s, else the latest (None
        before the first ingest)."""
        if self.vintage is not None:
            return self.vintage
        # not id.max(): on PostgreSQL ibis types the max of a NOT NULL column as not null, and
        # an empty table's NULL then fails to convert
        ids = self.backend.table(VINTAGES).select("id").order_by(ibis.desc("id")).limit(1)
        got = ids.to_pyarrow()["id"].to_pylist()
        return int(got[0]) if got else None

    def load(
        self,
        table: pa.Table,
        files: Sequence[FileStamp],
        *,
        complete: bool = False,
        records: Sequence[RecordRead] = (),
        check: bool = False,
        who: str | None = None,
        on_check: Callable[[], None] | None = None,
        unique: bool = False,
    ) -> LoadResult:
        """Load observations atomically, as a new vintage. Rows whose key (org, measure,
        period_end, months) is already stored are replaced, as are the earlier rows of the
        files in ``files``; ``complete=True`` says these files are the project's whole data
        set, so rows of files loaded before but absent now are removed too. Replaced and
        removed rows are kept for the vintages that knew them. A load that changes nothing
        makes no vintage; ``check=True`` only reports what would change (``on_check`` runs
        before the rollback, when it would change something, and reads it through this
        warehouse). ``who``: the name the vintage records (default the OS user). ``unique``:
        the table's keys are known to come once (``ingest.read_observations`` checked them),
        so the load need not count them again. On any failure nothing changes."""
        if self.vintage is not None:
            raise KpiboardError(
                f"vintage {self.vintage} is read-only", hint="load into the latest: Warehouse.open"
            )
        opts = LoadOptions(complete, check, who, self._digest, on_check, unique)
        if self.backend_name == "pyspark":  # Parquet versions, not a transaction: its own path
            from kpiboard.warehouse.spark_load import load_spark

            return load_spark(self.backend, table, files, records=records, options=opts)
        return load_table(self.backend, table, files, records=records, options=opts)

    def _digest(self, stamp_path: str) -> str | None:
        """The SHA-256 of a file (or ``archive.zip:member``) as stamped, None when missing."""
        if self.root is None:
            return None
        path, _, member = stamp_path.partition(".zip:")
        if member:
            return _member_sha256(self.root / f"{path}.zip", member)
        full = self.root / stamp_path
        return file_sha256(full) if full.is_file() else None

    def recorded_files(self) -> dict[str, str]:
        """path -> sha256 of the files of this warehouse's vintage (default the latest; empty
        before the first)."""
        loads = self.loads()
        vintage = self.latest_vintage()
        latest = loads.filter(loads.load_id == (vintage or 0)).select("path", "sha256")
        got = latest.to_pyarrow().to_pydict()
        return dict(zip(got["path"], got["sha256"], strict=True))

    def stamp_path(self, path: Path) -> str:
        """How a file is named in the load log: relative to the project folder when inside it."""
        if self.root is not None:
            try:
                return str(Path(path).resolve().relative_to(self.root.resolve()))
            except ValueError:
                pass
        return str(Path(path).resolve())

    def is_stale(self, files: Sequence[Path]) -> bool:
        """True when ``files`` differ from the most recent load: a file's content changed
        (by SHA-256), or files were added or removed."""
        recorded = {
            path: sha for path, sha in self.recorded_files().items()
            if not path.startswith(PSEUDO_PREFIX)  # what the dashboard writes is no file
        }  # fmt: skip
        current: dict[str, Callable[[], str | None]] = {}
        for p in files:
            name = self.stamp_path(p)
            members = [r[len(name) + 1 :] for r in recorded if r.startswith(f"{name}:")]
            if members and zipfile.is_zipfile(p):
                # a reader logs the members of an archive it read, each with its own hash
                for member in members:
                    current[f"{name}:{member}"] = partial(_member_sha256, Path(p), member)
            else:
                current[name] = partial(file_sha256, Path(p))
        if set(current) != set(recorded):
            return True
        return any(digest() != recorded[name] for name, digest in current.items())

    def close(self) -> None:
        """Release the connection (and DuckDB's file lock); a view made by :meth:`at` leaves
        it to the warehouse it came from."""
        if not self._owner:
            return
        disconnect = getattr(self.backend, "disconnect", None)
        if disconnect is not None:
            disconnect()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        at = "" if self.vintage is None else f", vintage={self.vintage}"
        return f"Warehouse({self.url!r}{at})"

    # --- what the data cover, as the dashboard lists it (kpiboard.warehouse.present) ---------

    def months_with_data(self, catalogue: Catalogue) -> list[int]:
        """The months (kpiboard.periods numbers) some scorecard observation ends in, ascending."""
        return present.months_present(self.scorecard_observations(catalogue))

    def organisations_with_data(self, catalogue: Catalogue) -> frozenset[str]:
        """The organisations with any scorecard observation."""
        return present.organisations_present(self.scorecard_observations(catalogue))

    def measure_sources(
        self, catalogue: Catalogue, measure: str, org: str | None = None
    ) -> list[str]:
        """The files the measure's figures came from, without line numbers, sorted; only
        ``org``'s when given. A measure counted from records names the files of its records; a
        measure built from others (a difference or ratio's ``of``, a composite's parts) the
        files of the measures it is built from."""
        ids = built_from(catalogue, measure)
        return present.measure_sources(
            self.scorecard_observations(catalogue), ids, org, self.records()
        )


def built_from(catalogue: Catalogue, measure: str) -> list[str]:
    """``measure`` and every measure its figures are built from (a difference or ratio's
    ``of``, a composite's parts), each once, in the order first met."""
    out: list[str] = []
    todo = [measure]
    while todo:
        mid = todo.pop(0)
        if mid in out:
            continue
        out.append(mid)
        m = catalogue.measures.get(mid)
        if m is None:
            continue
        todo.extend(m.of or [])
        if m.kind is MeasureKind.COMPOSITE:  # a breakdown's children are not its source
            todo.extend(c.id for c in catalogue.measures.values() if c.parent == mid)
    return out
