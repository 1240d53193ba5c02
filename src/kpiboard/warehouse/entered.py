"""Figures entered on the dashboard and approved (docs/ENTRY.md) as the warehouse keeps them:
observations of their own source, the pseudo-file ``dashboard:entered``, loaded as a new
vintage by a partial load that leaves the data files' rows as they are, while a file ingest
leaves them as they are (``is_pseudo``).

A load names the file it read; the approved figures are the "file" here, stamped with the
SHA-256 of their canonical text, so a vintage records exactly which approved figures it held,
and ``kpiboard vintages`` lists them beside the data files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pyarrow as pa

from kpiboard.ingest import OBSERVATION_SCHEMA, FileStamp
from kpiboard.periods import month_of, year_of
from kpiboard.warehouse.load import LoadResult
from kpiboard.warehouse.store import Warehouse
from kpiboard.warehouse.tables import PSEUDO_PREFIX

#: The pseudo-file of the approved entered figures; an observation's ``source`` is
#: ``dashboard:entered:<step>``, the approval step's id in the application database.
ENTERED = f"{PSEUDO_PREFIX}entered"


def is_pseudo(path: str) -> bool:
    """Whether a logged path names a source the dashboard writes, not a data file."""
    return path.startswith(PSEUDO_PREFIX)


@dataclass(frozen=True)
class EnteredFigure:
    """One approved figure: a month's observation of a measure for an organisation."""

    org: str
    measure: str
    month: int  # month index (kpiboard.periods)
    step: int  # the approval step's id, kept as the observation's source line
    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None
    sample_size: float | None = None
    provisional: bool = False
    note: str | None = None


def entered_table(figures: Sequence[EnteredFigure]) -> tuple[pa.Table, FileStamp]:
    """The figures as observations, and the stamp that names them in the load log."""
    ordered = sorted(figures, key=lambda f: (f.org, f.measure, f.month))
    columns: dict[str, list[object]] = {name: [] for name in OBSERVATION_SCHEMA.names}
    for f in ordered:
        columns["org"].append(f.org)
        columns["measure"].append(f.measure)
        columns["period_end"].append(dt.date(year_of(f.month), month_of(f.month), 1))
        columns["months"].append(1)
        for name in ("numerator", "denominator", "value", "sample_size", "provisional", "note"):
            columns[name].append(getattr(f, name))
        columns["source"].append(f"{ENTERED}:{f.step}")
    table = pa.Table.from_pydict(columns, schema=OBSERVATION_SCHEMA)
    text = json.dumps([asdict(f) for f in ordered], sort_keys=True, separators=(",", ":"))
    data = text.encode("utf-8")
    stamp = FileStamp(ENTERED, hashlib.sha256(data).hexdigest(), len(data), len(ordered))
    return table, stamp


def load_entered(
    warehouse: Warehouse, figures: Sequence[EnteredFigure], *, who: str | None = None
) -> LoadResult:
    """Load every approved figure (all of them, each time: the set is small) as a new
    vintage: figures new, changed or no longer approved are added, revised or removed, the
    data files' rows untouched. No change, no vintage."""
    table, stamp = entered_table(figures)
    return warehouse.load(table, [stamp], who=who)
