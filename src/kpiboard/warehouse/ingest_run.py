"""Ingest a project: read and validate its data files, then load them in one transaction.

This lives in warehouse/ (not ingest/) because it writes: ingest/ only reads files, and the
layers contract lets the warehouse use ingest, not the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kpiboard.errors import Finding, ValidationFailed
from kpiboard.ingest import FileStamp, Progress, data_files, read_observations
from kpiboard.ingest.home_office_prc import read_home_office_prc
from kpiboard.ingest.police_uk import read_police_uk
from kpiboard.ingest.population import read_population
from kpiboard.ingest.records import RecordRead, SourceSpec, matching_files
from kpiboard.ingest.unread import unread_files
from kpiboard.warehouse.changes import SubjectChanges
from kpiboard.warehouse.derived_checks import frequency_findings
from kpiboard.warehouse.store import Warehouse
from kpiboard.warehouse.where_values import where_findings

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue


@dataclass(frozen=True)
class IngestSummary:
    """What an ingest did: rows per file, keys new and replaced, rows removed, warnings, and
    the vintage it made with what changed."""

    warehouse: str
    load_id: int
    files: tuple[FileStamp, ...]
    rows: int
    new_keys: int
    replaced_keys: int
    removed_rows: int
    warnings: tuple[Finding, ...]
    records: int = 0  # rows read from record sources
    set_aside: tuple[tuple[str, int], ...] = ()  # (organisation name, rows skipped)
    vintage: int | None = None  # the vintage made; None: nothing changed (or only checked)
    previous: int = 0  # the latest vintage before this ingest (0: none)
    changes: tuple[SubjectChanges, ...] = ()  # what it changed (or would, when checked)
    checked_only: bool = False  # `ingest --check`: nothing was written
    changed: bool = False  # a vintage was made (or, checked, would be)

    @property
    def rows_by_file(self) -> dict[str, int]:
        return {f.path: f.rows for f in self.files}


READERS: dict[str, Callable[[Catalogue, SourceSpec, Progress | None], RecordRead]] = {
    "police_uk_street": read_police_uk,
    "home_office_prc": read_home_office_prc,
    "population": read_population,
}


def source_specs(catalogue: Catalogue) -> list[SourceSpec]:
    return [
        SourceSpec(s.id, s.type, list(s.files), list(s.set_aside))
        for s in catalogue.project.sources
    ]


def read_source(catalogue: Catalogue, spec: SourceSpec, progress: Progress | None) -> RecordRead:
    return READERS[spec.type](catalogue, spec, progress)


def source_files(catalogue: Catalogue) -> list[Path]:
    """Every file the record sources' globs match (a zip counts as one file)."""
    found: dict[Path, None] = {}
    for spec in catalogue.project.sources:
        for pattern in spec.files:
            for match in matching_files(catalogue.root, pattern):
                found[match] = None
    return list(found)


def ingest_project(
    catalogue: Catalogue,
    progress: Progress | None = None,
    warehouse: Warehouse | None = None,
    *,
    check: bool = False,
    who: str | None = None,
    on_check: Callable[[], None] | None = None,
) -> IngestSummary:
    """Read, validate and load all of the project's data files as a new vintage (none when
    nothing changed; with ``check``, only say what would change, calling ``on_check`` inside
    the load before its rollback when it would make a vintage). Raises ValidationFailed
    (with every finding) or KpiboardError; in either case the warehouse is unchanged. The
    summary's warnings include measures' ``records.where`` values that match no loaded record
    (``where_values.where_findings``) and derived measures whose parts come at different
    frequencies (``derived_checks.frequency_findings``).

    >>> summary = ingest_project(load_catalogue(Path("examples/met-cpa-2009-10")))  # doctest: +SKIP
    >>> summary.rows, summary.rows_by_file  # doctest: +SKIP
    """
    result = read_observations(catalogue, progress=progress)
    reads = [read_source(catalogue, spec, progress) for spec in source_specs(catalogue)]
    wh = warehouse or Warehouse.open(catalogue)
    try:
        if progress:
            progress(0, 1, f"writing {result.rows:,} rows to the warehouse")
        # record sources are read while they are written, inside the same transaction
        loaded = wh.load(
            result.table,
            result.files,
            complete=True,
            records=reads,
            check=check,
            who=who,
            on_check=on_check,
            unique=True,  # read_observations refuses a key that comes twice, across every file
        )
        if progress:
            progress(1, 1, f"wrote {result.rows + loaded.records:,} rows to the warehouse")
        # measures' `where` values against the records now loaded: warnings only, never undoing the load
        unmatched = where_findings(catalogue, wh.records())
        # derived measures whose parts come at different frequencies: no period has them all
        unmatched += frequency_findings(catalogue, wh.scorecard_observations(catalogue))
    finally:
        if warehouse is None:
            wh.close()
    warnings = [
        *unread_files(catalogue),
        *result.warnings,
        *(w for read in reads for w in read.warnings),
        *unmatched,
    ]
    return IngestSummary(
        wh.url,
        loaded.load_id,
        loaded.files,
        loaded.rows,
        loaded.new_keys,
        loaded.replaced_keys,
        loaded.removed_rows,
        tuple(warnings),
        loaded.records,
        loaded.set_aside,
        loaded.vintage,
        loaded.previous,
        loaded.changes,
        loaded.checked_only,
        loaded.changed,
    )


def ingest_if_stale(
    catalogue: Catalogue,
    warehouse: Warehouse,
    progress: Progress | None = None,
) -> IngestSummary | None:
    """Ingest when the data files differ from the last load (for `kpiboard report`); None when
    the warehouse is up to date."""
    if not needs_ingest(catalogue, warehouse):
        return None
    return ingest_project(catalogue, progress, warehouse)


def needs_ingest(catalogue: Catalogue, warehouse: Warehouse) -> bool:
    """Whether the data files differ from the warehouse's latest load (a read: it may be a
    read-only warehouse). ValidationFailed when the data files themselves are in error."""
    files, findings = data_files(catalogue)
    if any(f.level == "error" for f in findings):
        raise ValidationFailed(findings)
    return warehouse.is_stale([*files, *source_files(catalogue)])
