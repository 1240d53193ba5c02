"""Record sources: the canonical record schema every reader produces, what a source is, and
what a read returns (see docs/RECORDS.md).

A reader turns one source's files (police.uk street-level CSVs, Home Office tables, ...) into
Arrow record batches of :data:`RECORD_SCHEMA`, one row per record, with every organisation
name resolved to its canonical id. It reads in batches, so memory stays bounded whatever the
volume, and writes nothing.

>>> RECORD_SCHEMA.names[:4]
['source', 'org', 'period_end', 'months']
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from kpiboard.errors import Finding
from kpiboard.ingest.schema import FileStamp, Progress

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue

#: One row per record (a crime, an incident, or a published count with its ``weight``).
#: ``period_end`` is the first day of the period's last month, as for observations.
RECORD_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("org", pa.string(), nullable=False),
        pa.field("period_end", pa.date32(), nullable=False),
        pa.field("months", pa.int32(), nullable=False),
        pa.field("record_id", pa.string()),
        pa.field("crime_type", pa.string()),
        pa.field("outcome", pa.string()),
        pa.field("lsoa_code", pa.string()),
        pa.field("offence_code", pa.string()),
        pa.field("offence_group", pa.string()),
        pa.field("offence_subgroup", pa.string()),
        pa.field("weight", pa.float64(), nullable=False),
        pa.field("file", pa.string(), nullable=False),
    ]
)
RECORD_COLUMNS: tuple[str, ...] = tuple(RECORD_SCHEMA.names)


@dataclass(frozen=True)
class SourceSpec:
    """One record source of a project: its id, its type (``police_uk_street``, ...), the files
    (globs relative to the project root; ``.zip`` archives of CSVs too) and the organisation
    names whose rows are skipped and counted rather than read (e.g. "British Transport Police").
    """

    id: str
    type: str
    files: list[str]
    set_aside: list[str] = field(default_factory=list)


@dataclass
class RecordRead:
    """What a reader returns: the batches (in :data:`RECORD_SCHEMA`), to be iterated once.

    Reading happens as ``batches`` is iterated; ``files``, ``warnings``, ``set_aside``
    (organisation name as configured -> rows skipped) and ``rows`` are complete once it is
    exhausted. Problems in the data raise :class:`~kpiboard.errors.ValidationFailed` (with
    every finding, warnings included) from the iteration, so a loader that writes the batches
    inside a transaction rolls back and nothing lands.
    """

    source: str
    batches: Iterator[pa.RecordBatch]
    files: list[FileStamp] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    set_aside: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    #: what is read, for a warehouse with a reader of its own (Spark's, for police.uk files):
    #: it may read the files itself and fill in the fields above, leaving ``batches`` unread
    spec: SourceSpec | None = None
    catalogue: Catalogue | None = None
    #: who read the files: "kpiboard" (the batches), or "spark" (the Spark warehouse's reader)
    read_by: str = "kpiboard"
    #: what the reader tells of its progress; a warehouse's own reader tells it too
    progress: Progress | None = None

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        return self.batches

    def reader(self) -> pa.RecordBatchReader:
        """The batches as a pyarrow stream (DuckDB and others consume it without copying it
        whole into memory)."""
        return pa.RecordBatchReader.from_batches(RECORD_SCHEMA, self.batches)

    def read_all(self) -> pa.Table:
        """Every batch in one table (for small reads and tests)."""
        return pa.Table.from_batches(list(self.batches), schema=RECORD_SCHEMA)


def matching_files(root: Path, pattern: str) -> list[Path]:
    """The files a source's glob (relative to the project ``root``) matches, sorted."""
    base = Path(pattern).expanduser()
    full = base if base.is_absolute() else root / base
    return sorted(Path(p) for p in glob.glob(str(full), recursive=True) if Path(p).is_file())
