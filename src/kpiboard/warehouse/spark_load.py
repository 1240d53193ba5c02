"""Loading into a Spark warehouse: the vintages load.py makes in DuckDB and PostgreSQL, made
with Spark SQL over Parquet (docs/SPARK.md, docs/VINTAGES.md).

Parquet has no UPDATE and Spark no transaction, so where load.py closes rows in place
(``UPDATE ... SET vintage_to = N``) this writes each table whole into a new version folder:
every stored row with ``vintage_to`` set where the load closes it, then the rows it inserts.
The new version becomes the current one by an atomic switch of the location's pointer file, and
only once everything is written (spark_store): until then readers see the previous version, and
a load that fails, changes nothing or is only checked leaves nothing behind. The diff is the
same as load.py's, expressed as joins; what changed (changes.py) and the vintage's row
(vintage_write.record_vintage) are the very same code, asked through :class:`SparkRows`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from kpiboard.errors import KpiboardError
from kpiboard.ingest import KEY_COLUMNS, OBSERVATION_COLUMNS, FileStamp
from kpiboard.ingest.records import RECORD_COLUMNS, RecordRead
from kpiboard.warehouse.load import (
    RECORD_CHUNK_ROWS,
    LoadOptions,
    LoadResult,
    _conclude,
    _log_files,
    _Rollback,
    _with_vintage,
    record_chunks,
)
from kpiboard.warehouse.spark_records import read_natively
from kpiboard.warehouse.spark_store import (
    SCHEMAS,
    VERSIONS,
    Location,
    SparkBackend,
    arrow_frame,
    first_line,
    show,
)
from kpiboard.warehouse.tables import (
    LOADS,
    OBSERVATION_SQL_TYPES,
    OBSERVATIONS,
    PSEUDO_PREFIX,
    RECORDS,
    VINTAGES,
)
from kpiboard.warehouse.vintage_write import (
    RecordGate,
    _check_unique_keys,
    latest_files,
    latest_vintage,
)

STAGE = "_kpiboard_new"
FLAGGED = "_kpiboard_flagged"
CLOSING = "_kpiboard_closing"
ADDED = "_added_records"  # a version's record chunks, before they join its records table
# the SQL types of tables.py as Spark spells them
_SPARK_TYPES = {
    "VARCHAR": "STRING",
    "DATE": "DATE",
    "INTEGER": "INT",
    "DOUBLE PRECISION": "DOUBLE",
    "BOOLEAN": "BOOLEAN",
}


class SparkRows:
    """load.py's Session over a Spark session's views: reads answered by Spark SQL; an insert
    appended to the view (and written with the version); no UPDATE (Parquet has none)."""

    param = "?"

    def __init__(self, spark: Any) -> None:
        self.spark = spark

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.spark.sql(sql, args=list(params)).collect()]

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self.rows(sql, params)[0][0] or 0)

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:  # pragma: no cover - guard
        raise NotImplementedError("a Spark warehouse's Parquet tables are never updated")

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Append ``rows`` to the view ``table`` (the loads and vintages logs: a few rows)."""
        if not rows:
            return
        schema = SCHEMAS[table]
        added = pa.table(
            {
                name: pa.array([r[i] for r in rows], schema.field(name).type)
                for i, name in enumerate(columns)
            }
        )
        current = self.spark.table(table).toArrow()
        # as the view has them (Spark's timestamps are UTC; its columns may say NOT NULL)
        whole = pa.concat_tables([current, added.select(current.column_names).cast(current.schema)])
        self.spark.createDataFrame(whole).createOrReplaceTempView(table)


def _stage(s: SparkRows, table: pa.Table) -> None:
    """The incoming observations as the view STAGE, typed as stored (a value of the wrong type
    fails here, and the diff compares alike)."""
    casts = ", ".join(
        f"CAST({c} AS {_SPARK_TYPES[OBSERVATION_SQL_TYPES[c]]}) AS {c}" for c in OBSERVATION_COLUMNS
    )
    arrow_frame(s.spark, table).createOrReplaceTempView("_kpiboard_staging")
    s.spark.sql(f"SELECT {casts} FROM _kpiboard_staging").createOrReplaceTempView(STAGE)


def _diff_observations(
    s: SparkRows, loc: Location, version: str, vintage: int, opts: LoadOptions
) -> tuple[int, int, int, int]:
    """vintage_write.diff_observations as joins, written as the version's observations table:
    (replaced keys, removed rows, changed rows, inserted rows)."""
    complete = opts.complete
    if not opts.unique:  # (a reader that checked them: LoadOptions.unique)
        _check_unique_keys(s, STAGE)
    on = " AND ".join(f"c.{k} = s.{k}" for k in KEY_COLUMNS)
    differs = " OR ".join(
        f"c.{col} IS DISTINCT FROM s.{col}" for col in OBSERVATION_COLUMNS if col not in KEY_COLUMNS
    )
    current = f"(SELECT * FROM {OBSERVATIONS} WHERE vintage_to IS NULL) c"
    # the files whose rows the stage replaces: those logged for this vintage, and for a complete
    # load every file but the sources the dashboard writes (no file holds them)
    paths = (
        f"SELECT DISTINCT path FROM {LOADS} WHERE load_id = {vintage} "
        f"OR ({'TRUE' if complete else 'FALSE'} AND NOT startswith(path, ?))"
    )
    s.spark.sql(
        f"SELECT c.*, "
        f"(c.vintage_to IS NULL AND s.org IS NOT NULL AND ({differs})) AS _changed, "
        f"(c.vintage_to IS NULL AND s.org IS NULL AND p.path IS NOT NULL) AS _removed "
        f"FROM {OBSERVATIONS} c LEFT JOIN {STAGE} s ON {on} "
        f"LEFT JOIN ({paths}) p ON regexp_replace(c.source, ':[0-9]+$', '') = p.path",
        args=[PSEUDO_PREFIX],
    ).createOrReplaceTempView(FLAGGED)
    cols = ", ".join(OBSERVATION_COLUMNS)
    kept = s.spark.sql(
        f"SELECT {cols}, vintage_from, CASE WHEN _changed OR _removed THEN {vintage} "
        f"ELSE vintage_to END AS vintage_to FROM {FLAGGED}"
    )
    # inserted: the new keys, and the changed rows' new figures (what stays current is neither)
    staying = f"(SELECT * FROM {FLAGGED} WHERE vintage_to IS NULL AND NOT _changed) c"
    fresh = s.spark.sql(
        f"SELECT {', '.join(f's.{c}' for c in OBSERVATION_COLUMNS)}, "
        f"CAST({vintage} AS INT) AS vintage_from, CAST(NULL AS INT) AS vintage_to "
        f"FROM {STAGE} s LEFT ANTI JOIN {staying} ON {on}"
    )
    kept.unionByName(fresh).write.parquet(loc.table_path(version, OBSERVATIONS))
    changed, removed = s.rows(
        f"SELECT COALESCE(SUM(CAST(_changed AS INT)), 0), COALESCE(SUM(CAST(_removed AS INT)), 0) "
        f"FROM {FLAGGED}"
    )[0]
    replaced = s.scalar(f"SELECT COUNT(*) FROM {STAGE} s LEFT SEMI JOIN {current} ON {on}")
    inserted = int(fresh.count())
    s.spark.read.parquet(loc.table_path(version, OBSERVATIONS)).createOrReplaceTempView(
        OBSERVATIONS
    )
    return replaced, int(removed), int(changed), inserted


def _apply(
    s: SparkRows,
    loc: Location,
    version: str,
    files: Sequence[FileStamp],
    rows: int,
    opts: LoadOptions,
) -> tuple[LoadResult, int]:
    """load._apply over Parquet: the observations of a new vintage, with the rows it touched."""
    previous = latest_vintage(s)
    vintage = previous + 1
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    _log_files(s, vintage, files, now)
    replaced, removed, changed, inserted = _diff_observations(s, loc, version, vintage, opts)
    given = {f.path for f in files}
    carried = [
        f
        for p, f in latest_files(s, previous).items()
        if p not in given and (not opts.complete or p.startswith(PSEUDO_PREFIX))
    ]
    _log_files(s, vintage, carried, now)
    if inserted - (rows - replaced) - changed:  # pragma: no cover - a broken diff
        raise RuntimeError("the rows inserted are not the new and changed ones")
    result = LoadResult(
        vintage,
        rows,
        rows - replaced,
        replaced,
        removed,
        tuple(files),
        vintage=vintage,
        previous=previous,
    )
    return result, changed + removed + inserted


def _closing(s: SparkRows, read: RecordRead, vintage: int) -> list[tuple[str, str]]:
    """vintage_write.close_record_files's choice: (source, file) of the current rows to close,
    their file changed or gone."""
    kept = {f.path: f.sha256 for f in read.files}
    previous = latest_files(s, vintage - 1)
    found = s.rows(
        f"SELECT DISTINCT file FROM {RECORDS} WHERE source = ? AND vintage_to IS NULL "
        "AND vintage_from < ?",
        (read.source, vintage),
    )
    out = []
    for (path,) in found:
        old = previous.get(str(path))
        if path not in kept or old is None or old.sha256 != kept[path]:
            out.append((read.source, str(path)))
    return out


def _with_records(
    s: SparkRows,
    loc: Location,
    version: str,
    result: LoadResult,
    reads: Sequence[RecordRead],
    opts: LoadOptions,
) -> tuple[LoadResult, int]:
    """load._with_records over Parquet: each source's new and changed files' rows appended to
    the version (by Spark's own reader, spark_records, or in chunks of about
    ``RECORD_CHUNK_ROWS`` from the source's reader); the rows of files changed or gone closed
    when the version's records table is written."""
    vintage = result.load_id
    added = loc.table_path(version, ADDED)
    rows = touched = 0
    set_aside: dict[str, int] = {}
    files = list(result.files)
    closing: list[tuple[str, str]] = []
    current = {p: f.sha256 for p, f in latest_files(s, result.previous).items()}
    folder = loc.version_path(version)
    for read in reads:
        # police.uk files: read by Spark's own reader when it finds nothing to say about them
        native = read_natively(s.spark, folder, added, vintage, read, current)
        if native is not None:
            touched += native
        else:
            gate = RecordGate(current, read.files, opts.digest, RECORD_CHUNK_ROWS)
            for chunk in record_chunks(read, gate):
                frame = s.spark.createDataFrame(_with_vintage(chunk, vintage))
                frame.write.mode("append").parquet(added)
                touched += chunk.num_rows
        rows += read.rows
        closing += _closing(s, read, vintage)
        _log_files(s, vintage, read.files, dt.datetime.now(dt.UTC).replace(tzinfo=None))
        files += read.files
        for name, count in read.set_aside.items():
            set_aside[name] = set_aside.get(name, 0) + count
    touched += _write_records(s, loc, version, vintage, closing)
    out = dataclasses.replace(
        result, files=tuple(files), records=rows, set_aside=tuple(sorted(set_aside.items()))
    )
    return out, touched


def _write_records(
    s: SparkRows, loc: Location, version: str, vintage: int, closing: list[tuple[str, str]]
) -> int:
    """The version's records table: the stored rows, those of ``closing`` files closed, then the
    rows appended; the rows closed."""
    pairs = pa.table(
        {"source": [p[0] for p in closing], "file": [p[1] for p in closing]},
        schema=pa.schema([("source", pa.string()), ("file", pa.string())]),
    )
    arrow_frame(s.spark, pairs).createOrReplaceTempView(CLOSING)
    closes = f"r.vintage_to IS NULL AND r.vintage_from < {vintage} AND k.file IS NOT NULL"
    cols = ", ".join(f"r.{c}" for c in RECORD_COLUMNS)
    joined = f"{RECORDS} r LEFT JOIN {CLOSING} k ON r.source = k.source AND r.file = k.file"
    frame = s.spark.sql(
        f"SELECT {cols}, r.vintage_from, CASE WHEN {closes} THEN {vintage} "
        f"ELSE r.vintage_to END AS vintage_to FROM {joined}"
    )
    closed = s.scalar(f"SELECT COUNT(*) FROM {joined} WHERE {closes}")
    added = loc.table_path(version, ADDED)
    if Path(added).is_dir():
        frame = frame.unionByName(s.spark.read.parquet(added))
    target = loc.table_path(version, RECORDS)
    frame.write.parquet(target)
    shutil.rmtree(added, ignore_errors=True)
    s.spark.read.parquet(target).createOrReplaceTempView(RECORDS)
    return closed


@contextlib.contextmanager
def _writer_lock(loc: Location) -> Iterator[None]:
    """One load at a time into a location: a second is refused at once (it would diff against
    what the first is replacing)."""
    fd = os.open(loc.path / ".writer.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise KpiboardError(
                f"another ingest is loading into the Spark warehouse at {loc.path}",
                hint="wait for it to finish (it may load what you meant to), then run this again",
            ) from None
        yield
    finally:
        os.close(fd)


def _finish(s: SparkRows, loc: Location, version: str, before: str | None) -> None:
    """Write the logs, switch the pointer to ``version``, and keep only it and ``before``."""
    for table in (LOADS, VINTAGES):
        s.spark.table(table).write.parquet(loc.table_path(version, table))
    loc.switch(version)
    show(s.spark, loc, version)
    loc.pointer_stamp = loc.stamp()
    for folder in (loc.path / VERSIONS).iterdir():
        if folder.name not in (version, before):
            shutil.rmtree(folder, ignore_errors=True)


def _spark_errors() -> tuple[type[BaseException], ...]:
    from py4j.protocol import Py4JError  # type: ignore[import-untyped]
    from pyspark.errors import PySparkException

    return (PySparkException, Py4JError, pa.ArrowException, OSError)


def load_spark(
    backend: SparkBackend,
    table: pa.Table,
    files: Sequence[FileStamp],
    *,
    records: Sequence[RecordRead] = (),
    options: LoadOptions,
) -> LoadResult:
    """Load ``table`` (observation columns) and ``records`` as a new vintage of the Spark
    warehouse: a new version of its Parquet tables, made current only when whole."""
    loc = backend.kpiboard_location
    s = SparkRows(backend._session)
    table = table.select(list(OBSERVATION_COLUMNS))
    with _writer_lock(loc):
        before = loc.read_pointer()
        show(s.spark, loc, before)  # what another process loaded since this one looked
        loc.loading = True
        version = loc.new_version(latest_vintage(s) + 1)
        try:
            _stage(s, table)
            result, touched = _apply(s, loc, version, files, table.num_rows, options)
            result, more = _with_records(s, loc, version, result, records, options)
            result = _conclude(s, result, touched + more, options)
            _finish(s, loc, version, before)
            return result
        except _Rollback as done:
            show(s.spark, loc, before)
            return done.result
        except BaseException as exc:
            show(s.spark, loc, before)
            if isinstance(exc, _spark_errors()):
                raise KpiboardError(
                    "the load failed and was rolled back; the Spark warehouse is unchanged: "
                    + first_line(exc),
                    hint="nothing was made current; check the data with `kpiboard validate` "
                    f"and that {loc.path} is writable by every Spark worker",
                ) from exc
            raise
        finally:
            loc.loading = False
            if loc.version != version:
                shutil.rmtree(loc.version_path(version), ignore_errors=True)
