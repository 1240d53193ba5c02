"""The shape of an observation table: column names, the Arrow schema and the records that
travel with a read (file stamps, warnings). The warehouse stores exactly this schema."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from kpiboard.errors import Finding

#: Columns a CSV file may have, in the documented order (any order is accepted).
CSV_COLUMNS: tuple[str, ...] = (
    "org",
    "measure",
    "period_end",
    "months",
    "numerator",
    "denominator",
    "value",
    "sample_size",
    "provisional",
    "note",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("org", "measure", "period_end")
NUMBER_COLUMNS: tuple[str, ...] = ("numerator", "denominator", "value", "sample_size")
#: One row per key: re-ingesting a key replaces its row.
KEY_COLUMNS: tuple[str, ...] = ("org", "measure", "period_end", "months")

#: The observation table (as read, and as stored in the warehouse). ``period_end`` is the
#: first day of the period's last month; ``source`` is ``file:line`` of the row it came from.
OBSERVATION_SCHEMA = pa.schema(
    [
        pa.field("org", pa.string(), nullable=False),
        pa.field("measure", pa.string(), nullable=False),
        pa.field("period_end", pa.date32(), nullable=False),
        pa.field("months", pa.int32(), nullable=False),
        pa.field("numerator", pa.float64()),
        pa.field("denominator", pa.float64()),
        pa.field("value", pa.float64()),
        pa.field("sample_size", pa.float64()),
        pa.field("provisional", pa.bool_(), nullable=False),
        pa.field("note", pa.string()),
        pa.field("source", pa.string(), nullable=False),
    ]
)
OBSERVATION_COLUMNS: tuple[str, ...] = tuple(OBSERVATION_SCHEMA.names)

#: ``progress(done, total, label)``: called as files and rows are processed.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class FileStamp:
    """One data file as read: project-relative path, content hash, size in bytes, data rows."""

    path: str
    sha256: str
    size: int
    rows: int

    def as_json(self) -> dict[str, str | int]:
        """As `kpiboard vintages` and `ingest --format json` list it."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ReadResult:
    """Observations read from a project's data files, all rows valid."""

    table: pa.Table
    files: list[FileStamp]
    warnings: list[Finding] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return int(self.table.num_rows)


def empty_observations() -> pa.Table:
    """A table with the observation schema and no rows."""
    return OBSERVATION_SCHEMA.empty_table()
