"""What the reader keeps about the file it is reading: its counts, its month, what has been
reported already, and its findings, held (as :class:`Pending`) until the file's lines are known;
and what the read as a whole takes from the file once it has been read (its Crime IDs, the rows
set aside, its stamp).

A file's state is only ever changed by the one thread reading the file; the read takes what it
needs from it, in file order, once the file is done (so files can be read several at a time
and the outcome is the same as reading them one after another).

Errors are counted up to ``MAX_ERRORS_PER_FILE`` a file; those past it are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from kpiboard.errors import Finding
from kpiboard.ingest.police_uk.inputs import Input
from kpiboard.ingest.police_uk.lines import LineMap
from kpiboard.ingest.read import MAX_ERRORS_PER_FILE


@dataclass
class Pending:
    """A finding whose line is known once the whole file has been read."""

    level: str
    message: str
    row: int | None  # a row pyarrow returned ...
    line: int | None  # ... or a line
    hint: str
    other: int | None = None  # a row whose line fills "{other}" in the message
    once: str | None = None  # a warning given once a read (not once a file) for this value


@dataclass
class FileState:
    """One file being read (``number`` orders the files of a read)."""

    number: int
    inp: Input
    month: str | None = None
    month_row: int = 0  # the first row of the file's month
    rows: int = 0  # rows pyarrow returned (blank lines included)
    data_rows: int = 0  # ... not blank
    records: int = 0
    invalid: int = 0  # rows pyarrow skipped (wrong number of fields)
    errors: int = 0
    pending: list[Pending] = field(default_factory=list)
    line_map: LineMap = field(default_factory=LineMap)
    months_reported: set[str] = field(default_factory=set)
    names_reported: set[str | None] = field(default_factory=set)
    blank_type_reported: bool = False
    types_reported: set[str] = field(default_factory=set)  # new crime types warned of here
    # what the read takes once the file is done
    found: list[Finding] = field(default_factory=list)  # findings with their lines already
    ids: list[pa.Array] = field(default_factory=list)  # Crime IDs, for the month's duplicates
    places: list[pa.Array] = field(default_factory=list)  # ... where each is (file << 32 | row)
    prints: list[np.ndarray] | None = field(default_factory=list)  # ... their fingerprints
    set_aside: dict[str, int] = field(default_factory=dict)  # rows skipped per name set aside
    stamp: tuple[str, int] | None = None  # (sha256, size) once read to its end

    @property
    def full(self) -> bool:
        return self.errors >= MAX_ERRORS_PER_FILE

    def add(
        self,
        level: str,
        message: str,
        hint: str,
        row: int | None = None,
        line: int | None = None,
        other: int | None = None,
        once: str | None = None,
    ) -> None:
        """Hold a finding on a ``row`` (placed on its line later), a ``line``, or neither."""
        if level == "error":
            if self.full:
                return
            self.errors += 1
        self.pending.append(Pending(level, message, row, line, hint, other, once))
