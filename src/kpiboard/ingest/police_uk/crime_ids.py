"""The duplicate Crime ID check, which spans every file of a month: the Crime IDs of the month
being read, each with where it is (file and row), and the IDs found more than once.

Files are read in month order, so only the current month's IDs are held.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpiboard.errors import Finding
from kpiboard.ingest.police_uk.masks import both
from kpiboard.ingest.police_uk.state import FileState
from kpiboard.ingest.read import MAX_ERRORS_PER_FILE


@dataclass
class MonthIds:
    """The Crime IDs of the month being read, file by file, for the duplicate check."""

    month: str | None = None
    files: dict[int, FileState] = field(default_factory=dict)
    ids: list[pa.Array] = field(default_factory=list)
    places: list[pa.Array] = field(default_factory=list)  # file number << 32 | row

    def add(self, f: FileState) -> None:
        """Take a file of the month, once read: its Crime IDs, and the file for the messages."""
        self.files[f.number] = f
        self.ids += f.ids
        self.places += f.places
        f.ids, f.places = [], []

    def duplicates(self, subject: str) -> Iterator[Finding]:
        """An error for each Crime ID seen again in the month (up to ``MAX_ERRORS_PER_FILE``),
        once every file of the month has been read and placed on its lines."""
        if not self.ids:
            return
        ids = pa.chunked_array(self.ids, pa.string())
        if len(pc.unique(ids)) == len(ids):  # (several times quicker than count_distinct)
            return
        table = pa.table({"id": ids, "place": pa.chunked_array(self.places, pa.int64())})
        counts = table.group_by("id").aggregate([("place", "count")])
        repeated = counts.filter(pc.greater(counts["place_count"], 1))["id"].combine_chunks()
        rows = table.filter(pc.is_in(table["id"], value_set=repeated)).sort_by(
            [("id", "ascending"), ("place", "ascending")])
        first: dict[str, str] = {}
        reported = 0
        for crime_id, place in zip(rows["id"].to_pylist(), rows["place"].to_pylist()):
            f = self.files[place >> 32]
            where = f"{f.inp.display}:{f.line_map.line(place & 0xFFFFFFFF)}"
            if crime_id not in first:
                first[crime_id] = where
                continue
            if reported >= MAX_ERRORS_PER_FILE:
                break
            reported += 1
            file, line = where.rsplit(":", 1)
            yield Finding(
                "error", f"Crime ID: {crime_id} appears again in {self.month} (first at "
                f"{first[crime_id]})", file, int(line), subject,
                "police.uk gives every crime its own Crime ID: check the same file was not given "
                "twice (e.g. as a CSV and inside a zip)")


def remember(f: FileState, ids: pa.Array, month: pa.Array, keep: pa.Array | None,
             other_month: bool, base: int) -> None:
    """Keep a batch's Crime IDs, and where they are, in its file's state (for the month's
    duplicate check, once the file is read)."""
    mask = keep
    if ids.null_count:
        mask = both(mask, pc.is_valid(ids))
    if other_month:  # rows of another month are an error already
        mask = both(mask, pc.fill_null(pc.equal(month, f.month), False))
    offset = (f.number << 32) + base
    if mask is None:
        f.ids.append(ids)
        f.places.append(pa.array(np.arange(offset, offset + len(ids), dtype=np.int64)))
    else:
        chosen = pc.indices_nonzero(mask)
        f.ids.append(ids.take(chosen))
        f.places.append(pc.add(chosen.cast(pa.int64()), offset))
