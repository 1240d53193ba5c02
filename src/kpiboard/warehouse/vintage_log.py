"""Reading the vintages back: what each load made, for `kpiboard vintages` and the web."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir

from kpiboard.ingest import FileStamp
from kpiboard.warehouse.changes import SubjectChanges, changes_from_json


@dataclass(frozen=True)
class Vintage:
    """One vintage: its id, when (UTC) and by whom it was made, the kpiboard version, the
    files it holds (every file of the data set then, with its SHA-256 and rows), the rows read
    and what it changed since the vintage before."""

    id: int
    created: dt.datetime
    who: str
    kpiboard_version: str
    files: tuple[FileStamp, ...]
    observations: int
    records: int
    changes: tuple[SubjectChanges, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created": self.created.replace(tzinfo=dt.UTC).isoformat(),
            "who": self.who,
            "kpiboard_version": self.kpiboard_version,
            "observations": self.observations,
            "records": self.records,
            "files": [f.as_json() for f in self.files],
            "changes": [c.as_json() for c in self.changes],
        }


def list_vintages(vintages: ir.Table, loads: ir.Table) -> list[Vintage]:
    """Every vintage, oldest first."""
    files: dict[int, list[FileStamp]] = defaultdict(list)
    got = loads.order_by(["load_id", "path"]).to_pyarrow().to_pylist()
    for row in got:
        files[int(row["load_id"])].append(
            FileStamp(row["path"], row["sha256"], int(row["size"]), int(row["rows"]))
        )
    out = []
    for row in vintages.order_by("id").to_pyarrow().to_pylist():
        out.append(
            Vintage(
                int(row["id"]),
                row["created"],
                row["who"],
                row["kpiboard_version"],
                tuple(files.get(int(row["id"]), [])),
                int(row["observations"]),
                int(row["records"]),
                changes_from_json(row["changes"]),
            )
        )
    return out
