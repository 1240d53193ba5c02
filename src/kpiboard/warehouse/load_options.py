"""What a load is asked to do (:class:`LoadOptions`) and what it did (:class:`LoadResult`):
shared by the DuckDB/PostgreSQL load (``load``) and the Spark one (``spark_load``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kpiboard.ingest import FileStamp
from kpiboard.warehouse.changes import SubjectChanges


@dataclass(frozen=True)
class LoadResult:
    """What a load changed. ``replaced_keys`` were stored already (with the same figures or
    not); ``removed_rows`` were closed because their file no longer has them. ``vintage`` is
    the vintage the load made, None when nothing changed (or when only checked); ``previous``
    the latest vintage before it (0: none), ``changes`` what it added, revised and removed."""

    load_id: int  # the warehouse's latest vintage after the load
    rows: int
    new_keys: int
    replaced_keys: int
    removed_rows: int
    files: tuple[FileStamp, ...]
    records: int = 0  # record rows read from record sources
    set_aside: tuple[tuple[str, int], ...] = ()  # (organisation name, rows skipped)
    vintage: int | None = None
    previous: int = 0
    changes: tuple[SubjectChanges, ...] = ()
    checked_only: bool = False  # `ingest --check`: what a load would do, rolled back
    changed: bool = False  # it made (or, checked, would make) a vintage


@dataclass(frozen=True)
class LoadOptions:
    """How a load is made: ``complete`` (the files are the project's whole data set),
    ``check`` (roll back whatever it found), ``who`` made it (default the OS user),
    ``digest`` (path -> SHA-256 of a record file, to decide on a large file without waiting
    for its reader's stamp), ``on_check`` (called when a checked load would make a
    vintage, inside its transaction before the rollback: the latest view reads what it would
    make), and ``unique`` (the table's keys are known to come once: its reader checked them,
    as ``ingest.read_observations`` does across every file, so the load does not count them
    again: a GROUP BY of every row, 2 s of a 5M-row load)."""

    complete: bool = False
    check: bool = False
    who: str | None = None
    digest: Callable[[str], str | None] | None = None
    on_check: Callable[[], None] | None = None
    unique: bool = False
