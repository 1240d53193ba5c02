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
from kpiboard.ingest.records import RecordRead
from kpiboard.warehouse import present
from kpiboard.warehouse.connect import connect
from kpiboard.warehouse.derived import with_records
from kpiboard.warehouse.load import LoadResult, load_table, run_ddl
from kpiboard.warehouse.reads import Observations
from kpiboard.warehouse.tables import (
    LOADS,
    OBSERVATIONS,
    OBSERVATIONS_IBIS_SCHEMA,
    RECORDS,
    loads_ddl,
    observations_ddl,
    records_ddl,
)

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


class Warehouse:
    """An Ibis connection holding the ``kpiboard_observations`` and ``kpiboard_loads`` tables.

    The tables are created (empty) when missing, so :meth:`observations` always answers: an
    empty table means nothing has been ingested yet.
    """

    def __init__(self, backend: BaseBackend, url: str, root: Path | None = None) -> None:
        self.backend = backend
        self.url = url  # as shown to users (password removed)
        self.root = root
        self._ensure_tables()

    @classmethod
    def open(cls, catalogue: Catalogue) -> Warehouse:
        """The project's warehouse: ``project.warehouse`` or ``<project>/.kpiboard/warehouse.duckdb``."""
        backend, shown = connect(catalogue.project.warehouse, catalogue.root)
        return cls(backend, shown, catalogue.root)

    @classmethod
    def from_url(cls, url: str, root: Path | None = None) -> Warehouse:
        """A warehouse at any Ibis URL (``duckdb:///x.duckdb``, ``postgres://...``); ``root``
        is the folder relative DuckDB paths and file stamps are relative to."""
        backend, shown = connect(url, root)
        return cls(backend, shown, root)

    @property
    def backend_name(self) -> str:
        return str(self.backend.name)

    def _ensure_tables(self) -> None:
        for name, ddl in (
            (OBSERVATIONS, observations_ddl()),
            (LOADS, loads_ddl()),
            (RECORDS, records_ddl()),
        ):
            # not list_tables(): ibis 12 calls a method DuckDB 2.0 no longer has
            try:
                self.backend.table(name)
            except TableNotFound:
                run_ddl(self.backend, ddl)
        found = self.backend.table(OBSERVATIONS).schema()
        if list(found.names) != list(OBSERVATIONS_IBIS_SCHEMA.names):
            raise KpiboardError(
                f"the warehouse {self.url} has a {OBSERVATIONS} table of another shape",
                hint="it was made by another kpiboard version: delete the DuckDB file (it is "
                f"rebuilt from the data) or drop the table {OBSERVATIONS}",
            )

    def observations(self) -> ibis.Table:
        """All observations: org, measure, period_end (date, first of the month), months,
        numerator, denominator, value, sample_size, provisional, note, source. Empty when
        nothing has been ingested."""
        return self.backend.table(OBSERVATIONS)

    def scorecard_observations(self, catalogue: Catalogue) -> ibis.Table:
        """What the engine reads: stored observations plus the measures counted from records."""
        return with_records(self.observations(), self.records(), catalogue)

    def reads(self, catalogue: Catalogue) -> Observations:
        """What the engine reads, from :meth:`scorecard_observations`."""
        return Observations(self.scorecard_observations(catalogue))

    def records(self) -> ibis.Table:
        """Records read from record sources (docs/RECORDS.md), one row per crime or count."""
        return self.backend.table(RECORDS)

    def loads(self) -> ibis.Table:
        """The load log: load_id, path, sha256, size, rows, loaded_at (one row per file)."""
        return self.backend.table(LOADS)

    def load(
        self,
        table: pa.Table,
        files: Sequence[FileStamp],
        *,
        complete: bool = False,
        records: Sequence[RecordRead] = (),
    ) -> LoadResult:
        """Load observations atomically. Rows whose key (org, measure, period_end, months) is
        already stored are replaced, as are the earlier rows of the files in ``files``;
        ``complete=True`` says these files are the project's whole data set, so rows of files
        loaded before but absent now are removed too. On any failure nothing changes."""
        return load_table(self.backend, table, files, complete=complete, records=records)

    def recorded_files(self) -> dict[str, str]:
        """path -> sha256 of the files in the most recent load (empty before the first)."""
        loads = self.loads()
        latest = loads.filter(loads.load_id == loads.load_id.max()).select("path", "sha256")
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
        recorded = self.recorded_files()
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
        """Release the connection (and DuckDB's file lock)."""
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
        return f"Warehouse({self.url!r})"

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
        """The files (or ``records:`` sources) the measure's observations came from, without
        line numbers, sorted; only ``org``'s when given."""
        return present.measure_sources(self.scorecard_observations(catalogue), measure, org)
