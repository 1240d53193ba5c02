"""Ingest a project: read and validate its data files, then load them in one transaction.

This lives in warehouse/ (not ingest/) because it writes: ingest/ only reads files, and the
layers contract lets the warehouse use ingest, not the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kpiboard.errors import Finding, ValidationFailed
from kpiboard.ingest import FileStamp, Progress, data_files, read_observations
from kpiboard.warehouse.store import Warehouse

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue


@dataclass(frozen=True)
class IngestSummary:
    """What an ingest did: rows per file, keys new and replaced, rows removed, warnings."""

    warehouse: str
    load_id: int
    files: tuple[FileStamp, ...]
    rows: int
    new_keys: int
    replaced_keys: int
    removed_rows: int
    warnings: tuple[Finding, ...]

    @property
    def rows_by_file(self) -> dict[str, int]:
        return {f.path: f.rows for f in self.files}


def ingest_project(catalogue: Catalogue, progress: Progress | None = None,
                   warehouse: Warehouse | None = None) -> IngestSummary:
    """Read, validate and load all of the project's data files. Raises ValidationFailed (with
    every finding) or KpiboardError; in either case the warehouse is unchanged.

    >>> summary = ingest_project(load_catalogue(Path("examples/met-cpa-2009-10")))  # doctest: +SKIP
    >>> summary.rows, summary.rows_by_file  # doctest: +SKIP
    """
    result = read_observations(catalogue, progress=progress)
    wh = warehouse or Warehouse.open(catalogue)
    try:
        if progress:
            progress(0, 1, f"writing {result.rows:,} rows to the warehouse")
        loaded = wh.load(result.table, result.files, complete=True)
        if progress:
            progress(1, 1, f"wrote {result.rows:,} rows to the warehouse")
    finally:
        if warehouse is None:
            wh.close()
    return IngestSummary(wh.url, loaded.load_id, loaded.files, loaded.rows, loaded.new_keys,
                         loaded.replaced_keys, loaded.removed_rows, tuple(result.warnings))


def ingest_if_stale(catalogue: Catalogue, warehouse: Warehouse, progress: Progress | None = None,
                    ) -> IngestSummary | None:
    """Ingest when the data files differ from the last load (for `kpiboard report`); None when
    the warehouse is up to date."""
    files, findings = data_files(catalogue)
    if any(f.level == "error" for f in findings):
        raise ValidationFailed(findings)
    if not warehouse.is_stale(files):
        return None
    return ingest_project(catalogue, progress, warehouse)
