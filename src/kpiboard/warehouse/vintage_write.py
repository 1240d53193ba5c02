"""How a load becomes a vintage: the new data diffed against the current rows inside the load's
transaction (docs/VINTAGES.md).

Observations are compared row by row: an unchanged row is left alone, a changed or removed row
is closed (``vintage_to = N``), a new or changed row is inserted with ``vintage_from = N``.
Records (up to tens of millions of rows) are compared file by file: a file whose SHA-256 is the
current one keeps its rows untouched and its batches are not written; the rows of a file that
changed or went are closed, and a changed or new file's rows inserted. So storage grows with what
changed, not with the number of loads.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from kpiboard import __version__
from kpiboard.errors import KpiboardError
from kpiboard.ingest import KEY_COLUMNS, OBSERVATION_COLUMNS, FileStamp
from kpiboard.warehouse.changes import SubjectChanges, changes_json
from kpiboard.warehouse.tables import LOADS, OBSERVATIONS, PSEUDO_PREFIX, RECORDS, VINTAGES

#: The name a vintage records as who made it when none is given and the OS does not say.
UNKNOWN_USER = "unknown"


class Session(Protocol):
    param: str

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> int: ...
    def run(self, sql: str, params: Sequence[Any] = ()) -> int: ...
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None: ...


def current_user() -> str:
    """Who runs this process, as a vintage records it."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a container) and no $USER
        return os.environ.get("USER") or UNKNOWN_USER


def latest_vintage(s: Session) -> int:
    """The latest vintage's id, 0 before the first."""
    return s.scalar(f"SELECT COALESCE(MAX(id), 0) FROM {VINTAGES}")


def latest_files(s: Session, vintage: int) -> dict[str, FileStamp]:
    """path -> stamp of the files of ``vintage``."""
    got = s.rows(
        f"SELECT path, sha256, size, rows FROM {LOADS} WHERE load_id = {s.param}", (vintage,)
    )
    return {p: FileStamp(p, h, int(z), int(r)) for p, h, z, r in got}


@dataclass(frozen=True)
class ObservationDiff:
    replaced_keys: int  # incoming keys that were stored already (same or different figures)
    removed_rows: int  # current rows closed because their file no longer has them
    changed_rows: int  # current rows closed because their figures changed
    inserted_rows: int  # new and changed rows


def _check_unique_keys(s: Session, stage: str) -> None:
    key = ", ".join(KEY_COLUMNS)
    dup = s.scalar(
        f"SELECT COUNT(*) FROM (SELECT {key} FROM {stage} GROUP BY {key} HAVING COUNT(*) > 1) d"
    )
    if dup:
        raise KpiboardError(
            f"the load failed and was rolled back; the warehouse is unchanged: {dup} key(s) "
            f"({key}) come more than once in the data",
            hint="check the data with `kpiboard validate`: each organisation, measure and "
            "period may have one figure",
        )


def diff_observations(
    s: Session, stage: str, vintage: int, complete: bool, *, checked: bool = False
) -> ObservationDiff:
    """Close and insert observation rows for ``vintage`` from the typed ``stage`` table, whose
    keys must come once (counted here unless its reader has ``checked`` them)."""
    p = s.param
    if not checked:
        _check_unique_keys(s, stage)
    on = " AND ".join(f"c.{k} = s.{k}" for k in KEY_COLUMNS)
    differs = " OR ".join(
        f"c.{col} IS DISTINCT FROM s.{col}" for col in OBSERVATION_COLUMNS if col not in KEY_COLUMNS
    )
    current = f"{OBSERVATIONS} c WHERE c.vintage_to IS NULL"
    replaced = s.scalar(
        f"SELECT COUNT(*) FROM {current} AND EXISTS (SELECT 1 FROM {stage} s WHERE {on})"
    )
    changed = s.run(
        f"UPDATE {OBSERVATIONS} c SET vintage_to = {p} WHERE c.vintage_to IS NULL AND EXISTS "
        f"(SELECT 1 FROM {stage} s WHERE {on} AND ({differs}))",
        (vintage,),
    )
    # A file's new content supersedes its old content: rows it no longer has are closed. A
    # complete load (the project's whole data set) also closes rows of files since removed,
    # but not those of the sources the dashboard writes (PSEUDO_PREFIX): no file holds them.
    removed = s.run(
        f"UPDATE {OBSERVATIONS} c SET vintage_to = {p} WHERE c.vintage_to IS NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE {on}) "
        f"AND regexp_replace(c.source, ':[0-9]+$', '') IN "
        f"(SELECT path FROM {LOADS} WHERE load_id = {p} OR ({p} AND path NOT LIKE {p}))",
        (vintage, vintage, complete, f"{PSEUDO_PREFIX}%"),
    )
    cols = ", ".join(OBSERVATION_COLUMNS)
    inserted = s.run(
        f"INSERT INTO {OBSERVATIONS} ({cols}, vintage_from) SELECT "
        + ", ".join(f"s.{c}" for c in OBSERVATION_COLUMNS)
        + f", {p} FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM {current} AND {on})",
        (vintage,),
    )
    return ObservationDiff(replaced, removed, changed, inserted)


@dataclass
class RecordGate:
    """Decides, file by file, which of a record read's batches are written: those of files new
    or changed since the current vintage. A file's stamp (and so its SHA-256) is known only
    once the reader has read it whole, so a known file's batches wait until then; past
    ``limit`` rows they are hashed here instead (``digest``, path -> SHA-256), so memory stays
    bounded whatever a file's size. ``stamps`` are the read's stamps as they come."""

    current: dict[str, str]  # path -> SHA-256 of the current vintage's files of this source
    stamps: list[FileStamp]
    digest: Callable[[str], str | None] | None
    limit: int
    write: dict[str, bool] = field(default_factory=dict)  # decided: path -> written
    pending: dict[str, list[pa.Table]] = field(default_factory=dict)
    _seen: int = 0

    def _settle(self) -> Iterator[pa.Table]:
        """The waiting batches of files whose stamps have come since the last look."""
        while self._seen < len(self.stamps):
            stamp = self.stamps[self._seen]
            self._seen += 1
            if stamp.path not in self.write:
                self.write[stamp.path] = self.current.get(stamp.path) != stamp.sha256
            parts = self.pending.pop(stamp.path, [])
            if self.write[stamp.path]:
                yield from parts

    def _decide_now(self, path: str) -> None:
        got = self.digest(path) if self.digest is not None else None
        self.write[path] = got is None or got != self.current.get(path)
        parts = self.pending.pop(path, [])
        if not self.write[path]:
            parts.clear()
        else:
            self.pending[path] = parts  # written by the caller's next pass

    def add(self, batch: pa.Table) -> Iterator[pa.Table]:
        """The parts of ``batch`` (and of batches waiting) that are to be written now."""
        yield from self._settle()
        files = batch.column("file")
        names = pc.unique(files).to_pylist()
        for name in names:
            part = batch if len(names) == 1 else batch.filter(pc.equal(files, name))
            if name not in self.write and name not in self.current:
                self.write[name] = True  # a file the current vintage does not have
            if name in self.write:
                if self.write[name]:
                    yield part
                continue
            waiting = self.pending.setdefault(name, [])
            waiting.append(part)
            if sum(t.num_rows for t in waiting) > self.limit:
                self._decide_now(name)
                yield from self.pending.pop(name, [])

    def finish(self) -> Iterator[pa.Table]:
        """Once the read is exhausted: the batches still waiting that are to be written."""
        yield from self._settle()
        for path in list(self.pending):  # a file without a stamp: the reader failed on it
            self.write[path] = True
            yield from self.pending.pop(path)


def close_record_files(s: Session, source: str, vintage: int, stamps: Sequence[FileStamp]) -> int:
    """Close the current rows of ``source`` whose file changed or is gone; the rows closed."""
    p = s.param
    kept = {f.path: f.sha256 for f in stamps}
    previous = latest_files(s, vintage - 1)
    files = [
        str(r[0])
        for r in s.rows(
            f"SELECT DISTINCT file FROM {RECORDS} WHERE source = {p} AND vintage_to IS NULL "
            f"AND vintage_from < {p}",
            (source, vintage),
        )
    ]
    closed = 0
    for path in files:
        old = previous.get(path)
        if path not in kept or old is None or old.sha256 != kept[path]:
            closed += s.run(
                f"UPDATE {RECORDS} SET vintage_to = {p} WHERE source = {p} AND file = {p} "
                f"AND vintage_to IS NULL AND vintage_from < {p}",
                (vintage, source, path, vintage),
            )
    return closed


def record_vintage(
    s: Session,
    vintage: int,
    *,
    who: str | None,
    files: int,
    observations: int,
    records: int,
    changes: Sequence[SubjectChanges],
) -> dt.datetime:
    """Write the vintage's row; its creation time (UTC, naive as stored)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    s.insert(
        VINTAGES,
        ("id", "created", "who", "kpiboard_version", "files", "observations", "records", "changes"),
        [
            (
                vintage,
                now,
                who or current_user(),
                __version__,
                files,
                observations,
                records,
                changes_json(changes),
            )
        ],
    )
    return now
